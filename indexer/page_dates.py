"""Calendar dates as pages print them: "8th, February 2024", "21 / كانون الثاني / 2018", 2017/12/02.

Used by cleaning (the page's date line) and by site furniture (a date line is never cut as
furniture: a run of pages from one site published on one day all print that day).
"""
from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from indexer.dedup import folded_key, line_key
from khabar.arabic import fold
from khabar.dates import ALL_MONTHS

_MONTHS = ALL_MONTHS
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_M = rf"(?P<{{g}}>{_MONTH_ALT})"
_SEP = r"(?:\s*[-/]\s*|\.)"  # 2017/12/02, 02 / 12 / 2017 (scraped text spaces out slashes), 02.12.2017
_DATE_PATTERNS = [
    re.compile(rf"(?<!\d)(?P<y>\d{{4}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<d>\d{{1,2}})(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}})(?!\d)"),
    # 8th, February 2024 / 8 شباط (فبراير) 2024 / 21 / كانون الثاني / 2018
    re.compile(
        r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*[,/-]?\s*" + _M.format(g="mn")
        + r"(?:\s*[(/-]\s*(?:" + _MONTH_ALT + r")\s*\)?)?\s*[,،/-]?\s*(?P<y>\d{4})(?!\d)"
    ),
    # February 8, 2024 / شباط 8، 2024
    re.compile(_M.format(g="mn") + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\s*[,،]?\s*(?P<y>\d{4})(?!\d)"),
]
_WEEKDAYS = frozenset(line_key(w) for w in (
    "السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة saturday sunday monday tuesday "
    "wednesday thursday friday sat sun mon tue wed thu fri gmt utc am pm ص م الساعة").split())


class DateMatch(NamedTuple):
    iso: str
    start: int
    end: int


def find_date(folded: str) -> DateMatch | None:
    """First valid date in already-folded text (offsets index into it)."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(folded):
            groups = match.groupdict()
            month = int(groups["m"]) if groups.get("m") else _MONTHS.get(groups["mn"])
            try:
                value = date(int(groups["y"]), month or 0, int(groups["d"]))
            except ValueError:
                continue
            if 1900 <= value.year <= 2100:
                return DateMatch(value.isoformat(), match.start(), match.end())
    return None


def parse_date(text: str | None) -> str | None:
    """First calendar date written in `text` as ISO YYYY-MM-DD, or None.

    Understands ISO dates (also with a time), D/M/YYYY (Arab convention: day first),
    "8th, February 2024", "February 8, 2024" and Arabic month names in the Egyptian,
    Levantine (شباط, كانون الثاني) and Maghrebi (فيفري, جوان) series.
    """
    if not text:
        return None
    found = find_date(fold(text))
    return found.iso if found else None


def standalone_date(folded: str) -> str | None:
    """The date if the line is nothing but a date (plus weekday/time words), else None."""
    if len(folded.split()) > 12 or not any(ch.isdigit() for ch in folded):
        return None
    found = find_date(folded)
    if not found:
        return None
    rest = folded_key(folded[: found.start] + " " + folded[found.end :])
    leftover = [w for w in rest.split() if w not in _WEEKDAYS and not w.isdigit()]
    return found.iso if not leftover else None
