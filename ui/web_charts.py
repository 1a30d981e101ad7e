"""The Claims tab chart: each actor's figures for one kind of count, side by side.

Why a chart at all: the point of claim extraction is to show that the coalition's
admissions and monitors' estimates differ by a factor, which a table hides. Labels
use English actor names (`actor_en`) because matplotlib draws Arabic unshaped and
left-to-right; a log scale kicks in when figures span more than a factor of 20.
"""
from __future__ import annotations

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
