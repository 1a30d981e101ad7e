"""Numeric answers ("how many …", "did X admit …") from the claim index, with citations, or abstention.

Candidate claims are ranked by fit (`qa.evidence`), worded per actor with qualifiers
(`qa.compose`), and disagreeing sources are shown side by side. Every figure printed comes
from a stored Claim; every citation points at the claim's sentence in its document.
The answer abstains (closest passages as `related`) when no claim fits the question; when
the asked actor's strikes are denied instead, the denial is quoted.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

from khabar.arabic import fold, tokens
from khabar.models import Claim, Document
from khabar.segment import sentences
from khabar.vocabulary import Vocabulary
from qa import compose
from qa.answer import Answer, Citation, ClaimView
from qa.evidence import ScoredClaim, candidate_claims, mentions, score_claims, select
from qa.index import Index
from qa.question import Question, perpetrator_in_words

_DENIAL = {fold(w) for w in "نفى نفت ينفي تنفي نفي ونفت ونفى وتنفي ينفون نفوا".split()}


@dataclass
class _Context:
    q: Question
    hits: list[Any]
    terms: list[str]
    cosines: dict[str, float]
    docs: dict[str, Document | None]


class Numeric:
    """The numeric path of `qa.Answerer`: claims that fit the question, worded and cited."""

    def __init__(self, engine: Index, vocab: Vocabulary, calibration: Any) -> None:
        self.engine = engine
        self.vocab = vocab
        self.calibration = calibration

    def answer(self, q: Question, hits: list[Any], terms: list[str], cosines: dict[str, float]) -> Answer:
        """Answer a numeric question from the claim index, or abstain."""
        ctx = _Context(q, hits, terms, cosines, {})
        hit_passages = {h.passage_id: i for i, h in enumerate(ctx.hits)}
        hit_docs: dict[str, int] = {}
        for i, h in enumerate(ctx.hits):
            hit_docs.setdefault(h.doc_id, i)
        claims = candidate_claims(self.engine, q, list(hit_docs)[:5])
        scored = score_claims(q, claims, hit_passages, hit_docs, ctx.terms, self.vocab)
        chosen = select(scored)
        if not chosen:
            return self._abstain(ctx)
        citations: list[Citation] = []
        groups = _group(chosen)
        chosen = [s for _, items in groups for s in items]  # display order, so [1] comes first
        refs = [self._cite(ctx, s.claim, citations, s.fit) for s in chosen]
        text = self._word_claims(q, chosen, refs)
        best = chosen[0]
        top_cos = max((ctx.cosines.get(c.claim.passage_id or "", 0.0) for c in chosen), default=0.0)
        top_cos = max(top_cos, max(ctx.cosines.values(), default=0.0))
        retrieval = self.calibration.confidence(top_cos, q.language)
        fit_conf = 1.0 / (1.0 + math.exp(-(best.fit - 4.0) / 1.5))
        answer = Answer(q.text, q.language, text, True, round(0.7 * fit_conf + 0.3 * retrieval, 4),
                        claims=[_view(s.claim) for s in chosen], citations=citations)
        answer.span = str(best.claim.value)
        answer.debug["fits"] = [(s.claim.value, s.claim.actor_id, s.fit, s.role, s.reasons) for s in scored[:12]]
        return answer

    # ------------------------------------------------------------------ wording
    def _actor_name(self, c: Claim, language: str) -> str | None:
        entry = self.vocab.actors.get(c.actor_id or "")
        if language == "en":
            return (entry.name_en if entry else None) or c.actor_en or c.actor
        return (entry.name_ar if entry and entry.name_ar else None) or c.actor

    def _word_claims(self, q: Question, chosen: list[ScoredClaim], refs: list[int]) -> str:
        """One sentence per actor (primary first, then contrasting sources)."""
        ref = {id(sc): n for sc, n in zip(chosen, refs)}
        groups = [(role, [(sc, ref[id(sc)]) for sc in items]) for role, items in _group(chosen)]
        en = q.language == "en"
        parts: list[str] = []
        if q.type == "yes_no":
            parts.append("Yes." if en else "نعم.")
        contrast_started = False
        for role, items in groups:
            first, n0 = items[0]
            c0 = first.claim
            actor = self._actor_name(c0, q.language)
            if en:
                clause = compose.clause_en(c0, actor, True) + compose.place_en(c0) + f" [{n0}]"
            else:
                clause = compose.clause_ar(c0, actor, True) + compose.place_ar(c0) + f" [{n0}]"
            rest = []
            for s, n in items[1:]:
                c = s.claim
                same = c.what == c0.what
                if en:
                    rest.append(f"{compose.figure_en(c) if same else compose.count_en(c)} [{n}]")
                else:
                    rest.append(f"{compose.figure_ar(c) if same else compose.clause_ar(c, actor, False)} [{n}]")
            if rest:
                if en:
                    verb = {"admitted": "it also admitted", "estimated": "it also estimated"}.get(c0.stance, "it also gave")
                    if all(s.claim.what != c0.what for s, _ in items[1:]):
                        verb = "and"
                    clause += f"; {verb} " + _join_en(rest)
                else:
                    clause += "، وذكر أيضا " + _join_ar(rest)
            if role == "contrast" and not contrast_started:
                clause = ("Other sources differ: " if en else "وتختلف مصادر أخرى: ") + clause
                contrast_started = True
            parts.append(compose.capitalise(clause) + ".")
        return " ".join(parts)

    # ------------------------------------------------------------------ abstention
    def _abstain(self, ctx: _Context) -> Answer:
        q = ctx.q
        en = q.language == "en"
        what = self.vocab.what.get(q.what[0]) if q.what else None
        noun = (what.name_en if en else what.name_ar) if what else ("this figure" if en else "هذا الرقم")
        actor = self.vocab.actors.get(q.actor or "")
        place = self.vocab.places.get(q.place or "")
        if en:
            text = f"The corpus does not give a figure for {noun}"
            if actor:
                text += f" in strikes by {actor.name_en}" if q.actor_role == "perpetrator" else f" from {actor.name_en}"
            if place:
                text += f" in {place.name_en}"
            text += "."
        else:
            text = f"لا تذكر المصادر المفهرسة رقما عن {noun}"
            if actor and actor.name_ar:
                text += f" {'جراء غارات' if q.actor_role == 'perpetrator' else 'بحسب'} {actor.name_ar}"
            if place and place.ar:
                text += f" في {place.ar[0]}"
            text += "."
        answer = Answer(q.text, q.language, text, False, 0.0, related=[h.to_dict() for h in ctx.hits[:5]])
        if q.actor:
            denial = self._denial(ctx)
            if denial is not None:
                hit, sentence, start, end = denial
                citation = Citation(1, hit.doc_id, hit.passage_id, hit.title, hit.source, hit.path, hit.url,
                                    hit.published_at, sentence, compose.mark(sentence, 0, 0), start, end, hit.score)
                answer.citations.append(citation)
                answer.answer += (f" What it does report is a denial: «{sentence}» [1]" if en
                                  else f" وما تذكره هو نفي: «{sentence}» [1]")
        return answer

    def _denial(self, ctx: _Context) -> tuple[Any, str, int, int] | None:
        """A retrieved sentence in which the asked-about actor's strikes are denied (a fact without a number)."""
        entry = self.vocab.actors.get(ctx.q.actor or "")
        if entry is None:
            return None
        # The denial may rank below the answer page; look a little deeper, and lexically for it.
        probe = "نفت نفى " + " ".join(entry.ar[:4])
        more = self.engine.search(ctx.q.text, mode="hybrid", k=20).hits + \
            self.engine.search(probe, mode="lexical", k=10).hits
        for hit in list(ctx.hits) + more:
            for s in sentences(hit.text):
                text = hit.text[s.start:s.end]
                words = [fold(t.text) for t in tokens(text)]
                if any(w in _DENIAL for w in words) and (perpetrator_in_words(words, entry.ar) or mentions(text, entry.ar)):
                    return hit, text, hit.start + s.start, hit.start + s.end
        return None

    # ------------------------------------------------------------------ citations
    def _document(self, ctx: _Context, doc_id: str) -> Document | None:
        if doc_id not in ctx.docs:
            ctx.docs[doc_id] = self.engine.document(doc_id)
        return ctx.docs[doc_id]

    def _cite(self, ctx: _Context, c: Claim, citations: list[Citation], score: float) -> int:
        """The citation number for a claim's sentence (one citation per sentence, figures marked)."""
        spans = _figure_spans(c)
        for cit in citations:
            if cit.doc_id == c.doc_id and cit.start == c.start and cit.end == c.end:
                old = getattr(cit, "_spans", [])
                merged = sorted(set(old + spans))
                object.__setattr__(cit, "_spans", merged)
                cit.highlight = _mark_many(cit.snippet, merged)
                return cit.n
        doc = self._document(ctx, c.doc_id)
        passage_id = c.passage_id
        if passage_id is None and doc is not None:
            passage_id = next((p.passage_id for p in doc.passages if p.start <= c.start < p.end), None)
        cit = Citation(len(citations) + 1, c.doc_id, passage_id, doc.title if doc else "", doc.source if doc else None,
                       doc.path if doc else None, doc.url if doc else None, doc.published_at if doc else None,
                       c.sentence, _mark_many(c.sentence, spans), c.start, c.end, round(score, 4))
        object.__setattr__(cit, "_spans", spans)
        citations.append(cit)
        return cit.n


def _group(chosen: list[ScoredClaim]) -> list[tuple[str, list[ScoredClaim]]]:
    """Claims grouped by (role, actor) in order of best fit; in a group, the largest figure of the lead kind first."""
    groups: list[tuple[str, list[ScoredClaim]]] = []
    index: dict[tuple[str, str], int] = {}
    for s in chosen:
        key = (s.role, str(s.claim.actor_id or s.claim.actor))
        if key not in index:
            index[key] = len(groups)
            groups.append((s.role, []))
        groups[index[key]][1].append(s)
    for _, items in groups:
        lead = items[0].claim.what
        items.sort(key=lambda x: (x.claim.what != lead, -x.claim.value))
    return groups


def _figure_spans(c: Claim) -> list[tuple[int, int]]:
    """Where the claim's figure sits inside its sentence (from offsets, else by searching its text)."""
    rel = c.value_start - c.start
    if 0 <= rel and rel + len(c.value_text) <= len(c.sentence) and c.sentence[rel:rel + len(c.value_text)] == c.value_text:
        return [(rel, rel + len(c.value_text))]
    if c.value_text:
        i = c.sentence.find(c.value_text)
        if i >= 0:
            return [(i, i + len(c.value_text))]
    m = re.search(re.escape(str(c.value)), c.sentence)
    return [(m.start(), m.end())] if m else []


def _mark_many(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos or not (0 <= a < b <= len(text)):
            continue
        out.append(html.escape(text[pos:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _view(c: Claim) -> ClaimView:
    return ClaimView(c.actor, c.actor_en, c.stance, c.value, c.qualifier, c.what, c.where, c.when, c.doc_id, c.sentence)


def _join_en(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _join_ar(items: list[str]) -> str:
    return " و".join(items)
