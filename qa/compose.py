"""Answer wording: figures, qualifiers and actors rendered in English or Arabic.

Everything here only *re-phrases* evidence: every number printed comes from a Claim's
`value`, every qualifier from its `qualifier`, every actor from its `actor_id` /
`actor` / `actor_en`. English gets thousands separators (1,257); Arabic keeps the
digits as the sources write them (1257). Citation highlights are built by escaping the
source text and inserting <mark> at known offsets, never by formatting user text as HTML.
"""
from __future__ import annotations

import html
import re

from khabar.models import Claim

QUALIFIER_EN = {"exact": "", "more_than": "more than ", "at_least": "at least ", "about": "about ",
                "up_to": "up to ", "less_than": "fewer than "}
QUALIFIER_AR = {"exact": "", "more_than": "أكثر من ", "at_least": "ما لا يقل عن ", "about": "نحو ",
                "up_to": "ما يصل إلى ", "less_than": "أقل من "}
NOUN_EN = {"civilians_killed": "civilians", "people_killed": "people", "injured": "people", "air_strikes": "strikes",
           "civilians_injured": "civilians", "children_killed": "children", "women_killed": "women",
           "soldiers_killed": "soldiers", "fighters_killed": "fighters", "journalists_killed": "journalists"}
UNIT_AR = {"civilians_killed": "مدنيا", "people_killed": "شخصا", "injured": "شخصا", "air_strikes": "غارة",
           "civilians_injured": "مدنيا", "children_killed": "طفلا", "soldiers_killed": "جنديا"}
KILLED = {"civilians_killed", "people_killed", "children_killed", "women_killed", "soldiers_killed", "fighters_killed",
          "journalists_killed"}
INJURED = {"injured", "civilians_injured", "children_injured", "soldiers_injured"}
STANCE_AR = {"admitted": "اعتراف", "estimated": "تقدير", "denied": "نفي", "announced": "إعلان",
             "reported": "رواية", "stated": "تصريح"}


def number_en(value: float) -> str:
    """Digits with thousands separators (48,000); billions as "23.1 billion"; decimals as written (0.87)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    n = int(value)
    if abs(n) >= 1_000_000_000 and n % 100_000_000 == 0:
        return f"{n / 1_000_000_000:,.1f}".replace(".0", "") + " billion"
    return f"{n:,}"


def number_ar(value: float) -> str:
    """The figure in digits as Arabic sources write them (1257, 23.1 مليار)."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4f}".rstrip("0").rstrip(".")
    n = int(value)
    if abs(n) >= 1_000_000_000 and n % 100_000_000 == 0:
        return f"{n / 1_000_000_000:.1f}".replace(".0", "") + " مليار"
    return str(n)


def figure_en(claim: Claim) -> str:
    return f"{QUALIFIER_EN.get(claim.qualifier, '')}{number_en(claim.value)}"


def figure_ar(claim: Claim) -> str:
    return f"{QUALIFIER_AR.get(claim.qualifier, '')}{number_ar(claim.value)}"


def noun_en(claim: Claim) -> str:
    """What the figure counts, in English: the casualty noun, the claim's English label, unit or currency."""
    if claim.what in NOUN_EN:
        return NOUN_EN[claim.what]
    kind = getattr(claim, "kind", None)
    unit = getattr(claim, "unit", None)
    if kind == "percent" or unit == "%" or claim.what.startswith("percent"):
        return "%"
    what_en = getattr(claim, "what_en", None)
    if what_en:
        return re.sub(r"\s*\(.*?\)", "", what_en).strip()  # "people (no event stated)" -> "people"
    if claim.what.startswith("money_"):
        return claim.what[len("money_"):].upper()
    return "" if claim.what == "count" else claim.what.replace("_", " ")


def short_en(claim: Claim) -> str:
    """The bold short answer of an English question: '48,000 soldiers', '3%', '23.1 billion Saudi riyals'."""
    noun = noun_en(claim)
    fig = figure_en(claim)
    if noun == "%":
        return fig + "%"
    return f"{fig} {noun}".strip()


def short_ar(claim: Claim) -> str:
    """The short answer of an Arabic question: the figure as written, with its counted noun."""
    written = (claim.value_text or number_ar(claim.value)).strip()
    noun = (claim.what_ar or "").strip()
    if noun and noun not in written:
        written = f"{written} {noun}"
    return f"{QUALIFIER_AR.get(claim.qualifier, '')}{written}"


def count_en(claim: Claim) -> str:
    """'more than 1,190 civilians killed' / '350 people injured' / '34,000 strikes'."""
    noun = noun_en(claim)
    fig = figure_en(claim)
    if noun == "%":
        return fig + "%"
    if claim.what in KILLED:
        return f"{fig} {noun} killed"
    if claim.what in INJURED:
        return f"{fig} {noun} injured"
    return f"{fig} {noun}".strip()


def clause_en(claim: Claim, actor: str | None, first: bool) -> str:
    """One actor's figure as an English clause ('The coalition admitted killing more than 450 civilians')."""
    fig = figure_en(claim)
    noun = noun_en(claim)
    who = actor or "the report"
    if not first:
        return count_en(claim) if claim.what != "air_strikes" else f"{fig} {noun}"
    if claim.stance == "admitted":
        if claim.what in KILLED:
            return f"{who} admitted killing {fig} {noun}"
        if claim.what in INJURED:
            return f"{who} admitted injuring {fig} {noun}"
        return f"{who} admitted {fig} {noun}"
    if claim.stance == "estimated":
        return f"{who} estimated {count_en(claim)}"
    if claim.stance == "denied":
        return f"{who} denied {count_en(claim)}"
    if claim.stance == "announced":
        return f"{who} announced {count_en(claim)}"
    if actor is None:
        return f"the corpus reports {count_en(claim)}"
    return f"according to {who}, {count_en(claim)}"


def clause_ar(claim: Claim, actor: str | None, first: bool) -> str:
    """The same clause in Arabic (digits unchanged)."""
    fig = figure_ar(claim)
    unit = UNIT_AR.get(claim.what) or (claim.what_ar or "").strip()
    if unit and claim.value_text and unit in claim.value_text:
        unit = ""
    if claim.what in KILLED:
        event = f"مقتل {fig} {unit}"
    elif claim.what in INJURED:
        event = f"إصابة {fig} {unit}"
    else:
        event = f"{fig} {unit}".strip()
    if not first:
        return event
    if actor is None:
        return f"تذكر المصادر {event}"
    if claim.stance == "admitted":
        verb = "بقتل" if claim.what in KILLED else "بـ"
        obj = f"{fig} {unit}" if claim.what in KILLED else event
        return f"اعترف {actor} {verb} {obj}".replace("بـ ", "بـ")
    if claim.stance == "estimated":
        return f"بحسب تقديرات {actor}، {event}"
    if claim.stance == "denied":
        return f"نفى {actor} {event}"
    if claim.stance == "announced":
        return f"{'أعلنت' if feminine(actor) else 'أعلن'} {actor} {event}"
    return f"بحسب {actor}، {event}"


def feminine(name: str) -> bool:
    """Rough agreement for the verb before an Arabic actor: 'الحكومة العراقية' -> أعلنت."""
    first = name.split()[0] if name.split() else ""
    return first.endswith("ة") or first in {"إيروورز", "منظمة", "وزارة"}


def place_en(claim: Claim) -> str:
    if not claim.where_en:
        return ""
    parts = [p.strip() for p in claim.where_en.split(",") if p.strip()]
    return " in " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])


def place_ar(claim: Claim) -> str:
    if not claim.where:
        return ""
    where = claim.where
    return f" {where}" if where.startswith(("في ", "ب", "جنوب", "شمال", "شرق", "غرب")) else f" في {where}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def mark(text: str, start: int, end: int) -> str:
    """HTML-escape `text` and wrap text[start:end] in <mark> (no mark if the span is invalid)."""
    if not (0 <= start < end <= len(text)):
        return html.escape(text)
    return (html.escape(text[:start]) + "<mark>" + html.escape(text[start:end]) + "</mark>"
            + html.escape(text[end:]))
