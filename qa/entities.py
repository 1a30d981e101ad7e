"""Typed spans in an Arabic sentence: people, organisations, places, dates and numbers, by explainable cues.

There is no named-entity model offline, so spans come from what Khabar already knows plus the
cues Arabic news writes names with, chosen for precision (a wrong bold short answer is worse
than none):

* people: gazetteer persons; a name after a title or office («الرئيس», «وزير الدفاع الروسي»,
  «المتحدث باسم …», «العميد») or after a reporting verb («قال», «أعلن»); name patterns
  «X بن Y», «أبو X», «عبد X». A name is a run of up to four words whose first word has no
  article and at least one word is not an ordinary Arabic word (absent from the FreeDict
  vocabulary, which holds common words, not names) or belongs to a pattern;
* organisations: gazetteer actors that are not persons; a head noun («وزارة», «منظمة», «هيئة»,
  «شركة», «مجلس», «جامعة», «نادي», «المرصد», «وكالة», «صحيفة», «مصرف» …) and the words of its
  name after it (article words or non-dictionary words);
* places: gazetteer places, country names in Arabic (CLDR, via Babel), a place noun («مدينة»,
  «بلدة», «قرية», «محافظة», «حي», «ريف», «إقليم», «مستشفى», «ملعب» …) and its name, compass
  phrases before a known place («شمال شرق الصومال»);
* dates: `khabar.dates.find_dates` (day-month-year, month-year, weekday, relative to the
  publication date, years after «عام»);
* numbers: `indexer.numbers.find_numbers`, quantities, percentages and decimals only.

Each span carries an English rendering when a source for one exists (gazetteer names, CLDR
country names, FreeDict headwords for a place name, ISO dates, digits with separators);
otherwise `en` is None and an English answer shows the Arabic as written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable

from indexer.numbers import find_numbers
from khabar.arabic import ARABIC_STOPWORDS, fold, tokens
from khabar.dates import DateContext, find_dates
from khabar.vocabulary import Gazetteer
from qa.answer_type import DATE, NUMBER, ORGANISATION, PERSON, PLACE

_STOP = {fold(w) for w in ARABIC_STOPWORDS} | {fold(w) for w in """إلى على عليه عليها له لها لهم به بها فيه فيها منه
    منها عنه عنها أمس اليوم غدا يوم مساء صباح ظهر فجر الماضي المقبل الحالي الجاري وذلك وهو وهي كذلك لكن بل إذ إذا
    حيث بينما عبر لدى نحو وفق وفقا بحسب حسب أكثر أقل بعض جميع عدة عدد مثل لقد تم يتم وتم كما ليس""".split()} | {
    fold(w) for w in """السبت الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة يناير فبراير مارس أبريل مايو يونيو يوليو
    أغسطس سبتمبر أكتوبر نوفمبر ديسمبر""".split()}
# Titles and offices before a name (folded, without article); the words between the title and the
# name («الدفاع الروسي», «باسم قوات التحالف») are skipped, at most MAX_TITLE_GAP of them.
_TITLES = {fold(w) for w in """رئيس الرئيس وزير الوزير نائب الشيخ السيد السيدة الدكتور الدكتورة د المهندس الأستاذ
    العميد عميد اللواء لواء العقيد عقيد المقدم الرائد النقيب الفريق الجنرال جنرال المشير الأمير أمير الملك ملك
    المتحدث متحدث المتحدثة الناطق ناطق السفير سفير السفيرة المبعوث مبعوث المندوب مندوب المستشار مستشار مدير المدير
    قائد القائد زعيم الزعيم محافظ المحافظ أمين الأمين رئيسة مدرب المدرب اللاعب لاعب الحارس النجم الفنان الممثل
    الفنانة الممثلة الكاتب الصحفي الصحافي الإعلامي الباحث الأكاديمي الأكاديمية الخبير المحلل النحال الطبيب المحامي القاضي
    الإمام الداعية المعارض الناشط الناشطة المواطن المواطنة الشاب الطفل الطفلة القيادي المدعو الملقب اللفتنانت
    رئيسا وزيرا قائدا متحدثا مسؤول المسؤول""".split()}
_TITLE_BASES = {t[2:] if t.startswith("ال") else t for t in _TITLES}
_REPORTING = {fold(w) for w in """قال وقال قالت وقالت أعلن وأعلن أعلنت وأعلنت أكد وأكد أكدت وأكدت صرح وصرح أوضح وأوضح
    أضاف وأضاف كشف وكشف أشار وأشار ذكر وذكر أفاد وأفاد اعتبر واعتبر رأى ورأى نقل ونقل يقول ويقول""".split()}
_NAME_PATTERN_HEADS = {fold(w) for w in ("أبو", "ابو", "أبي", "ابي", "بن", "ابن", "بنت", "عبد", "آل")}
MAX_TITLE_GAP = 6
MAX_NAME_WORDS = 4

_ORG_HEADS = {fold(w) for w in """وزارة منظمة هيئة شركة مجلس جامعة نادي نادى المرصد مرصد وكالة صحيفة جريدة مجلة قناة
    مصرف بنك حزب جماعة تنظيم حركة منتخب فريق معهد اتحاد جمعية لجنة محكمة مؤسسة مركز ميليشيا ميليشيات كتائب لواء
    جبهة تحالف جيش قوات إذاعة مستشفى شرطة""".split()}
_PLACE_HEADS = {fold(w) for w in """مدينة بلدة قرية محافظة حي ريف منطقة إقليم قضاء ناحية ولاية مخيم شارع ملعب مستشفى
    مسجد مطار قاعدة ميناء جزيرة سجن عاصمة جبل وادي ساحة مرتفعات""".split()}
_COMPASS = {fold(w) for w in "شمال جنوب شرق غرب شمالي جنوبي شرقي غربي وسط".split()}
_PREFIXES = ("وال", "بال", "فال", "لل", "كال", "و", "ب", "ل", "ف", "ك")


@dataclass(frozen=True)
class Span:
    """A typed span of a sentence. `start`/`end` index the sentence; `en` is its English rendering, if known."""

    type: str
    start: int
    end: int
    text: str
    en: str | None
    cue: str  # what found it: gazetteer / title / verb / pattern / head / country / date / number
    id: str | None = None  # the gazetteer id, for spans found there


def find_spans(sentence: str, answer_type: str, published: date | None = None, head: str | None = None) -> list[Span]:
    """Spans of the types that answer `answer_type` in `sentence`.

    A who-question also accepts an organisation that is a group, monitor, medium or military
    actor of the gazetteer («تنظيم داعش» claimed the bombing), unless a title precedes it (then
    it is part of someone's office). `head` (`qa.answer_type.HEAD_KINDS`) narrows places and
    organisations to the kind asked for: "which street" only takes a span headed «شارع …».
    """
    if answer_type == PERSON:
        return _people(sentence) + [s for s in _organisations(sentence) if s.cue == "gazetteer"
                                    and _actor_kind(s.id) in _AGENT_KINDS and not _after_title(sentence, s)]
    if answer_type == ORGANISATION:
        return _of_kind(_organisations(sentence), head)
    if answer_type == PLACE:
        return _of_kind(_places(sentence), head)
    if answer_type == DATE:
        return _dates(sentence, published)
    if answer_type == NUMBER:
        return _numbers(sentence)
    return []


_AGENT_KINDS = {"group", "monitor", "media", "military", "opposition", "international"}


def _actor_kind(actor_id: str | None) -> str | None:
    for e in Gazetteer.load().actors:
        if e.id == actor_id:
            return (e.extra or {}).get("kind")
    return None


def _after_title(sentence: str, span: Span) -> bool:
    before = [fold(t.text) for t in tokens(sentence[:span.start])][-4:]
    return any(any(r in _TITLES or r in _TITLE_BASES for r in (w, *_strip_prefix(w))) for w in before)


def _of_kind(spans: list[Span], head: str | None) -> list[Span]:
    """Only the spans of the kind of place or organisation asked for (no filter for an unknown kind)."""
    from qa.answer_type import HEAD_KINDS

    if head is None or head not in HEAD_KINDS:
        return spans
    if not HEAD_KINDS[head]:  # a country
        countries = set(_countries().values())
        return [s for s in spans if s.cue == "country" or (s.cue == "gazetteer" and s.en in countries)]
    heads = {fold(h) for h in HEAD_KINDS[head]}
    out = []
    for s in spans:
        first = fold(next(iter(tokens(s.text))).text) if s.text.strip() else ""
        if s.cue == "head" and any(r in heads or r.removeprefix("ال") in heads for r in _strip_prefix(first)):
            out.append(s)
        elif s.cue == "gazetteer" and head in ("city", "town") and s.en not in set(_countries().values()):
            out.append(s)
    return out


# ----------------------------------------------------------------------------- vocabulary
@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Folded Arabic words of the installed English-Arabic dictionary (ordinary words, not names); empty if none."""
    from search.translation.lexicon import Lexicon

    words: set[str] = set()
    for translations in Lexicon.load().dictionary.values():
        for t in translations:
            for w in t.split():
                f = fold(w)
                words.add(f)
                if f.startswith("ال") and len(f) > 3:
                    words.add(f[2:])
    return frozenset(words)


@lru_cache(maxsize=1)
def _arabic_to_english() -> dict[str, str]:
    """Folded Arabic word or phrase -> English headword, from the dictionary (first headword wins)."""
    from search.translation.lexicon import Lexicon

    out: dict[str, str] = {}
    for head, translations in Lexicon.load().dictionary.items():
        for t in translations:
            out.setdefault(" ".join(fold(t).split()), head)
    return out


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded Arabic country name -> English name (CLDR territory names through Babel; empty without Babel)."""
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel comes with trafilatura
        return {}
    ar, en = Locale("ar").territories, Locale("en").territories
    out: dict[str, str] = {}
    for code, name in ar.items():
        if code.isalpha() and code in en and len(code) == 2:
            out[" ".join(fold(name).split())] = en[code]
    return out


def _strip_prefix(word: str) -> list[str]:
    """Readings of a folded word without a glued conjunction/preposition and article."""
    out = [word]
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            rest = word[len(p):]
            out.append(rest)
            if p in ("لل",):
                out.append("ال" + rest)
    base = [w[2:] for w in out if w.startswith("ال") and len(w) > 3]
    return out + base


def _is_common(word: str) -> bool:
    common = _common_words()
    return any(r in common for r in _strip_prefix(word))


def _is_stop(word: str) -> bool:
    return word in _STOP or word.isdigit()


# ----------------------------------------------------------------------------- people
def _people(sentence: str) -> list[Span]:
    toks = list(tokens(sentence))
    words = [fold(t.text) for t in toks]
    breaks = _breaks(sentence, toks)
    spans: list[Span] = []
    taken: set[int] = set()
    for m in Gazetteer.load().find_actors(sentence):
        if m.id in _person_ids():
            spans.append(Span(PERSON, m.start, m.end, m.surface, _en_name(m.en), "gazetteer", m.id))
            taken |= {i for i, t in enumerate(toks) if m.start <= t.start < m.end}
    inside = set()  # tokens of organisation / place names: no person's name starts there
    for h in _headed(sentence, _ORG_HEADS | _PLACE_HEADS, ORGANISATION):
        inside |= {k for k, t in enumerate(toks) if h.start <= t.start < h.end}
    for i, w in enumerate(words):
        cue = None
        if any(r in _TITLES or r in _TITLE_BASES for r in (w, *_strip_prefix(w))):
            cue = "title"
        elif w in _REPORTING:
            cue = "verb"
        if cue is None:
            continue
        for j in range(i + 1, min(len(words), i + 2 + MAX_TITLE_GAP)):
            if breaks[j] or j in taken:
                break
            if j in inside:
                continue
            run = _name_run(words, j, breaks)
            if run:
                start = run[0]
                if start > 0 and words[start] in _NAME_PATTERN_HEADS and _given_name(words, start - 1, breaks):
                    start -= 1
                if not (taken & set(range(start, run[1]))):
                    spans.append(_span(PERSON, sentence, toks, (start, run[1]), cue))
                    taken |= set(range(start, run[1]))
                break
            if cue == "verb" and j > i + 1:
                break  # a name follows its verb directly
            if not _descriptor(words[j]):
                break  # a word that is neither part of the title nor a name: no name follows this cue
    for i, w in enumerate(words):  # «جواد أبو حطب», «محمد بن سلمان» without a title
        if w in _NAME_PATTERN_HEADS and i + 1 < len(words) and i not in taken and i not in inside:
            run = _name_run(words, i, breaks, allow_pattern_start=True)
            if run:
                start = i - 1 if i > 0 and _given_name(words, i - 1, breaks) and i - 1 not in taken else i
                if not (taken & set(range(start, run[1]))):
                    spans.append(_span(PERSON, sentence, toks, (start, run[1]), "pattern"))
                    taken |= set(range(start, run[1]))
    return sorted(spans, key=lambda s: s.start)


_DESCRIPTOR_WORDS = {fold(w) for w in ("باسم", "لشؤون", "العام", "العامة", "السابق", "الأسبق")}


def _descriptor(word: str) -> bool:
    """A word that may stand between a title and the name («وزير الدفاع الروسي», «المتحدث باسم قوات التحالف»)."""
    return (word.startswith(("ال", "وال", "بال", "لل")) or word in _STOP or word in _DESCRIPTOR_WORDS
            or word in _TITLES or word in _TITLE_BASES)


def _given_name(words: list[str], k: int, breaks: list[bool]) -> bool:
    """Word k can be the given name before a pattern word («جواد» in «جواد أبو حطب»)."""
    w = words[k]
    return (not breaks[k + 1] and not _is_stop(w) and not w.startswith("ال") and _arabic(w) and w not in _TITLES
            and w not in _TITLE_BASES and w not in _REPORTING and not any(r in _ORG_HEADS or r in _PLACE_HEADS
                                                                          for r in _strip_prefix(w)))


@lru_cache(maxsize=1)
def _person_ids() -> frozenset[str]:
    return frozenset(e.id for e in Gazetteer.load().actors if (e.extra or {}).get("kind") == "person")


def _en_name(en: str | None) -> str | None:
    return en.split(" (")[0] if en else None


def _name_run(words: list[str], i: int, breaks: list[bool], allow_pattern_start: bool = False) -> tuple[int, int] | None:
    """(start, end) token indices of a person's name beginning at word i, or None.

    The first word has no article and is no head noun (a given name, or a pattern word such as
    أبو / عبد); the run goes on over words that are not stopwords, titles, numbers or ordinary
    words (by stem), up to MAX_NAME_WORDS, and an article word may only close it («تركي المالكي»).
    It counts as a name when some word is not an ordinary dictionary word or the run holds a
    name pattern.
    """
    first = words[i]
    if _is_stop(first) or first.startswith("ال") or first in _REPORTING or not _arabic(first) or len(first) < 2:
        return None
    if any(r in _ORG_HEADS or r in _PLACE_HEADS for r in _strip_prefix(first)):
        return None
    if not allow_pattern_start and (first in _TITLES or first in _TITLE_BASES):
        return None
    if first.startswith("و") and _is_common(first[1:]):
        return None
    if any(r in _countries() for r in _strip_prefix(first)) or Gazetteer.load().find_places(first):
        return None
    j = i + 1
    while j < len(words) and j - i < MAX_NAME_WORDS and not breaks[j]:
        w = words[j]
        if _is_stop(w) or w in _TITLES or w in _TITLE_BASES or w in _REPORTING or not _arabic(w):
            break
        if any(r in _ORG_HEADS or r in _PLACE_HEADS for r in _strip_prefix(w)):
            break
        after_pattern = words[j - 1] in _NAME_PATTERN_HEADS
        if w.startswith("ال"):
            if _is_common_adjective(w) and not after_pattern:
                break
            j += 1
            break  # an article word closes the name
        if not after_pattern and _is_ordinary(w):
            # a common word inside a name only when a name word follows («أحمد رضا جلالي»)
            nxt = words[j + 1] if j + 1 < len(words) and not breaks[j + 1] else ""
            if not nxt or _is_ordinary(nxt) or _is_stop(nxt) or nxt.startswith("ال"):
                break
        j += 1
    run = words[i:j]
    pattern = any(w in _NAME_PATTERN_HEADS for w in run[:-1]) or any(w.startswith("عبد") and len(w) > 4 for w in run)
    strange = [w for w in run if not (_is_common(w) if w.startswith("ال") else _is_ordinary(w))]
    if not strange and not pattern:
        return None
    if len(run) == 1 and not pattern and len(run[0]) < 3:
        return None
    return i, j


@lru_cache(maxsize=1)
def _common_stems() -> frozenset[str]:
    from khabar.arabic import term

    return frozenset(term(w) for w in _common_words())


def _is_ordinary(word: str) -> bool:
    """A dictionary word by surface or by stem («نقلت», «مسؤوليته»): verbs and nouns, rarely names."""
    from khabar.arabic import term

    return _is_common(word) or term(word) in _common_stems()


def _breaks(sentence: str, toks: list) -> list[bool]:
    """breaks[j]: punctuation (a clause boundary) stands between token j-1 and token j."""
    return [j == 0 or bool(re.search(r"[.:؛;!?؟\"«»()،,\-|/]", sentence[toks[j - 1].end:toks[j].start]))
            for j in range(len(toks))]


def is_name_word(word: str) -> bool:
    """A folded Arabic word no dictionary holds, by surface or stem: a name, or a rare word worth matching."""
    return _arabic(word) and len(word) > 2 and not _is_stop(word) and not _is_ordinary(word) and word not in _TITLES


def _is_common_adjective(word: str) -> bool:
    """Nisba adjectives and the like («الروسي», «اليمنية») that follow titles, not names."""
    return word.endswith(("ي", "يه", "يين", "يون")) and _is_common(word)


def _arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def _span(kind: str, sentence: str, toks: list, run: tuple[int, int], cue: str, en: str | None = None) -> Span:
    a, b = toks[run[0]].start, toks[run[1] - 1].end
    return Span(kind, a, b, sentence[a:b], en, cue)


# ----------------------------------------------------------------------------- organisations and places
def _organisations(sentence: str) -> list[Span]:
    spans: list[Span] = []
    for m in Gazetteer.load().find_actors(sentence):
        if m.id not in _person_ids():
            spans.append(Span(ORGANISATION, m.start, m.end, m.surface, _en_name(m.en), "gazetteer", m.id))
    known = list(spans)
    # a head noun around a known actor («منظمة إيروورز البريطانية») yields the gazetteer's span and name
    spans += [h for h in _headed(sentence, _ORG_HEADS, ORGANISATION)
              if not any(k.start < h.end and h.start < k.end for k in known)]
    return _non_overlapping(spans)


def _places(sentence: str) -> list[Span]:
    spans: list[Span] = []
    for m in Gazetteer.load().find_places(sentence):
        spans.append(Span(PLACE, m.start, m.end, m.surface, _en_name(m.en), "gazetteer", m.id))
    toks = list(tokens(sentence))
    words = [fold(t.text) for t in toks]
    countries = _countries()
    longest = max((len(k.split()) for k in countries), default=1)
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            for reading in _strip_prefix(words[i]) if n == 1 else [words[i]]:
                phrase = " ".join([reading] + words[i + 1:i + n])
                if phrase in countries:
                    span = _span(PLACE, sentence, toks, (i, i + n), "country", countries[phrase])
                    cut = len(words[i]) - len(reading) if reading != words[i] and len(toks[i].text) == len(words[i]) else 0
                    if reading.startswith("ال") and not words[i].endswith(reading):
                        cut = 0
                    spans.append(Span(PLACE, span.start + cut, span.end, sentence[span.start + cut:span.end], span.en,
                                      "country"))
                    break
            else:
                continue
            break
    spans += _headed(sentence, _PLACE_HEADS, PLACE)
    spans = _non_overlapping(spans)
    # compass words before a known place belong to it: «شمال شرق الصومال»
    out = []
    for s in spans:
        start = s.start
        k = next((i for i, t in enumerate(toks) if t.start == s.start), None)
        while k is not None and k > 0 and words[k - 1].lstrip("و") in _COMPASS | {"ب" + c for c in _COMPASS}:
            k -= 1
            start = toks[k].start
        out.append(Span(s.type, start, s.end, sentence[start:s.end], None, s.cue, s.id) if start != s.start else s)
    return out


def _headed(sentence: str, heads: set[str], kind: str) -> list[Span]:
    """A head noun and the name after it: «وكالة الأناضول», «جامعة كارولينسكا الطبية», «قرية الخوجرة».

    The first word after the head may be any word («وزارة الصحة», «مدينة حمص»); the next ones
    only names (non-dictionary words) or adjectives with the article («الطبية», «الأمريكية»).
    """
    toks = list(tokens(sentence))
    words = [fold(t.text) for t in toks]
    breaks = _breaks(sentence, toks)
    spans = []
    for i, w in enumerate(words):
        readings = _strip_prefix(w)
        if not any(r in heads or ("ال" + r) in heads for r in readings):
            continue
        j = i + 1
        while j < len(words) and j - i <= 3 and not breaks[j]:
            nxt = words[j]
            if _is_stop(nxt) or nxt in _REPORTING or nxt in _TITLES or not _arabic(nxt):
                break
            if any(r in heads for r in _strip_prefix(nxt)):
                break
            if j > i + 1:
                bare = nxt[1:] if nxt.startswith("وال") else nxt
                adjective = bare.startswith("ال") and bare.endswith(("يه", "ي", "يين"))
                if not (adjective or not _is_ordinary(nxt)):
                    break
            elif _is_ordinary(nxt) and not nxt.startswith("ال") and not _is_common(nxt):
                break  # «المدينة المنورة بيانا»: an inflected ordinary word is no name
            j += 1
        if j == i + 1:
            continue
        a, b = toks[i].start, toks[j - 1].end
        head = words[i]
        if head not in heads and ("ال" + head) not in heads and head[:1] in "وبلفك":
            a += 1  # «بمدينة»: the preposition is not part of the name
            if head[1:2] == "ل" and head[:1] != "ل":
                pass
        spans.append(Span(kind, a, b, sentence[a:b], _render(words[i + 1:j]) if kind == PLACE else None, "head"))
    return spans


def _render(name_words: list[str]) -> str | None:
    """English for a place or organisation name whose words all have a dictionary headword (else None)."""
    table = _arabic_to_english()
    countries = _countries()
    phrase = " ".join(name_words)
    if phrase in countries:
        return countries[phrase]
    english = table.get(phrase, "")
    if len(name_words) == 1 and len(english) > 3 and english.isalpha() and not _is_common_noun(name_words[0]):
        return english.title()
    return None


def _is_common_noun(word: str) -> bool:
    return word.startswith("ال") and word[2:] in _common_words()


def _non_overlapping(spans: Iterable[Span]) -> list[Span]:
    chosen: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if all(s.end <= c.start or s.start >= c.end for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)


# ----------------------------------------------------------------------------- dates and numbers
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _dates(sentence: str, published: date | None) -> list[Span]:
    out = []
    for m in find_dates(sentence, 0, DateContext(published=published)):
        start, text = m.start, m.text
        lead = re.match(r"(?:في|فى)\s+", text)
        if lead:
            start, text = start + lead.end(), text[lead.end():]
        out.append(Span(DATE, start, m.end, text, _date_en(m.norm, text), "date"))
    return out


def _date_en(norm: str | None, text: str) -> str | None:
    if not norm:
        return None
    parts = norm.split("-")
    try:
        if len(parts) == 3:
            d = date(int(parts[0]), int(parts[1]), int(parts[2]))
            day = f"{_WEEKDAYS_EN[d.weekday()]} " if any(fold(w) in fold(text) for w in _AR_WEEKDAYS) else ""
            return f"{day}{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
        if len(parts) == 2:
            return f"{_MONTHS_EN[int(parts[1]) - 1]} {parts[0]}"
        return parts[0]
    except (ValueError, IndexError):
        return None


_AR_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")


def _numbers(sentence: str) -> list[Span]:
    out = []
    for n in find_numbers(sentence, include_all=True):
        if n.kind in ("year", "date", "time", "ordinal"):
            continue
        en = f"{n.value:,}" + ("%" if n.kind == "percent" else "")
        out.append(Span(NUMBER, n.start, n.end, n.text, en, "number"))
    return out
