"""Claim extraction: who said what number about what, where, when and about which incident.

    extract_claims(doc) -> list[Claim]
    EXTRACTOR_VERSION   stored with an index; claims of stored documents are re-extracted when it changes

Over 400 lines for a reason: counted nouns, places, incidents and clauses are one pass over a
sentence's tokens and share its state; attribution lives in `indexer.attribution`, dates in
`khabar.dates`, numbers in `indexer.numbers`.

A claim is one figure in one sentence ("اعترف التحالف الدولي … بأن أكثر من 1250 مدنياً قتلوا"
-> coalition / admitted / more_than 1250 / civilians_killed). Reports disagree by source (the
coalition admits hundreds, Airwars estimates thousands), so the *source* and its *stance*
matter as much as the figure: question answering shows them side by side.

How each field is found (lexicons in khabar/vocabulary/data/gazetteer.json):
- value / qualifier: `indexer.numbers.find_numbers`; years (Gregorian and Hijri), dates,
  times, ages, durations, ordinals, phone numbers and numbers inside names are typed there
  and never become claims;
- kind / unit / what: a currency after the figure makes it money (money_<iso>), a unit a
  measure (<dimension>_<unit>), "%" / "في المائة" a percentage (percent_change after a word of
  rise or fall, else percent_share); otherwise the noun right after the figure is what was
  counted: a gazetteer class ("مدنيا", "قتيلا", "غارة") combined with the nearest harm word
  (مقتل / إصابة …) gives a casualty id, any other indefinite noun is kept as written
  (`what_ar`) with an English label from the gazetteer's `count_nouns` when it has one; a
  figure with no noun only counts when a harm word stands right before it ("إصابة 20");
- actor / stance: `indexer.attribution` (the phrase the sentence attributes the figure to,
  canonicalised through the gazetteer when an entry is written in it);
- where / when / event: the nearest place, date and incident word ("غارة", "تفجير", "زلزال")
  in the figure's clause, places after the figure first ("مقتل 35 … في الميادين"); a clause
  with no place inherits the place of the previous claim in the same or previous sentence.
  Relative dates are resolved against the publication date (`when_norm`).

Sections: "body" (offsets into doc.text), "sidebar" (offsets into that sidebar line) and
"title" (offsets into doc.title; only when the title is not just the first sentence).
Sentences that segment.py splits at ".." ("قولها في الإيجاز.. “إن أكثر من عشرين") are
read together for attribution, while `sentence`/`start`/`end` keep the short sentence.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from khabar.arabic import ARABIC_STOPWORDS, fold
from khabar.dates import DateContext, DateMention, find_dates, parse_iso_date
from khabar.models import Claim, Document, Passage
from khabar.segment import build_passages, sentences
from khabar.vocabulary.gazetteer import Gazetteer, Match
from indexer.attribution import Actor, Tok, attribute, find_cues, speaker, tok_index, tokens
from indexer.numbers import PERCENT, NumberMention, find_numbers

# Bump when extraction changes what it produces: indexes re-extract the claims of stored documents.
EXTRACTOR_VERSION = "3"
EVENT_BEFORE_WINDOW = 12  # tokens searched before a figure for its harm word (مقتل / إصابة)
INCIDENT_WINDOW = 15  # tokens searched around a figure for its incident word
PLACE_AFTER_WINDOW = 20  # tokens searched after a figure for its place
_QUALIFIER_WORDS = frozenset(
    "اكثر من ما يزيد تزيد علي عن حوالي نحو قرابه زهاء يقارب تقارب يناهز اقل لا يقل تقل تصل يصل الي قد ازيد يربو يفوق".split())
_SUBSET_WORDS = frozenset({"بينهم", "منهم", "معظمهم", "بينها", "منها", "غالبيتهم", "اغلبهم"})
_CLAUSE_WORDS = frozenset({"فيما", "كما", "بينما", "وفيما", "وكما", "سبقها", "تلاها", "وسبقها", "وتلاها"})
_CLAUSE_PUNCT = set("،,;؛:")
_HEADQUARTERS = frozenset({"مقرها", "ومقرها", "مقره", "ومقره", "مقرهم"})
_CHANGE_WORDS = frozenset(
    "ارتفع ارتفعت ارتفاع يرتفع ترتفع بارتفاع انخفض انخفضت انخفاض بانخفاض ينخفض تنخفض زاد زادت زياده بزياده يزيد "
    "تراجع تراجعت بتراجع يتراجع نمو نما نمت بنمو ينمو هبط هبطت هبوط بهبوط صعد صعدت صعود قفز قفزت تقلص تقلصت "
    "تحسن تحسنت خفض رفع تضاعف اسرع اكبر اعلي اقل ابطا فقد فقدت خسر خسرت يتوقع".split())
_STOPWORDS = frozenset(fold(w) for w in ARABIC_STOPWORDS)
_NOT_COUNTED_START = ("ال", "لل", "بال", "وال", "فال", "كال")
_ARMY_WORDS = frozenset({"الجيش", "الامن", "الشرطه", "النظام", "الاسد", "العسكريين", "الجنود", "الدرك"})
_MULTIPLIER_WORDS = frozenset({"الف", "الاف", "الفا", "مليون", "ملايين", "مليونا", "مليار", "مليارات", "مليارا"})


@dataclass
class _Found:
    """A claim under construction, before ids and document offsets are attached."""

    number: NumberMention
    kind: str
    what: str
    what_ar: str | None
    what_en: str | None
    unit: str | None
    stance: str
    actor: Actor | None
    where: tuple[str, str] | None  # (surface, English)
    when: tuple[str, str | None] | None  # (as written, normalised)
    harm: str | None  # killed / injured: the casualty event behind `what`
    incident: tuple[str, str] | None  # (incident id, as written)


@dataclass
class _Context:
    """What carries over from one sentence to the next inside a section."""

    speaker: Actor | None = None
    pending: list[tuple[str, int, int]] | None = None  # figure-less units whose speaker is not computed yet
    last_where: tuple[str, str] | None = None
    last_where_unit: int = -10
    unit_no: int = 0
    dates: DateContext = field(default_factory=DateContext)  # publication date, last month named
    context: str = ""  # the document's folded text: which coalition a bare "التحالف" is


MAX_VALUE = 10**15  # larger figures are page debris, and beyond what both backends store as a number


def extract_claims(doc: Document) -> list[Claim]:
    """All claims (figures with what they count, who says so, where, when) in a document's title, body and sidebar."""
    if not isinstance(doc, Document):
        raise TypeError(f"extract_claims expects a Document, got {type(doc).__name__}")
    gaz = Gazetteer.load()
    published = parse_iso_date(doc.published_at)
    passages = doc.passages or build_passages(doc.doc_id, doc.text or "")
    claims: list[Claim] = []
    context = fold(f"{doc.title or ''} {doc.text or ''}")

    title = (doc.title or "").strip()
    if title and not _title_repeats_body(title, doc.text or ""):
        ctx = _Context(dates=DateContext(published), context=context)
        for found in _extract_unit(doc.title, 0, len(doc.title), gaz, ctx):
            claims.append(_claim(doc, found, doc.title, 0, len(doc.title), "title", None, gaz))

    ctx = _Context(dates=DateContext(published), context=context)
    for unit_start, unit_end, spans in _units(doc.text or ""):
        for found in _extract_unit(doc.text, unit_start, unit_end, gaz, ctx):
            s_start, s_end = next(((a, b) for a, b in spans if a <= found.number.start < b), (unit_start, unit_end))
            claims.append(_claim(doc, found, doc.text, s_start, s_end, "body", _passage_at(passages, s_start), gaz))

    for line in doc.sidebar:
        if not isinstance(line, str) or not line.strip():
            continue
        ctx = _Context(dates=DateContext(published), context=context)
        for found in _extract_unit(line, 0, len(line), gaz, ctx):
            claims.append(_claim(doc, found, line, 0, len(line), "sidebar", None, gaz))
    return [c for c in claims if abs(c.value) < MAX_VALUE]


# ----------------------------------------------------------------------------- units
def _units(text: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Sentences grouped into attribution units: a sentence ending in ".." or ":" runs on."""
    units: list[tuple[int, int, list[tuple[int, int]]]] = []
    current: list[tuple[int, int]] = []
    for span in sentences(text):
        if current:
            prev = current[-1]
            gap = text[prev[1]:span.start]
            tail = text[prev[0]:prev[1]].rstrip()
            runs_on = tail.endswith(("..", ":")) and "\n" not in gap
            # "1 . 76 مليار", "3 . 004": a scraper-spaced decimal point is not a sentence end
            runs_on = runs_on or (re.search(r"(?<![\d.])\d{1,3} \.$", tail) is not None
                                  and re.match(r"\s?\d", text[prev[1]:span.end]) is not None and "\n" not in gap)
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
           passage_id: str | None, gaz: Gazetteer) -> Claim:
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
        passage_id=passage_id, section=section, kind=f.kind, unit=f.unit, what_en=f.what_en,
        event=f.incident[0] if f.incident else None, event_ar=f.incident[1] if f.incident else None,
    )


# ----------------------------------------------------------------------------- one unit
def _extract_unit(text: str, u_start: int, u_end: int, gaz: Gazetteer, ctx: _Context) -> list[_Found]:
    """Claims of one attribution unit text[u_start:u_end]; offsets stay document-level."""
    unit = text[u_start:u_end]
    numbers = [NumberMention(n.value, n.start + u_start, n.end + u_start, n.text, n.qualifier, n.kind)
               for n in find_numbers(unit, counted=gaz.is_counted_word)]
    if not numbers:
        # Most sentences carry no figure: only remember them in case the next one says "وأضاف …".
        ctx.pending = (ctx.pending or [])[-3:] + [(text, u_start, u_end)]
        ctx.unit_no += 1
        return []
    _resolve_pending_speaker(ctx, gaz)
    toks = tokens(text, u_start, u_end)
    actors = [_disambiguated(_shift(m, u_start), gaz, ctx.context) for m in gaz.find_actors(unit)]
    places = _usable_places([_shift(m, u_start) for m in gaz.find_places(unit)], actors, toks)
    whens = find_dates(unit, u_start, ctx.dates)
    cues = find_cues(toks, text, gaz, actors)
    boundaries = _clause_boundaries(text, u_start, u_end, toks)
    incidents = _incidents(text, toks, gaz)

    found: list[_Found] = []
    prev_number_tok = -1
    for n in numbers:
        ti = tok_index(toks, n.start)
        te = tok_index(toks, n.end)  # first token after the figure
        what = _what(text, n, toks, ti, te, prev_number_tok, gaz, found)
        if what is None and found and found[-1].kind in ("money", "measure") and ti - prev_number_tok <= 12 \
                and (te >= len(toks) or toks[te - 1].f in _MULTIPLIER_WORDS or re.match(r"\s*[،,.;؛)]", text[n.end:n.end + 3])):
            last = found[-1]  # "50 مليون ريال … و40 مليون": the currency is not repeated
            what = (last.kind, last.what, None, last.what_en, last.unit, None)
        prev_number_tok = te
        if what is None:
            continue
        kind, what_id, what_ar, what_en, unit_name, harm = what
        actor, stance = attribute(n.start, n.end, cues, ctx.speaker)
        clause = _clause_of(boundaries, n.start, u_start, u_end)
        where = _where(text, places, n, toks, clause, found, ctx)
        when = _nearest(whens, n, clause)
        incident = _incident_for(incidents, ti, clause, found)
        found.append(_Found(n, kind, what_id, what_ar, what_en, unit_name, stance, actor, where,
                            (when[2], when[3]) if when else None, harm, incident))
    # Carry the speaker and place over to the next sentence.
    unit_speaker = speaker(cues)
    if unit_speaker is not None:
        ctx.speaker = unit_speaker
    if found and found[-1].where:
        ctx.last_where, ctx.last_where_unit = found[-1].where, ctx.unit_no
    ctx.unit_no += 1
    return found


def _resolve_pending_speaker(ctx: _Context, gaz: Gazetteer) -> None:
    """Speaker of the latest figure-less sentences, computed only when a figure needs it."""
    for text, u_start, u_end in reversed(ctx.pending or []):
        toks = tokens(text, u_start, u_end)
        actors = [_disambiguated(_shift(m, u_start), gaz, ctx.context) for m in gaz.find_actors(text[u_start:u_end])]
        found = speaker(find_cues(toks, text, gaz, actors))
        if found is not None:
            ctx.speaker = found
            break
    ctx.pending = None


def _disambiguated(m: Match, gaz: Gazetteer, context: str) -> Match:
    """A shared name ("قوات التحالف") given the id the document's context points to."""
    actor_id = gaz.disambiguate(m.id, m.surface, context)
    if actor_id == m.id:
        return m
    return Match(m.kind, actor_id, m.surface, m.start, m.end, gaz.actor(actor_id).en)


def _shift(m: Match, offset: int) -> Match:
    return Match(m.kind, m.id, m.surface, m.start + offset, m.end + offset, m.en)


# ----------------------------------------------------------------------------- what was counted
_What = tuple[str, str, "str | None", "str | None", "str | None", "str | None"]  # kind, what, what_ar, what_en, unit, harm


def _what(text: str, n: NumberMention, toks: list[Tok], ti: int, te: int, prev_number_tok: int, gaz: Gazetteer,
          found: list[_Found]) -> _What | None:
    """(kind, what, what_ar, what_en, unit, harm) of a figure, or None when it counts nothing we can name."""
    if n.kind == PERCENT:
        changed = any(toks[k].f in _CHANGE_WORDS or (toks[k].f[:1] in "وفب" and toks[k].f[1:] in _CHANGE_WORDS)
                      for k in range(max(0, ti - 8), ti))
        what = "percent_change" if changed else "percent_share"
        return "percent", what, None, "percentage change" if changed else "percentage", "%", None
    if text[n.end:n.end + 3].lstrip().startswith("$") or text[max(0, n.start - 2):n.start].rstrip().endswith("$"):
        return "money", "money_usd", "$", "US dollars", "USD", None
    te_unit = _after_range(toks, te)  # "200 إلى 1000 ريال": the unit follows the range's second figure
    unit_hit = _unit_after(text, n.end if te_unit == te else toks[te_unit - 1].end, toks, te_unit, gaz)
    if unit_hit is not None:
        te = te_unit
    if unit_hit is not None:
        (kind, code, what_id, en), width = unit_hit
        what_ar = text[toks[te].start:toks[te + width - 1].end]
        return kind, what_id, what_ar, en, code, None
    if _has_article(n) and ti > 0:
        # "المقاطعات الثلاث", "الدراجات النارية الثلاث": a cardinal with the article follows its noun
        k = ti - 1
        while k > 0 and gaz.classify_noun(toks[k].f) is None and toks[k].f.startswith("ال") and toks[k].f.endswith(("يه", "ه", "ين")) \
                and ti - k < 2:
            k -= 1
        if toks[k].f.startswith("ال") and not gaz.classify_stance(toks[k].f) and toks[k].f not in _STOPWORDS:
            cls = gaz.classify_noun(toks[k].f)
            label = gaz.count_nouns.lookup_word(toks[k].f[2:])
            what_ar = text[toks[k].start:toks[k].end]
            if cls and cls != "not_counted":
                what = gaz.what_for.get(("person" if gaz.noun_implies.get(cls) else cls, gaz.noun_implies.get(cls)))
                if what:
                    return "count", what, what_ar, gaz.what(what).en, None, gaz.noun_implies.get(cls)
            return "count", label or "count", what_ar, label.replace("_", " ") if label else None, None, None
    noun = _counted_noun(text, toks, te, gaz)
    if noun == "skip":
        return None
    harm = None
    cls, what_ar = noun if noun else (None, None)
    if cls is None:
        before = _nonqualifier_before(toks, ti)
        if before is not None and gaz.classify_event(toks[before].f):
            cls, harm = "person", gaz.classify_event(toks[before].f)
        else:
            return _generic(text, n, toks, te, gaz)
    if cls == "fighter" and any(toks[k].f in _ARMY_WORDS for k in range(te, min(te + 5, len(toks)))):
        cls = "soldier"  # "22 عنصرا من الجيش السوري", "17 عنصرا في قوات الأمن"
    implied = gaz.noun_implies.get(cls)
    base = "person" if implied else cls
    if harm is None:
        harm = implied or _event_for(toks, ti, te, prev_number_tok, gaz)
    if harm is None:
        before = _nonqualifier_before(toks, ti)
        if before is not None and toks[before].f in _SUBSET_WORDS and found:
            harm = found[-1].harm
    if base == "person" and (implied or noun is None) and _civilians_before(toks, ti, prev_number_tok, gaz):
        base = "civilian"
    what = gaz.what_for.get((base, harm)) or gaz.what_for.get((base, None))
    if what is None:
        return _generic(text, n, toks, te, gaz)
    entry = gaz.what(what)
    if what.startswith("money_"):
        code = what[len("money_"):].upper()
        return "money", what, what_ar, entry.en, code, None
    return "count", what, what_ar, entry.en, None, harm


def _has_article(n: NumberMention) -> bool:
    return fold(n.text).startswith("ال") or fold(n.text).startswith("وال")


def _after_range(toks: list[Tok], te: int) -> int:
    """Token after "إلى 1000" / "و 250" when a range follows the figure, else te."""
    if te + 1 < len(toks) and toks[te].f in ("الي", "و", "او", "حتي") and toks[te + 1].f.isdigit():
        k = te + 2
        while k < len(toks) and toks[k].f in _MULTIPLIER_WORDS:
            k += 1
        return k
    return te


def _unit_after(text: str, end: int, toks: list[Tok], te: int, gaz: Gazetteer):
    """A currency or measure written right after the figure ("مليار ريال", "كيلومترا مربعا")."""
    if te >= len(toks) or re.search(r"[^\s)(\]]", text[end:toks[te].start]):
        return None
    return gaz.units.match([t.f for t in toks[te:te + 5]])


def _generic(text: str, n: NumberMention, toks: list[Tok], te: int, gaz: Gazetteer) -> _What | None:
    """A count of any other thing: the indefinite noun right after the figure ("20 ألف مدرس", "73 دولة")."""
    i = te
    if i < len(toks) and toks[i].f == "من" and i + 1 < len(toks):
        i += 1  # partitive: "6 من عناصر التنظيم" (definite allowed)
        partitive = True
    else:
        partitive = False
    if i >= len(toks) or re.search(r"[^\s)(\]]", text[n.end:toks[te].start]):
        return None
    word = toks[i].f
    if not partitive and word.startswith(_NOT_COUNTED_START):
        return None  # the counted noun is indefinite: "الدول الثلاث" is not "3 الدول"
    bare = word[1:] if len(word) > 3 and word[0] in "وف" else word
    if (len(bare) < 3 or word in _STOPWORDS or bare in _STOPWORDS or word.isdigit() or gaz.classify_stance(word)
            or gaz.classify_event(word) or _looks_like_verb(word) or gaz.classify_noun(word) == "not_counted"):
        return None
    if n.value == 1 and not n.text.strip()[:1].isdigit():
        return None  # "مرة واحدة", "في يوم واحد": idiomatic واحد counts nothing
    label = gaz.count_nouns.lookup_word(word)
    what_ar = text[toks[te].start:toks[i].end]
    return "count", label or "count", what_ar, label.replace("_", " ") if label else None, None, None


def _looks_like_verb(word: str) -> bool:
    """Imperfect verbs ("يحقق", "تبدأ", "سيتم") are not counted nouns; nisba plurals ("يمنيا") are."""
    w = word[1:] if len(word) > 3 and word[0] in "وف" else word
    if w.startswith("س") and len(w) > 4 and w[1] in "يتن":
        return True
    return len(w) >= 4 and w[0] in "يتن" and not w.endswith(("ا", "ين", "ون", "ات", "يه", "ه"))


def _counted_noun(text: str, toks: list[Tok], i: int, gaz: Gazetteer) -> tuple[str, str] | str | None:
    """(class, surface) of the gazetteer noun a figure counts; "skip" for durations; None if absent."""
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


def _nonqualifier_before(toks: list[Tok], ti: int) -> int | None:
    k = ti - 1
    while k >= 0 and toks[k].f in _QUALIFIER_WORDS and ti - k <= 5:
        k -= 1
    return k if k >= 0 else None


def _event_for(toks: list[Tok], ti: int, te: int, stop: int, gaz: Gazetteer) -> str | None:
    """Harm word for a figure: right before it, else just after its noun, else further back."""
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


def _civilians_before(toks: list[Tok], ti: int, stop: int, gaz: Gazetteer) -> bool:
    """Generic casualties ("352 قتيلا") said of civilians mentioned just before."""
    lo = max(stop, ti - 15, 0)
    for k in range(ti - 1, lo - 1, -1):
        if gaz.classify_noun(toks[k].f) == "civilian":
            return True
        if k + 1 < ti and gaz.classify_noun(f"{toks[k].f} {toks[k + 1].f}") == "civilian":
            return True
    return False


# ----------------------------------------------------------------------------- incident
def _incidents(text: str, toks: list[Tok], gaz: Gazetteer) -> list[tuple[int, str, str]]:
    """(token index, incident id, as written) of every incident word in the unit."""
    out = []
    i = 0
    while i < len(toks):
        hit = gaz.incidents.match([t.f for t in toks[i:i + 4]])
        if hit is not None:
            incident, width = hit
            out.append((i, incident, text[toks[i].start:toks[i + width - 1].end]))
            i += width
        else:
            i += 1
    return out


def _incident_for(incidents: list[tuple[int, str, str]], ti: int, clause: tuple[int, int],
                  found: list[_Found]) -> tuple[str, str] | None:
    """The incident word nearest the figure (its clause first), else the previous claim's incident."""
    near = [x for x in incidents if abs(x[0] - ti) <= INCIDENT_WINDOW]
    if near:
        best = min(near, key=lambda x: (abs(x[0] - ti), x[0] > ti))
        return best[1], best[2]
    if found and found[-1].incident:
        return found[-1].incident
    return None


# ----------------------------------------------------------------------------- where / when
def _usable_places(places: list[Match], actors: list[Match], toks: list[Tok]) -> list[Match]:
    out = []
    for p in places:
        inside_actor = any(a.start <= p.start and p.end <= a.end and (a.end - a.start) > (p.end - p.start) for a in actors)
        k = tok_index(toks, p.start) - 1
        headquarters = k >= 0 and toks[k].f in _HEADQUARTERS
        if not inside_actor and not headquarters:
            out.append(p)
    return out


def _clause_boundaries(text: str, u_start: int, u_end: int, toks: list[Tok]) -> list[int]:
    cuts = [i for i in range(u_start, u_end) if text[i] in _CLAUSE_PUNCT]
    cuts += [m.start() + u_start for m in re.finditer(r"\.\.+", text[u_start:u_end])]
    cuts += [t.start for t in toks if t.f in _CLAUSE_WORDS]
    return sorted(cuts)


def _clause_of(boundaries: list[int], pos: int, u_start: int, u_end: int) -> tuple[int, int]:
    lo = max([b for b in boundaries if b < pos], default=u_start)
    hi = min([b for b in boundaries if b >= pos], default=u_end)
    return lo, hi


def _where(text: str, places: list[Match], n: NumberMention, toks: list[Tok], clause: tuple[int, int],
           found: list[_Found], ctx: _Context) -> tuple[str, str] | None:
    lo, hi = clause
    limit = toks[min(tok_index(toks, n.end) + PLACE_AFTER_WINDOW, len(toks) - 1)].end if toks else hi
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
