"""The Claims tab chart: each actor's figures for one kind of count, side by side, as HTML bars.

Why a chart at all: the point of claim extraction is to show that the coalition's
admissions and monitors' estimates differ by a factor, which a table hides.

Why HTML rather than an image: the browser shapes Arabic and lays out right-to-left text,
wraps a long title or actor name instead of cutting it off, and the same names as the tables
(ui.web_text) can be shown in either interface language; a plotting library draws Arabic
letters unjoined and left-to-right and clips text at a fixed figure size. Bar lengths switch
to a log scale when figures span more than a factor of 20 (said under the chart), so a
7,595 next to a 35 still leaves both visible.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from khabar.vocabulary import Gazetteer
from ui import web_text as T
from ui.web_render import bdi, esc

STANCE_COLOURS = {"admitted": "#1565c0", "estimated": "#c62828", "confirmed": "#00838f", "reported": "#757575",
                  "announced": "#2e7d32", "stated": "#6a1b9a", "denied": "#ef6c00"}
LOG_SPREAD = 20  # figures further apart than this factor are drawn on a log scale
MIN_WIDTH = 1.5  # percent: the smallest bar stays visible


def actor_label(claim: Mapping[str, Any], lang: str = "en") -> str:
    """The actor's name in the interface language: English name or gazetteer Arabic name, else as written."""
    if lang == "ar":
        actor_id = claim.get("actor_id")
        if actor_id:
            try:
                return Gazetteer.load().actor(str(actor_id)).ar[0]
            except (KeyError, IndexError):
                pass
        if claim.get("actor"):
            return str(claim["actor"])
    return str(claim.get("actor_en") or claim.get("actor") or claim.get("actor_id") or T.tr("unknown_actor", lang))


def pick_category(claims: Sequence[Mapping[str, Any]], preferred: str = "civilians_killed") -> str | None:
    """The category to chart: `preferred` when present, else any '*killed' one, else the most common."""
    whats = [str(c.get("what")) for c in claims if c.get("what")]
    if not whats:
        return None
    if preferred in whats:
        return preferred
    killed = [w for w in whats if "killed" in w]
    pool = killed or whats
    return max(set(pool), key=pool.count)


def figures_by_actor(claims: Sequence[Mapping[str, Any]], what: str, lang: str = "en") -> dict[str, dict[str, int]]:
    """actor label -> stance -> largest figure among the given claims of category `what`.

    The caller chooses the sections (the UI's default leaves out sidebar headlines of other stories).
    """
    out: dict[str, dict[str, int]] = {}
    for c in claims:
        if c.get("what") != what:
            continue
        try:
            value = int(c["value"])
        except (KeyError, TypeError, ValueError):
            continue
        per = out.setdefault(actor_label(c, lang), {})
        stance = str(c.get("stance") or "reported")
        per[stance] = max(per.get(stance, 0), value)
    return out


def bar_widths(values: Sequence[int]) -> tuple[list[float], bool]:
    """Bar lengths in percent of the track, and whether they are on a log scale."""
    top = max(values, default=0)
    if top <= 0:
        return [MIN_WIDTH for _ in values], False
    positive = [v for v in values if v > 0]
    log = bool(positive) and top / min(positive) > LOG_SPREAD
    if log:
        widths = [100 * math.log10(1 + max(v, 0)) / math.log10(1 + top) for v in values]
    else:
        widths = [100 * max(v, 0) / top for v in values]
    return [round(max(MIN_WIDTH, w), 1) for w in widths], log


def claims_chart(claims: Sequence[Mapping[str, Any]], what: str | None = None, lang: str = "en") -> str:
    """Horizontal bars of figures by actor (one per actor and stance, largest first), a legend; a plain note when empty."""
    lang = T.lang_of_ui(lang)
    block = ' dir="rtl" lang="ar"' if lang == "ar" else ' dir="ltr" lang="en"'
    what = what or pick_category(claims)
    data = figures_by_actor(claims, what, lang) if what else {}
    if not data:
        return f'<div class="khabar-chart khabar-empty"{block}>{esc(T.tr("chart_empty", lang))}</div>'
    bars = sorted(((actor, stance, v) for actor, per in data.items() for stance, v in per.items()),
                  key=lambda b: (-b[2], b[0]))
    widths, log = bar_widths([v for _, _, v in bars])
    rows = []
    for (actor, stance, value), width in zip(bars, widths):
        colour = STANCE_COLOURS.get(stance, "#757575")
        rows.append(
            f'<div class="khabar-bar-row" data-stance="{esc(stance)}" data-value="{value}">'
            f'<div class="khabar-bar-label">{bdi(actor)} <span class="khabar-meta">{esc(T.stance_name(stance, lang))}</span></div>'
            f'<div class="khabar-bar-track" data-width="{width}"><span class="khabar-bar" '
            f'style="inline-size:calc((100% - 5em) * {width / 100:.3f});background:{colour}"></span>'
            f'<bdi class="khabar-bar-value">{value:,}</bdi></div></div>')
    stances = sorted({s for _, s, _ in bars})
    legend = "".join(f'<span class="khabar-legend-item"><span class="khabar-swatch" '
                     f'style="background:{STANCE_COLOURS.get(s, "#757575")}"></span>{esc(T.stance_name(s, lang))}</span>'
                     for s in stances)
    scale = f'<div class="khabar-meta khabar-chart-scale">{esc(T.tr("chart_log", lang))}</div>' if log else ""
    title = T.tr("chart_title", lang, what=T.what_name(what, lang))
    return (f'<div class="khabar-chart"{block} data-what="{esc(what)}" data-scale="{"log" if log else "linear"}">'
            f'<div class="khabar-chart-title">{esc(title)}</div>{"".join(rows)}'
            f'<div class="khabar-legend">{legend}</div>{scale}</div>')


def timeline_chart(points: Sequence[Mapping[str, Any]], what: str | None = None, lang: str = "en") -> str:
    """One actor's figures over time, oldest first (`khabar.service.claims_timeline` rows), as HTML bars.

    Each row says where its date comes from (stated in the sentence, or the article's publication
    date); figures with no known date are listed last as "date not stated", never placed on a guessed
    date. Empty when fewer than two figures of the category remain: one figure is not a timeline.
    """
    lang = T.lang_of_ui(lang)
    block = ' dir="rtl" lang="ar"' if lang == "ar" else ' dir="ltr" lang="en"'
    what = what or pick_category(points)
    rows = [p for p in points if p.get("what") == what and isinstance(p.get("value"), (int, float))]
    if len(rows) < 2:
        return ""
    widths, log = bar_widths([int(p["value"]) for p in rows])
    out = []
    for p, width in zip(rows, widths):
        stance = str(p.get("stance") or "reported")
        source = {"sentence": "timeline_stated", "published": "timeline_published"}.get(str(p.get("date_source")))
        day = f'{esc(str(p["date"]))} <span class="khabar-meta">{esc(T.tr(source, lang))}</span>' if p.get("date") and source \
            else esc(T.tr("timeline_undated", lang))
        out.append(
            f'<div class="khabar-bar-row" data-date="{esc(str(p.get("date") or ""))}" data-value="{int(p["value"])}">'
            f'<div class="khabar-bar-label">{day}</div>'
            f'<div class="khabar-bar-track" data-width="{width}"><span class="khabar-bar" '
            f'style="inline-size:calc((100% - 5em) * {width / 100:.3f});background:{STANCE_COLOURS.get(stance, "#757575")}">'
            f'</span><bdi class="khabar-bar-value">{int(p["value"]):,}</bdi></div></div>')
    scale = f'<div class="khabar-meta khabar-chart-scale">{esc(T.tr("chart_log", lang))}</div>' if log else ""
    title = T.tr("timeline_title", lang, actor=actor_label(rows[0], lang), what=T.what_name(what, lang))
    return (f'<div class="khabar-chart khabar-timeline"{block} data-what="{esc(what)}">'
            f'<div class="khabar-chart-title">{esc(title)}</div>{"".join(out)}{scale}</div>')
