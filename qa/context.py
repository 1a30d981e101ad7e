"""Does a claim count what the question asks, about the event it asks? Read from the claim's context.

A claim's sentence often names only the figure ("قتل 7 أشخاص"); the event is named around it:
in the paragraph, in the article's headline, in the date the page was written. So each
candidate claim is read with that context (`ClaimContext`) and held against the question's
`qa.asked.Asked`:

* **quantity**: the claim counts the asked thing (same gazetteer label or category, or its
  counted noun shares a stem with the asked noun), or, when only a kind was asked (money,
  percent), is of that kind;
* **place**: every specific place the question names is named by the claim or its context;
* **incident**: a named incident (bombing, earthquake …) is the claim's own, or stands in its
  context while the claim's sentence names no other;
* **date**: nothing in the context is later than the asked date's start (a report cannot
  precede its event), and the claim's own date, if it has one, is not earlier;
* **descriptive words**: most of the question's other words ("bus", "mosque", "Eid al-Fitr")
  occur in the context;
* **the event as a whole**: a question that describes its event (incident, date, other words)
  needs some of it in the claim's context, not only the place and what was counted; a context
  naming neither the asked year nor any descriptive word fails.

A claim failing one of the first four is not an answer (`EventFit.ok` false): figures of other
events are never presented as another source's figure for this one. Dates are also resolved
here for figures over time (`ClaimContext.date`): the date stated in the sentence, else the
article's publication date, else unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from khabar.arabic import analyze, fold, tokens
from khabar.dates import DateContext, find_dates, parse_iso_date
from khabar.models import Claim, Document
from khabar.vocabulary.quantities import QuantityNames
from qa.asked import Asked, arabic_skeleton, latin_skeleton, _lookup_ar, _strip
from qa.question import ar_match
from qa.support import Constraints, Evidence, check

PUBLISHED_LAG_MONTHS = 2  # a report published this long after the asked period still dates its event there
DESCRIPTOR_MIN_COVERAGE = 0.34  # share of the question's descriptive words the context must hold (dev-tuned)
_YEAR_ONLY = re.compile(r"^\d{4}$")
_VIOLENT = {"air_strike", "bombing", "shelling", "clashes", "attack", "massacre", "execution", "chemical_attack",
            "shooting"}


@dataclass
class ClaimContext:
    """A claim with the text around it: its sentence, paragraph and headline, and their dates."""

    claim: Claim
    sentence_words: list[str]
    words: set[str]  # folded words of sentence + paragraph + headline
    terms: set[str]  # analysed terms of the same
    skeletons: set[str]  # consonant skeletons of the same words (for Latin names)
    sentence_incidents: set[str]
    incidents: set[str]
    own_date: tuple[int, int, int] | None  # stated in the claim's sentence
    latest: tuple[int, int, int] | None  # the latest date anywhere in the context
    published: date | None
    has_since: bool = False
    evidence: Evidence | None = None  # the same texts read for the shared evidence check (qa.support)

    @property
    def date(self) -> tuple[str | None, str]:
        """(ISO date or None, where it came from: "sentence" / "published" / "unknown") for timelines."""
        return figure_date(self.claim, self.published.isoformat() if self.published else None)


@dataclass
class EventFit:
    ok: bool
    score: float
    reasons: list[str] = field(default_factory=list)


def figure_date(c: Claim, published_at: str | None) -> tuple[str | None, str]:
    """When a figure was given: the date its sentence states (not the start of a period, "منذ عام 2014"),
    else its article's publication date, else unknown — never a guess. Returns (ISO date or None, source)."""
    since = bool(c.when and re.search(r"(?:منذ|since)\s+(?:\S+\s+){0,4}" + re.escape(fold(c.when)), fold(c.sentence)))
    own = _claim_date(c, None)
    if own and not since and own[1]:  # a year alone says too little to order figures by
        return _iso(own), "sentence"
    published = parse_iso_date(published_at)
    if published:
        return published.isoformat(), "published"
    return None, "unknown"


def claim_context(c: Claim, doc: Document | None, names: QuantityNames | None = None,
                  cache: dict[str, Any] | None = None) -> ClaimContext:
    """Read claim `c` with its paragraph, headline and dates (doc may be None: the sentence alone).

    `cache` (one per question) keeps the reading of each text: claims share paragraphs and headlines,
    and Arabic analysis is most of the cost."""
    names = names or QuantityNames.load()
    cache = {} if cache is None else cache
    title = (doc.title if doc else "") or ""
    passage = ""
    if doc is not None and c.section == "body":
        for p in doc.passages:
            if p.start <= c.start < p.end:
                passage = p.text
                break
    published = parse_iso_date(doc.published_at) if doc else None
    sentence_words, s_terms, s_skel, _ = _read(c.sentence, None, cache)
    p_words, p_terms, p_skel, p_dates = _read(passage, published, cache)
    t_words, t_terms, t_skel, t_dates = _read(title, published, cache)
    all_words = sentence_words + p_words + t_words
    words = set(all_words)
    terms = s_terms | p_terms | t_terms
    skeletons = s_skel | p_skel | t_skel
    own = _claim_date(c, published)
    dates = [d for d in (own, *p_dates, *t_dates) if d]
    if published:
        dates.append((published.year, published.month, published.day))
    # "منذ بدء الحملة عام 2014": the start of a period, not the date of the figure
    since = bool(c.when and re.search(r"(?:منذ|since)\s+(?:\S+\s+){0,4}" + re.escape(fold(c.when)), fold(c.sentence)))
    # the claim's own figure is the answer, not evidence for a number the question gives ("12" hours vs 12 killed)
    rel_start, rel_end = c.value_start - c.start, c.value_end - c.start
    blanked = c.sentence[:rel_start] + " " + c.sentence[rel_end:] if 0 <= rel_start <= rel_end <= len(c.sentence) \
        else c.sentence
    evidence = Evidence.of(blanked, [_without(passage, c.sentence), title], published, cache.setdefault("\x00support", {}),
                           document=f"{title} {doc.text}" if doc is not None else None)  # read for its years only
    return ClaimContext(c, sentence_words, words, terms, skeletons,
                        _incidents(sentence_words, names, getattr(c, "event", None)),
                        _incidents(all_words, names, getattr(c, "event", None)),
                        own, max(dates) if dates else None, published, since, evidence)


def _without(passage: str, sentence: str) -> str:
    """The passage around a claim without the claim's own sentence (whose figure is blanked for the check)."""
    return passage.replace(sentence, " ") if sentence and passage else passage


def _read(text: str, published: date | None, cache: dict[str, Any]) -> tuple[list[str], set[str], set[str], list]:
    """Folded words, analysed terms, consonant skeletons and dates of one text (remembered in `cache`)."""
    key = f"{published}|{text}"
    if key not in cache:
        words = _words(text)
        terms = set(analyze(text)) | {_strip(w) for w in words}
        skeletons = {s for s in (arabic_skeleton(w) for w in set(words)) if len(s) >= 3}
        cache[key] = (words, terms, skeletons, _dates(text, published) if published is not None or text else [])
    return cache[key]


NUMERIC_CHECKED = ("name", "number", "year")  # kinds of the shared evidence check (qa.support) a claim's context must pass
# (a year: not contradicted, see event_fit)


def event_fit(a: Asked, q_what: list[str], ctx: ClaimContext, names: QuantityNames | None = None,
              rare: Callable[[str], bool] | None = None, constraints: Constraints | None = None) -> EventFit:
    """How well the claim in `ctx` answers the asked quantity and event (see the module docstring).

    `rare(term)` says whether an analysed term is rare in the index: a rare word of the question
    (a name: "أرامكو", "كرمانشاه") that the claim's context lacks rules the claim out, as does a
    capitalised English name no dictionary knows whose consonants the context does not hold.
    """
    names = names or QuantityNames.load()
    c = ctx.claim
    score, reasons = 0.0, []

    # ---- quantity
    q_ok, q_score, why = _quantity(a, q_what, c, ctx, names)
    if not q_ok:
        return EventFit(False, 0.0, [why])
    # ---- the names and figures the question gives (the check the extractive path applies to its sentence)
    if constraints is not None and ctx.evidence is not None:
        verdict = check(constraints, ctx.evidence, NUMERIC_CHECKED)
        # a year only fails a claim when contradicted: many pages carry no date of their own, and the year
        # their chrome names (a copyright line) is not the event's
        gone = [c for c in verdict.missing if c.required and c.kind != "year"]
        if verdict.contradicted or gone:
            return EventFit(False, 0.0, [verdict.reason or "unsupported"])
        year_missing = any(c.kind == "year" for c in verdict.missing)
    else:
        year_missing = False
    score += q_score
    reasons.append(why)

    # ---- places
    where = _words(c.where or "")
    for pid, variants in a.places.items():
        in_where = any(ar_match(where, v) >= 0 for v in variants)
        in_context = in_where or any(ar_match(ctx.sentence_words, v) >= 0 for v in variants) or \
            any(_word_in(ctx.words, v) for v in variants)
        if not in_context:
            return EventFit(False, 0.0, [f"place {pid} absent"])
        score += 1.0 if in_where else 0.5
    if a.places:
        reasons.append("place")

    # ---- incident
    if a.incidents:
        own = ctx.sentence_incidents
        if own & a.incidents:
            score += 1.5
            reasons.append("incident")
        elif ctx.incidents & a.incidents and not (own - a.incidents and _family(own) != _family(a.incidents)):
            score += 0.75
            reasons.append("incident in context")
        elif not own and not ctx.incidents:
            score -= 0.5  # nothing says what happened: neither for nor against
        else:
            return EventFit(False, 0.0, [f"incident {sorted(own or ctx.incidents)} not {sorted(a.incidents)}"])

    # ---- date
    if a.date:
        start, end = _bounds(a.date)
        if ctx.latest and ctx.latest < start:
            return EventFit(False, 0.0, [f"dated {_iso(ctx.latest)}, before {_iso(start)}"])
        if ctx.own_date and not ctx.has_since:
            if ctx.own_date < start and a.date[1] is not None and ctx.own_date[1]:
                return EventFit(False, 0.0, [f"its date {_iso(ctx.own_date)} is before {_iso(start)}"])
            if ctx.own_date[0] > end[0] + 1:
                return EventFit(False, 0.0, [f"its date {_iso(ctx.own_date)} is long after {_iso(end)}"])
            score += 0.5
            reasons.append("date")
        elif not ctx.latest:
            score -= 0.5
        elif ctx.published is not None and start <= _ymd(ctx.published) <= _later(end, PUBLISHED_LAG_MONTHS):
            reasons.append("published then")  # a report from the asked period (no score: many figures share it)

    # ---- descriptive words
    wanted = len(a.descriptors) + len(a.latin)
    if wanted:
        missing = [group for group in a.descriptors if not group & ctx.terms]
        for name in a.latin:
            if not _latin_in(name, ctx):
                return EventFit(False, 0.0, [f"name {name!r} absent"])
        if rare is not None:
            for group, probe in zip(a.descriptors, a.probes):
                if probe and not group & ctx.terms and rare(probe):
                    return EventFit(False, 0.0, [f"rare word {probe!r} absent"])
        found = wanted - len(missing)
        coverage = found / wanted
        if year_missing and not found:
            return EventFit(False, 0.0, [f"neither the asked year nor its words (0/{wanted})"])
        if coverage < DESCRIPTOR_MIN_COVERAGE and wanted >= 2:  # one word alone is often a verb ("شنها")
            return EventFit(False, 0.0, [f"descriptive words {found}/{wanted}"])
        score += 3.0 * coverage
        reasons.append(f"words {found}/{wanted}")
        # the figure's own neighbourhood: which of several figures in the sentence was asked about
        near = _near_figure(ctx.claim)
        close = sum(1 for group in a.descriptors if group & near) + (1 if a.noun_terms & near else 0)
        score += 1.5 * close / (len(a.descriptors) + 1)
        # the source the question names in its own words ("the police", "the health ministry")
        actor = ctx.claim.actor or ""
        actor_terms = set(analyze(actor)) | {_strip(w) for w in _words(actor)}
        named = sum(1 for group in a.descriptors if group & actor_terms)
        named += sum(1 for name in a.latin if latin_skeleton(name) in {arabic_skeleton(w) for w in _words(actor)})
        if named:
            score += 1.0 + 1.0 * named
            reasons.append("named source")
    # ---- the event as a whole: a question that describes its event (what happened, when, in which words) is
    # not answered by a claim whose context holds none of it (a figure of the same place and category only)
    described = bool(a.incidents or a.date or wanted >= 2)  # one descriptive word alone is often a verb (above)
    evidenced = any(r in ("incident", "incident in context", "date", "published then") for r in reasons) or \
        any(r.startswith("words ") and not r.startswith("words 0/") for r in reasons)
    if described and not evidenced:
        return EventFit(False, 0.0, ["nothing of the asked event in its context"])
    if a.change:
        score += _change_cue(ctx.claim)
    return EventFit(True, round(score, 3), reasons)


# ----------------------------------------------------------------------------- quantity
def _quantity(a: Asked, q_what: list[str], c: Claim, ctx: ClaimContext, names: QuantityNames) -> tuple[bool, float, str]:
    kind = getattr(c, "kind", None) or _kind_of(c)
    what_ar = fold(c.what_ar or "")
    noun_terms = set(analyze(c.what_ar or "")) | set(analyze(getattr(c, "what_en", None) or ""))
    if q_what:
        # casualty categories: qa.evidence has ranked the category already; only the kind must agree
        if kind != "count":
            return False, 0.0, f"a {kind}, not a count"
        if a.noun_terms and noun_terms and not (a.noun_terms & noun_terms) and not _casualty_noun(c):
            return False, 0.0, f"counts {c.what_ar}, not {sorted(a.noun_terms)}"
        return True, 0.0, "category"
    if a.labels:
        label = c.what if c.what in a.labels else _lookup_ar(names.label_ar, what_ar) if what_ar else None
        if label in a.labels:
            return True, 3.0, f"counts {label}"
    if a.noun_terms and (a.noun_terms & noun_terms or a.noun_terms & _after_figure(c)):
        return True, 2.5, "counts the asked noun"
    if a.people and kind == "count" and (c.what in ("people", "civilians") or
                                         _lookup_generic(what_ar, names)):
        return True, 1.5, "counts people"
    if a.kinds and kind in a.kinds and kind != "count" and not a.labels:
        return True, 1.5 - 0.3 * a.kinds.index(kind), f"a {kind}"
    return False, 0.0, f"counts {c.what_ar or c.what}, not the asked {a.labels or sorted(a.noun_terms) or a.kinds}"


def _lookup_generic(what_ar: str, names: QuantityNames) -> bool:
    if not what_ar:
        return False
    first = what_ar.split()[0]
    return any(x in names.generic_people_ar or x in names.people_ar for x in (what_ar, first, _strip(first)))


_CHANGE_BEFORE = frozenset(fold(w) for w in "بـ ب بنحو بمقدار بنسبة بواقع قدره قدرها بما".split())
_LEVEL_BEFORE = frozenset(fold(w) for w in "عند الى إلى مستوى ليغلق ليبلغ لتبلغ لتصل ليصل بلغ بلغت قيمتها اجمالي".split())


def _change_cue(c: Claim) -> float:
    """For "by how much did … fall": a figure after بـ / بنسبة is the change, one after عند / إلى the new level."""
    rel = c.value_start - c.start
    if not 0 <= rel <= len(c.sentence):
        return 0.0
    before = [fold(t.text) for t in tokens(c.sentence[:rel])][-2:]
    glued = c.sentence[max(0, rel - 2):rel].strip()
    if any(w in _LEVEL_BEFORE for w in before):
        return -1.5
    if glued.endswith("بـ") or any(w in _CHANGE_BEFORE for w in before):
        return 1.0
    return 0.0


def _near_figure(c: Claim, width: int = 6) -> set[str]:
    """Analysed terms of the words around the figure (a few before, a few after)."""
    rel_start, rel_end = c.value_start - c.start, c.value_end - c.start
    if not (0 <= rel_start <= rel_end <= len(c.sentence)):
        return set()
    before = c.sentence[:rel_start].split()[-width:]
    after = c.sentence[rel_end:].split()[:width]
    return set(analyze(" ".join(before + after)))


def _kind_of(c: Claim) -> str:
    """The claim's kind for claims stored without one: money_* / percent_* / <dimension>_<unit> ids."""
    what = c.what or ""
    if what.startswith("money_"):
        return "money"
    if what.startswith("percent"):
        return "percent"
    if "_" in what and what.split("_")[0] in {"distance", "area", "weight", "volume", "index", "temperature",
                                              "magnitude", "power", "speed", "data"}:
        return "measure"
    return "count"


def _casualty_noun(c: Claim) -> bool:
    return c.what.endswith(("_killed", "_injured")) or c.what in {"injured", "air_strikes"}


def _after_figure(c: Claim) -> set[str]:
    """Analysed terms of the two words after the figure (the counted noun when none was stored)."""
    rel = c.value_end - c.start
    if not 0 <= rel <= len(c.sentence):
        return set()
    return set(analyze(" ".join(c.sentence[rel:].split()[:2])))


# ----------------------------------------------------------------------------- dates
def _claim_date(c: Claim, published: date | None) -> tuple[int, int, int] | None:
    norm = c.when_norm
    if not norm:
        return None
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", norm)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))


_SPACED_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*((?:19|20)\d{2})(?!\d)")


def _dates(text: str, published: date | None) -> list[tuple[int, int, int]]:
    if not text:
        return []
    out = []
    for m in _SPACED_DATE.finditer(text):  # "14 - 1 - 2016", as scraped pages print dates
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1 <= mo <= 12 and 1 <= d <= 31:
            out.append((y, mo, d))
    for d in find_dates(text, 0, DateContext(published)):
        if d.norm and not _YEAR_ONLY.match(d.norm):
            m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", d.norm)
            if m:
                out.append((int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)))
    return out


def _bounds(d: tuple[int, int | None, int | None]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """First and last (year, month, day) of a date given to year, month or day precision (0 = unknown part)."""
    y, m, day = d[0], d[1] or 0, d[2] or 0
    if not m:
        return (y, 0, 0), (y, 12, 31)
    if not day:
        return (y, m, 0), (y, m, 31)
    return (y, m, max(0, day - 1)), (y, m, day + 1)


def _ymd(d: date) -> tuple[int, int, int]:
    return d.year, d.month, d.day


def _later(d: tuple[int, int, int], months: int) -> tuple[int, int, int]:
    """(year, month, day) `months` later (day kept: only the order of such tuples is used)."""
    total = d[0] * 12 + (d[1] or 12) - 1 + months
    return total // 12, total % 12 + 1, d[2]


def _iso(d: tuple[int, int, int]) -> str:
    y, m, day = d
    return f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{day:02d}" if m and day else "")


# ----------------------------------------------------------------------------- words
def _words(text: str) -> list[str]:
    return [fold(t.text) for t in tokens(text or "")]


def _word_in(words: set[str], variant: str) -> bool:
    parts = variant.split()
    if len(parts) == 1:
        return variant in words or any(_strip(w) == variant or _strip(w) == _strip(variant) for w in words
                                       if w.endswith(variant[-2:]))
    return all(p in words for p in parts)


def incidents_in(text: str, names: QuantityNames | None = None) -> set[str]:
    """The incidents (bombing, air strike, earthquake …) a text names."""
    return _incidents(_words(text), names or QuantityNames.load(), None)


def _incidents(words: list[str], names: QuantityNames, event: str | None) -> set[str]:
    out = {event} if event else set()
    for i in range(len(words)):
        for n in (2, 1):
            if i + n <= len(words):
                iid = _lookup_ar(names.incident_ar, " ".join(words[i:i + n]))
                if iid:
                    out.add(iid)
    return out


def _family(incidents: set[str]) -> str:
    return "violent" if incidents & _VIOLENT else "other"


def _latin_in(name: str, ctx: ClaimContext) -> bool:
    if name in ctx.words:
        return True
    sk = latin_skeleton(name)
    return len(sk) >= 3 and sk in ctx.skeletons


def describe(ctx: ClaimContext) -> dict[str, Any]:
    """For debugging output: what was read around a claim."""
    return {"incidents": sorted(ctx.incidents), "own_date": ctx.own_date, "latest": ctx.latest,
            "published": ctx.published.isoformat() if ctx.published else None}
