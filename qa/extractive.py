"""Extractive answers for questions that are not asking for a figure (who/what/which/when/where/why).

Candidate sentences of the top passages are ranked (`qa.extract.rank_sentences`: cosine, word
overlap, a bonus for a span of the asked type); each of the best is checked against what the
question is specific about (`qa.support`: places, actors, names, years, days, numbers, the asked
relation, in the sentence or its passage, headline and date) and its constraint coverage is added
to its score. The best sentence that passes is cited; the short answer is a span of the type the
question asks for (`qa.answer_type`, `qa.entities`), or none. The answer abstains, offering the
passages as related, when no candidate passes the check ("who won the 2022 World Cup" over a text
about 2018; who *hosted* it) or when the calibrated confidence is under 0.5 (`qa.calibration`).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from khabar.arabic import analyze, fold
from khabar.dates import parse_iso_date
from khabar.vocabulary import Vocabulary
from qa import compose
from qa.answer import Answer, Citation
from qa.calibration import Calibration, retrieval_score
from qa.answer_type import DATE, NUMBER, ORGANISATION, PERSON, PLACE
from qa.extract import QuestionNames, SentencePick, rank_sentences, typed_answer
from qa.index import Index
from qa.question import Question
from qa.support import Constraints, Evidence, Rarity, Verdict, check, question_constraints

# Characters of not-yet-embedded sentences embedded per extractive answer. Embedding them is
# most of an answer's time (~0.3 ms per character here); XQuAD dev, 150 questions per
# language (docs/QA.md): 400 cuts ask p95 ~3x for 2 (ar) / 4 (en) fewer gold sentences cited.
SENTENCE_BUDGET_CHARS = 400
# Passages whose sentences compete (sentences over the budget compete with their passage's cosine).
CANDIDATE_PASSAGES = 5
# Added to a sentence's score when it holds a span of the asked type that the question does not name.
TYPE_BONUS = 0.05
SHORT_TYPES = (PERSON, ORGANISATION, PLACE, DATE, NUMBER)
# Candidate sentences whose evidence is checked against the question's constraints (best first).
MAX_JUDGED = 12
# Added to a sentence's score per unit of constraint coverage (IDF-weighted share of what the question is
# specific about that the sentence or its context holds): cosines of candidate sentences differ by
# hundredths, so coverage decides between close candidates (dev-tuned).
SUPPORT_WEIGHT = 0.1
_YEAR = re.compile(r"(?<!\d)(?:19\d\d|20\d\d|14\d\d)(?!\d)")


class Extractive:
    """Answers one parsed question from its search hits with a cited sentence, or abstains."""

    def __init__(self, engine: Index, vocab: Vocabulary, calibration: Calibration) -> None:
        self.engine = engine
        self.vocab = vocab
        self.calibration = calibration
        self.sentence_embedder = CachedPassages(engine.embedder)
        self.rarity = Rarity(engine)
        self.lexicon = getattr(getattr(engine, "searcher", None), "lexicon", None)

    def answer(self, q: Question, hits: Sequence[Any], terms: list[str], qvec: Any,
               cosines: dict[str, float], constraints: Constraints | None = None) -> Answer:
        top = list(hits[:CANDIDATE_PASSAGES])
        if not top:
            return abstention(q, hits)
        named = QuestionNames(q.text, terms, (q.actor, q.place))
        typed = q.answer_type in SHORT_TYPES
        cs = constraints if constraints is not None else self.constraints(q)

        def bonus(sentence: str) -> float:
            return (TYPE_BONUS if typed and typed_answer(sentence, q.answer_type, named, terms, None, q.answer_head)
                    is not None else 0.0)

        weights = [0.02 * (len(top) - i) / len(top) for i in range(len(top))]
        known = {h.text.strip(): cosines[h.passage_id] for h in top if h.passage_id in cosines}
        ranked = rank_sentences(q.text, q.type, terms, qvec, top, self.sentence_embedder, weights, known,
                                budget_chars=SENTENCE_BUDGET_CHARS, bonus=bonus,
                                fallback_cosines=[cosines.get(h.passage_id) for h in top])
        if not ranked:
            return abstention(q, hits)
        pick, verdict = self.supported(cs, ranked, top)
        hit = top[pick.passage_index]
        if pick.fallback:  # scored by its passage's cosine (over the budget): the answer's confidence needs its own
            pick.cosine = float(self.sentence_embedder.embed_passages([pick.text])[0] @ qvec)
        # a passage found by its words alone has no cosine from the search's kNN: its sentence's stands in
        passage_cos = cosines.get(hit.passage_id, pick.cosine)
        score = retrieval_score(passage_cos, pick.cosine, pick.overlap)
        span = (typed_answer(pick.text, q.answer_type, named, terms, parse_iso_date(hit.published_at), q.answer_head)
                if typed else None)
        features = self.features(q, terms, hit, pick.text, score, typed and span is None)
        features.update(verdict.features())
        confidence = self.calibration.confidence_of(features, q.language)
        if confidence < 0.5 or not verdict.ok:
            answer = abstention(q, hits)
            answer.confidence = round(min(confidence, 0.49), 4)
            answer.debug.update(score=score, missing=verdict.reason, best=pick.text, features=features,
                                support=verdict.to_dict(), constraints=cs.to_dict())
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
        answer.debug.update(score=score, sentence=pick.text, doc_id=hit.doc_id, features=features,
                            span=(span.type, span.cue, span.text) if span is not None else None,
                            support=verdict.to_dict(), constraints=cs.to_dict())
        return answer

    def constraints(self, q: Question) -> Constraints:
        """What the question is specific about (`qa.support`), read once per question."""
        return question_constraints(q, self.vocab, self.lexicon, self.rarity)

    def supported(self, cs: Constraints, ranked: Sequence[SentencePick],
                  top: Sequence[Any]) -> tuple[SentencePick, Verdict]:
        """The best sentence whose evidence supports the question's constraints, its coverage added to its score;
        when none does, the best sentence and its failing verdict (the answer then abstains)."""
        cache: dict[str, Any] = {}
        judged = []
        docs: dict[str, Any] = {}
        for pick in ranked[:MAX_JUDGED]:
            hit = top[pick.passage_index]
            if hit.doc_id not in docs:
                docs[hit.doc_id] = self.engine.document(hit.doc_id)
            doc = docs[hit.doc_id]
            ev = Evidence.of(pick.text, [hit.text, hit.title or ""], parse_iso_date(hit.published_at), cache,
                             document=f"{doc.title} {doc.text}" if doc is not None else None)
            verdict = check(cs, ev)
            judged.append((pick.score + SUPPORT_WEIGHT * verdict.coverage(), pick, verdict))
        passing = [j for j in judged if j[2].ok]
        _, pick, verdict = max(passing or judged, key=lambda j: j[0])
        return pick, verdict

    def features(self, q: Question, terms: Sequence[str], hit: Any, sentence: str, score: float,
                 untyped: bool) -> dict[str, float]:
        """The evidence features the calibration weighs (see `qa.calibration`)."""
        found = set(analyze(hit.text))
        groups = _term_groups(q)
        coverage = sum(bool(g & found) for g in groups) / len(groups) if groups else 0.0
        doc = self.engine.document(hit.doc_id)
        doc_text = fold(f"{doc.title} {doc.text} {doc.published_at or ''}") if doc is not None else fold(hit.text)
        doc_terms = set(analyze(doc_text))
        keys = _key_groups(q)
        key = sum(bool(g & doc_terms) or any(k in doc_text for k in g) for g in keys) / len(keys) if keys else 1.0
        return {"score": round(score, 4), "coverage": round(coverage, 4), "key": round(key, 4),
                "conflict": float(self._year_conflict(q.text, doc_text, sentence)), "untyped": float(untyped)}

    @staticmethod
    def _year_conflict(question: str, doc_text: str, sentence: str) -> bool:
        """The question names a year its evidence never mentions, while the cited sentence gives another
        year — or, for a sentence with no year of its own (a headline), its article does."""
        asked = set(_YEAR.findall(fold(question)))
        if not asked:
            return False
        given = set(_YEAR.findall(fold(sentence))) or set(_YEAR.findall(doc_text))
        if not given or asked & given:
            return False
        return not any(year in doc_text for year in asked)


def abstention(q: Question, hits: Sequence[Any]) -> Answer:
    """The corpus does not answer a non-numeric question: say so and list the closest passages."""
    text = ("The corpus does not answer this question; the closest passages are listed as related."
            if q.language == "en" else "لا تتضمن المصادر المفهرسة إجابة عن هذا السؤال؛ أقرب المقاطع مدرجة أدناه.")
    return Answer(q.text, q.language, text, False, 0.0, related=[h.to_dict() for h in hits[:5]])


def _term_groups(q: Question) -> list[set[str]]:
    """One set of index terms per content word of the question (an English word: its Arabic translations)."""
    if q.language != "en":
        return [{t} for t in dict.fromkeys(q.terms)]
    from search.translation.lexicon import Lexicon

    lexicon = Lexicon.load()
    groups = []
    for word in re.findall(r"[A-Za-z][A-Za-z'-]+|\d+", q.text):
        if word.lower() in _EN_STOP:
            continue
        arabic = lexicon.translate(word) if not word.isdigit() else [word]
        terms = {t for a in arabic for t in analyze(a)}
        if terms:
            groups.append(terms)
    return groups


def _key_groups(q: Question) -> list[set[str]]:
    """The question's key content: its numbers and years, and its names (words no dictionary holds).

    An Arabic name is matched as a term; an English name only when the lexicon renders it in
    Arabic (else it cannot be looked for in Arabic text and is left out).
    """
    from qa.entities import is_name_word

    keys = [{n} for n in re.findall(r"\d{2,}", fold(q.text))]
    if q.language == "en":
        from search.translation.lexicon import Lexicon

        lexicon = Lexicon.load()
        for word in re.findall(r"(?<=\s)[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?", q.text):
            if word.lower() in _EN_STOP:
                continue
            terms = {t for a in lexicon.translate(word) for t in analyze(a)}
            if terms:
                keys.append(terms)
    else:
        from khabar.arabic import term, tokens

        for tok in tokens(q.text):
            if not tok.text.isdigit() and is_name_word(fold(tok.text)):
                keys.append({term(tok.text)})
    return keys


_EN_STOP = set("""a an the of in on at to for from by with and or is are was were be been do does did what which who whom
    whose when where why how many much this that these those it its as into than then there their they them he she his
    her not no after before during about according said say says""".split())


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
