"""HTML for the browser UI: answers with citations, search result cards, reports.

Over 400 lines for a reason: every piece of HTML the page shows is built here, so that the
escaping rule below is enforced (and tested) in one module; the page's CSS is here too.

Why a separate module with no Gradio import: everything shown in the page passes
through these functions, so the one security rule of the UI - article and user text
is always escaped, only our own markup is HTML - can be unit-tested in milliseconds
(tests/unit/test_web_render.py). Two inputs arrive already escaped by the search layer:
`Hit.highlight` and a citation's `highlight` (escaped text plus `<mark>`); every
other string goes through `esc()`.

Bidi: Arabic blocks carry `dir="rtl" lang="ar"`; metadata values that may be in the
other script (titles, sources, actor names, figures, dates) are wrapped in `<bdi>` so
a Latin name or a number never reorders the Arabic around it. Answer text isolates quotes,
citation markers and runs of the other script (`answer_text`); file paths and URLs are
left-to-right islands (`ltr_code`). Words come from `ui.web_text` in the page's languages.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping, Sequence

from khabar.arabic import ascii_digits
from ui import web_text as T

ARABIC_FONTS = '"Noto Naskh Arabic", "Noto Sans Arabic", "Amiri", "Arial", sans-serif'
# For boxes that hold either script (inputs, tables): a Latin sans first, Arabic faces as fallback.
MIXED_FONTS = '"Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Amiri", "Arial", sans-serif'

CSS = f"""
.khabar-ar, [lang="ar"] {{ font-family: {ARABIC_FONTS}; line-height: 1.9; }}
.khabar-answer {{ border: 1px solid var(--border-color-primary, #ddd); border-radius: 10px; padding: 12px 16px;
  margin: 10px 0; background: var(--background-fill-primary, #fff); }}
.khabar-q {{ font-weight: 600; margin: 14px 0 4px; color: var(--body-text-color, #222); }}
.khabar-direct {{ font-size: 1.1em; margin: 6px 0 10px; }}
.khabar-abstain {{ border-left: 4px solid #d9822b; padding-left: 10px; }}
.khabar-abstain[dir="rtl"] {{ border-left: none; border-right: 4px solid #d9822b; padding-left: 0; padding-right: 10px; }}
.khabar-meta {{ color: var(--body-text-color-subdued, #666); font-size: 0.85em; }}
.khabar-cites {{ margin: 6px 0; padding: 0; list-style: none; }}
.khabar-cites li {{ margin: 4px 0; }}
.khabar-cites details summary {{ cursor: pointer; }}
.khabar-quote {{ margin: 6px 0; padding: 8px 12px; background: var(--background-fill-secondary, #f6f6f6);
  border-radius: 6px; }}
.khabar-context {{ color: var(--body-text-color-subdued, #555); }}
.khabar-context .khabar-passage {{ color: var(--body-text-color, #111); background: rgba(255, 230, 0, .12); }}
.khabar-quote mark {{ background: #ffe082; color: #000; }}
mark.khabar-fig {{ background: #ffd54f; color: #000; font-weight: 700; padding: 0 2px; border-radius: 3px; }}
.khabar-claims {{ border-collapse: collapse; margin: 8px 0; font-size: 0.9em; }}
.khabar-claims th, .khabar-claims td {{ border: 1px solid var(--border-color-primary, #ddd); padding: 3px 8px; }}
.khabar-claims td.num {{ text-align: end; font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }}
.khabar-chip, .khabar-chip * {{ unicode-bidi: plaintext; }}
.khabar-conflict {{ color: #b71c1c; font-weight: 600; margin: 4px 0; }}
.khabar-card {{ border: 1px solid var(--border-color-primary, #ddd); border-radius: 8px; padding: 10px 14px;
  margin: 8px 0; }}
.khabar-card .khabar-title {{ font-weight: 600; }}
.khabar-card mark {{ background: #fff176; color: #000; }}
.khabar-badge {{ display: inline-block; font-size: 0.75em; padding: 0 6px; margin: 0 2px; border-radius: 8px;
  background: #e3f2fd; color: #0d47a1; }}
.khabar-badge.semantic {{ background: #ede7f6; color: #4527a0; }}
.khabar-empty {{ color: var(--body-text-color-subdued, #666); font-style: italic; padding: 10px 0; }}
.khabar-error {{ color: #b71c1c; padding: 8px 0; }}
.khabar-report ul {{ margin: 2px 0 6px 18px; }}
.khabar-stats, .khabar-stats tr, .khabar-stats td {{ border: none !important; background: transparent !important; }}
.khabar-stats {{ border-collapse: collapse; margin: 6px 0; width: auto !important; }}
.khabar-stats td {{ padding: 2px 14px 2px 0 !important; border-bottom: 1px solid var(--border-color-primary, #eee) !important; }}
.khabar-bidi-table td, .khabar-bidi-table th, .khabar-bidi-table td *, .khabar-bidi-table .cell-wrap,
.khabar-bidi-table .cell-wrap * {{ unicode-bidi: plaintext; text-align: start; font-family: {MIXED_FONTS} !important; }}
code.khabar-path {{ unicode-bidi: isolate; direction: ltr; }}
.khabar-ref {{ white-space: nowrap; }}
.khabar-chart {{ padding: 4px 0 8px; }}
.khabar-chart-title {{ font-weight: 600; margin: 4px 0 10px; overflow-wrap: anywhere; }}
.khabar-bar-row {{ display: grid; grid-template-columns: minmax(9em, 38%) 1fr; gap: 10px; align-items: center;
  margin: 5px 0; }}
.khabar-bar-label {{ text-align: end; overflow-wrap: anywhere; font-size: 0.92em; }}
.khabar-bar-track {{ display: flex; align-items: center; gap: 6px; min-inline-size: 0; }}
.khabar-bar {{ display: inline-block; block-size: 1.3em; border-radius: 3px; flex: none; }}
.khabar-bar-value {{ font-variant-numeric: tabular-nums; font-size: 0.9em; white-space: nowrap; }}
.khabar-legend {{ margin-top: 8px; font-size: 0.85em; }}
.khabar-legend-item {{ margin-inline-end: 14px; white-space: nowrap; }}
.khabar-swatch {{ display: inline-block; inline-size: 0.9em; block-size: 0.9em; border-radius: 2px; margin-inline-end: 4px;
  vertical-align: middle; }}
#ask-question textarea, #search-query textarea, #paste-text textarea, #paste-title textarea {{
  unicode-bidi: plaintext; text-align: start; font-family: {MIXED_FONTS}; }}
"""

# Chrome (our own words) in the two UI languages, from the one strings table (ui.web_text).
LABELS: dict[str, dict[str, str]] = {lang: {k: v[i] for k, v in T.TEXT.items()} for i, lang in enumerate(T.LANGS)}


def show_stance(stance: Any, lang: str) -> str:
    return T.stance_name(stance, lang)


def show_qualifier(qualifier: Any, lang: str) -> str:
    return T.qualifier_name(qualifier, lang)


def show_what(what: Any, lang: str) -> str:
    return T.what_name(what, lang)


_ARABIC_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_RE = re.compile(r"[A-Za-z]")
# In already-escaped HTML: skip tags and entities (entities contain digits: &#x27;), match figures.
_FIGURE_IN_HTML = re.compile(r"(<[^>]*>)|(&#?\w+;)|([0-9\u0660-\u0669\u06F0-\u06F9](?:[0-9\u0660-\u0669\u06F0-\u06F9,\u066C.\u066B]*[0-9\u0660-\u0669\u06F0-\u06F9])?)")


def esc(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; None becomes ''."""
    return "" if value is None else html.escape(str(value), quote=True)


def is_arabic(text: str | None) -> bool:
    """Mostly Arabic script (letters only), so the block should read right-to-left."""
    if not text:
        return False
    ar = len(_ARABIC_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return ar > 0 and ar >= latin


def lang_of(text: str | None) -> str:
    return "ar" if is_arabic(text) else "en"


def dir_attrs(text: str | None) -> str:
    """`dir`/`lang` attributes for a block holding `text`."""
    return ' dir="rtl" lang="ar" class="khabar-ar"' if is_arabic(text) else ' dir="ltr"'


def bdi(value: Any) -> str:
    """An isolated, escaped inline value (a name, title or number inside other-script text)."""
    return f"<bdi>{esc(value)}</bdi>" if value not in (None, "") else ""


def to_int(figure: str) -> int | None:
    """'1,257' / '١٢٥٧' / '1257' -> 1257; decimals and junk -> None."""
    plain = ascii_digits(figure).replace(",", "").replace("\u066C", "")
    return int(plain) if plain.isdigit() else None


def mark_figures(escaped_html: str, values: Iterable[int], texts: Iterable[str] = ()) -> str:
    """Wrap figures equal to one of `values` (or written exactly as one of `texts`) in <mark class="khabar-fig">.

    Works on escaped HTML (tags and entities are skipped), so it can decorate the
    search layer's `highlight` without unescaping anything.
    """
    wanted = {int(v) for v in values if v is not None}

    def repl(m: re.Match[str]) -> str:
        if m.group(3) is None:
            return m.group(0)
        figure = m.group(3)
        if to_int(figure) in wanted:
            return f'<mark class="khabar-fig">{figure}</mark>'
        return figure

    out = _FIGURE_IN_HTML.sub(repl, escaped_html)
    for text in texts:  # figures written partly in words ("7 آلاف و595") are marked as written
        if not text or to_int(text) is not None:
            continue
        escaped = esc(text)
        if escaped in out and f">{escaped}<" not in out:
            out = out.replace(escaped, f'<mark class="khabar-fig">{escaped}</mark>', 1)
    return out


def ltr_code(value: Any) -> str:
    """A file path or URL: left-to-right and isolated, so inside Arabic text it does not read `tmp/x.txt/`."""
    return f'<code dir="ltr" class="khabar-path">{esc(value)}</code>'


# In escaped answer text: an entity (kept whole), a «quote», a citation marker [n], or a run of the
# other script (its letters plus the digits, spaces and punctuation between them; an Arabic run
# keeps a figure that follows it: «عام 2014»).
_ARABIC_CHARS = r"\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF"
_ISOLATE = r"(&#?\w+;)|«([^«»]*)»|(\[\d{1,3}\])|"
_ARABIC_RUN_RE = re.compile(_ISOLATE + rf"([{_ARABIC_CHARS}](?:(?:&#?\w+;|[^A-Za-z«»\[\]<>&])*[{_ARABIC_CHARS}0-9])?)")
_LATIN_RUN_RE = re.compile(_ISOLATE + rf"([A-Za-z](?:(?:&#?\w+;|[^{_ARABIC_CHARS}«»\[\]<>&])*[A-Za-z])?)")


def answer_text(text: str, lang: str) -> str:
    """Escaped answer text in `lang` (the answer's language) with bidi isolation: quotes, markers, other-script runs.

    Why: in an English answer, «Arabic sentence» [1] lets the Unicode bidi algorithm pull the
    closing quote and the marker into the Arabic run, which then reads «[1] «…; a Latin name
    inside an Arabic answer does the same the other way. Each quote's content, each [n] and each
    run of the other script becomes a <bdi> with its own direction, so the surrounding sentence
    keeps its order and the quote marks stay where they were written. The block's direction is the
    answer's language, not the majority script: an English answer quoting a long Arabic sentence
    still reads left to right.
    """
    rtl = lang == "ar"
    pattern = _LATIN_RUN_RE if rtl else _ARABIC_RUN_RE

    def repl(m: re.Match[str]) -> str:
        entity, quoted, marker, run = m.groups()
        if entity is not None:
            return entity
        if quoted is not None:
            return f"«<bdi{dir_attrs(html.unescape(quoted))}>{quoted}</bdi>»"
        if marker is not None:
            return f'<bdi dir="ltr" class="khabar-ref">{marker}</bdi>'
        return f'<bdi dir="ltr">{run}</bdi>' if rtl else f'<bdi dir="rtl" lang="ar">{run}</bdi>'

    return pattern.sub(repl, esc(text))


def fmt_int(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return esc(value)


# ----------------------------------------------------------------------------- answers
def render_citation(c: Mapping[str, Any], figures: Sequence[int], lang: str,
                    context: tuple[str, str, str] | None = None, figure_texts: Sequence[str] = ()) -> str:
    """One numbered, expandable citation: title, source, date, link/path; the Arabic passage with figures marked."""
    t = LABELS[lang]
    quote_html = c.get("highlight") or esc(c.get("snippet", ""))
    quote_html = mark_figures(quote_html, figures, figure_texts)
    quote_text = c.get("snippet") or ""
    meta = [bdi(c.get("source")), bdi(c.get("published_at"))]
    link = ""
    if c.get("url") and str(c["url"]).startswith(("http://", "https://")):
        link = f'<a href="{esc(c["url"])}" target="_blank" rel="noopener noreferrer">{esc(t["open"])} ↗</a>'
    elif c.get("path"):
        link = ltr_code(c["path"])
    ctx = ""
    if context is not None:
        before, passage, after = context
        passage_html = mark_figures(esc(passage), figures, figure_texts)
        ctx = (f'<div class="khabar-quote khabar-context"{dir_attrs(passage)}>'
               f"…{esc(before)}<span class=\"khabar-passage\">{passage_html}</span>{esc(after)}…</div>")
    title = c.get("title") or c.get("doc_id") or ""
    return (
        f'<li class="khabar-cite" data-doc-id="{esc(c.get("doc_id"))}" data-n="{esc(c.get("n"))}">'
        f"<details><summary><b>[{esc(c.get('n'))}]</b> <bdi>{esc(title)}</bdi>"
        f' <span class="khabar-meta">{" · ".join(m for m in meta if m)}</span></summary>'
        f'<blockquote class="khabar-quote"{dir_attrs(quote_text)}>{quote_html}</blockquote>'
        f"{ctx}"
        f'<div class="khabar-meta">{esc(t["source"])}: {bdi(c.get("source")) or "—"} · '
        f'{bdi(c.get("doc_id"))} {link}</div>'
        "</details></li>"
    )


def citation_for_claim(claim: Mapping[str, Any], citations: Sequence[Mapping[str, Any]]) -> Any:
    """The number of the citation quoting this claim's sentence (else one from its document showing its figure)."""
    same_doc = [c for c in citations if str(c.get("doc_id")) == str(claim.get("doc_id"))]
    sentence = (claim.get("sentence") or "").strip()
    for c in same_doc:
        snippet = (c.get("snippet") or "").strip()
        if sentence and snippet and (snippet == sentence or snippet in sentence or sentence in snippet):
            return c.get("n")
    value = claim.get("value")
    for c in same_doc:
        if value is not None and re.search(rf"(?<![0-9]){int(value)}(?![0-9])", to_ascii_digits(c.get("snippet") or "")):
            return c.get("n")
    return same_doc[0].get("n") if same_doc else None


def to_ascii_digits(text: str) -> str:
    return ascii_digits(text).replace(",", "")


def claims_table(claims: Sequence[Mapping[str, Any]], lang: str,
                 citations: Sequence[Mapping[str, Any]] = ()) -> str:
    """Figures side by side (who, stance, figure, what, where, when, source [n]) plus a conflict note."""
    if not claims:
        return ""
    t = LABELS[lang]
    head = "".join(f"<th>{esc(t[k])}</th>" for k in ("who", "stance", "figure", "what", "where", "when", "source"))
    rows = []
    for cl in claims:
        who = cl.get("actor_en") if lang == "en" and cl.get("actor_en") else cl.get("actor") or cl.get("actor_en")
        n = citation_for_claim(cl, citations)
        src = f"[{n}]" if n else bdi(cl.get("doc_id"))
        qual = cl.get("qualifier")
        qual_txt = ("" if qual in (None, "exact")
                    else f'<span class="khabar-meta">{esc(show_qualifier(qual, lang))}</span> ')
        rows.append(
            f'<tr data-stance="{esc(cl.get("stance"))}">'
            f"<td>{bdi(who) or esc(t['unknown_actor'])}</td><td>{esc(show_stance(cl.get('stance'), lang))}</td>"
            f'<td class="num">{qual_txt}<bdi>{fmt_int(cl.get("value"))}</bdi></td>'
            f"<td>{esc(show_what(cl.get('what'), lang))}</td><td>{bdi(cl.get('where'))}</td><td>{bdi(cl.get('when'))}</td>"
            f"<td>{src}</td></tr>"
        )
    note = ""
    conflict = figure_spread(claims)
    if conflict:
        ratio, highest = conflict
        per_actor = " · ".join(f"{bdi(actor)} <bdi>{fmt_int(v)}</bdi>" for actor, v in highest)
        times = T.count(float(ratio), "times", lang, shown=ratio)
        note = (f'<div class="khabar-conflict">{esc(t["conflict"].format(times=times))}'
                f' <span class="khabar-meta">({esc(t["highest"])}: {per_actor})</span></div>')
    return (f'<div class="khabar-claims-block"><div class="khabar-meta">{esc(t["claims"])}</div>{note}'
            f'<table class="khabar-claims"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def figure_spread(claims: Sequence[Mapping[str, Any]]) -> tuple[str, list[tuple[str, int]]] | None:
    """When different actors give figures for the same thing that differ by >= 1.5x:
    ('5.8', [(actor, its highest figure), ...] highest first) for the most divergent category; else None.
    """
    by_what: dict[str, dict[str, int]] = {}
    for cl in claims:
        try:
            value = int(cl.get("value"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if value <= 0:
            continue
        actor = str(cl.get("actor_en") or cl.get("actor") or "?")
        per = by_what.setdefault(str(cl.get("what")), {})
        per[actor] = max(per.get(actor, 0), value)
    best, best_per = 0.0, {}
    for per in by_what.values():
        if len(per) >= 2 and max(per.values()) / min(per.values()) > best:
            best, best_per = max(per.values()) / min(per.values()), per
    if best < 1.5:
        return None
    return f"{best:.1f}", sorted(best_per.items(), key=lambda kv: -kv[1])


def context_key(citation: Mapping[str, Any]) -> str:
    """Citations point at a sentence (passage_id may be None): key their context by doc and offsets."""
    return f"{citation.get('doc_id')}:{citation.get('start')}:{citation.get('end')}"


def render_answer(question: str, answer: Mapping[str, Any], contexts: Mapping[str, tuple[str, str, str]] | None = None,
                  figure_texts: Sequence[str] = ()) -> str:
    """One question and its answer: direct answer, claims table, numbered expandable citations, latency.

    `answer` is `qa.Answer.to_dict()`; the chrome follows the question's language.
    """
    lang = "ar" if (answer.get("language") == "ar" or is_arabic(question)) else "en"
    t = LABELS[lang]
    block_dir = ' dir="rtl" lang="ar"' if lang == "ar" else ' dir="ltr" lang="en"'
    figures = [int(c["value"]) for c in answer.get("claims") or [] if isinstance(c.get("value"), (int, float))]
    citations = answer.get("citations") or []
    contexts = contexts or {}
    parts = [f'<div class="khabar-q"{dir_attrs(question)}>{esc(question)}</div>']
    answerable = bool(answer.get("answerable"))
    text = answer.get("answer") or ""
    direct_dir = ' dir="rtl" lang="ar" class="khabar-ar"' if lang == "ar" else ' dir="ltr" lang="en"'
    if answerable:
        short = answer.get("short_answer")
        lead = f"<b><bdi>{esc(short)}</bdi></b> — " if short else ""
        parts.append(f'<div class="khabar-direct"{direct_dir}>{lead}{answer_text(text, lang)}</div>')
    else:
        shown = text or t["no_answer"]
        parts.append(f'<div class="khabar-direct khabar-abstain"{direct_dir}>{answer_text(shown, lang)}</div>')
    parts.append(claims_table(answer.get("claims") or [], lang, citations))
    if citations:
        items = "".join(render_citation(c, figures, lang, contexts.get(context_key(c)), figure_texts)
                        for c in citations)
        parts.append(f'<div class="khabar-meta">{esc(t["sources"])}</div><ol class="khabar-cites">{items}</ol>')
    related = answer.get("related") or []
    if not answerable and related:
        parts.append(f'<div class="khabar-meta">{esc(t["related"])}</div>')
        parts.append("".join(render_hit(h, lang) for h in related[:5]))
    meta = []
    if answer.get("took_ms") is not None:
        ms = round(float(answer["took_ms"]))
        meta.append(esc(t["took"].format(ms=T.count(ms, "ms", lang))))
    if answer.get("confidence") is not None:
        try:
            meta.append(f"{esc(t['confidence'])} {float(answer['confidence']):.2f}")
        except (TypeError, ValueError):
            pass
    parts.append(f'<div class="khabar-meta khabar-latency">{" · ".join(meta)}</div>')
    cls = "khabar-answer" + ("" if answerable else " khabar-abstained")
    return f'<div class="{cls}"{block_dir}>{"".join(parts)}</div>'


def render_conversation(turns: Sequence[str]) -> str:
    """Newest answer first, so it is visible without scrolling."""
    if not turns:
        en, ar = T.TEXT["empty_conversation"]
        return f'<div class="khabar-empty">{esc(en)} <span dir="rtl" lang="ar" class="khabar-ar">{esc(ar)}</span></div>'
    return '<div class="khabar-conversation">' + "".join(reversed(turns)) + "</div>"


# ----------------------------------------------------------------------------- search
def render_hit(hit: Mapping[str, Any], lang: str = "en") -> str:
    """A result card: title, source/date, the highlighted passage (already escaped), score and matching sides."""
    t = LABELS[lang]
    badges = "".join(f'<span class="khabar-badge {esc(side)}">{esc(side)}</span>' for side in hit.get("matched") or [])
    link = ""
    if hit.get("url") and str(hit["url"]).startswith(("http://", "https://")):
        link = f' · <a href="{esc(hit["url"])}" target="_blank" rel="noopener noreferrer">{esc(t["open"])} ↗</a>'
    elif hit.get("path"):
        link = f" · {ltr_code(hit['path'])}"
    try:
        score = f"{float(hit.get('score') or 0):.4f}"
    except (TypeError, ValueError):
        score = "?"
    meta = " · ".join(x for x in (bdi(hit.get("source")), bdi(hit.get("published_at")), bdi(hit.get("doc_id"))) if x)
    return (
        f'<div class="khabar-card" data-doc-id="{esc(hit.get("doc_id"))}">'
        f'<div class="khabar-title"{dir_attrs(hit.get("title"))}>{esc(hit.get("title") or hit.get("doc_id"))}</div>'
        f'<div class="khabar-meta">{meta}{link}</div>'
        f'<div class="khabar-passage-text"{dir_attrs(hit.get("text"))}>{hit.get("highlight") or esc(hit.get("text"))}</div>'
        f'<div class="khabar-meta">{esc(t["score"])} <bdi>{score}</bdi> · {esc(t["matched"])} {badges}</div></div>'
    )


MODE_NAMES = {"lexical": "keyword", "semantic": "semantic", "hybrid": "hybrid"}


def render_search(response: Mapping[str, Any], page: int, page_size: int) -> str:
    """Result cards with a header line; an explicit empty state."""
    lang = "ar" if response.get("language") == "ar" else "en"
    t = LABELS[lang]
    hits = response.get("hits") or []
    if not hits:
        return f'<div class="khabar-empty"{dir_attrs(response.get("query"))}>{esc(t["no_results"].format(q=response.get("query", "")))}</div>'
    pages = max(1, -(-int(response.get("total") or 0) // page_size))
    total = int(response.get("total") or 0)
    mode = str(response.get("mode"))
    mode_name = t[f"mode_{mode}"] if f"mode_{mode}" in t else mode
    head = t["results"].format(total=T.count(total, "passage", lang), mode=mode_name.lower(),
                               page=f"{page + 1}/{pages}", ms=T.count(round(float(response.get("took_ms") or 0)), "ms", lang))
    return (f'<div class="khabar-meta khabar-results-head">{esc(head)}</div>'
            + "".join(render_hit(h, lang) for h in hits))


def render_message(text: str, kind: str = "empty") -> str:
    """A friendly empty/error state (kind: 'empty' or 'error')."""
    return f'<div class="khabar-{"error" if kind == "error" else "empty"}"{dir_attrs(text)}>{esc(text)}</div>'


# ----------------------------------------------------------------------------- library
def render_report(report: Mapping[str, Any], lang: str = "en") -> str:
    """What an ingest run did, with every rejection and its reason, in the interface language."""
    def items(values: Iterable[Any]) -> str:
        return "".join(f"<li>{x}</li>" for x in values)

    t = LABELS[T.lang_of_ui(lang)]
    dups = report.get("duplicates") or []
    rejected = report.get("rejected") or []
    counts = [("rp_added", len(report.get("added") or [])), ("rp_updated", len(report.get("updated") or [])),
              ("rp_unchanged", len(report.get("unchanged") or [])), ("rp_duplicates", len(dups)),
              ("rp_rejected", len(rejected))]
    lines = [f"<b>{esc(t[key])}</b> <bdi>{n}</bdi>" for key, n in counts]
    lines += [f"{esc(t[key])} <bdi>{esc(report.get(field, 0))}</bdi>"
              for key, field in (("rp_passages", "passages"), ("rp_claims", "claims"), ("rp_embedded", "embedded"))]
    block = ' dir="rtl" lang="ar"' if lang == "ar" else ' dir="ltr"'
    out = [f'<div class="khabar-report"{block}><div>{" · ".join(lines)}</div>']
    for key in ("added", "updated"):
        if report.get(key):
            out.append(f"<div>{esc(t['rp_' + key])}:</div><ul>{items(bdi(d) for d in report[key])}</ul>")
    if dups:
        out.append(f"<div>{esc(t['rp_duplicates'])}:</div><ul>"
                   + items(f"{bdi(d.get('doc_id'))} ≈ {bdi(d.get('duplicate_of'))}" for d in dups) + "</ul>")
    if rejected:
        out.append(f"<div>{esc(t['rp_rejected'])}:</div><ul>"
                   + items(f"{bdi(r.get('source'))}: <bdi>{esc(r.get('reason'))}</bdi>" for r in rejected) + "</ul>")
    warnings = report.get("warnings") or []
    if warnings:
        out.append(f"<div>{esc(t['rp_warnings'])}:</div><ul>"
                   + items(f"{bdi(w.get('source'))}: <bdi>{esc(w.get('reason'))}</bdi>" for w in warnings) + "</ul>")
    out.append("</div>")
    return "".join(out)


STAT_KEYS = ("documents", "passages", "claims", "passages_without_vectors", "embedder", "dim", "backend", "data_dir")


def render_stats(stats: Mapping[str, Any], lang: str = "en") -> str:
    """The index's counts and configuration; paths (the data directory) stay left-to-right."""
    t = LABELS[T.lang_of_ui(lang)]
    rows = "".join(
        f"<tr><td>{esc(t['st_' + key])}</td><td><b>"
        f"{ltr_code(stats.get(key)) if key == 'data_dir' else bdi(stats.get(key)) or esc(stats.get(key))}</b></td></tr>"
        for key in STAT_KEYS if key in stats)
    block = ' dir="rtl" lang="ar"' if lang == "ar" else ' dir="ltr"'
    return f'<div{block}><div class="khabar-meta">{esc(t["stats_title"])}</div><table class="khabar-stats">{rows}</table></div>'
