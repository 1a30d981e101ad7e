"""Claim extraction: who said what number about what, where and when.

    extract_claims(doc) -> list[Claim]

Over 400 lines for a reason: attribution, counted nouns, places and clauses are one pass over
a sentence's tokens and share its state; dates are resolved in `khabar.dates`.

A claim is one counted figure in one sentence ("اعترف التحالف الدولي … بأن أكثر من 1250
مدنياً قتلوا" -> coalition / admitted / more_than 1250 / civilians_killed). Reports on
civilian casualties disagree by source (the coalition admits hundreds, Airwars estimates
thousands), so the *source* and its *stance* matter as much as the figure: question
answering shows them side by side.

How each field is found (lexicons in khabar/vocabulary/data/gazetteer.json):
- value / qualifier: `indexer.numbers.find_numbers` (dates, years, times, ordinals,
  percentages are not counts and never become claims);
- what: the noun right after the figure ("مدنيا", "غارة", "قتيلا", "من السكان المحليين")
  combined with the nearest event word (مقتل / قتلوا / إصابة …); a figure with no
  counted noun only counts when an event word stands right before it ("إصابة 20");
  durations ("4 سنوات") and other units are skipped;
- actor / stance: the reporting cue nearest before the figure (أقر, قدرت, أعلنت …) and
  its subject: an actor right after the cue (verb-subject order, "أعلنت الحكومة العراقية")
  or else the nearest actor before it ("إيروورز … التي أكدت") that is not the object of a
  strike ("قصف طائرات التحالف"). Participles (مشيرة, مؤكدا) keep the main speaker; a cue
  with no actor in view ("وتابعت …") inherits the previous sentence's speaker. No cue
  means the outlet itself reports the figure: actor None, stance "reported";
- where / when: the nearest place / date expression in the figure's clause, places after
  the figure first ("مقتل 35 … في الميادين"); a clause with no place inherits the place of
  the previous claim in the same or previous sentence.

Sections: "body" (offsets into doc.text), "sidebar" (offsets into that sidebar line) and
"title" (offsets into doc.title; only when the title is not just the first sentence).
Sentences that segment.py splits at ".." ("قولها في الإيجاز.. “إن أكثر من عشرين") are
read together for attribution, while `sentence`/`start`/`end` keep the short sentence.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from khabar.arabic import fold
from khabar.dates import DateContext, DateMention, find_dates, parse_iso_date
from khabar.folding import folded, span_to_original
from khabar.vocabulary.gazetteer import Gazetteer, Match
from khabar.models import Claim, Document, Passage
from indexer.numbers import NumberMention, find_numbers
from khabar.segment import build_passages, sentences

EVENT_BEFORE_WINDOW = 12  # tokens searched before a figure for its event word
PLACE_AFTER_WINDOW = 20  # tokens searched after a figure for its place
CUE_ACTOR_WINDOW = 6  # tokens between a reporting verb and the subject that follows it
SUBJECT_BEFORE_WINDOW = 16  # tokens between a subject and its later verb ("إيروورز … التي أكدت")
_COMPLEMENTIZERS = frozenset("ان انه انها انهم بان بانه بانها الي علي في".split())
_QUALIFIER_WORDS = frozenset(
    "اكثر من ما يزيد تزيد علي عن حوالي نحو قرابه زهاء يقارب تقارب يناهز اقل لا يقل تقل تصل يصل الي قد ازيد يربو يفوق".split())
_SUBSET_WORDS = frozenset({"بينهم", "منهم", "معظمهم", "بينها", "منها", "غالبيتهم", "اغلبهم"})
_PERPETRATOR_NOUNS = frozenset(
    "قصف طايرات طيران غارات غاره ضربات ضربه مقاتلات قوات قذايف صواريخ هجمات هجوم عمليات".split())
_CLAUSE_WORDS = frozenset({"فيما", "كما", "بينما", "وفيما", "وكما", "سبقها", "تلاها", "وسبقها", "وتلاها"})
_CLAUSE_PUNCT = set("،,;؛:")
_HEADQUARTERS = frozenset({"مقرها", "ومقرها", "مقره", "ومقره", "مقرهم"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class _Tok(NamedTuple):
    f: str  # folded form
    start: int  # offsets into the unit text
    end: int


@dataclass
class _Found:
    """A claim under construction, before ids and document offsets are attached."""

    number: NumberMention
    what: str
    what_ar: str | None
    stance: str
    actor: Match | None
    where: tuple[str, str] | None  # (surface, English)
    when: tuple[str, str | None] | None  # (as written, normalised)
    event: str | None


@dataclass
class _Context:
    """What carries over from one sentence to the next inside a section."""

    speaker: Match | None = None
    pending: list[tuple[str, int, int]] | None = None  # figure-less units whose speaker is not computed yet
    last_where: tuple[str, str] | None = None
    last_where_unit: int = -10
    unit_no: int = 0
    dates: DateContext = field(default_factory=DateContext)  # publication date, last month named


def extract_claims(doc: Document) -> list[Claim]:
    """All counted claims in a document's title, body and sidebar headlines."""
    if not isinstance(doc, Document):
        raise TypeError(f"extract_claims expects a Document, got {type(doc).__name__}")
    gaz = Gazetteer.load()
    published = parse_iso_date(doc.published_at)
    passages = doc.passages or build_passages(doc.doc_id, doc.text or "")
    claims: list[Claim] = []

    title = (doc.title or "").strip()
    if title and not _title_repeats_body(title, doc.text or ""):
        ctx = _Context(dates=DateContext(published))
        for found in _extract_unit(doc.title, 0, len(doc.title), gaz, ctx):
            claims.append(_claim(doc, found, doc.title, 0, len(doc.title), "title", None))

    ctx = _Context(dates=DateContext(published))
    for unit_start, unit_end, spans in _units(doc.text or ""):
        for found in _extract_unit(doc.text, unit_start, unit_end, gaz, ctx):
            s_start, s_end = next(((a, b) for a, b in spans if a <= found.number.start < b), (unit_start, unit_end))
            claims.append(_claim(doc, found, doc.text, s_start, s_end, "body", _passage_at(passages, s_start)))

    for line in doc.sidebar:
        if not isinstance(line, str) or not line.strip():
            continue
        ctx = _Context(dates=DateContext(published))
        for found in _extract_unit(line, 0, len(line), gaz, ctx):
            claims.append(_claim(doc, found, line, 0, len(line), "sidebar", None))
    return claims


# ----------------------------------------------------------------------------- units
def _units(text: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Sentences grouped into attribution units: a sentence ending in ".." or ":" runs on."""
    units: list[tuple[int, int, list[tuple[int, int]]]] = []
    current: list[tuple[int, int]] = []
    for span in sentences(text):
        if current:
            prev = current[-1]
            gap = text[prev[1]:span.start]
            runs_on = text[prev[0]:prev[1]].rstrip().endswith(("..", ":")) and "\n" not in gap
            if not runs_on:
                units.append((current[0][0], current[-1][1], current))
                current = []
        current.append((span.start, span.end))
    if current:
        units.append((current[0][0], current[-1][1], current))
    return units


def _title_repeats_body(title: str, text: str) -> bool:
    """Scraped titles are often the first sentence cut with "…": don't count it twice."""
    head = title.rstrip(" .…").strip()
    return bool(head) and fold(text[: len(head) + 50]).startswith(fold(head)[: max(1, len(fold(head)) - 2)])


def _passage_at(passages: list[Passage], offset: int) -> str | None:
    for p in passages:
        if p.start <= offset < p.end:
            return p.passage_id
    return None


def _claim(doc: Document, f: _Found, text: str, s_start: int, s_end: int, section: str,
           passage_id: str | None) -> Claim:
    n = f.number
    key = f"{doc.doc_id}\x1f{section}\x1f{s_start}\x1f{s_end}\x1f{n.start}\x1f{n.end}\x1f{n.value}\x1f{text[s_start:s_end] if section == 'sidebar' else ''}"
    claim_id = f"{doc.doc_id}:c{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"
    return Claim(
        claim_id=claim_id, doc_id=doc.doc_id, value=n.value, what=f.what, sentence=text[s_start:s_end],
        start=s_start, end=s_end, value_start=n.start, value_end=n.end, value_text=n.text,
        stance=f.stance, qualifier=n.qualifier,
        actor=f.actor.surface if f.actor else None, actor_id=f.actor.id if f.actor else None,
        actor_en=f.actor.en if f.actor else None, what_ar=f.what_ar,
        where=f.where[0] if f.where else None, where_en=f.where[1] if f.where else None,
        when=f.when[0] if f.when else None, when_norm=f.when[1] if f.when else None,
        passage_id=passage_id, section=section,
    )


# ----------------------------------------------------------------------------- one unit
def _extract_unit(text: str, u_start: int, u_end: int, gaz: Gazetteer, ctx: _Context) -> list[_Found]:
    """Claims of one attribution unit text[u_start:u_end]; offsets stay document-level."""
    unit = text[u_start:u_end]
    numbers = [NumberMention(n.value, n.start + u_start, n.end + u_start, n.text, n.qualifier, n.kind)
               for n in find_numbers(unit)]
    if not numbers:
        # Most sentences carry no figure: only remember them in case the next one says "وأضاف …".
        ctx.pending = (ctx.pending or [])[-3:] + [(text, u_start, u_end)]
        ctx.unit_no += 1
        return []
    _resolve_pending_speaker(ctx, gaz)
    toks = _unit_tokens(text, u_start, u_end)
    actors = [_shift(m, u_start) for m in gaz.find_actors(unit)]
    places = _usable_places([_shift(m, u_start) for m in gaz.find_places(unit)], actors, toks)
    whens = find_dates(unit, u_start, ctx.dates)
    cues = _find_cues(toks, actors, text, gaz)
    boundaries = _clause_boundaries(text, u_start, u_end, toks)

    found: list[_Found] = []
    prev_number_tok = -1
    unit_speaker: Match | None = None
    for n in numbers:
        ti = _tok_index(toks, n.start)
        te = _tok_index(toks, n.end)  # first token after the figure
        noun = _counted_noun(text, toks, te, gaz)
        if noun == "skip":
            prev_number_tok = te
            continue
        event = None
        cls, what_ar = noun if noun else (None, None)
        if cls is None:
            before = _nonqualifier_before(toks, ti)
            if before is not None and gaz.classify_event(toks[before].f):
                cls, event = "person", gaz.classify_event(toks[before].f)
            else:
                prev_number_tok = te
                continue
        implied = gaz.noun_implies.get(cls)
        base = "person" if implied else cls
        if event is None:
            event = implied or _event_for(toks, ti, te, prev_number_tok, gaz)
        if event is None:
            before = _nonqualifier_before(toks, ti)
            if before is not None and toks[before].f in _SUBSET_WORDS and found:
                event = found[-1].event
        if base == "person" and (implied or noun is None) and _civilians_before(toks, ti, prev_number_tok, gaz):
            base = "civilian"
        what = gaz.what_for.get((base, event)) or gaz.what_for.get((base, None))
        prev_number_tok = te
        if what is None:
            continue
        actor, stance = _attribution(n, toks, ti, cues, actors, ctx)
        if actor is not None and unit_speaker is None:
            unit_speaker = actor
        clause = _clause_of(boundaries, n.start, u_start, u_end)
        where = _where(text, places, n, toks, clause, found, ctx)
        when = _nearest(whens, n, clause)
        found.append(_Found(n, what, what_ar, stance, actor, where,
                            (when[2], when[3]) if when else None, event))
    # Carry the speaker and place over to the next sentence.
    speaker = unit_speaker or next((c.actor for c in cues if c.actor is not None and not c.participle), None)
    if speaker is not None:
        ctx.speaker = speaker
    if found and found[-1].where:
        ctx.last_where, ctx.last_where_unit = found[-1].where, ctx.unit_no
    ctx.unit_no += 1
    return found


def _unit_tokens(text: str, u_start: int, u_end: int) -> list[_Tok]:
    unit = text[u_start:u_end]
    ft, index = folded(unit)
    toks = []
    for m in _WORD.finditer(ft):
        a, b = span_to_original(index, m.start(), m.end(), unit)
        toks.append(_Tok(m.group(), a + u_start, b + u_start))
    return toks


def _resolve_pending_speaker(ctx: _Context, gaz: Gazetteer) -> None:
    """Speaker of the latest figure-less sentences, computed only when a figure needs it."""
    for text, u_start, u_end in reversed(ctx.pending or []):
        toks = _unit_tokens(text, u_start, u_end)
        actors = [_shift(m, u_start) for m in gaz.find_actors(text[u_start:u_end])]
        cues = _find_cues(toks, actors, text, gaz)
        speaker = next((c.actor for c in cues if c.actor is not None and not c.participle), None)
        if speaker is not None:
            ctx.speaker = speaker
            break
    ctx.pending = None


def _shift(m: Match, offset: int) -> Match:
    return Match(m.kind, m.id, m.surface, m.start + offset, m.end + offset, m.en)


def _tok_index(toks: list[_Tok], offset: int) -> int:
    for i, t in enumerate(toks):
        if t.end > offset:
            return i
    return len(toks)


def _counted_noun(text: str, toks: list[_Tok], i: int, gaz: Gazetteer) -> tuple[str, str] | str | None:
    """(class, surface) of the noun a figure counts; "skip" for durations/units; None if absent."""
    if i < len(toks) and toks[i].f == "من":  # partitive: "35 من السكان المحليين"
        i += 1
    if i >= len(toks):
        return None
    if i + 1 < len(toks):
        two = f"{toks[i].f} {toks[i + 1].f}"
        cls = gaz.classify_noun(two)
        if cls is not None:
            return "skip" if cls == "not_counted" else (cls, text[toks[i].start:toks[i + 1].end])
    cls = gaz.classify_noun(toks[i].f)
    if cls == "not_counted":
        return "skip"
    return (cls, text[toks[i].start:toks[i].end]) if cls else None


def _nonqualifier_before(toks: list[_Tok], ti: int) -> int | None:
    k = ti - 1
    while k >= 0 and toks[k].f in _QUALIFIER_WORDS and ti - k <= 5:
        k -= 1
    return k if k >= 0 else None


def _event_for(toks: list[_Tok], ti: int, te: int, stop: int, gaz: Gazetteer) -> str | None:
    """Event word for a figure: right before it, else just after its noun, else further back."""
    before = _nonqualifier_before(toks, ti)
    if before is not None and before >= stop:
        ev = gaz.classify_event(toks[before].f)
        if ev:
            return ev
    for k in range(te, min(te + 4, len(toks))):
        ev = gaz.classify_event(toks[k].f)
        if ev:
            return ev
    for k in range(ti - 1, max(stop, ti - EVENT_BEFORE_WINDOW, 0) - 1, -1):
        ev = gaz.classify_event(toks[k].f)
        if ev:
            return ev
    return None


def _civilians_before(toks: list[_Tok], ti: int, stop: int, gaz: Gazetteer) -> bool:
    """Generic casualties ("352 قتيلا") said of civilians mentioned just before."""
    lo = max(stop, ti - 15, 0)
    for k in range(ti - 1, lo - 1, -1):
        if gaz.classify_noun(toks[k].f) == "civilian":
            return True
        if k + 1 < ti and gaz.classify_noun(f"{toks[k].f} {toks[k + 1].f}") == "civilian":
            return True
    return False


# ----------------------------------------------------------------------------- attribution
@dataclass
class _Cue:
    tok: int
    start: int
    end: int
    stance: str
    participle: bool
    actor: Match | None = None
    implicit: bool = False  # no subject written: "وأضاف أن …", "وتابعت: …" (the previous speaker)


def _find_cues(toks: list[_Tok], actors: list[Match], text: str, gaz: Gazetteer) -> list[_Cue]:
    """Reporting verbs/nouns with the actor each one introduces (None when none in view)."""
    cues: list[_Cue] = []
    for i, t in enumerate(toks):
        stance = gaz.classify_stance(t.f)
        if stance is None:
            continue
        cues.append(_Cue(i, t.start, t.end, stance, _is_participle(t.f, gaz)))
    # Headline attribution: "بوتين: روسيا مستعدة …".
    if actors and toks:
        first = actors[0]
        rest = text[first.end:first.end + 3].lstrip()
        if first.start <= toks[0].start + 1 and rest.startswith(":"):
            cues.insert(0, _Cue(_tok_index(toks, first.start), first.start, first.end + 1, "stated", False, first))
    main: Match | None = None
    for c in cues:
        if c.actor is not None:
            main = c.actor
            continue
        if c.participle:
            c.actor = main
            continue
        after = [a for a in actors if a.start >= c.end and _tok_index(toks, a.start) - c.tok <= CUE_ACTOR_WINDOW]
        if after:
            c.actor = after[0]
        else:
            before = [a for a in actors if a.end <= c.start and not _object_of_strike(a, toks)
                      and c.tok - _tok_index(toks, a.end - 1) <= SUBJECT_BEFORE_WINDOW]
            c.actor = before[-1] if before else None
            c.implicit = c.actor is None and _implicit_subject(toks, c, text)
        if c.actor is not None:
            main = c.actor
    return cues


def _implicit_subject(toks: list[_Tok], cue: _Cue, text: str) -> bool:
    """True when the verb is followed by "أن/إن", a quote or a colon rather than a named subject."""
    nxt = cue.tok + 1
    if nxt >= len(toks):
        return True
    gap = text[cue.end:toks[nxt].start]
    return toks[nxt].f in _COMPLEMENTIZERS or any(ch in gap for ch in ':"“«.')


def _is_participle(word: str, gaz: Gazetteer) -> bool:
    return word in gaz.participles or (len(word) > 2 and word[0] in "وف" and word[1:] in gaz.participles)


def _object_of_strike(actor: Match, toks: list[_Tok]) -> bool:
    k = _tok_index(toks, actor.start) - 1
    if k < 0:
        return False
    word = toks[k].f
    return word in _PERPETRATOR_NOUNS or (len(word) > 3 and word[0] in "وبل" and word[1:] in _PERPETRATOR_NOUNS)


def _attribution(n: NumberMention, toks: list[_Tok], ti: int, cues: list[_Cue], actors: list[Match],
                 ctx: _Context) -> tuple[Match | None, str]:
    before = [c for c in cues if c.end <= n.start]
    if before:
        cue = before[-1]
        # The actor a cue introduces must come before the figure it reports.
        actor = cue.actor if cue.actor is None or cue.actor.start < n.start else None
        if actor is None:
            earlier = [c.actor for c in before if c.actor is not None and c.actor.start < n.start]
            if cue.participle and earlier:
                actor = earlier[-1]
            elif cue.participle or cue.implicit:
                actor = ctx.speaker
        return actor, cue.stance
    after = [c for c in cues if c.start >= n.end and c.actor is not None and c.actor.start > c.start]
    if after:  # "مقتل 16 شخصا بحسب المرصد السوري"
        return after[0].actor, after[0].stance
    return None, "reported"


# ----------------------------------------------------------------------------- where / when
def _usable_places(places: list[Match], actors: list[Match], toks: list[_Tok]) -> list[Match]:
    out = []
    for p in places:
        inside_actor = any(a.start <= p.start and p.end <= a.end and (a.end - a.start) > (p.end - p.start) for a in actors)
        k = _tok_index(toks, p.start) - 1
        headquarters = k >= 0 and toks[k].f in _HEADQUARTERS
        if not inside_actor and not headquarters:
            out.append(p)
    return out


def _clause_boundaries(text: str, u_start: int, u_end: int, toks: list[_Tok]) -> list[int]:
    cuts = [i for i in range(u_start, u_end) if text[i] in _CLAUSE_PUNCT]
    cuts += [m.start() + u_start for m in re.finditer(r"\.\.+", text[u_start:u_end])]
    cuts += [t.start for t in toks if t.f in _CLAUSE_WORDS]
    return sorted(cuts)


def _clause_of(boundaries: list[int], pos: int, u_start: int, u_end: int) -> tuple[int, int]:
    lo = max([b for b in boundaries if b < pos], default=u_start)
    hi = min([b for b in boundaries if b >= pos], default=u_end)
    return lo, hi


def _where(text: str, places: list[Match], n: NumberMention, toks: list[_Tok], clause: tuple[int, int],
           found: list[_Found], ctx: _Context) -> tuple[str, str] | None:
    lo, hi = clause
    limit = toks[min(_tok_index(toks, n.end) + PLACE_AFTER_WINDOW, len(toks) - 1)].end if toks else hi
    after = [p for p in places if n.end <= p.start < min(hi, limit + 1)]
    before = [p for p in places if lo <= p.start and p.end <= n.start]
    chosen = after[0] if after else (before[-1] if before else None)
    if chosen is not None:
        # "سورية والعراق": coordinated places go together.
        group = [chosen]
        for p in places:
            if p.start > group[-1].end and re.fullmatch(r"\s*و?\s*", text[group[-1].end:p.start]) \
                    and p.id not in {g.id for g in group}:
                group.append(p)
        surface = text[group[0].start:group[-1].end]
        return surface, ", ".join(dict.fromkeys(g.en for g in group))
    if found and found[-1].where:
        return found[-1].where
    if ctx.last_where and ctx.unit_no - ctx.last_where_unit == 1:
        return ctx.last_where
    return None


def _nearest(whens: list[DateMention], n: NumberMention, clause: tuple[int, int]) -> tuple[int, int, str, str | None] | None:
    lo, hi = clause
    inside = [w for w in whens if lo <= w.start and w.end <= hi and not (w.start <= n.start < w.end)]
    if not inside:
        return None
    best = min(inside, key=lambda w: (n.start - w.end) if w.end <= n.start else (w.start - n.end))
    return best
