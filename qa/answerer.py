"""Cited question answering over the Khabar index: `Answerer(engine).ask(question) -> Answer`.

Two paths, both extractive (every figure and every quoted sentence comes from the index):

* numeric questions ("how many …", "did X admit …", "what was the value of …") are answered from
  the claim index (`qa.numeric`): claims that count the asked thing about the asked event, one
  statement per figure, an asked source's figures over time;
* other questions get the best cited sentence of the top passages, with a short answer only
  when one of the asked type is found (`qa.extractive`).

The answer abstains (`answerable: false`, closest passages as `related`) when no claim
fits a numeric question, or when the extractive path finds no confident evidence
(`qa.extractive`, thresholds in `qa/data/calibration.json`).
"""
from __future__ import annotations

import time
from typing import Any

from indexer.numbers import find_numbers
from khabar.arabic import ascii_digits

from qa.answer import Answer
from qa.calibration import Calibration
from qa.context import incidents_in
from qa.extractive import Extractive
from qa.generator import Generator
from khabar.vocabulary import Vocabulary
from qa.numeric import Numeric, numeric_question
from qa.question import parse
from qa.support import read
from qa.index import Index

FROM_ENV = object()  # Answerer(generator=...) default
_FIGURE_KINDS = {"percent": ("percent",), "count": ("quantity",), "money": ("quantity",), "measure": ("quantity",)}


def _asked_kind(wanted: Any) -> str:
    return wanted.kinds[0] if getattr(wanted, "kinds", None) else "count"


SEARCH_K = 8


def answer_figures(sentence: str, kind: str, given: set[str]) -> list[Any]:
    """The figures of `sentence` that can answer a how-many question asking for `kind`: of that kind and not a
    figure the question gives (`given`, as digits: "12 hours" is a condition, so "12 killed" does not answer it)."""
    return [n for n in find_numbers(sentence, include_all=True)
            if n.kind in _FIGURE_KINDS.get(kind, ("quantity",)) and _digits(n.value) not in given]


def _digits(value: Any) -> str:
    """A figure as the digits a question would write it ("12", "1000"; Arabic-Indic digits and separators read)."""
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = ascii_digits(str(value))
    return "".join(ch for ch in text if ch.isdigit())


class Answerer:
    def __init__(self, engine: Index, generator: Generator | None | object = FROM_ENV, calibration: Calibration | None = None,
                 vocab: Vocabulary | None = None) -> None:
        self.engine = engine
        self.vocab = vocab or Vocabulary.load()
        self.calibration = calibration or Calibration.load()
        # FROM_ENV: the KHABAR_LLM_* settings as the environment has them now; None: no rewriting
        self.generator: Generator | None = Generator.from_env() if generator is FROM_ENV else generator  # type: ignore[assignment]
        self.extractive = Extractive(engine, self.vocab, self.calibration)
        self.numeric = Numeric(engine, self.vocab, self.calibration)

    def _sentence_fallback(self, q: Any, hits: Any, terms: list[str], qvec: Any, cosines: dict[str, float],
                           wanted: Any, abstained: Answer) -> Answer:
        """A how-many question no stored claim answers (a figure the claim extractor does not keep, "how many
        people live in …"): the best sentence, only when it passes the same evidence check and calibrated
        confidence as any extractive answer and holds a figure of the asked kind; else the numeric abstention."""
        answer = self.extractive.answer(q, hits, terms, qvec, cosines)
        if not answer.answerable or not answer.citations:
            return abstained
        sentence = answer.citations[0].snippet
        # the event the question names (a bombing) must be the sentence's or its headline's, as for a claim
        asked = set(getattr(wanted, "incidents", ()) or ())
        if asked and not asked & incidents_in(f"{sentence} {answer.citations[0].title or ''}"):
            abstained.debug["fallback"] = "the best supported sentence does not name the asked incident"
            return abstained
        given = {c.value for c in self.extractive.constraints(q).of("number", "year")}
        figures = answer_figures(sentence, _asked_kind(wanted), given)
        if not figures:
            abstained.debug["fallback"] = "no figure of the asked kind in the best supported sentence"
            return abstained
        # the figure must count the asked thing: the asked noun ("سكان", "visitors", "يورو") is in the sentence
        nouns = set(wanted.noun_terms)
        if nouns and not nouns & read(sentence).terms:
            abstained.debug["fallback"] = "the best supported sentence does not name what was counted"
            return abstained
        if answer.short_answer is None or _digits(answer.short_answer) in given:
            answer.short_answer = answer.span = figures[0].text
        answer.debug["fallback"] = "sentence"
        return answer

    # ------------------------------------------------------------------ entry point
    def ask(self, question: str) -> Answer:
        """Answer one English or Arabic question from the index, with citations, or abstain."""
        started = time.perf_counter()
        q = parse(question, self.vocab)
        response = self.engine.search(q.text, mode="hybrid", k=SEARCH_K)
        qvec = self.engine.query_vector(q.text)  # remembered by the search just done
        hits = response.hits
        cosines = response.cosines  # the search's own kNN (top 50, no filters): no second scan
        wanted = self.numeric.asked(q) if q.numeric or q.type == "what" else None
        if wanted is not None and numeric_question(q, wanted):
            answer = self.numeric.answer(q, hits, response.terms, cosines, wanted)
            if not answer.answerable and not answer.citations and q.type == "how_many":
                answer = self._sentence_fallback(q, hits, response.terms, qvec, cosines, wanted, answer)
        else:
            answer = self.extractive.answer(q, hits, response.terms, qvec, cosines)
        if answer.answerable and answer.short_answer is None and answer.claims and answer.span:
            answer.short_answer = answer.span  # a numeric answer leads with its best figure
        if answer.answerable and self.generator:
            answer.answer = self.generator.rewrite_or_keep(q, answer)
        answer.debug["question"] = q.to_dict()
        answer.took_ms = (time.perf_counter() - started) * 1000
        return answer
