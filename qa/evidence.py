"""Claim evidence for numeric questions: fetch candidate claims and rank them by fit.

A claim *fits* a question when it counts the thing asked for (what), was said by the
actor asked about (speaker) or concerns that actor's strikes (perpetrator), happened in
the place asked about, and its sentence was retrieved by search. Hard mismatches (wrong
kind of count, wrong actor, wrong place) remove a claim outright: a coalition figure is
never an answer to a question about Russian strikes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from khabar.arabic import analyze, fold, tokens
from khabar.models import Claim
from khabar.vocabulary import Vocabulary
from qa.index import Index
from qa.question import Question, ar_match, perpetrator_in_words
from search.backends import ClaimQuery

BROAD_PLACES = {"syria", "iraq"}
BODY_SECTIONS = {"body", "title"}  # the article's own headline counts as its body
NARROWER = {"children_killed": "civilians_killed", "women_killed": "civilians_killed",
            "civilians_killed": "people_killed", "soldiers_killed": "people_killed", "fighters_killed": "people_killed",
            "journalists_killed": "people_killed", "civilians_injured": "injured", "children_injured": "civilians_injured"}


@dataclass
class ScoredClaim:
    claim: Claim
    fit: float
    role: str  # "primary" (matches the actor asked about, or no actor asked) / "contrast"
    reasons: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return [fold(t.text) for t in tokens(text)]


def mentions(text: str, variants: Iterable[str]) -> bool:
    words = _words(text)
    return any(ar_match(words, v) >= 0 for v in variants)


def candidate_claims(engine: Index, q: Question, hit_docs: list[str], limit: int = 300) -> list[Claim]:
    """Claims of the asked categories, of the asked actor, and of the documents search found."""
    seen: dict[str, Claim] = {}
    queries = [ClaimQuery(what=w, limit=limit) for w in q.what]
    if q.actor:
        queries.append(ClaimQuery(actor=q.actor, limit=limit))
    queries += [ClaimQuery(doc_id=d, limit=limit) for d in hit_docs]
    for cq in queries:
        for c in engine.claims(cq):
            seen.setdefault(c.claim_id, c)
    return list(seen.values())


def score_claims(q: Question, claims: list[Claim], hit_passages: dict[str, int], hit_docs: dict[str, int],
                 query_terms: list[str], vocab: Vocabulary | None = None) -> list[ScoredClaim]:
    """Fit of each claim to the question; claims that contradict the question are dropped."""
    vocab = vocab or Vocabulary.load()
    local_places = [e for k, e in vocab.places.items() if k not in BROAD_PLACES]
    terms = set(query_terms)
    out: list[ScoredClaim] = []
    for c in claims:
        fit, reasons, role = 0.0, [], "primary"
        if q.what:
            if c.what == q.what[0]:
                fit += 3
            elif c.what in q.what:
                fit += 2
            elif NARROWER.get(c.what) in q.what[:1]:
                fit += 1  # children killed answers "how many civilians were killed" in part
            else:
                continue
        if q.actor:
            entry = vocab.actors.get(q.actor)
            variants = entry.ar if entry else ()
            words = _words(c.sentence)
            speaker = c.actor_id in vocab.family(q.actor) or (c.actor is not None and fold(c.actor) in variants)
            perpetrator = perpetrator_in_words(words, variants) or (speaker and c.stance == "admitted")
            if q.actor_role == "speaker":
                if speaker:
                    fit += 3
                    reasons.append("actor")
                elif q.what and perpetrator:
                    role = "contrast"  # another source's figure about the same actor's strikes
                    fit += 1
                elif any(ar_match(words, v) >= 0 for v in variants) and not c.actor_id:
                    fit += 1
                else:
                    continue
            else:
                if not perpetrator:
                    continue
                fit += 3 if speaker else 2
                reasons.append("perpetrator")
                if not speaker:
                    family = vocab.family(q.actor)
                    role = "contrast" if any(s.actor_id in family for s in claims if s.what == c.what) else "primary"
        if q.stance:
            if c.stance == q.stance:
                fit += 1.5
                reasons.append("stance")
            elif role == "primary" and q.actor_role == "speaker":
                fit -= 0.5
        place_text = " ".join(x for x in (c.where or "", c.sentence) if x)
        if q.place:
            names = vocab.places[q.place].ar if q.place in vocab.places else ()
            in_where = bool(c.where) and mentions(c.where, names)
            en_where = bool(c.where_en) and q.place.replace("_", " ") in (c.where_en or "").lower()
            # The claim's own place decides; the sentence only speaks for claims without one
            # ("… 35 in Mayadin, 31 in Abu Kamal" must not give Abu Kamal's 31 for Mayadin).
            if in_where or en_where or (not c.where and mentions(c.sentence, names)):
                fit += 2.5 if in_where else 2
                reasons.append("place")
            else:
                continue
        elif c.where and any(mentions(c.where, e.ar) for e in local_places):
            fit -= 1.5  # an incident figure is not the answer to a question about the overall toll
        if c.passage_id and c.passage_id in hit_passages:
            fit += 1.5 / (1 + hit_passages[c.passage_id] / 5)
            reasons.append("retrieved")
        elif c.doc_id in hit_docs:
            fit += 0.5
        if terms:
            overlap = len(terms & set(analyze(c.sentence))) / len(terms)
            fit += 2 * overlap
        if c.section not in BODY_SECTIONS:
            fit -= 4  # sidebar headlines belong to other stories
        out.append(ScoredClaim(c, round(fit, 3), role, reasons))
    out.sort(key=lambda s: (-s.fit, -s.claim.value))
    return out


def select(scored: list[ScoredClaim], margin: float = 3.0, per_actor: int = 4, total: int = 8) -> list[ScoredClaim]:
    """The claims to show: near the best fit of their role, body before sidebar, a few per actor, no repeats.

    Primary claims (the actor asked about) and contrast claims (other sources' figures for
    the same strikes) are cut separately, so a disagreement is shown side by side.
    """
    if not scored:
        return []
    body = [s for s in scored if s.claim.section in BODY_SECTIONS] or scored
    chosen: list[ScoredClaim] = []
    seen: set[tuple[Any, ...]] = set()
    per: dict[str, int] = {}
    for role, cap in (("primary", total), ("contrast", 4)):
        group = [s for s in body if s.role == role]
        if not group:
            continue
        best = group[0].fit
        taken = 0
        for s in group:
            c = s.claim
            if s.fit < best - margin or taken >= cap or len(chosen) >= total:
                break
            key = (c.actor_id or c.actor, c.what, c.value, c.qualifier)
            who = str(c.actor_id or c.actor)
            if key in seen or per.get(who, 0) >= per_actor:
                continue
            seen.add(key)
            per[who] = per.get(who, 0) + 1
            chosen.append(s)
            taken += 1
    return chosen
