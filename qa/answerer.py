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

from qa.answer import Answer
from qa.calibration import Calibration
from qa.extractive import Extractive
from qa.generator import Generator
from khabar.vocabulary import Vocabulary
from qa.numeric import Numeric, numeric_question
from qa.question import parse
from qa.index import Index

FROM_ENV = object()  # Answerer(generator=...) default
SEARCH_K = 8


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
        else:
            answer = self.extractive.answer(q, hits, response.terms, qvec, cosines)
        if answer.answerable and answer.short_answer is None and answer.claims and answer.span:
            answer.short_answer = answer.span  # a numeric answer leads with its best figure
        if answer.answerable and self.generator:
            answer.answer = self.generator.rewrite_or_keep(q, answer)
        answer.debug["question"] = q.to_dict()
        answer.took_ms = (time.perf_counter() - started) * 1000
        return answer
