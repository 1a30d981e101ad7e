"""Folded text with a map back to the original: find on `fold`ed text, report offsets into what was written.

The gazetteer, the number parser and the date finder all match on folded text (hamza,
ta-marbuta and diacritic spellings meet) but must cite and highlight the characters the
article actually contains; `folded` gives both, `span_to_original` maps a match back.
"""
from __future__ import annotations

import re
from functools import lru_cache

from khabar.arabic import fold

def folded(text: str) -> tuple[str, list[int]]:
    """`fold(text)` plus, for each folded character, the index of its source character.

    Folding drops diacritics/tatweel and may expand presentation forms, so offsets in
    the folded string must be mapped back; the list has one extra entry = len(text).
    Callers must not mutate the returned list (results are cached per text).
    """
    return _folded_cached(text)


@lru_cache(maxsize=64)
def _folded_cached(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        if f:
            out.append(f)
            index.extend([i] * len(f))
    index.append(len(text))
    return "".join(out), index


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return ch.lower() if ch.isascii() else fold(ch)


_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]")


def span_to_original(index: list[int], start: int, end: int, text: str | None = None) -> tuple[int, int]:
    """Map a [start, end) span of folded text back to the original text.

    With `text`, the span also takes in diacritics / tatweel that trail its last letter
    (they fold to nothing, so no folded character points at them).
    """
    if end <= start:
        return index[start], index[start]
    a, b = index[start], index[end - 1] + 1
    if text is not None:
        while b < len(text) and _MARKS.match(text[b]):
            b += 1
    return a, b
