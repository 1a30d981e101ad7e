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
from dataclasses import dataclass, field
from typing import Any

from khabar.arabic import fold, tokens
from khabar.dates import ENGLISH, MASHRIQ, MONTH_NAMES
from khabar.models import Claim, Document
from khabar.segment import sentences
from khabar.vocabulary import Vocabulary
from khabar.vocabulary.quantities import QuantityNames
from qa import compose
from qa.answer import Answer, Citation, ClaimView
from qa.evidence import ScoredClaim, candidate_claims, mentions, score_claims, select
from qa.asked import Asked, asked
from qa.context import ClaimContext, claim_context, event_fit
from qa.index import Index
from qa.question import Question, perpetrator_in_words
from qa.support import Rarity, question_constraints

CONTEXT_CLAIMS = 120  # candidates read with their context, best first by category/actor/retrieval fit
WIDE_K = 20  # passages searched for candidate documents (the answerer's own search has fewer)
CANDIDATE_DOCS = 10  # documents whose claims are candidates, besides the asked actor's and category's
_DENIAL = {fold(w) for w in "نفى نفت ينفي تنفي نفي ونفت ونفى وتنفي ينفون نفوا".split()}


@dataclass
class _Context:
    q: Question
    hits: list[Any]
    terms: list[str]
    cosines: dict[str, float]
    docs: dict[str, Document | None]


def numeric_question(q: Question, wanted: Asked) -> bool:
    """Answered from claims: how-many and yes/no questions about a count, and "what was the value/profit of …";
    not ages ("how old"), which claims do not hold."""
    if wanted.age:
        return False
    if q.type == "yes_no":
        return bool(q.what)
    if q.type == "what":
        return "money" in wanted.kinds or "percent" in wanted.kinds
    return q.numeric


class Numeric:
    """The numeric path of `qa.Answerer`: claims that count the asked thing about the asked event, worded and cited."""

    def __init__(self, engine: Index, vocab: Vocabulary, calibration: Any, lexicon: Any | None = None) -> None:
        self.engine = engine
        self.vocab = vocab
        self.calibration = calibration
        self.names = QuantityNames.load()
        searcher = getattr(engine, "searcher", None)
        self.lexicon = lexicon or getattr(searcher, "lexicon", None)
        self.rarity = Rarity(engine)

    def asked(self, q: Question) -> Asked:
        """The quantity and event of `q` (exposed so the dispatcher can route age questions elsewhere)."""
        return asked(q, self.vocab, self.lexicon, self.names)

    def answer(self, q: Question, hits: list[Any], terms: list[str], cosines: dict[str, float],
               wanted: Asked | None = None) -> Answer:
        """Answer a numeric question from the claim index, or abstain."""
        ctx = _Context(q, hits, terms, cosines, {})
        a = wanted or self.asked(q)
        wide = self.engine.search(q.text, mode="hybrid", k=WIDE_K).hits if len(hits) < WIDE_K else hits
        hit_passages: dict[str, int] = {}
        hit_docs: dict[str, int] = {}
        for i, h in enumerate(list(hits) + [h for h in wide if h.passage_id not in {x.passage_id for x in hits}]):
            hit_passages.setdefault(h.passage_id, i)
            hit_docs.setdefault(h.doc_id, i)
        constraints = question_constraints(q, self.vocab, self.lexicon, self.rarity, with_relations=False)
        claims = candidate_claims(self.engine, q, list(hit_docs)[:CANDIDATE_DOCS])
        scored = score_claims(q, claims, hit_passages, hit_docs, ctx.terms, self.vocab)
        kept: list[ScoredClaim] = []
        rejected: list[tuple[ScoredClaim, list[str]]] = []
        contexts: dict[str, ClaimContext] = {}
        texts: dict[str, Any] = {}
        for s in scored[:CONTEXT_CLAIMS]:  # best first (qa.evidence): the rest could not lead an answer
            cc = claim_context(s.claim, self._document(ctx, s.claim.doc_id), self.names, texts)
            fit = event_fit(a, q.what, cc, self.names, self.rarity.rare, constraints)
            if not fit.ok:
                rejected.append((s, fit.reasons))
                continue
            contexts[s.claim.claim_id] = cc
            kept.append(ScoredClaim(s.claim, round(s.fit + fit.score, 3), s.role, s.reasons + fit.reasons))
        kept.sort(key=lambda s: (-s.fit, -s.claim.value))
        chosen = select(kept)
        if not chosen:
            answer = self._abstain(ctx)
            answer.debug["rejected"] = [(s.claim.value, s.claim.doc_id, r) for s, r in rejected[:12]]
            answer.debug["asked"] = a.to_dict()
            return answer
        chosen += _echoes(chosen, kept)
        statements = _statements(chosen, contexts, q.actor, self.vocab)
        citations: list[Citation] = []
        for st in statements:
            st.refs = [self._cite(ctx, s.claim, citations, s.fit) for s in st.items]
        text = self._word(q, statements)
        lead = statements[0].items[0]
        top_cos = max((ctx.cosines.get(s.claim.passage_id or "", 0.0) for s in chosen), default=0.0)
        top_cos = max(top_cos, max(ctx.cosines.values(), default=0.0))
        retrieval = self.calibration.confidence(top_cos, q.language)
        fit_conf = 1.0 / (1.0 + math.exp(-(lead.fit - 4.0) / 1.5))
        shown = [s for st in statements for s in st.items]
        answer = Answer(q.text, q.language, text, True, round(0.7 * fit_conf + 0.3 * retrieval, 4),
                        claims=[_view(s.claim) for s in shown], citations=citations)
        answer.span = compose.short_en(lead.claim) if q.language == "en" else compose.short_ar(lead.claim)
        answer.related = _related(rejected, ctx.hits)
        answer.debug["fits"] = [(s.claim.value, s.claim.actor_id, s.fit, s.role, s.reasons) for s in kept[:12]]
        answer.debug["rejected"] = [(s.claim.value, s.claim.doc_id, r) for s, r in rejected[:12]]
        answer.debug["asked"] = a.to_dict()
        return answer

    # ------------------------------------------------------------------ wording
    def _actor_name(self, c: Claim, language: str) -> str | None:
        entry = self.vocab.actors.get(c.actor_id or "")
        if language == "en":
            name = (entry.name_en if entry else None) or c.actor_en or c.actor
            # a source with no English name is quoted as written, not mixed into the English sentence
            return f"«{name}»" if name and re.search(r"[\u0600-\u06FF]", name) else name
        return (entry.name_ar if entry and entry.name_ar else None) or c.actor

    def _word(self, q: Question, statements: list["_Statement"]) -> str:
        """The lead statement, then how the same source's figure changed, other figures, other sources."""
        en = q.language == "en"
        parts: list[str] = []
        if q.type == "yes_no":
            parts.append("Yes." if en else "نعم.")
        lead = statements[0]
        c0 = lead.items[0].claim
        actor = self._actor_name(c0, q.language)
        several = len({str(s.claim.actor_id or s.claim.actor) for s in lead.items}) > 1
        if several:  # one figure, several sources: the figure first, then who gives it
            clause = (compose.count_en(c0) + compose.place_en(c0)) if en else \
                (compose.clause_ar(c0, None, False) + compose.place_ar(c0))
        else:
            clause = (compose.clause_en(c0, actor, True) + compose.place_en(c0)) if en else \
                (compose.clause_ar(c0, actor, True) + compose.place_ar(c0))
        clause += _when(lead, q.language) + self._sources(lead, q.language, actor)
        # other counts of the same report ("… killed and 350 injured")
        companions = [st for st in statements[1:] if st.role == "primary" and st.items[0].claim.what != c0.what
                      and (st.same_actor or not (st.items[0].claim.actor_id or st.items[0].claim.actor))]
        for st in companions:
            c = st.items[0].claim
            clause += (f" and {compose.count_en(c)} {_refs(st)}" if en else
                       f" و{compose.clause_ar(c, None, False)} {_refs(st)}")
        earlier = [st for st in statements[1:] if st.timeline]
        if earlier:
            steps = [f"{self._figure(st, q.language, c0)}{_when(st, q.language)} {_refs(st)}" for st in earlier]
            direction = "up" if earlier[0].items[0].claim.value < c0.value else "down"
            if en:
                clause += f", {direction} from " + _join_en(steps)
            else:
                clause += ("، بعد أن كان الرقم " if True else "") + _join_ar(steps)
        parts.append(compose.capitalise(clause) + ".")
        if lead.timeline_unknown:
            parts.append("Dates are not stated for every figure." if en else "لا تذكر المصادر تاريخ كل رقم.")
        rest = [st for st in statements[1:] if not st.timeline and st not in companions]
        same_source = [st for st in rest if st.role == "primary" and st.same_actor]
        others = [st for st in rest if st.role == "primary" and not st.same_actor]
        contrast = [st for st in statements[1:] if st.role == "contrast"]
        if same_source:
            items = [f"{self._figure(st, q.language, c0)} {_refs(st)}" for st in same_source]
            if en:
                verb = {"admitted": "It also admitted", "estimated": "It also estimated"}.get(c0.stance, "It also gave")
                parts.append(f"{verb} {_join_en(items)}.")
            else:
                parts.append("وذكر أيضا " + _join_ar(items) + ".")
        if others:
            items = [self._attributed(st, q.language, c0) for st in others]
            parts.append(("Other reports give " + _join_en(items) + ".") if en else
                         ("وتذكر تقارير أخرى " + _join_ar(items) + "."))
        if contrast:
            by_actor: dict[str, list[_Statement]] = {}
            for st in contrast:
                by_actor.setdefault(str(st.items[0].claim.actor_id or st.items[0].claim.actor), []).append(st)
            items = []
            for group in by_actor.values():
                first = self._attributed(group[0], q.language, c0, first=True)
                rest = [f"{self._figure(st, q.language, group[0].items[0].claim)}{_when(st, q.language)} {_refs(st)}"
                        for st in group[1:]]
                if rest:
                    first += (", " + _join_en(rest)) if en else ("، و" + _join_ar(rest))
                items.append(first)
            parts.append(("Other sources differ: " + "; ".join(items) + ".") if en else
                         ("وتختلف مصادر أخرى: " + "؛ ".join(items) + "."))
        return " ".join(parts)

    def _figure(self, st: "_Statement", language: str, lead: Claim) -> str:
        c = st.items[0].claim
        same = c.what == lead.what
        if language == "en":
            return compose.figure_en(c) + ("%" if compose.noun_en(c) == "%" else "") if same else compose.count_en(c)
        return compose.figure_ar(c) if same else compose.clause_ar(c, None, False)

    def _attributed(self, st: "_Statement", language: str, lead: Claim, first: bool = False) -> str:
        c = st.items[0].claim
        actor = self._actor_name(c, language)
        if first and actor:
            body = compose.clause_en(c, actor, True) if language == "en" else compose.clause_ar(c, actor, True)
        else:
            body = self._figure(st, language, lead)
            if actor:
                body += f" (according to {actor})" if language == "en" else f" (بحسب {actor})"
        return f"{body}{_when(st, language)} {_refs(st)}"

    def _sources(self, st: "_Statement", language: str, lead_actor: str | None) -> str:
        """' [1][2]', or ', according to A [1] and B [2]' when one figure comes from several named sources."""
        by_actor: dict[str, list[int]] = {}
        for s, n in zip(st.items, st.refs):
            name = self._actor_name(s.claim, language) or ""
            by_actor.setdefault(name, []).append(n)
        if len(by_actor) <= 1 or not any(by_actor):
            return " " + _refs(st)
        named = [(a, ns) for a, ns in by_actor.items()]
        cites = [f"{a or ('other reports' if language == 'en' else 'تقارير أخرى')} {''.join(f'[{n}]' for n in sorted(set(ns)))}"
                 for a, ns in named]
        if language == "en":
            return ", according to " + _join_en(cites)
        return "، بحسب " + _join_ar(cites)

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


@dataclass
class _Statement:
    """One figure (what + value) and every claim that gives it: one statement, several citations."""

    items: list[ScoredClaim]
    role: str
    date: str | None = None  # ISO date of the figure (stated in the sentence, else the article's publication)
    date_source: str = "unknown"
    earlier_text: str | None = None  # "بداية الشهر الماضي": said to be earlier, no date resolved
    same_actor: bool = True  # given by the lead's source
    timeline: bool = False  # an earlier figure of the lead's source ("up from …")
    timeline_unknown: bool = False  # (lead only) some of the source's figures have no date
    refs: list[int] = field(default_factory=list)


_EARLIER = re.compile(r"(?:الماضي|الماضيه|السابق|السابقه|المنصرم|الفايت|قبل)")


def _statements(chosen: list[ScoredClaim], contexts: dict[str, ClaimContext], actor: str | None,
                vocab: Vocabulary) -> list[_Statement]:
    """Claims merged by figure, lead first: the best fit, or for an asked source its latest figure."""
    groups: dict[tuple[str, float], _Statement] = {}
    for s in chosen:
        key = (_measure(s.claim), float(s.claim.value))
        if key not in groups:
            groups[key] = _Statement([], s.role)
        st = groups[key]
        st.items.append(s)
        if s.role == "primary":
            st.role = "primary"
    for st in groups.values():
        st.items.sort(key=lambda s: (s.role != "primary", -s.fit))
    statements = _merge_rounded(list(groups.values()))
    for st in statements:
        dated = [(contexts[s.claim.claim_id].date, s) for s in st.items if s.claim.claim_id in contexts]
        known = sorted(((d, src) for (d, src), _ in dated if d), reverse=True)
        if known:
            st.date, st.date_source = known[0]
        elif any(s.claim.when and _EARLIER.search(fold(s.claim.when)) for s in st.items):
            st.earlier_text = next(s.claim.when for s in st.items if s.claim.when and _EARLIER.search(fold(s.claim.when)))
    lead = statements[0]
    family = vocab.family(actor) if actor else set()
    lead_actor = lead.items[0].claim.actor_id or lead.items[0].claim.actor

    def of_source(st: _Statement) -> bool:
        c = st.items[0].claim
        return (c.actor_id in family) if family else (c.actor_id or c.actor) == lead_actor and lead_actor is not None

    for st in statements:
        st.same_actor = of_source(st) if (family or lead_actor) else False
    source = [st for st in statements if st.role == "primary" and st.same_actor and st.items[0].claim.what == lead.items[0].claim.what]
    if family and len(source) > 1:
        # figures over time: the latest dated figure leads; figures said to be earlier follow it
        def key(st: _Statement) -> tuple[int, str, int, float]:
            return (1 if st.date else 0, st.date or "", 0 if st.earlier_text else 1, float(st.items[0].claim.value))
        ordered = sorted(source, key=key, reverse=True)
        lead = ordered[0]
        for st in ordered[1:]:
            st.timeline = bool((lead.date and st.date and st.date < lead.date) or (st.earlier_text and not lead.earlier_text))
        lead.timeline_unknown = any(not st.date for st in ordered) and any(st.date for st in ordered)
        statements = [lead] + [st for st in ordered[1:] if st.timeline] + \
            [st for st in statements if st is not lead and not st.timeline]
    return statements


def _echoes(chosen: list[ScoredClaim], kept: list[ScoredClaim], per_figure: int = 3) -> list[ScoredClaim]:
    """Other documents giving a chosen figure (`select` keeps one claim per source and figure): more citations."""
    docs: dict[tuple[str, float], set[str]] = {}
    for s in chosen:
        docs.setdefault((_measure(s.claim), float(s.claim.value)), set()).add(s.claim.doc_id)
    out = []
    for s in kept:
        key = (_measure(s.claim), float(s.claim.value))
        if key in docs and s.claim.doc_id not in docs[key] and len(docs[key]) < per_figure + 1 and \
                s.claim.section in ("body", "title") and s not in chosen:
            docs[key].add(s.claim.doc_id)
            out.append(s)
    return out


def _measure(c: Claim) -> str:
    """What a figure measures, for merging: killed / injured / the claim's kind (one figure, one statement)."""
    for end in ("killed", "injured"):
        if c.what.endswith(end):
            return end
    return getattr(c, "kind", None) or "count"


def _roundness(value: float) -> int:
    n, zeros = int(value), 0
    if n != value or n == 0:
        return 0
    while n % 10 == 0:
        n //= 10
        zeros += 1
    return zeros


def _merge_rounded(statements: list[_Statement]) -> list[_Statement]:
    """A headline's rounded figure ("1.6 مليون مسافر") joins the same article's exact one (1,673,083): one statement,
    led by the exact figure."""
    out: list[_Statement] = []
    for st in statements:
        c = st.items[0].claim
        host = None
        if c.section == "title":
            best = None
            for other in out + statements:
                oc = other.items[0].claim
                if other is st or oc.doc_id != c.doc_id or oc.section != "body" or _measure(oc) != _measure(c):
                    continue
                # one is the other rounded: they differ by less than the rounder one's last written digit
                step = 10 ** max(_roundness(c.value), _roundness(oc.value))
                diff = abs(oc.value - c.value)
                if step > 1 and diff < step and (best is None or diff < best[0]):
                    best = (diff, other)
            host = best[1] if best else None
        if host is None:
            out.append(st)
            continue
        if _roundness(c.value) < _roundness(host.items[0].claim.value):  # the headline is the exact one
            host.items = st.items + host.items
        else:
            host.items = host.items + st.items
        if host not in out:
            out.insert(0 if st is statements[0] else len(out), host)
    return out


def _when(st: _Statement, language: str) -> str:
    if st.date:
        day = _format_date(st.date, language)
        if language == "en":
            return f" (published {day})" if st.date_source == "published" else f" (on {day})"
        return f" (نشر في {day})" if st.date_source == "published" else f" (في {day})"
    if st.earlier_text and st.timeline:
        return " (earlier)" if language == "en" else f" ({st.earlier_text})"
    return ""


def _format_date(iso: str, language: str) -> str:
    parts = [int(x) for x in iso.split("-")]
    y, m, d = (parts + [0, 0])[:3]
    if not m:
        return str(y)
    names = MONTH_NAMES[m][ENGLISH if language == "en" else MASHRIQ]
    month = names[0].capitalize() if language == "en" else names[0]
    return f"{d} {month} {y}" if d else f"{month} {y}"


def _refs(st: _Statement) -> str:
    return "".join(f"[{n}]" for n in dict.fromkeys(st.refs))


def _related(rejected: list[tuple[ScoredClaim, list[str]]], hits: list[Any], limit: int = 5) -> list[dict[str, Any]]:
    """Figures of other events, offered beside the answer (never as it): the passages they stand in."""
    by_passage = {h.passage_id: h for h in hits}
    out, seen = [], set()
    for s, _ in rejected:
        h = by_passage.get(s.claim.passage_id or "")
        if h is not None and h.passage_id not in seen:
            seen.add(h.passage_id)
            out.append(h.to_dict())
        if len(out) >= limit:
            break
    return out


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
    return "، ".join(items[:-1]) + " و" + items[-1] if len(items) > 1 else items[0]
