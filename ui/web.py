"""The browser UI (Gradio Blocks mounted at "/" next to the HTTP API): Ask, Search, Claims, Library.

Why Gradio renders plain HTML blocks here instead of its chat widget: answers need
expandable citations with right-to-left Arabic, <bdi>-isolated metadata and marked
figures, and the chat widget sanitises exactly those attributes away. All HTML comes
from `ui.web_render`, which escapes article and user text (unit-tested there).

Long operations (asking, indexing) run in Gradio's queue with progress, so the page
never freezes; writes from the UI are serialised by one lock and, when KHABAR_API_KEY
is set, need the key just like the API's write endpoints.
"""
from __future__ import annotations

import hmac
import logging
import re
import threading
from pathlib import Path
from typing import Any, Callable

import gradio as gr
from fastapi import FastAPI

from search.backend import BackendError, ClaimQuery, Filters
from search.engine import Engine
from search.searcher import QueryError
from ui import web_render as R
from ui.web_charts import claims_chart

log = logging.getLogger("khabar")

PAGE_SIZE = 10
CONTEXT_CHARS = 240
ALLOWED_SUFFIXES = {".txt", ".html", ".htm", ".jsonl"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALL = "__all__"
ARTICLE = "__article__"
SECTIONS = [("Article (headline + body)", ARTICLE), ("Body", "body"), ("Headline", "title"),
            ("Sidebar headlines", "sidebar"), ("All", ALL)]
MODES = [("Keyword", "lexical"), ("Semantic", "semantic"), ("Hybrid", "hybrid")]
EXAMPLES = [
    "what death toll did the coalition admit?",
    "كم عدد المدنيين الذين اعترف التحالف بقتلهم؟",
    "How many people were killed in the Kabul bombing?",
    "كم غارة شنها التحالف؟",
]
CLAIM_COLUMNS = ["actor", "actor (en)", "stance", "value", "qualifier", "what", "where", "when", "section", "source doc"]
DOC_COLUMNS = ["doc_id", "title", "source", "published_at", "passages", "claims"]

# (English, Arabic) for the UI-language toggle; keys name components in build_blocks.
UI_TEXT: dict[str, tuple[str, str]] = {
    "question": ("Question (English or Arabic)", "السؤال (بالعربية أو الإنجليزية)"),
    "ask_btn": ("Ask", "اسأل"),
    "query": ("Search query", "عبارة البحث"),
    "mode": ("Mode", "طريقة البحث"),
    "source": ("Source", "المصدر"),
    "date_from": ("From (YYYY-MM-DD)", "من تاريخ (YYYY-MM-DD)"),
    "date_to": ("To (YYYY-MM-DD)", "إلى تاريخ (YYYY-MM-DD)"),
    "search_btn": ("Search", "ابحث"),
    "files": ("Upload .txt / .html / .jsonl", "ارفع ملفات ‎.txt / .html / .jsonl"),
    "index_btn": ("Index files", "فهرسة الملفات"),
    "p_title": ("Title", "العنوان"),
    "p_text": ("Article text", "نص المقال"),
    "p_source": ("Source", "المصدر"),
    "paste_btn": ("Index article", "فهرسة المقال"),
}


# ----------------------------------------------------------------------------- helpers
def citation_contexts(engine: Engine, citations: list[dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    """context key -> (text before, cited sentence, text after) from the stored article, for the expandable citation."""
    out: dict[str, tuple[str, str, str]] = {}
    docs: dict[str, Any] = {}
    for c in citations:
        doc_id, start, end = c.get("doc_id"), c.get("start"), c.get("end")
        if not doc_id or not isinstance(start, int) or not isinstance(end, int):
            continue
        if doc_id not in docs:
            try:
                docs[doc_id] = engine.document(doc_id)
            except BackendError:
                docs[doc_id] = None
        doc = docs[doc_id]
        if doc is None:
            continue
        snippet = (c.get("snippet") or "").strip()
        if snippet and doc.text[start:end].strip() != snippet:
            # offsets that do not point at the quoted sentence (e.g. a headline, which is not part of
            # the body text): find the sentence itself, or show no context rather than a wrong one
            found = doc.text.find(snippet)
            if found < 0:
                continue
            start, end = found, found + len(snippet)
        if not 0 <= start < end <= len(doc.text):
            continue
        before = doc.text[max(0, start - CONTEXT_CHARS):start]
        after = doc.text[end:end + CONTEXT_CHARS]
        out[R.context_key(c)] = (before, doc.text[start:end], after)
    return out


def figure_texts(engine: Engine, answer: dict[str, Any]) -> list[str]:
    """How the answer's figures are written in the cited articles ("7 آلاف و595"), to mark them as written."""
    wanted = {(c.get("doc_id"), c.get("value")) for c in answer.get("claims") or []}
    texts: list[str] = []
    for doc_id in {d for d, _ in wanted if d}:
        try:
            for claim in engine.claims(ClaimQuery(doc_id=doc_id, limit=1000)):
                if (doc_id, claim.value) in wanted and claim.value_text:
                    texts.append(claim.value_text)
        except BackendError:
            continue
    return sorted(set(texts), key=len, reverse=True)


def _source_choices(engine: Engine) -> list[tuple[str, str]]:
    sources = sorted({d.get("source") for d in engine.documents(limit=1000) if d.get("source")})
    return [("All sources", ALL)] + [(s, s) for s in sources]


def _claim_rows(claims: list[Any], titles: dict[str, str]) -> list[list[Any]]:
    return [[c.actor or "", c.actor_en or "", c.stance, c.value, c.qualifier, c.what, c.where or "", c.when or "",
             c.section, titles.get(c.doc_id, c.doc_id)] for c in claims]


def _doc_rows(docs: list[dict[str, Any]]) -> list[list[Any]]:
    return [[d.get(k) if d.get(k) is not None else "" for k in DOC_COLUMNS] for d in docs]


# ----------------------------------------------------------------------------- the Blocks
def build_blocks(engine: Engine, answerer: Any) -> gr.Blocks:
    """All four tabs wired to one engine and answerer."""
    write_lock = threading.Lock()
    api_key = engine.settings.api_key

    def key_refusal(given: str | None) -> str | None:
        """The rendered refusal when a write needs the API key and `given` is not it, else None."""
        if api_key is None:
            return None
        if not given or not hmac.compare_digest(given.encode(), api_key.encode()):
            return R.render_message("This server has KHABAR_API_KEY set: enter the API key to change the index.",
                                    "error")
        return None

    # ------------------------------------------------------------------ Ask
    def ask(question: str, turns: list[str]) -> tuple[str, list[str], str]:
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            return R.render_conversation(turns) + R.render_message("Type a question first — e.g. one of the examples.",
                                                                   "empty"), turns, ""
        if answerer is None:
            turns.append(R.render_message("Question answering is not available in this server.", "error"))
            return R.render_conversation(turns), turns, question
        try:
            answer = answerer.ask(question).to_dict()
            html_out = R.render_answer(question, answer, citation_contexts(engine, answer.get("citations") or []),
                                       figure_texts(engine, answer))
        except (QueryError, ValueError) as exc:
            html_out = (f'<div class="khabar-answer"><div class="khabar-q"{R.dir_attrs(question)}>{R.esc(question)}'
                        f"</div>{R.render_message(str(exc), 'error')}</div>")
        except BackendError as exc:
            log.exception("ask failed")
            html_out = R.render_message(f"The index could not answer: {exc}", "error")
        turns.append(html_out)
        return R.render_conversation(turns), turns, ""

    # ------------------------------------------------------------------ Search
    def search(query: str, mode: str, source: str | None, date_from: str, date_to: str,
               page: int) -> tuple[str, int, dict[str, Any], dict[str, Any]]:
        query = (query or "").strip()
        page = max(0, int(page or 0))
        no_nav = (gr.update(interactive=False), gr.update(interactive=False))
        if not query:
            return R.render_message("Type something to search for (Arabic or English).", "empty"), 0, *no_nav
        for label, value in (("From", date_from), ("To", date_to)):
            if value and not DATE_RE.match(value.strip()):
                return R.render_message(f"{label} date must look like 2024-02-08, not “{value}”.", "error"), 0, *no_nav
        filters = Filters(source=None if source in (None, "", ALL) else source,
                          date_from=(date_from or "").strip() or None, date_to=(date_to or "").strip() or None)
        try:
            response = engine.search(query, mode=mode or "hybrid", k=PAGE_SIZE, filters=filters,
                                     offset=page * PAGE_SIZE).to_dict()
        except QueryError as exc:
            return R.render_message(str(exc), "error"), 0, *no_nav
        except BackendError as exc:
            log.exception("search failed")
            return R.render_message(f"Search failed: {exc}", "error"), 0, *no_nav
        total = int(response.get("total") or 0)
        has_next = (page + 1) * PAGE_SIZE < total and (page + 1) * PAGE_SIZE <= 1000
        return (R.render_search(response, page, PAGE_SIZE), page,
                gr.update(interactive=page > 0), gr.update(interactive=has_next))

    # ------------------------------------------------------------------ Claims
    def claim_filters() -> tuple[dict[str, Any], dict[str, Any]]:
        every = engine.claims(ClaimQuery(limit=1000))
        actors: dict[str, str] = {}
        for c in every:
            key = c.actor_id or c.actor
            if key:
                actors.setdefault(key, c.actor_en or c.actor or key)
        whats = sorted({c.what for c in every if c.what})
        return (gr.update(choices=[("All actors", ALL)] + sorted(((v, k) for k, v in actors.items())), value=ALL),
                gr.update(choices=[("Everything", ALL)] + [(w, w) for w in whats], value=ALL))

    def show_claims(actor: str | None, what: str | None, section: str | None) -> tuple[list[list[Any]], Any, str]:
        query = ClaimQuery(actor=None if actor in (None, "", ALL) else actor,
                           what=None if what in (None, "", ALL) else what,
                           section=None if section in (None, "", ALL, ARTICLE) else section, limit=1000)
        try:
            found = engine.claims(query)
            if section == ARTICLE:  # headline + body: the story itself, not the page's other headlines
                found = [c for c in found if c.section != "sidebar"]
            titles = {d["doc_id"]: d.get("title") or d["doc_id"] for d in engine.documents(limit=1000)}
        except BackendError as exc:
            return [], claims_chart([]), R.render_message(f"Claims unavailable: {exc}", "error")
        rows = _claim_rows(found, titles)
        chart = claims_chart([c.to_dict() for c in found], None if what in (None, "", ALL) else what)
        note = f"{len(found)} claims" + (" (showing the first 1000)" if len(found) >= 1000 else "")
        if not found:
            note = "No claims match these filters (index some articles in the Library tab)."
        return rows, chart, R.render_message(note, "empty")

    # ------------------------------------------------------------------ Library
    def library_view() -> tuple[list[list[Any]], dict[str, Any], str, dict[str, Any]]:
        docs = engine.documents(limit=1000)
        ids = [(f"{d['doc_id']} — {(d.get('title') or '')[:60]}", d["doc_id"]) for d in docs]
        return (_doc_rows(docs), gr.update(choices=ids, value=None), R.render_stats(engine.stats().to_dict()),
                gr.update(choices=_source_choices(engine)))

    def index_files(files: list[Any] | None, key: str, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        if not files:
            return R.render_message("Choose one or more .txt, .html or .jsonl files first "
                                    "(if one is still uploading, wait until its name becomes a link).", "empty")
        refusal = key_refusal(key)
        if refusal:
            return refusal
        paths: list[Path] = []
        rejected: list[dict[str, str]] = []
        for f in files:
            path = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            if path.suffix.lower() not in ALLOWED_SUFFIXES:
                rejected.append({"source": path.name, "reason": f"only {', '.join(sorted(ALLOWED_SUFFIXES))} files are accepted"})
            else:
                paths.append(path)
        progress(0, desc="reading and cleaning")
        report: dict[str, Any] = {"rejected": []}
        if paths:
            with write_lock:
                try:
                    report = engine.ingest(paths, progress=True).to_dict()
                except (BackendError, OSError, ValueError) as exc:
                    log.exception("ingest failed")
                    return R.render_message(f"Indexing failed: {exc}", "error")
        report["rejected"] = rejected + list(report.get("rejected") or [])
        return R.render_report(report)

    def index_pasted(title: str, text: str, source: str, url: str, published_at: str, key: str,
                     progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        if not (text or "").strip():
            return R.render_message("Paste the article text first (a title helps too).", "empty")
        if published_at and not DATE_RE.match(published_at.strip()):
            return R.render_message(f"Date must look like 2024-02-08, not “{published_at}”.", "error")
        refusal = key_refusal(key)
        if refusal:
            return refusal
        record = {"title": (title or "").strip() or None, "text": text, "source": (source or "").strip() or None,
                  "url": (url or "").strip() or None, "published_at": (published_at or "").strip() or None}
        progress(0, desc="indexing article")
        with write_lock:
            try:
                report = engine.ingest_records([{k: v for k, v in record.items() if v is not None}]).to_dict()
            except (BackendError, ValueError) as exc:
                return R.render_message(f"Indexing failed: {exc}", "error")
        return R.render_report(report)

    def delete_doc(doc_id: str | None, key: str) -> str:
        if not doc_id:
            return R.render_message("Pick a document to delete.", "empty")
        refusal = key_refusal(key)
        if refusal:
            return refusal
        with write_lock:
            ok = engine.delete(doc_id)
        return R.render_message(f"Deleted {doc_id}." if ok else f"No document {doc_id} (already deleted?).",
                                "empty" if ok else "error")

    # ------------------------------------------------------------------ layout
    with gr.Blocks(title="Khabar — Arabic news search") as demo:
        comps: dict[str, Any] = {}
        with gr.Row():
            gr.HTML('<h2 style="margin:4px 0">Khabar <span lang="ar" dir="rtl" class="khabar-ar">خبر</span></h2>'
                    '<div class="khabar-meta">Search and cited answers over Arabic news · '
                    '<a href="/docs" target="_blank">API docs</a></div>')
            ui_lang = gr.Radio([("English", "en"), ("العربية", "ar")], value="en", label="Interface",
                               elem_id="ui-lang", scale=0, min_width=220)
        with gr.Tabs():
            with gr.Tab("Ask · اسأل", id="ask", elem_id="tab-ask"):
                turns = gr.State([])
                with gr.Row():
                    comps["question"] = gr.Textbox(label=UI_TEXT["question"][0], elem_id="ask-question", scale=5,
                                                   placeholder="what death toll did the coalition admit?",
                                                   max_length=1000, autofocus=True)
                    comps["ask_btn"] = gr.Button(UI_TEXT["ask_btn"][0], variant="primary", elem_id="ask-button",
                                                 scale=1)
                with gr.Row(elem_id="ask-examples"):
                    chips = [gr.Button(q, size="sm", elem_classes=["khabar-chip"]) for q in EXAMPLES]
                conversation = gr.HTML(R.render_conversation([]), elem_id="ask-answers")
            with gr.Tab("Search · بحث", id="search", elem_id="tab-search"):
                page = gr.State(0)
                with gr.Row():
                    comps["query"] = gr.Textbox(label=UI_TEXT["query"][0], elem_id="search-query", scale=4,
                                                max_length=1000)
                    comps["mode"] = gr.Radio(MODES, value="hybrid", label=UI_TEXT["mode"][0], elem_id="search-mode",
                                             scale=2)
                with gr.Row():
                    comps["source"] = gr.Dropdown([("All sources", ALL)], value=ALL, label=UI_TEXT["source"][0],
                                                  elem_id="search-source")
                    comps["date_from"] = gr.Textbox(label=UI_TEXT["date_from"][0], elem_id="search-from",
                                                    placeholder="2015-01-01")
                    comps["date_to"] = gr.Textbox(label=UI_TEXT["date_to"][0], elem_id="search-to",
                                                  placeholder="2025-12-31")
                    comps["search_btn"] = gr.Button(UI_TEXT["search_btn"][0], variant="primary",
                                                    elem_id="search-button")
                results = gr.HTML(R.render_message("Results appear here.", "empty"), elem_id="search-results")
                with gr.Row():
                    prev_btn = gr.Button("← Previous", interactive=False, elem_id="search-prev", size="sm")
                    next_btn = gr.Button("Next →", interactive=False, elem_id="search-next", size="sm")
            with gr.Tab("Claims · الأرقام", id="claims", elem_id="tab-claims"):
                with gr.Row():
                    actor = gr.Dropdown([("All actors", ALL)], value=ALL, label="Actor", elem_id="claims-actor")
                    what = gr.Dropdown([("Everything", ALL)], value=ALL, label="What", elem_id="claims-what")
                    section = gr.Radio(SECTIONS, value=ARTICLE, label="Section", elem_id="claims-section")
                    claims_refresh = gr.Button("Refresh", size="sm", elem_id="claims-refresh")
                claims_note = gr.HTML(elem_id="claims-note")
                chart = gr.Plot(label="Figures by actor", elem_id="claims-chart", format="png")
                claims_table = gr.Dataframe(headers=CLAIM_COLUMNS, label="Claims", interactive=False, wrap=True,
                                            column_widths=["11%", "17%", "8%", "7%", "8%", "11%", "9%", "9%", "6%",
                                                           "14%"],
                                            elem_id="claims-table", elem_classes=["khabar-bidi-table"])
            with gr.Tab("Library · المكتبة", id="library", elem_id="tab-library"):
                key_box = gr.Textbox(label="API key (KHABAR_API_KEY)", type="password", visible=api_key is not None,
                                     elem_id="library-key")
                with gr.Row():
                    with gr.Column():
                        comps["files"] = gr.File(label=UI_TEXT["files"][0], file_count="multiple",
                                                 file_types=sorted(ALLOWED_SUFFIXES), elem_id="library-files")
                        comps["index_btn"] = gr.Button(UI_TEXT["index_btn"][0], variant="primary",
                                                       elem_id="library-index")
                    with gr.Column():
                        comps["p_title"] = gr.Textbox(label=UI_TEXT["p_title"][0], elem_id="paste-title")
                        comps["p_text"] = gr.Textbox(label=UI_TEXT["p_text"][0], lines=5, elem_id="paste-text")
                        with gr.Row():
                            comps["p_source"] = gr.Textbox(label=UI_TEXT["p_source"][0], elem_id="paste-source")
                            p_url = gr.Textbox(label="URL", elem_id="paste-url")
                            p_date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="paste-date")
                        comps["paste_btn"] = gr.Button(UI_TEXT["paste_btn"][0], elem_id="paste-index")
                report = gr.HTML(elem_id="library-report")
                stats = gr.HTML(elem_id="library-stats")
                docs_table = gr.Dataframe(headers=DOC_COLUMNS, label="Documents", interactive=False, wrap=True,
                                          column_widths=["22%", "40%", "14%", "10%", "7%", "7%"],
                                          elem_id="library-docs", elem_classes=["khabar-bidi-table"])
                with gr.Row():
                    delete_pick = gr.Dropdown([], label="Document", elem_id="library-delete-pick", scale=4)
                    delete_btn = gr.Button("Delete", variant="stop", elem_id="library-delete", scale=1)

        # ------------------------------------------------------------------ events
        ask_inputs, ask_outputs = [comps["question"], turns], [conversation, turns, comps["question"]]
        comps["ask_btn"].click(ask, ask_inputs, ask_outputs, concurrency_limit=2)
        comps["question"].submit(ask, ask_inputs, ask_outputs, concurrency_limit=2)
        for chip, text in zip(chips, EXAMPLES):
            chip.click(lambda t=text: t, None, comps["question"], queue=False).then(
                ask, ask_inputs, ask_outputs, concurrency_limit=2)

        search_inputs = [comps["query"], comps["mode"], comps["source"], comps["date_from"], comps["date_to"]]
        search_outputs = [results, page, prev_btn, next_btn]
        for trigger in (comps["search_btn"].click, comps["query"].submit):
            trigger(lambda *a: search(*a, 0), search_inputs, search_outputs)
        prev_btn.click(lambda *a: search(*a[:-1], a[-1] - 1), search_inputs + [page], search_outputs)
        next_btn.click(lambda *a: search(*a[:-1], a[-1] + 1), search_inputs + [page], search_outputs)

        claim_inputs, claim_outputs = [actor, what, section], [claims_table, chart, claims_note]
        for comp in (actor, what, section):
            comp.input(show_claims, claim_inputs, claim_outputs)
        claims_refresh.click(claim_filters, None, [actor, what]).then(show_claims, claim_inputs, claim_outputs)

        lib_outputs = [docs_table, delete_pick, stats, comps["source"]]
        after_write: Callable[[], Any] = library_view
        comps["index_btn"].click(index_files, [comps["files"], key_box], report, concurrency_limit=1,
                                 concurrency_id="write").then(after_write, None, lib_outputs)
        comps["paste_btn"].click(index_pasted, [comps["p_title"], comps["p_text"], comps["p_source"], p_url, p_date,
                                                key_box], report, concurrency_limit=1,
                                 concurrency_id="write").then(after_write, None, lib_outputs)
        delete_btn.click(delete_doc, [delete_pick, key_box], report, concurrency_limit=1,
                         concurrency_id="write").then(after_write, None, lib_outputs)

        def switch_language(lang: str) -> list[dict[str, Any]]:
            i = 1 if lang == "ar" else 0
            updates = []
            for name in UI_TEXT:
                comp = comps[name]
                if isinstance(comp, gr.Button):
                    updates.append(gr.update(value=UI_TEXT[name][i]))
                else:
                    updates.append(gr.update(label=UI_TEXT[name][i]))
            return updates

        # the layout follows the interface language too (labels, tab order, alignment)
        ui_lang.change(switch_language, ui_lang, [comps[n] for n in UI_TEXT], queue=False,
                       js="(lang) => { const root = document.querySelector('.gradio-container') || document.body;"
                          " root.setAttribute('dir', lang === 'ar' ? 'rtl' : 'ltr');"
                          " return lang; }")
        demo.load(library_view, None, lib_outputs).then(claim_filters, None, [actor, what]).then(
            show_claims, claim_inputs, claim_outputs)
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
    `_queue` and its two fields are Gradio's own (6.x); tests/test_web_render.py fails if they move.
    """
    queue = demo._queue
    for name, value in (("sleep_when_free", QUEUE_POLL_S), ("progress_update_sleep_when_free", PROGRESS_POLL_S)):
        if not hasattr(queue, name):
            raise AttributeError(f"gradio's queue has no {name!r}: review ui.web.quiet_queue for this gradio version")
        setattr(queue, name, value)


def mount_ui(app: FastAPI, engine: Engine, answerer: Any) -> FastAPI:
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
