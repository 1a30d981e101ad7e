"""The Claims tab chart: each actor's figures for one kind of count, side by side.

Why a chart at all: the point of claim extraction is to show that the coalition's
admissions and monitors' estimates differ by a factor, which a table hides. Labels
use English actor names (`actor_en`) because matplotlib draws Arabic unshaped and
left-to-right; a log scale kicks in when figures span more than a factor of 20.
"""
from __future__ import annotations

import html
from typing import Any, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display in a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STANCE_COLOURS = {"admitted": "#1565c0", "estimated": "#c62828", "reported": "#757575", "announced": "#2e7d32",
                  "stated": "#6a1b9a", "denied": "#ef6c00"}


def actor_label(claim: Mapping[str, Any]) -> str:
    """An ASCII-safe label: English name, else gazetteer id, else 'unattributed'."""
    return str(claim.get("actor_en") or claim.get("actor_id") or "unattributed")


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


def figures_by_actor(claims: Sequence[Mapping[str, Any]], what: str) -> dict[str, dict[str, int]]:
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
        per = out.setdefault(actor_label(c), {})
        stance = str(c.get("stance") or "reported")
        per[stance] = max(per.get(stance, 0), value)
    return out


def claims_chart(claims: Sequence[Mapping[str, Any]], what: str | None = None) -> Figure:
    """A horizontal bar chart of figures by actor (one bar per actor and stance); an explanatory blank when empty."""
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    what = what or pick_category(claims)
    data = figures_by_actor(claims, what) if what else {}
    if not data:
        ax.text(0.5, 0.5, "No figures to chart for these filters", ha="center", va="center", fontsize=12, color="#666")
        ax.set_axis_off()
        fig.tight_layout()
        plt.close(fig)
        return fig
    bars: list[tuple[str, str, int]] = [(actor, stance, v) for actor, per in data.items() for stance, v in per.items()]
    bars.sort(key=lambda b: b[2])
    labels = [f"{a} ({s})" for a, s, _ in bars]
    values = [v for _, _, v in bars]
    colours = [STANCE_COLOURS.get(s, "#757575") for _, s, _ in bars]
    ax.barh(range(len(bars)), values, color=colours)
    ax.set_yticks(range(len(bars)), labels)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,}", va="center", fontsize=9)
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) > 20:
        ax.set_xscale("log")
        ax.set_xlabel("figure (log scale)")
    else:
        ax.set_xlabel("figure")
    ax.set_title(f"{str(what).replace('_', ' ')}: highest figure per actor and stance")
    ax.margins(x=0.15)
    fig.tight_layout()
    plt.close(fig)  # Gradio renders the Figure object itself; don't keep pyplot state growing
    return fig


def timeline_chart(points: Sequence[Mapping[str, Any]], what: str | None = None) -> str:
    """One actor's figures over time as HTML bars, oldest first (`khabar.service.claims_timeline` rows).

    HTML, not an image, because the date column and the Arabic quote beside each figure must be
    shaped and laid out by the browser. Each bar says where its date comes from (stated in the
    sentence, or the article's publication date); figures whose date is unknown are listed under
    "date not stated" rather than placed on a guessed date. Empty string when there is nothing to draw.
    """
    what = what or pick_category(points)
    rows = [p for p in points if p.get("what") == what and isinstance(p.get("value"), (int, float))]
    if len(rows) < 2:
        return ""
    top = max(float(p["value"]) for p in rows) or 1.0
    out = [f'<div class="khabar-timeline"><div><b>{html.escape(actor_label(rows[0]))}: '
           f'{html.escape(str(what).replace("_", " "))} over time</b></div>']
    for p in rows:
        day = p.get("date") or "date not stated"
        source = {"sentence": "stated", "published": "published"}.get(str(p.get("date_source")), "")
        width = max(1.5, 100.0 * float(p["value"]) / top)
        colour = STANCE_COLOURS.get(str(p.get("stance") or "reported"), "#757575")
        out.append(
            '<div style="display:flex;align-items:center;gap:8px;margin:2px 0">'
            f'<span style="width:11em;flex:none">{html.escape(day)}'
            f'{f" <small>({source})</small>" if source else ""}</span>'
            f'<span style="flex:1"><span style="display:inline-block;height:12px;width:{width:.1f}%;'
            f'background:{colour}"></span> {float(p["value"]):,.0f}</span>'
            f'<bdi dir="rtl" style="flex:2;font-size:90%">{html.escape(str(p.get("sentence", ""))[:120])}</bdi></div>')
    out.append("</div>")
    return "".join(out)
