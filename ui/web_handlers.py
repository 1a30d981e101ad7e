"""What the browser UI does when the user acts: ask, search, filter claims, index, delete.

Each action is a named method of `Handlers` (one engine, one answerer), so it can be read and
tested without building the page; `ui.web` lays the page out and wires these to its events.
All HTML comes from `ui.web_render`, which escapes article and user text.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import gradio as gr

from khabar.service import Engine, claims_timeline, key_accepted
from khabar.service.uploads import accepted, accepted_types
from qa import Answerer
from search.backends import BackendError, ClaimQuery, Filters
from search.searcher import QueryError
from ui import web_render as R
from ui.web_charts import claims_chart, timeline_chart

log = logging.getLogger("khabar")

PAGE_SIZE = 10
CONTEXT_CHARS = 240
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALL = "__all__"
ARTICLE = "__article__"
SECTIONS = [("Article (headline + body)", ARTICLE), ("Body", "body"), ("Headline", "title"),
            ("Sidebar headlines", "sidebar"), ("All", ALL)]
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


class Handlers:
    """The UI's event handlers, one method per action, over one engine and answerer.

    `components` maps UI_TEXT keys to the components `switch_language` relabels; the layout
    fills it in.
    """

    def __init__(self, engine: Engine, answerer: Answerer | None) -> None:
        self.engine = engine
        self.answerer = answerer
        self.components: dict[str, Any] = {}

    def key_refusal(self, given: str | None) -> str | None:
        """The rendered refusal when a write needs the API key and `given` is not it, else None."""
        if key_accepted(self.engine.settings.api_key, given):
            return None
        return R.render_message("This server has KHABAR_API_KEY set: enter the API key to change the index.", "error")

    # ------------------------------------------------------------------ Ask
    def ask(self, question: str, turns: list[str]) -> tuple[str, list[str], str]:
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            return R.render_conversation(turns) + R.render_message("Type a question first — e.g. one of the examples.",
                                                                   "empty"), turns, ""
        if self.answerer is None:
            turns.append(R.render_message("Question answering is not available in this server.", "error"))
            return R.render_conversation(turns), turns, question
        try:
            answer = self.answerer.ask(question).to_dict()
            html_out = R.render_answer(question, answer, citation_contexts(self.engine, answer.get("citations") or []),
                                       figure_texts(self.engine, answer))
        except (QueryError, ValueError) as exc:
            html_out = (f'<div class="khabar-answer"><div class="khabar-q"{R.dir_attrs(question)}>{R.esc(question)}'
                        f"</div>{R.render_message(str(exc), 'error')}</div>")
        except BackendError as exc:
            log.exception("ask failed")
            html_out = R.render_message(f"The index could not answer: {exc}", "error")
        turns.append(html_out)
        return R.render_conversation(turns), turns, ""

    # ------------------------------------------------------------------ Search
    def search(self, query: str, mode: str, source: str | None, date_from: str, date_to: str,
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
            response = self.engine.search(query, mode=mode or "hybrid", k=PAGE_SIZE, filters=filters,
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
    def claim_filters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        every = self.engine.claims(ClaimQuery(limit=1000))
        actors: dict[str, str] = {}
        for c in every:
            key = c.actor_id or c.actor
            if key:
                actors.setdefault(key, c.actor_en or c.actor or key)
        whats = sorted({c.what for c in every if c.what})
        return (gr.update(choices=[("All actors", ALL)] + sorted(((v, k) for k, v in actors.items())), value=ALL),
                gr.update(choices=[("Everything", ALL)] + [(w, w) for w in whats], value=ALL))

    def show_claims(self, actor: str | None, what: str | None, section: str | None) -> tuple[list[list[Any]], Any, str, str]:
        query = ClaimQuery(actor=None if actor in (None, "", ALL) else actor,
                           what=None if what in (None, "", ALL) else what,
                           section=None if section in (None, "", ALL, ARTICLE) else section, limit=1000)
        try:
            found = self.engine.claims(query)
            if section == ARTICLE:  # headline + body: the story itself, not the page's other headlines
                found = [c for c in found if c.section != "sidebar"]
            titles = {d["doc_id"]: d.get("title") or d["doc_id"] for d in self.engine.documents(limit=1000)}
        except BackendError as exc:
            return [], claims_chart([]), R.render_message(f"Claims unavailable: {exc}", "error"), ""
        rows = _claim_rows(found, titles)
        chart = claims_chart([c.to_dict() for c in found], None if what in (None, "", ALL) else what)
        note = f"{len(found)} claims" + (" (showing the first 1000)" if len(found) >= 1000 else "")
        if not found:
            note = "No claims match these filters (index some articles in the Library tab)."
        timeline = ""
        if actor not in (None, "", ALL) and found:  # one actor chosen: its figures over time
            timeline = timeline_chart(claims_timeline(found, self.engine.document),
                                      None if what in (None, "", ALL) else what)
        return rows, chart, R.render_message(note, "empty"), timeline

    # ------------------------------------------------------------------ Library
    def library_view(self) -> tuple[list[list[Any]], dict[str, Any], str, dict[str, Any]]:
        docs = self.engine.documents(limit=1000)
        ids = [(f"{d['doc_id']} — {(d.get('title') or '')[:60]}", d["doc_id"]) for d in docs]
        return (_doc_rows(docs), gr.update(choices=ids, value=None), R.render_stats(self.engine.stats().to_dict()),
                gr.update(choices=_source_choices(self.engine)))

    def index_files(self, files: list[Any] | None, key: str, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        if not files:
            return R.render_message("Choose one or more .txt, .html or .jsonl files first "
                                    "(if one is still uploading, wait until its name becomes a link).", "empty")
        refused = self.key_refusal(key)
        if refused:
            return refused
        paths: list[Path] = []
        rejected: list[dict[str, str]] = []
        for f in files:
            path = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            if not accepted(path.name):
                rejected.append({"source": path.name, "reason": accepted_types()})
            else:
                paths.append(path)
        progress(0, desc="reading and cleaning")
        report: dict[str, Any] = {"rejected": []}
        if paths:
            try:
                report = self.engine.ingest(paths, progress=True).to_dict()
            except (BackendError, OSError, ValueError) as exc:
                log.exception("ingest failed")
                return R.render_message(f"Indexing failed: {exc}", "error")
        report["rejected"] = rejected + list(report.get("rejected") or [])
        return R.render_report(report)

    def index_pasted(self, title: str, text: str, source: str, url: str, published_at: str, key: str,
                     progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        if not (text or "").strip():
            return R.render_message("Paste the article text first (a title helps too).", "empty")
        if published_at and not DATE_RE.match(published_at.strip()):
            return R.render_message(f"Date must look like 2024-02-08, not “{published_at}”.", "error")
        refused = self.key_refusal(key)
        if refused:
            return refused
        record = {"title": (title or "").strip() or None, "text": text, "source": (source or "").strip() or None,
                  "url": (url or "").strip() or None, "published_at": (published_at or "").strip() or None}
        progress(0, desc="indexing article")
        try:
            report = self.engine.ingest_records([{k: v for k, v in record.items() if v is not None}]).to_dict()
        except (BackendError, ValueError) as exc:
            return R.render_message(f"Indexing failed: {exc}", "error")
        return R.render_report(report)

    def delete_doc(self, doc_id: str | None, key: str) -> str:
        if not doc_id:
            return R.render_message("Pick a document to delete.", "empty")
        refused = self.key_refusal(key)
        if refused:
            return refused
        ok = self.engine.delete(doc_id)
        return R.render_message(f"Deleted {doc_id}." if ok else f"No document {doc_id} (already deleted?).",
                                "empty" if ok else "error")

    def switch_language(self, lang: str) -> list[dict[str, Any]]:
        """Labels in the chosen interface language, in UI_TEXT order."""
        i = 1 if lang == "ar" else 0
        updates = []
        for name in UI_TEXT:
            comp = self.components[name]
            if isinstance(comp, gr.Button):
                updates.append(gr.update(value=UI_TEXT[name][i]))
            else:
                updates.append(gr.update(label=UI_TEXT[name][i]))
        return updates
