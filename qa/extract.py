"""Extractive answers for who/what/which/when/where/why questions: best sentence, then a typed short answer.

The best sentence of the top passages is chosen by the multilingual embedder (so an
English question finds its Arabic sentence) plus word overlap with the question, plus a
bonus when it holds a span of the asked type. The short answer (`typed_answer`) is a span of
the question's expected answer type (`qa.answer_type`, found by `qa.entities`) that the
question does not already name, nearest the question's words; without one there is no short
answer and the cited sentence is the answer. `answer_span` is the older untyped cut (a year
for "when", a figure for "how many", else the run of words next to the question's words that
the question does not contain), kept as `Answer.span` for the XQuAD span-F1 comparison.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

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
FALLBACK_MARGIN = 0.02  # a sentence scored by its passage's cosine competes a little below an embedded one
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_prose(sentence: str) -> bool:
    """A sentence of article text, not page chrome: at least four words, most of them Arabic or English words.

    Scraped pages leave template debris in passages ("{ * backButton * }", URLs, share bars);
    citing it as evidence helps nobody.
    """
    words = _WORD.findall(sentence)
    if len(words) < 4:
        return False
    letters = sum(len(w) for w in words)
    return letters >= 0.6 * len(sentence.replace(" ", "")) and "{" not in sentence and "://" not in sentence


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
    fallback: bool = False  # scored by its passage's cosine, not its own


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
                  budget_chars: int | None = None, bonus: Callable[[str], float] | None = None,
                  fallback_cosines: Sequence[float | None] | None = None) -> SentencePick | None:
    """The sentence that best answers `question` among `passages` (hits, best first); see `rank_sentences`."""
    ranked = rank_sentences(question, qtype, query_terms, query_vec, passages, embedder, passage_weights,
                            known_cosines, budget_chars, bonus, fallback_cosines)
    return ranked[0] if ranked else None


def rank_sentences(question: str, qtype: str, query_terms: Sequence[str], query_vec: np.ndarray,
                   passages: Sequence[Any], embedder: Any, passage_weights: Sequence[float],
                   known_cosines: dict[str, float] | None = None,
                   budget_chars: int | None = None, bonus: Callable[[str], float] | None = None,
                   fallback_cosines: Sequence[float | None] | None = None) -> list[SentencePick]:
    """Every candidate sentence of `passages` (hits, best first) that can answer `question`, best first.

    `known_cosines` maps a text to its cosine with the question when the index already holds
    its vector (a one-sentence passage *is* its sentence); only the other sentences are embedded
    now, which is most of the cost of an answer. `budget_chars` bounds that cost: sentences to
    embed are taken in order of passage rank, then word overlap with the question, until the
    budget is spent (the first is always taken); the rest are not candidates, unless
    `fallback_cosines` gives their passage's cosine (then they compete with it, less a margin).
    `bonus(sentence)` adds to a sentence's score (an answer of the asked type in it) and to its
    place in the embedding queue; sentences that are page chrome rather than prose are skipped.
    """
    cands = [c for c in split_passages(passages) if is_prose(c[1])] or split_passages(passages)
    if not cands:
        return []
    known = known_cosines or {}
    terms = set(query_terms)
    overlaps = [len(terms & set(analyze(c[1]))) / len(terms) if terms else 0.0 for c in cands]
    extra = [bonus(c[1]) if bonus else 0.0 for c in cands]
    todo = _within_budget([(c[0], -(o + e), c[1]) for c, o, e in zip(cands, overlaps, extra) if c[1] not in known],
                          budget_chars)
    fresh = dict(zip(todo, embedder.embed_passages(todo) @ query_vec)) if todo else {}
    out: list[SentencePick] = []
    for (pi, text, start, end), overlap, e in zip(cands, overlaps, extra):
        fallback = False
        if text in known:
            c = known[text]
        elif text in fresh:
            c = float(fresh[text])
        elif fallback_cosines is not None and fallback_cosines[pi] is not None:
            c = float(fallback_cosines[pi]) - FALLBACK_MARGIN  # type: ignore[arg-type]
            fallback = True
        else:
            continue
        score = float(c) + 0.15 * overlap + passage_weights[pi] + e
        span, a, b = answer_span(text, qtype, question, query_terms)
        out.append(SentencePick(pi, text, start, end, score, float(c), overlap, span, a, b, fallback))
    out.sort(key=lambda p: -p.score)
    return out


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


# ----------------------------------------------------------------------------- typed short answers
_CUE_RANK = {"gazetteer": 0, "title": 0, "pattern": 0, "date": 0, "number": 0, "verb": 1, "country": 1, "head": 1}


_VAGUE_DATES = {fold(w) for w in ("أمس", "امس", "اليوم", "يوم أمس", "غدا")}


def _shown(span: Any) -> bool:
    """A bare «أمس» / «اليوم» that the publication date does not resolve answers no when-question."""
    return not (span.type == "date" and span.en is None and fold(span.text) in _VAGUE_DATES)


class QuestionNames:
    """What a question already names, so that a short answer never repeats it.

    A span is named when its text occurs in the question, its gazetteer id is the question's
    actor or place, its English rendering occurs in an English question, or every content
    term of it is a term of the question (Arabic terms, or an English question's translations).
    """

    def __init__(self, question: str, query_terms: Sequence[str], ids: Sequence[str | None] = ()) -> None:
        self.folded = fold(question)
        self.lower = question.lower()
        self.terms = set(analyze(question)) | set(query_terms)
        self.ids = {i for i in ids if i}

    def __call__(self, span: Any) -> bool:
        if getattr(span, "id", None) and span.id in self.ids:
            return True
        if fold(span.text) in self.folded:
            return True
        if span.en and span.en.lower() in self.lower:
            return True
        content = analyze(span.text)
        return bool(content) and all(t in self.terms for t in content)


def typed_answer(sentence: str, answer_type: str, named: QuestionNames, query_terms: Sequence[str],
                 published: Any = None, head: str | None = None) -> Any | None:
    """The span of the asked type in `sentence` that the question does not name, nearest the question's words.

    None when there is none (or the type has no short form: reason, other): the answer is then
    the cited sentence itself.
    """
    from qa.entities import find_spans

    spans = [s for s in find_spans(sentence, answer_type, published, head) if not named(s) and _shown(s)]
    if not spans:
        return None
    toks = list(tokens(sentence))
    qset = set(query_terms) | named.terms
    hits = [t.start for t in toks if term(t.text) in qset]

    def rank(span: Any) -> tuple[float, int, int]:
        distance = min((min(abs(h - span.start), abs(h - span.end)) for h in hits), default=0)
        specific = -len(span.en or "") / 10 if span.type == "date" else 0.0  # a full date before a weekday
        return (distance / 40 + 2 * (span.type != answer_type) + _CUE_RANK.get(span.cue, 1) + specific,
                -(span.end - span.start), span.start)

    return min(spans, key=rank)
