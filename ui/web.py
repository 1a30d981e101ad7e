"""The browser UI (Gradio Blocks mounted at "/" next to the HTTP API): Ask, Search, Claims, Library.

Why Gradio renders plain HTML blocks here instead of its chat widget: answers need
expandable citations with right-to-left Arabic, <bdi>-isolated metadata and marked
figures, and the chat widget sanitises exactly those attributes away. All HTML comes
from `ui.web_render`, which escapes article and user text (unit-tested there).

This module lays the page out (one function per tab) and wires events to the named
handlers in `ui.web_handlers`. Every word of the page's chrome comes from `ui.web_text`
through `CHROME`, so the interface-language toggle reaches all of it; the handlers get the
interface language as an input and answer in it. Long operations (asking, indexing) run in Gradio's queue with
progress, so the page never freezes; writes go through the engine's one write path and, when
KHABAR_API_KEY is set, need the key just like the API's write endpoints.
"""
from __future__ import annotations

from typing import Any

import gradio as gr
from fastapi import FastAPI

from khabar.service import ALLOWED_SUFFIXES, Engine
from qa import Answerer
from ui import web_render as R
from ui import web_text as T
from ui.web_handlers import (
    ALL,
    ARTICLE,
    CLAIM_COLUMNS,
    DOC_FIELDS,
    EXAMPLES,
    MODE_KEYS,
    SECTION_KEYS,
    Handlers,
    choices,
    headers,
)

Components = dict[str, Any]
EN = "en"

# component -> {property: TEXT key}: every word of the page's chrome, relabelled by `relabel`.
# (Choices of radios are relabelled from MODE_KEYS / SECTION_KEYS; dropdown choices by their handlers.)
CHROME: dict[str, dict[str, str]] = {
    "ui_lang": {"label": "interface"},
    "question": {"label": "question", "placeholder": "question_ph"},
    "ask_btn": {"value": "ask_btn"},
    "query": {"label": "query", "placeholder": "query_ph"},
    "mode": {"label": "mode"},
    "source": {"label": "source"},
    "date_from": {"label": "date_from"},
    "date_to": {"label": "date_to"},
    "search_btn": {"value": "search_btn"},
    "prev_btn": {"value": "prev_btn"},
    "next_btn": {"value": "next_btn"},
    "actor": {"label": "actor"},
    "what": {"label": "what"},
    "section": {"label": "section"},
    "claims_refresh": {"value": "refresh"},
    "chart": {"label": "chart"},
    "claims_table": {"label": "claims_table"},
    "key_box": {"label": "api_key"},
    "files": {"label": "files"},
    "index_btn": {"value": "index_btn"},
    "p_title": {"label": "p_title"},
    "p_text": {"label": "p_text", "placeholder": "p_text_ph"},
    "p_source": {"label": "p_source"},
    "p_url": {"label": "p_url"},
    "p_date": {"label": "p_date"},
    "paste_btn": {"value": "paste_btn"},
    "docs_table": {"label": "documents"},
    "delete_pick": {"label": "delete_pick"},
    "delete_btn": {"value": "delete_btn"},
}
RADIO_CHOICES = {"mode": MODE_KEYS, "section": SECTION_KEYS}


def text_of(name: str, lang: str) -> dict[str, Any]:
    """The keyword arguments that label component `name` in `lang` (for construction and for updates)."""
    props: dict[str, Any] = {prop: T.tr(key, lang) for prop, key in CHROME[name].items()}
    if name in RADIO_CHOICES:
        props["choices"] = choices(RADIO_CHOICES[name], lang)
    return props


def render_header(lang: str) -> str:
    """Title, subtitle and the API docs link in the interface language."""
    return ('<h2 style="margin:4px 0">Khabar <span lang="ar" dir="rtl" class="khabar-ar">خبر</span></h2>'
            f'<div class="khabar-meta">{R.esc(T.tr("subtitle", lang))} · '
            f'<a href="/docs" target="_blank">{R.esc(T.tr("api_docs", lang))}</a></div>')


def relabel(lang: str) -> list[Any]:
    """Updates for the header and every CHROME component, in that order (the language toggle's outputs)."""
    return [gr.update(value=render_header(lang))] + [gr.update(**text_of(name, lang)) for name in CHROME]


# ----------------------------------------------------------------------------- layout
def _header(c: Components) -> None:
    with gr.Row():
        c["header"] = gr.HTML(render_header(EN), elem_id="header")
        c["ui_lang"] = gr.Radio([("English", "en"), ("العربية", "ar")], value=EN, **text_of("ui_lang", EN),
                                elem_id="ui-lang", scale=0, min_width=220)


def _ask_tab(c: Components) -> None:
    with gr.Tab("Ask · اسأل", id="ask", elem_id="tab-ask"):
        c["turns"] = gr.State([])
        with gr.Row():
            c["question"] = gr.Textbox(**text_of("question", EN), elem_id="ask-question", scale=5,
                                       max_length=1000, autofocus=True)
            c["ask_btn"] = gr.Button(**text_of("ask_btn", EN), variant="primary", elem_id="ask-button", scale=1)
        with gr.Row(elem_id="ask-examples"):
            c["chips"] = [gr.Button(q, size="sm", elem_classes=["khabar-chip"]) for q in EXAMPLES]
        c["conversation"] = gr.HTML(R.render_conversation([]), elem_id="ask-answers")


def _search_tab(c: Components) -> None:
    with gr.Tab("Search · بحث", id="search", elem_id="tab-search"):
        c["page"] = gr.State(0)
        with gr.Row():
            c["query"] = gr.Textbox(**text_of("query", EN), elem_id="search-query", scale=4, max_length=1000)
            c["mode"] = gr.Radio(value="hybrid", **text_of("mode", EN), elem_id="search-mode", scale=2)
        with gr.Row():
            c["source"] = gr.Dropdown([(T.tr("all_sources", EN), ALL)], value=ALL, **text_of("source", EN),
                                      elem_id="search-source")
            c["date_from"] = gr.Textbox(**text_of("date_from", EN), elem_id="search-from", placeholder="2015-01-01")
            c["date_to"] = gr.Textbox(**text_of("date_to", EN), elem_id="search-to", placeholder="2025-12-31")
            c["search_btn"] = gr.Button(**text_of("search_btn", EN), variant="primary", elem_id="search-button")
        hint = " · ".join(T.TEXT["results_hint"])  # shown before any search, so in both languages
        c["results"] = gr.HTML(R.render_message(hint, "empty"), elem_id="search-results")
        with gr.Row():
            c["prev_btn"] = gr.Button(**text_of("prev_btn", EN), interactive=False, elem_id="search-prev", size="sm")
            c["next_btn"] = gr.Button(**text_of("next_btn", EN), interactive=False, elem_id="search-next", size="sm")


def _claims_tab(c: Components) -> None:
    with gr.Tab("Claims · الأرقام", id="claims", elem_id="tab-claims"):
        with gr.Row():
            c["actor"] = gr.Dropdown([(T.tr("all_actors", EN), ALL)], value=ALL, **text_of("actor", EN),
                                     elem_id="claims-actor")
            c["what"] = gr.Dropdown([(T.tr("everything", EN), ALL)], value=ALL, **text_of("what", EN),
                                    elem_id="claims-what")
            c["section"] = gr.Radio(value=ARTICLE, **text_of("section", EN), elem_id="claims-section")
            c["claims_refresh"] = gr.Button(**text_of("claims_refresh", EN), size="sm", elem_id="claims-refresh")
        c["claims_note"] = gr.HTML(elem_id="claims-note")
        c["chart"] = gr.HTML(**text_of("chart", EN), show_label=False, elem_id="claims-chart")
        c["claims_table"] = gr.Dataframe(headers=headers(CLAIM_COLUMNS, EN), **text_of("claims_table", EN),
                                         interactive=False, wrap=True,
                                         column_widths=["11%", "15%", "8%", "7%", "9%", "12%", "9%", "9%", "8%",
                                                        "12%"],
                                         elem_id="claims-table", elem_classes=["khabar-bidi-table"])


def _library_tab(c: Components, key_needed: bool) -> None:
    with gr.Tab("Library · المكتبة", id="library", elem_id="tab-library"):
        c["key_box"] = gr.Textbox(**text_of("key_box", EN), type="password", visible=key_needed,
                                  elem_id="library-key")
        with gr.Row():
            with gr.Column():
                c["files"] = gr.File(**text_of("files", EN), file_count="multiple",
                                     file_types=sorted(ALLOWED_SUFFIXES), elem_id="library-files")
                # enabled only while finished uploads are chosen: a click mid-upload would send no files
                c["index_btn"] = gr.Button(**text_of("index_btn", EN), variant="primary", interactive=False,
                                           elem_id="library-index")
            with gr.Column():
                c["p_title"] = gr.Textbox(**text_of("p_title", EN), elem_id="paste-title")
                c["p_text"] = gr.Textbox(**text_of("p_text", EN), lines=5, elem_id="paste-text")
                with gr.Row():
                    c["p_source"] = gr.Textbox(**text_of("p_source", EN), elem_id="paste-source")
                    c["p_url"] = gr.Textbox(**text_of("p_url", EN), elem_id="paste-url")
                    c["p_date"] = gr.Textbox(**text_of("p_date", EN), elem_id="paste-date")
                c["paste_btn"] = gr.Button(**text_of("paste_btn", EN), elem_id="paste-index")
        c["report"] = gr.HTML(elem_id="library-report")
        c["stats"] = gr.HTML(elem_id="library-stats")
        c["docs_table"] = gr.Dataframe(headers=headers([k for k, _ in DOC_FIELDS], EN), **text_of("docs_table", EN),
                                       interactive=False, wrap=True,
                                       column_widths=["22%", "40%", "14%", "10%", "7%", "7%"],
                                       elem_id="library-docs", elem_classes=["khabar-bidi-table"])
        with gr.Row():
            c["delete_pick"] = gr.Dropdown([], **text_of("delete_pick", EN), elem_id="library-delete-pick", scale=4)
            c["delete_btn"] = gr.Button(**text_of("delete_btn", EN), variant="stop", elem_id="library-delete", scale=1)


# ----------------------------------------------------------------------------- events
def _wire_ask(c: Components, h: Handlers) -> None:
    inputs, outputs = [c["question"], c["turns"], c["ui_lang"]], [c["conversation"], c["turns"], c["question"]]
    c["ask_btn"].click(h.ask, inputs, outputs, concurrency_limit=2)
    c["question"].submit(h.ask, inputs, outputs, concurrency_limit=2)
    for chip, text in zip(c["chips"], EXAMPLES):
        chip.click(lambda t=text: t, None, c["question"], queue=False).then(h.ask, inputs, outputs, concurrency_limit=2)


def _wire_search(c: Components, h: Handlers) -> None:
    inputs = [c["query"], c["mode"], c["source"], c["date_from"], c["date_to"], c["ui_lang"]]
    outputs = [c["results"], c["page"], c["prev_btn"], c["next_btn"]]
    for trigger in (c["search_btn"].click, c["query"].submit):
        trigger(lambda *a: h.search(*a, 0), inputs, outputs)
    c["prev_btn"].click(lambda *a: h.search(*a[:-1], a[-1] - 1), inputs + [c["page"]], outputs)
    c["next_btn"].click(lambda *a: h.search(*a[:-1], a[-1] + 1), inputs + [c["page"]], outputs)


def _claim_io(c: Components) -> tuple[list[Any], list[Any]]:
    return ([c["actor"], c["what"], c["section"], c["ui_lang"]],
            [c["claims_table"], c["chart"], c["claims_note"]])


def _wire_claims(c: Components, h: Handlers) -> None:
    inputs, outputs = _claim_io(c)
    for comp in (c["actor"], c["what"], c["section"]):
        comp.input(h.show_claims, inputs, outputs)
    c["claims_refresh"].click(h.claim_filters, c["ui_lang"], [c["actor"], c["what"]]).then(h.show_claims, inputs, outputs)


def _library_outputs(c: Components) -> list[Any]:
    return [c["docs_table"], c["delete_pick"], c["stats"], c["source"]]


def _wire_library(c: Components, h: Handlers) -> None:
    after = dict(fn=h.library_view, inputs=c["ui_lang"], outputs=_library_outputs(c))
    writes = dict(outputs=c["report"], concurrency_limit=1, concurrency_id="write")
    c["files"].change(lambda files: gr.update(interactive=bool(files)), c["files"], c["index_btn"], queue=False)
    c["index_btn"].click(h.index_files, [c["files"], c["key_box"], c["ui_lang"]], **writes).then(**after)
    c["paste_btn"].click(h.index_pasted, [c["p_title"], c["p_text"], c["p_source"], c["p_url"], c["p_date"],
                                          c["key_box"], c["ui_lang"]], **writes).then(**after)
    c["delete_btn"].click(h.delete_doc, [c["delete_pick"], c["key_box"], c["ui_lang"]], **writes).then(**after)


def _wire_language(c: Components, h: Handlers) -> None:
    # the layout follows the interface language too (labels, alignment); the tables, chart and
    # filters are rendered again in the new language
    claim_inputs, claim_outputs = _claim_io(c)
    c["ui_lang"].change(relabel, c["ui_lang"], [c["header"]] + [c[n] for n in CHROME], queue=False,
                        js="(lang) => { const root = document.querySelector('.gradio-container') || document.body;"
                           " root.setAttribute('dir', lang === 'ar' ? 'rtl' : 'ltr');"
                           " return lang; }").then(
        h.claim_filters, c["ui_lang"], [c["actor"], c["what"]]).then(
        h.show_claims, claim_inputs, claim_outputs).then(
        h.library_view, c["ui_lang"], _library_outputs(c))


# ----------------------------------------------------------------------------- the Blocks
def build_blocks(engine: Engine, answerer: Answerer | None) -> gr.Blocks:
    """All four tabs wired to one engine and answerer."""
    handlers = Handlers(engine, answerer)
    c: Components = {}
    with gr.Blocks(title="Khabar — Arabic news search") as demo:
        _header(c)
        with gr.Tabs():
            _ask_tab(c)
            _search_tab(c)
            _claims_tab(c)
            _library_tab(c, key_needed=engine.settings.api_key is not None)
        _wire_ask(c, handlers)
        _wire_search(c, handlers)
        _wire_claims(c, handlers)
        _wire_library(c, handlers)
        _wire_language(c, handlers)
        claim_inputs, claim_outputs = _claim_io(c)
        # the load chain fills views only; the upload component and the Index button are never its outputs
        demo.load(handlers.library_view, c["ui_lang"], _library_outputs(c)).then(
            handlers.claim_filters, c["ui_lang"], [c["actor"], c["what"]]).then(
            handlers.show_claims, claim_inputs, claim_outputs)
    return demo


QUEUE_POLL_S = 0.02  # idle queue: look for new UI events every 20 ms (Gradio: 1 ms)
PROGRESS_POLL_S = 0.1  # progress bars: send updates at 10 Hz (Gradio: 100 Hz; its Windows default is this)


def quiet_queue(demo: gr.Blocks) -> None:
    """Make Gradio's queue loops poll less often when idle.

    Why: Gradio's queue sleeps 1 ms (and its progress loop 10 ms) when it has nothing to do, so
    an idle server woke its event loop ~900 times a second (measured; 12/s without the UI, ~60/s
    with these settings). Each wake-up can take a core
    from the query embedding's two spinning OpenMP threads, whose partner then stalls: search
    latency over HTTP had a fatter tail than the same search in process (docs/BENCHMARKS.md).
    A UI event now waits at most 20 ms more to start; API requests do not use the queue at all.
    `_queue` and its two fields are Gradio's own (6.x); tests/unit/test_web_render.py fails if they move.
    """
    queue = demo._queue
    for name, value in (("sleep_when_free", QUEUE_POLL_S), ("progress_update_sleep_when_free", PROGRESS_POLL_S)):
        if not hasattr(queue, name):
            raise AttributeError(f"gradio's queue has no {name!r}: review ui.web.quiet_queue for this gradio version")
        setattr(queue, name, value)


def mount_ui(app: FastAPI, engine: Engine, answerer: Answerer | None) -> FastAPI:
    """Mount the UI at "/" on the API's app; routes registered before it (/api/*, /docs) keep working."""
    demo = build_blocks(engine, answerer)
    demo.queue(default_concurrency_limit=2, max_size=64)
    quiet_queue(demo)
    return gr.mount_gradio_app(
        app, demo, path="/",
        css=R.CSS,
        theme=gr.themes.Soft(), footer_links=["api"],
        max_file_size=f"{engine.settings.max_upload_mb}mb",  # same upload limit as /api/upload
    )
