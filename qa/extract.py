"""Extractive answers for who/what/when/where questions: best sentence, then a short span.

The best sentence of the top passages is chosen by the multilingual embedder (so an
English question finds its Arabic sentence) plus word overlap with the question. The
span is cut from that sentence by simple, explainable rules: a year or date for "when",
a figure for "how many", and otherwise the run of words next to the question's words
that the question itself does not contain (answers rarely repeat the question).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from khabar.arabic import analyze, fold, term, tokens
from khabar.dates import written_month_names
from khabar.segment import sentences

_MONTHS = "|".join(written_month_names())
_DATE = re.compile(rf"(?:\d{{1,2}}\s+)?(?:{_MONTHS})(?:\s+(?:عام\s+|سنة\s+)?\d{{4}})?|(?:عام|سنة|العام)\s+\d{{3,4}}|\b\d{{4}}\b|"
                   r"\b\d{1,2}[/\-.]\d{1,2}[/\-.]\d{2,4}\b|القرن\s+\S+")
_NUMBER = re.compile(r"\d[\d,.]*(?:\s+(?:ألف|آلاف|مليون|ملايين|مليار|بالمئة|بالمائة|%))?(?:\s+[^\s\d،,.؛]+)?")
_STOP = {fold(w) for w in "في من على الى إلى عن مع ان أن إن او أو ثم كما لا لم لن ما قد و هو هي هم كان كانت التي الذي الذين هذا هذه ذلك تلك بين حتى عند كل بعد قبل منذ خلال حول دون غير ايضا أيضا".split()}
MAX_SPAN_WORDS = 7


@dataclass
class SentencePick:
    passage_index: int
    text: str
    start: int  # offsets into the document text
    end: int
    score: float
    cosine: float
    overlap: float
    span: str
    span_start: int  # offsets into `text`
    span_end: int


def split_passages(passages: Sequence[Any]) -> list[tuple[int, str, int, int]]:
    """(passage index, sentence, doc start, doc end) for every sentence of the passages."""
    out = []
    for i, p in enumerate(passages):
        for s in sentences(p.text):
            out.append((i, p.text[s.start:s.end], p.start + s.start, p.start + s.end))
    return out


def best_sentence(question: str, qtype: str, query_terms: Sequence[str], query_vec: np.ndarray,
                  passages: Sequence[Any], embedder: Any, passage_weights: Sequence[float],
                  known_cosines: dict[str, float] | None = None,
                  budget_chars: int | None = None) -> SentencePick | None:
    """The sentence that best answers `question` among `passages` (hits, best first).

    `known_cosines` maps a text to its cosine with the question when the index already holds
    its vector (a one-sentence passage *is* its sentence); only the other sentences are embedded
    now, which is most of the cost of an answer. `budget_chars` bounds that cost: sentences to
    embed are taken in order of passage rank, then word overlap with the question, until the
    budget is spent (the first is always taken); the rest are not candidates.
    """
    cands = split_passages(passages)
    if not cands:
        return None
    known = known_cosines or {}
    terms = set(query_terms)
    overlaps = [len(terms & set(analyze(c[1]))) / len(terms) if terms else 0.0 for c in cands]
    todo = _within_budget([(c[0], -o, c[1]) for c, o in zip(cands, overlaps) if c[1] not in known], budget_chars)
    fresh = dict(zip(todo, embedder.embed_passages(todo) @ query_vec)) if todo else {}
    best: SentencePick | None = None
    for (pi, text, start, end), overlap in zip(cands, overlaps):
        if text in known:
            c = known[text]
        elif text in fresh:
            c = float(fresh[text])
        else:
            continue
        score = float(c) + 0.15 * overlap + passage_weights[pi]
        if best is None or score > best.score:
            span, a, b = answer_span(text, qtype, question, query_terms)
            best = SentencePick(pi, text, start, end, score, float(c), overlap, span, a, b)
    return best


def _within_budget(ranked: list[tuple[int, float, str]], budget_chars: int | None) -> list[str]:
    """Distinct texts to embed: all of them, or by (passage rank, -overlap) until the budget is spent."""
    if budget_chars is None:
        return list(dict.fromkeys(text for _, _, text in ranked))
    chosen: list[str] = []
    spent = 0
    for _, _, text in sorted(ranked, key=lambda r: (r[0], r[1])):
        if text in chosen:
            continue
        if chosen and spent + len(text) > budget_chars:
            continue
        chosen.append(text)
        spent += len(text)
    return chosen


def who_entity(sentence: str, question: str) -> Any | None:
    """For a "who" question: the first gazetteer actor in `sentence` that the question does not name.

    Returns the gazetteer `Match` (surface, offsets, English name) or None. Names come from the
    gazetteer rather than a span heuristic, so "Who is the Russian foreign ministry spokeswoman?"
    gets "ماريا زاخاروفا" (Maria Zakharova), not the words around her title.
    """
    from khabar.vocabulary.gazetteer import Gazetteer

    q_fold, q_lower = fold(question), question.lower()
    for match in Gazetteer.load().find_actors(sentence):
        english = (match.en or "").split(" (")[0].lower()
        if fold(match.surface) in q_fold or (english and english in q_lower):
            continue
        return match
    return None


def answer_span(sentence: str, qtype: str, question: str, query_terms: Sequence[str]) -> tuple[str, int, int]:
    """A short answer inside `sentence` (offsets into it); the whole sentence if no rule applies."""
    q_fold = fold(question)
    pattern = _DATE if qtype == "when" else _NUMBER if qtype == "how_many" else None
    if pattern is not None:
        for m in pattern.finditer(sentence):
            if fold(m.group()) not in q_fold:
                return m.group().strip(), m.start(), m.start() + len(m.group().strip())
    toks = list(tokens(sentence))
    if not toks:
        return sentence, 0, len(sentence)
    qset = set(query_terms)
    in_q = [term(t.text) in qset or fold(t.text) in _STOP for t in toks]
    hits = [i for i, t in enumerate(toks) if term(t.text) in qset]
    if not hits:
        return sentence, 0, len(sentence)
    # Runs of words absent from the question, scored by closeness to the question's words.
    best: tuple[float, int, int] | None = None
    i = 0
    while i < len(toks):
        if in_q[i]:
            i += 1
            continue
        j = i
        while j < len(toks) and not in_q[j] and j - i < MAX_SPAN_WORDS:
            j += 1
        dist = min(min(abs(h - i), abs(h - (j - 1))) for h in hits)
        score = -dist - 0.15 * abs((j - i) - 3)
        if best is None or score > best[0]:
            best = (score, i, j)
        i = j
    if best is None:
        return sentence, 0, len(sentence)
    _, a, b = best
    return sentence[toks[a].start:toks[b - 1].end], toks[a].start, toks[b - 1].end
