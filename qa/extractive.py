"""Extractive answers for questions that are not asking for a figure (who/what/which/when/where/why).

The best sentence of the top passages is cited; a short span is cut from it (`qa.extract`);
the answer abstains when the retrieval score is under the calibrated threshold
(`qa.calibration`) or when a place or actor the question names is absent from what was
retrieved.
"""
from __future__ import annotations

from typing import Any, Sequence

from khabar.vocabulary import Vocabulary
from qa import compose
from qa.answer import Answer, Citation
from qa.calibration import Calibration, retrieval_score
from qa.evidence import mentions
from khabar.dates import parse_iso_date
from qa.answer_type import DATE, NUMBER, ORGANISATION, PERSON, PLACE
from qa.extract import QuestionNames, best_sentence, typed_answer
from qa.index import Index
from qa.question import Question

# Characters of not-yet-embedded sentences embedded per extractive answer. Embedding them is
# most of an answer's time (~0.3 ms per character here); XQuAD dev, 150 questions per
# language (docs/QA.md): 400 cuts ask p95 ~3x for 2 (ar) / 4 (en) fewer gold sentences cited.
SENTENCE_BUDGET_CHARS = 400
# Passages whose sentences compete (sentences over the budget compete with their passage's cosine).
CANDIDATE_PASSAGES = 5
# Added to a sentence's score when it holds a span of the asked type that the question does not name.
TYPE_BONUS = 0.05
SHORT_TYPES = (PERSON, ORGANISATION, PLACE, DATE, NUMBER)


class Extractive:
    """Answers one parsed question from its search hits with a cited sentence, or abstains."""

    def __init__(self, engine: Index, vocab: Vocabulary, calibration: Calibration) -> None:
        self.engine = engine
        self.vocab = vocab
        self.calibration = calibration
        self.sentence_embedder = CachedPassages(engine.embedder)

    def answer(self, q: Question, hits: Sequence[Any], terms: list[str], qvec: Any,
               cosines: dict[str, float]) -> Answer:
        top = list(hits[:CANDIDATE_PASSAGES])
        if not top:
            return abstention(q, hits)
        named = QuestionNames(q.text, terms, (q.actor, q.place))
        typed = q.answer_type in SHORT_TYPES

        def bonus(sentence: str) -> float:
            return (TYPE_BONUS if typed and typed_answer(sentence, q.answer_type, named, terms, None, q.answer_head)
                    is not None else 0.0)

        weights = [0.02 * (len(top) - i) / len(top) for i in range(len(top))]
        known = {h.text.strip(): cosines[h.passage_id] for h in top if h.passage_id in cosines}
        pick = best_sentence(q.text, q.type, terms, qvec, top, self.sentence_embedder, weights, known,
                             budget_chars=SENTENCE_BUDGET_CHARS, bonus=bonus,
                             fallback_cosines=[cosines.get(h.passage_id) for h in top])
        if pick is None:
            return abstention(q, hits)
        hit = top[pick.passage_index]
        passage_cos = cosines.get(hit.passage_id, 0.0)
        score = retrieval_score(passage_cos, pick.cosine, pick.overlap)
        span = (typed_answer(pick.text, q.answer_type, named, terms, parse_iso_date(hit.published_at), q.answer_head)
                if typed else None)
        confidence = self.calibration.confidence(score, q.language)
        missing = self.missing_entity(q, top[:3])
        if confidence < 0.5 or missing:
            answer = abstention(q, hits)
            answer.confidence = round(min(confidence, 0.49), 4)
            answer.debug.update(score=score, missing=missing, best=pick.text)
            return answer
        short = None
        if span is not None:
            short = span.en if q.language == "en" and span.en else span.text
            rel_start, rel_end = span.start, span.end
        else:
            rel_start, rel_end = 0, 0
        citation = Citation(1, hit.doc_id, hit.passage_id, hit.title, hit.source, hit.path, hit.url, hit.published_at,
                            pick.text, compose.mark(pick.text, rel_start, rel_end), pick.start, pick.end,
                            round(score, 4))
        text = f"The corpus says: «{pick.text}» [1]" if q.language == "en" else f"«{pick.text}» [1]"
        answer = Answer(q.text, q.language, text, True, round(confidence, 4), citations=[citation], short_answer=short)
        answer.span = span.text if span is not None else pick.span
        answer.debug.update(score=score, sentence=pick.text, doc_id=hit.doc_id,
                            span=(span.type, span.cue, span.text) if span is not None else None)
        return answer

    def missing_entity(self, q: Question, hits: list[Any]) -> str | None:
        """A place or actor the question names that none of the top passages mentions."""
        text = " ".join(h.text for h in hits)
        for kind, key in (("place", q.place), ("actor", q.actor)):
            if not key:
                continue
            entry = (self.vocab.places if kind == "place" else self.vocab.actors).get(key)
            if entry and not mentions(text, entry.ar) and not any(e in text.lower() for e in entry.en):
                return key
        return None


def abstention(q: Question, hits: Sequence[Any]) -> Answer:
    """The corpus does not answer a non-numeric question: say so and list the closest passages."""
    text = ("The corpus does not answer this question; the closest passages are listed as related."
            if q.language == "en" else "لا تتضمن المصادر المفهرسة إجابة عن هذا السؤال؛ أقرب المقاطع مدرجة أدناه.")
    return Answer(q.text, q.language, text, False, 0.0, related=[h.to_dict() for h in hits[:5]])


class CachedPassages:
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
