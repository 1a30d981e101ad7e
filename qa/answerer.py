"""Cited question answering over the Khabar index: `Answerer(engine).ask(question) -> Answer`.

Two paths, both extractive (every figure and every quoted sentence comes from the index):

* numeric questions ("how many …", "did X admit …") are answered from the claim index
  (`qa.numeric`);
* other questions get the best sentence of the top passages, with a short span
  (`qa.extract`).

The answer abstains (`answerable: false`, closest passages as `related`) when no claim
fits a numeric question, when a place or actor the question names is absent from what
was retrieved, or when the retrieval score is under a threshold calibrated on the XQuAD
dev split by `bench/qa_eval.py` (stored in `qa/data/calibration.json`).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khabar.models import Document
from qa import compose
from qa.answer import Answer, Citation
from qa.evidence import mentions
from qa.extract import best_sentence, who_entity
from qa.generator import Generator
from khabar.vocabulary import Vocabulary
from qa.numeric import Numeric, numeric_question
from qa.question import Question, parse
from qa.index import Index

CALIBRATION_PATH = Path(__file__).with_name("data") / "calibration.json"
FROM_ENV = object()  # Answerer(generator=...) default
SEARCH_K = 8
# Characters of not-yet-embedded sentences embedded per extractive answer. Embedding them is
# most of an answer's time (~0.3 ms per character here); XQuAD dev, 150 questions per
# language (docs/QA.md): 400 cuts ask p95 ~3x for 2 (ar) / 4 (en) fewer gold sentences cited.
SENTENCE_BUDGET_CHARS = 400


@dataclass(frozen=True)
class Calibration:
    """Abstention thresholds on the retrieval score (see `retrieval_score`), per question language.

    Per language because cross-lingual cosines run lower: an English question about an
    Arabic passage scores below an Arabic one with the same evidence.
    """

    threshold_ar: float = 0.83
    threshold_en: float = 0.80
    scale: float = 0.02

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> "Calibration":
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        t = data["threshold"]
        return cls(float(t["ar"]), float(t["en"]), float(data.get("scale", cls.scale)))

    @classmethod
    def never_abstain(cls) -> "Calibration":
        """For calibration runs: every question yields its raw score."""
        return cls(-10.0, -10.0)

    def confidence(self, score: float, language: str) -> float:
        """0.5 at the language's threshold, rising with the score (a logistic of the margin)."""
        threshold = self.threshold_ar if language == "ar" else self.threshold_en
        z = max(-50.0, min(50.0, (score - threshold) / self.scale))
        return 1.0 / (1.0 + math.exp(-z))


def retrieval_score(passage_cosine: float, sentence_cosine: float, overlap: float) -> float:
    """How well the best evidence matches the question: mean of the two cosines plus word overlap."""
    return 0.5 * passage_cosine + 0.5 * sentence_cosine + 0.05 * overlap


class Answerer:
    def __init__(self, engine: Index, generator: Generator | None | object = FROM_ENV, calibration: Calibration | None = None,
                 vocab: Vocabulary | None = None) -> None:
        self.engine = engine
        self.vocab = vocab or Vocabulary.load()
        self.calibration = calibration or Calibration.load()
        # FROM_ENV: the KHABAR_LLM_* settings as the environment has them now; None: no rewriting
        self.generator: Generator | None = Generator.from_env() if generator is FROM_ENV else generator  # type: ignore[assignment]
        self._sentence_embedder = _CachedPassages(engine.embedder)
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
        ctx = _Context(q, hits, response.terms, qvec, cosines, {})
        wanted = self.numeric.asked(q) if q.numeric or q.type == "what" else None
        if wanted is not None and numeric_question(q, wanted):
            answer = self.numeric.answer(q, hits, response.terms, cosines, wanted)
        else:
            answer = self._extractive(ctx)
        if answer.answerable and self.generator:
            answer.answer = self.generator.rewrite_or_keep(q, answer)
        answer.debug["question"] = q.to_dict()
        answer.took_ms = (time.perf_counter() - started) * 1000
        return answer

    # ------------------------------------------------------------------ extractive
    def _extractive(self, ctx: "_Context") -> Answer:
        q = ctx.q
        top = ctx.hits[:3]
        if not top:
            return self._abstain(ctx)
        weights = [0.02 * (len(top) - i) / len(top) for i in range(len(top))]
        known = {h.text.strip(): ctx.cosines[h.passage_id] for h in top if h.passage_id in ctx.cosines}
        pick = best_sentence(q.text, q.type, ctx.terms, ctx.qvec, top, self._sentence_embedder, weights, known,
                             budget_chars=SENTENCE_BUDGET_CHARS)
        if pick is None:
            return self._abstain(ctx)
        hit = top[pick.passage_index]
        passage_cos = ctx.cosines.get(hit.passage_id, 0.0)
        score = retrieval_score(passage_cos, pick.cosine, pick.overlap)
        confidence = self.calibration.confidence(score, q.language)
        missing = self._missing_entity(q, top[:3])
        if confidence < 0.5 or missing:
            answer = self._abstain(ctx)
            answer.confidence = round(min(confidence, 0.49), 4)
            answer.debug.update(score=score, missing=missing, best=pick.text)
            return answer
        span = pick.span
        rel_start, rel_end = pick.span_start, pick.span_end
        lead = f"{span} — " if span != pick.text and q.type in ("when", "how_many") else ""
        entity = who_entity(pick.text, q.text) if q.type == "who" else None
        if entity is not None:
            span, rel_start, rel_end = entity.surface, entity.start, entity.end
            name = entity.en if q.language == "en" and entity.en else entity.surface
            lead = f"{name} — "
        if span == pick.text:
            rel_start, rel_end = 0, 0
        citation = Citation(1, hit.doc_id, hit.passage_id, hit.title, hit.source, hit.path, hit.url, hit.published_at,
                            pick.text, compose.mark(pick.text, rel_start, rel_end), pick.start, pick.end,
                            round(score, 4))
        text = lead + (f"The corpus says: «{pick.text}» [1]" if q.language == "en" else f"«{pick.text}» [1]")
        answer = Answer(q.text, q.language, text, True, round(confidence, 4), citations=[citation])
        answer.span = span
        answer.debug.update(score=score, sentence=pick.text, doc_id=hit.doc_id)
        return answer

    def _missing_entity(self, q: Question, hits: list[Any]) -> str | None:
        """A place or actor the question names that none of the top passages mentions."""
        text = " ".join(h.text for h in hits)
        for kind, key in (("place", q.place), ("actor", q.actor)):
            if not key:
                continue
            entry = (self.vocab.places if kind == "place" else self.vocab.actors).get(key)
            if entry and not mentions(text, entry.ar) and not any(e in text.lower() for e in entry.en):
                return key
        return None

    # ------------------------------------------------------------------ abstention
    def _abstain(self, ctx: "_Context") -> Answer:
        q = ctx.q
        text = ("The corpus does not answer this question; the closest passages are listed as related."
                if q.language == "en" else "لا تتضمن المصادر المفهرسة إجابة عن هذا السؤال؛ أقرب المقاطع مدرجة أدناه.")
        return Answer(q.text, q.language, text, False, 0.0, related=[h.to_dict() for h in ctx.hits[:5]])


class _CachedPassages:
    """Sentence vectors are re-used across questions (the same top passages come back often)."""

    def __init__(self, embedder: Any, size: int = 20_000) -> None:
        self.inner = embedder
        self.size = size
        self.cache: dict[str, Any] = {}

    def embed_passages(self, texts: list[str]) -> Any:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            if len(self.cache) + len(missing) > self.size:
                self.cache.clear()
            for t, v in zip(missing, self.inner.embed_passages(missing)):
                self.cache[t] = v
        return np.vstack([self.cache[t] for t in texts])


@dataclass
class _Context:
    q: Question
    hits: list[Any]
    terms: list[str]
    qvec: Any
    cosines: dict[str, float]
    docs: dict[str, Document | None]
