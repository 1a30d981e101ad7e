"""Dates in Arabic news: the one table of month names, and resolving the date expressions claims carry.

Month names come in series: the transliterated Gregorian names of Egypt and the Gulf
(يناير, with Egyptian يونيه / يوليه beside يونيو / يوليو), the Levantine (كانون الثاني, شباط),
the Maghrebi (جانفي, فيفري) and, for the dates printed in page headers, English. Each user
takes the series its text can contain:

- `ARABIC_MONTHS` (folded, every Arabic series): figures next to a month are dates, not
  counts (`indexer.numbers`), and claim dates (`find_dates`);
- `ALL_MONTHS` (folded, Arabic and English): page-header dates (`indexer.cleaning`);
- `written_month_names()` (as written, without the Maghrebi series): the answer-span rule
  (`qa.extract`) searches raw sentences without word boundaries, where the two- and three-letter
  Maghrebi names (ماي, أوت) would fire inside other words.

`find_dates` resolves relative expressions ("أمس", "الخميس الماضي", "الشهر الماضي",
"الـ12 من الشهر الجاري") against the publication date, and "من الشهر نفسه" against the
last month it resolved, both kept in a `DateContext` per section of a document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from khabar.arabic import fold
from khabar.folding import folded, span_to_original

MASHRIQ, LEVANTINE, MAGHREBI, ENGLISH = "mashriq", "levantine", "maghrebi", "english"
# month -> spellings per series, as written (they are folded where matched on folded text)
MONTH_NAMES: dict[int, dict[str, tuple[str, ...]]] = {
    1: {MASHRIQ: ("يناير",), LEVANTINE: ("كانون الثاني",), MAGHREBI: ("جانفي",), ENGLISH: ("january", "jan")},
    2: {MASHRIQ: ("فبراير",), LEVANTINE: ("شباط",), MAGHREBI: ("فيفري",), ENGLISH: ("february", "feb")},
    3: {MASHRIQ: ("مارس",), LEVANTINE: ("آذار",), ENGLISH: ("march", "mar")},
    4: {MASHRIQ: ("أبريل", "ابريل", "إبريل"), LEVANTINE: ("نيسان",), MAGHREBI: ("أفريل",), ENGLISH: ("april", "apr")},
    5: {MASHRIQ: ("مايو",), LEVANTINE: ("أيار",), MAGHREBI: ("ماي",), ENGLISH: ("may",)},
    6: {MASHRIQ: ("يونيو", "يونيه"), LEVANTINE: ("حزيران",), MAGHREBI: ("جوان",), ENGLISH: ("june", "jun")},
    7: {MASHRIQ: ("يوليو", "يوليه"), LEVANTINE: ("تموز",), MAGHREBI: ("جويلية",), ENGLISH: ("july", "jul")},
    8: {MASHRIQ: ("أغسطس", "اغسطس"), LEVANTINE: ("آب",), MAGHREBI: ("أوت",), ENGLISH: ("august", "aug")},
    9: {MASHRIQ: ("سبتمبر",), LEVANTINE: ("أيلول",), ENGLISH: ("september", "sep", "sept")},
    10: {MASHRIQ: ("أكتوبر", "اكتوبر"), LEVANTINE: ("تشرين الأول",), ENGLISH: ("october", "oct")},
    11: {MASHRIQ: ("نوفمبر",), LEVANTINE: ("تشرين الثاني",), ENGLISH: ("november", "nov")},
    12: {MASHRIQ: ("ديسمبر",), LEVANTINE: ("كانون الأول",), ENGLISH: ("december", "dec")},
}


def _folded_table(series: tuple[str, ...]) -> dict[str, int]:
    """Folded spelling -> month number for the given series."""
    return {fold(name): month for month, names in MONTH_NAMES.items()
            for s in series for name in names.get(s, ())}


ARABIC_MONTHS: dict[str, int] = _folded_table((MASHRIQ, LEVANTINE, MAGHREBI))
# Hijri months (folded): a day before one is a date ("15 شوال"), never a count. صفر is left out: it is
# also "zero" in scores. Hijri dates are not converted (`find_dates` leaves them unnormalised).
HIJRI_MONTHS: dict[str, int] = {fold(name): month for month, names in {
    1: ("محرم",), 3: ("ربيع الأول", "ربيع الاول"), 4: ("ربيع الآخر", "ربيع الثاني"), 5: ("جمادى الأولى", "جمادى الاولى"),
    6: ("جمادى الآخرة", "جمادى الثانية"), 7: ("رجب",), 8: ("شعبان",), 9: ("رمضان",), 10: ("شوال",),
    11: ("ذو القعدة", "ذي القعدة"), 12: ("ذو الحجة", "ذي الحجة")}.items() for name in names}
ALL_MONTHS: dict[str, int] = _folded_table((MASHRIQ, LEVANTINE, MAGHREBI, ENGLISH))


def written_month_names() -> list[str]:
    """Month names as Arabic text writes them (hamza forms kept), Mashriq and Levantine series."""
    return [name for names in MONTH_NAMES.values() for s in (MASHRIQ, LEVANTINE) for name in names.get(s, ())]


@dataclass
class DateContext:
    """What resolves relative dates inside one section: its publication date and the last month named."""

    published: date | None = None
    month: tuple[int, int] | None = None  # last resolved (year, month), for "من الشهر نفسه"


class DateMention(NamedTuple):
    """A date expression as written (offsets into the text given to `find_dates`) and its ISO form, if known."""

    start: int
    end: int
    text: str
    norm: str | None  # YYYY-MM-DD, YYYY-MM or YYYY; None when the text does not pin it down


_MONTH_ALT = "|".join(sorted((re.escape(m).replace(r"\ ", r"\s+") for m in ARABIC_MONTHS), key=len, reverse=True))
_DAY = r"(?:ال\s?)?(?P<d>\d{1,2})"
_WHEN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("numeric", re.compile(r"(?P<d>\d{1,2})[-/.](?P<mo>\d{1,2})[-/.](?P<y>\d{4})")),
    ("day_month", re.compile(
        rf"(?:في\s+)?{_DAY}\s+(?:من\s+)?(?:شهر\s+)?(?P<m>{_MONTH_ALT})(?![^\W_])(?:\s*\([^)]{{1,20}}\))?"
        rf"(?:\s+(?:من\s+)?(?:عام\s+|العام\s+)?(?P<y>\d{{4}}))?(?:\s+(?P<rel>الماضي|الفايت|المقبل|الجاري|الحالي))?")),
    ("day_rel", re.compile(
        rf"(?:في\s+)?{_DAY}\s+من\s+(?:هذا\s+)?الشهر\s+(?P<rel>الجاري|الحالي|الماضي|الفايت|المنصرم|نفسه|ذاته)")),
    ("month_year", re.compile(
        rf"(?:في\s+)?(?:شهر\s+)?(?<![^\W_])(?P<m>{_MONTH_ALT})\s+(?:من\s+)?(?:عام\s+|العام\s+)?(?P<y>\d{{4}})")),
    ("year", re.compile(r"(?:منذ\s+)?(?<![^\W_])(?:عام|العام|سنه|لعام)\s+(?P<y>\d{4})")),
    ("weekday", re.compile(
        r"(?<![^\W_])(?:(?P<today>اليوم)\s+|يوم\s+)?(?P<wd>السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه)"
        r"(?:\s+(?P<rel>الماضي|المقبل))?(?![^\W_])")),
    ("relative", re.compile(
        r"(?<![^\W_])(?:(?P<yesterday>(?:يوم\s+)?امس)|(?P<today>اليوم)"
        r"|(?:(?:بدايه|مطلع|اوايل|منتصف|نهايه|اواخر)\s+)?(?P<unit>الشهر|العام)\s+(?P<rel>الماضي|الجاري|الحالي|الفايت)"
        r"|(?P<vague>قبل\s+ايام))(?![^\W_])")),
]
_WEEKDAYS = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6}


def find_dates(unit: str, offset: int, ctx: DateContext) -> list[DateMention]:
    """Date expressions in `unit` (longest first where they overlap), resolved against `ctx`; offsets + `offset`."""
    ft, index = folded(unit)
    spans: list[tuple[int, int, str, re.Match[str]]] = []
    for kind, pattern in _WHEN_PATTERNS:
        for m in pattern.finditer(ft):
            spans.append((m.start(), m.end(), kind, m))
    chosen: list[tuple[int, int, str, re.Match[str]]] = []
    for s in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(s[1] <= c[0] or s[0] >= c[1] for c in chosen):
            chosen.append(s)
    out = []
    for fs, fe, kind, m in sorted(chosen):
        a, b = span_to_original(index, fs, fe, unit)
        out.append(DateMention(a + offset, b + offset, unit[a:b], _normalise(kind, m, ctx)))
    return out


def _normalise(kind: str, m: re.Match[str], ctx: DateContext) -> str | None:
    """ISO date / YYYY-MM / YYYY for a date expression, using the publication date for relative ones."""
    pub = ctx.published
    g = m.groupdict()
    try:
        if kind == "numeric":
            d, mo, y = int(g["d"]), int(g["mo"]), int(g["y"])
            return _remember(ctx, date(y, mo, d).isoformat())
        if kind == "year":
            return g["y"]
        if kind == "month_year":
            return _remember(ctx, f"{int(g['y']):04d}-{_month(g['m']):02d}")
        if kind == "day_month":
            d, mo = int(g["d"]), _month(g["m"])
            if g.get("y"):
                return _remember(ctx, date(int(g["y"]), mo, d).isoformat())
            if pub is None:
                return None
            y = pub.year
            if g.get("rel") == "المقبل":
                y += 1 if (mo, d) < (pub.month, pub.day) else 0
            elif (mo, d) > (pub.month, pub.day):
                y -= 1
            return _remember(ctx, date(y, mo, d).isoformat())
        if kind == "day_rel":
            d, rel = int(g["d"]), g["rel"]
            if rel in ("نفسه", "ذاته"):
                if ctx.month is None:
                    return None
                y, mo = ctx.month
            elif pub is None:
                return None
            elif rel in ("الجاري", "الحالي"):
                y, mo = pub.year, pub.month
            else:
                y, mo = _previous_month(pub)
            return _remember(ctx, date(y, mo, d).isoformat())
        if pub is None:
            return None
        if kind == "weekday":
            wd = _WEEKDAYS[g["wd"]]
            if g.get("today"):
                return pub.isoformat()
            back = (pub.weekday() - wd) % 7
            if g.get("rel") == "الماضي" and back == 0:
                back = 7
            if g.get("rel") == "المقبل":
                return (pub + timedelta(days=(wd - pub.weekday()) % 7 or 7)).isoformat()
            return (pub - timedelta(days=back)).isoformat()
        if kind == "relative":
            if g.get("yesterday"):
                return (pub - timedelta(days=1)).isoformat()
            if g.get("today"):
                return pub.isoformat()
            if g.get("vague"):
                return None
            if g["unit"] == "الشهر":
                y, mo = _previous_month(pub) if g["rel"] in ("الماضي", "الفايت") else (pub.year, pub.month)
                return _remember(ctx, f"{y:04d}-{mo:02d}")
            return str(pub.year - 1 if g["rel"] in ("الماضي", "الفايت") else pub.year)
    except (ValueError, KeyError, TypeError):
        return None  # "31 فبراير" or an unknown month: keep the text, no normalised date
    return None


def _remember(ctx: DateContext, iso: str) -> str:
    ctx.month = (int(iso[:4]), int(iso[5:7]))
    return iso


def _month(name: str) -> int:
    return ARABIC_MONTHS[" ".join(name.split())]


def _previous_month(d: date) -> tuple[int, int]:
    return (d.year - 1, 12) if d.month == 1 else (d.year, d.month - 1)


def parse_iso_date(value: str | None) -> date | None:
    """The calendar date at the start of an ISO string (YYYY-MM-DD...), or None."""
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
