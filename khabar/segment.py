"""Sentence splitting and passage building, with character offsets.

Arabic news sentences end in . ؟ ! ؛ or a line break; decimals (3.5), abbreviations
of digits (9:30) and quotes closing after the stop must not split. Passages group
1-3 consecutive sentences of one paragraph up to a size budget, because the embedder
truncates long input and a passage is what a citation points at.
"""
from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from khabar.models import Passage

# A sentence ends at a terminator (not between digits) plus any closing quotes/brackets.
_SENTENCE_END = re.compile(r"(?<!\d)[.؟?!؛]+(?!\d)[\"'”’»)\]]*|(?<=\d)[؟?!؛]+|\.(?=\s|$)")
_PARAGRAPH = re.compile(r"\n+")

MAX_PASSAGE_CHARS = 600
MAX_SENTENCES = 3


class Span(NamedTuple):
    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def paragraphs(text: str) -> list[Span]:
    """Non-empty lines of `text` as spans."""
    spans: list[Span] = []
    pos = 0
    for match in _PARAGRAPH.finditer(text + "\n"):
        span = _trimmed(text, pos, match.start())
        if span:
            spans.append(span)
        pos = match.end()
    return spans


def sentences(text: str) -> list[Span]:
    """Sentence spans over the whole text (never crossing a line break)."""
    out: list[Span] = []
    for para in paragraphs(text):
        pos = para.start
        chunk = text[para.start : para.end]
        for match in _SENTENCE_END.finditer(chunk):
            end = para.start + match.end()
            span = _trimmed(text, pos, end)
            if span and any(ch.isalnum() for ch in text[span.start : span.end]):
                out.append(span)
            pos = end
        span = _trimmed(text, pos, para.end)
        if span and any(ch.isalnum() for ch in text[span.start : span.end]):
            out.append(span)
    return out


def passage_id(doc_id: str, text: str, ordinal: int) -> str:
    """Stable id: same document, same passage text and position -> same id."""
    digest = hashlib.sha1(f"{doc_id}\x1f{ordinal}\x1f{text}".encode("utf-8")).hexdigest()[:16]
    return f"{doc_id}:{digest}"


def build_passages(doc_id: str, text: str) -> list[Passage]:
    """Group sentences of each paragraph into passages of 1-3 sentences."""
    passages: list[Passage] = []
    spans = sentences(text)  # once: re-splitting the whole text per paragraph was quadratic
    i = 0
    for para in paragraphs(text):
        group: list[Span] = []
        while i < len(spans) and spans[i].start < para.start:
            i += 1
        while i < len(spans) and spans[i].start < para.end:
            sent = spans[i]
            i += 1
            size = (sent.end - group[0].start) if group else (sent.end - sent.start)
            if group and (len(group) >= MAX_SENTENCES or size > MAX_PASSAGE_CHARS):
                passages.append(_passage(doc_id, text, group, len(passages)))
                group = []
            group.append(sent)
        if group:
            passages.append(_passage(doc_id, text, group, len(passages)))
    return passages


def _passage(doc_id: str, text: str, group: list[Span], ordinal: int) -> Passage:
    start, end = group[0].start, group[-1].end
    body = text[start:end]
    return Passage(passage_id(doc_id, body, ordinal), doc_id, ordinal, body, start, end)
