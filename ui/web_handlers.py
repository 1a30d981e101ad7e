"""What the browser UI does when the user acts: ask, search, filter claims, index, delete.

Each action is a named method of `Handlers` (one engine, one answerer), so it can be read and
tested without building the page; `ui.web` lays the page out and wires these to its events.
All HTML comes from `ui.web_render`, which escapes article and user text.
"""
from __future__ import annotations

import logging
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import gradio as gr

from khabar.service import Engine, UploadRejected, claims_timeline, key_accepted
from khabar.service.uploads import accepted, accepted_types
from qa import Answerer
from search.backends import BackendError, ClaimQuery, Filters
from search.searcher import QueryError
from ui import web_render as R
from ui import web_text as T
from ui.web_charts import actor_label, claims_chart, timeline_chart

log = logging.getLogger("khabar")

PAGE_SIZE = 10
CONTEXT_CHARS = 240
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALL = "__all__"
ARTICLE = "__article__"
SECTION_KEYS = [("sec_article", ARTICLE), ("sec_body", "body"), ("sec_title", "title"), ("sec_sidebar", "sidebar"),
                ("sec_all", ALL)]
MODE_KEYS = [("mode_lexical", "lexical"), ("mode_semantic", "semantic"), ("mode_hybrid", "hybrid")]
EXAMPLES = [
    "what death toll did the coalition admit?",
    "كم عدد المدنيين الذين اعترف التحالف بقتلهم؟",
    "How many people were killed in the Kabul bombing?",
    "كم غارة شنها التحالف؟",
]
CLAIM_COLUMNS = ["col_actor", "col_actor_en", "col_stance", "col_value", "col_qualifier", "col_what", "col_where",
                 "col_when", "col_section", "col_doc"]
DOC_FIELDS = [("col_doc_id", "doc_id"), ("col_title", "title"), ("col_source", "source"),
              ("col_published", "published_at"), ("col_passages", "passages"), ("col_claims", "claims")]


def choices(keys: list[tuple[str, str]], lang: str | None) -> list[tuple[str, str]]:
    """(label in `lang`, value) pairs for a Radio or Dropdown."""
    return [(T.tr(key, lang), value) for key, value in keys]


def headers(keys: list[str], lang: str | None) -> list[str]:
    return [T.tr(key, lang) for key in keys]


def table(rows: list[list[Any]], keys: list[str], lang: str | None) -> dict[str, Any]:
    """A Dataframe value whose column headers are in the interface language."""
    return {"data": rows, "headers": headers(keys, lang)}


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


def _source_choices(engine: Engine, lang: str) -> list[tuple[str, str]]:
    sources = sorted({d.get("source") for d in engine.documents(limit=1000) if d.get("source")})
    return [(T.tr("all_sources", lang), ALL)] + [(s, s) for s in sources]


def claim_rows(claims: list[Any], titles: dict[str, str], lang: str) -> list[list[Any]]:
    """The Claims tab's rows: names from the one label table (ui.web_text), never raw codes."""
    return [[c.actor or "", c.actor_en or "", T.stance_name(c.stance, lang), c.value, T.qualifier_name(c.qualifier, lang),
             T.what_name(c.what, lang), c.where or "", c.when or "", T.section_name(c.section, lang),
             titles.get(c.doc_id, c.doc_id)] for c in claims]


def _doc_rows(docs: list[dict[str, Any]]) -> list[list[Any]]:
    return [[d.get(field) if d.get(field) is not None else "" for _, field in DOC_FIELDS] for d in docs]


class Handlers:
    """The UI's event handlers, one method per action, over one engine and answerer.

    Every method that says something to the user takes the interface language (`lang`, "en" or
    "ar") as its last input; answers follow the question's language instead.
    """

    def __init__(self, engine: Engine, answerer: Answerer | None) -> None:
        self.engine = engine
        self.answerer = answerer

    def key_refusal(self, given: str | None, lang: str) -> str | None:
        """The rendered refusal when a write needs the API key and `given` is not it, else None."""
        if key_accepted(self.engine.settings.api_key, given):
            return None
        return R.render_message(T.tr("key_needed", lang), "error")

    # ------------------------------------------------------------------ Ask
    def ask(self, question: str, turns: list[str], lang: str = "en") -> tuple[str, list[str], str]:
        turns = list(turns or [])
        question = (question or "").strip()
        if not question:
            return R.render_conversation(turns) + R.render_message(T.tr("ask_empty", lang), "empty"), turns, ""
        if self.answerer is None:
            turns.append(R.render_message(T.tr("ask_unavailable", lang), "error"))
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
            html_out = R.render_message(T.tr("ask_failed", lang, error=exc), "error")
        turns.append(html_out)
        return R.render_conversation(turns), turns, ""

    # ------------------------------------------------------------------ Search
    def search(self, query: str, mode: str, source: str | None, date_from: str, date_to: str, lang: str,
               page: int) -> tuple[str, int, dict[str, Any], dict[str, Any]]:
        query = (query or "").strip()
        page = max(0, int(page or 0))
        no_nav = (gr.update(interactive=False), gr.update(interactive=False))
        if not query:
            return R.render_message(T.tr("search_empty", lang), "empty"), 0, *no_nav
        for field, value in (("from_field", date_from), ("to_field", date_to)):
            if value and not DATE_RE.match(value.strip()):
                message = T.tr("bad_date", lang, field=T.tr(field, lang), value=value)
                return R.render_message(message, "error"), 0, *no_nav
        filters = Filters(source=None if source in (None, "", ALL) else source,
                          date_from=(date_from or "").strip() or None, date_to=(date_to or "").strip() or None)
        try:
            response = self.engine.search(query, mode=mode or "hybrid", k=PAGE_SIZE, filters=filters,
                                     offset=page * PAGE_SIZE).to_dict()
        except QueryError as exc:
            return R.render_message(str(exc), "error"), 0, *no_nav
        except BackendError as exc:
            log.exception("search failed")
            return R.render_message(T.tr("search_failed", lang, error=exc), "error"), 0, *no_nav
        total = int(response.get("total") or 0)
        has_next = (page + 1) * PAGE_SIZE < total and (page + 1) * PAGE_SIZE <= 1000
        return (R.render_search(response, page, PAGE_SIZE), page,
                gr.update(interactive=page > 0), gr.update(interactive=has_next))

    # ------------------------------------------------------------------ Claims
    def claim_filters(self, lang: str = "en") -> tuple[dict[str, Any], dict[str, Any]]:
        every = self.engine.claims(ClaimQuery(limit=1000))
        actors: dict[str, str] = {}
        for c in every:
            key = c.actor_id or c.actor
            if key:
                actors.setdefault(key, actor_label(c.to_dict(), lang))
        whats = sorted({c.what for c in every if c.what}, key=lambda w: T.what_name(w, lang))
        return (gr.update(choices=[(T.tr("all_actors", lang), ALL)] + sorted(((v, k) for k, v in actors.items())),
                          value=ALL),
                gr.update(choices=[(T.tr("everything", lang), ALL)] + [(T.what_name(w, lang), w) for w in whats],
                          value=ALL))

    def show_claims(self, actor: str | None, what: str | None, section: str | None,
                    lang: str = "en") -> tuple[dict[str, Any], str, str]:
        query = ClaimQuery(actor=None if actor in (None, "", ALL) else actor,
                           what=None if what in (None, "", ALL) else what,
                           section=None if section in (None, "", ALL, ARTICLE) else section, limit=1000)
        try:
            found = self.engine.claims(query)
            if section == ARTICLE:  # headline + body: the story itself, not the page's other headlines
                found = [c for c in found if c.section != "sidebar"]
            titles = {d["doc_id"]: d.get("title") or d["doc_id"] for d in self.engine.documents(limit=1000)}
        except BackendError as exc:
            return (table([], CLAIM_COLUMNS, lang), claims_chart([], None, lang),
                    R.render_message(T.tr("claims_failed", lang, error=exc), "error"))
        rows = claim_rows(found, titles, lang)
        chart = claims_chart([c.to_dict() for c in found], None if what in (None, "", ALL) else what, lang)
        note = T.count(len(found), "figure", lang) + (T.tr("claims_capped", lang) if len(found) >= 1000 else "")
        if not found:
            note = T.tr("claims_none", lang)
        if actor not in (None, "", ALL) and found:  # one actor chosen: its figures over time, under the bars
            chart += timeline_chart(claims_timeline(found, self.engine.document),
                                    None if what in (None, "", ALL) else what, lang)
        return table(rows, CLAIM_COLUMNS, lang), chart, R.render_message(note, "empty")

    # ------------------------------------------------------------------ Library
    def library_view(self, lang: str = "en") -> tuple[dict[str, Any], dict[str, Any], str, dict[str, Any]]:
        """The documents table, the delete choices, the statistics and the Search tab's source filter.

        Never an output of the upload component: refreshing the Library tab must not touch a file
        the user is choosing or uploading.
        """
        docs = self.engine.documents(limit=1000)
        ids = [(f"{d['doc_id']} — {(d.get('title') or '')[:60]}", d["doc_id"]) for d in docs]
        return (table(_doc_rows(docs), [k for k, _ in DOC_FIELDS], lang), gr.update(choices=ids, value=None),
                R.render_stats(self.engine.stats().to_dict(), lang),
                gr.update(choices=_source_choices(self.engine, lang)))

    def index_files(self, files: list[Any] | None, key: str, lang: str = "en",
                    progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        """Index the chosen files as uploads: through the engine's one write path (`Engine.ingest_uploads`),
        named, identified and reported by the file's own name, never by where Gradio keeps it."""
        if not files:
            return R.render_message(T.tr("files_missing", lang), "empty")
        refused = self.key_refusal(key, lang)
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
        progress(0, desc=T.tr("progress_read", lang))
        report: dict[str, Any] = {"rejected": []}
        if paths:
            try:
                with ExitStack() as stack:
                    opened = [(p.name, stack.enter_context(p.open("rb"))) for p in paths]
                    report = self.engine.ingest_uploads(opened, progress=True).to_dict()
            except UploadRejected as exc:
                return R.render_message(T.tr("not_indexed", lang, error=exc), "error")
            except (BackendError, OSError, ValueError) as exc:
                log.exception("ingest failed")
                return R.render_message(T.tr("index_failed", lang, error=exc), "error")
        report["rejected"] = rejected + list(report.get("rejected") or [])
        return R.render_report(report, lang)

    def index_pasted(self, title: str, text: str, source: str, url: str, published_at: str, key: str,
                     lang: str = "en", progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        if not (text or "").strip():
            return R.render_message(T.tr("paste_missing", lang), "empty")
        if published_at and not DATE_RE.match(published_at.strip()):
            message = T.tr("bad_date", lang, field=T.tr("date_field", lang), value=published_at)
            return R.render_message(message, "error")
        refused = self.key_refusal(key, lang)
        if refused:
            return refused
        record = {"title": (title or "").strip() or None, "text": text, "source": (source or "").strip() or None,
                  "url": (url or "").strip() or None, "published_at": (published_at or "").strip() or None}
        progress(0, desc=T.tr("progress_paste", lang))
        try:
            report = self.engine.ingest_records([{k: v for k, v in record.items() if v is not None}]).to_dict()
        except (BackendError, ValueError) as exc:
            return R.render_message(T.tr("index_failed", lang, error=exc), "error")
        return R.render_report(report, lang)

    def delete_doc(self, doc_id: str | None, key: str, lang: str = "en") -> str:
        if not doc_id:
            return R.render_message(T.tr("pick_missing", lang), "empty")
        refused = self.key_refusal(key, lang)
        if refused:
            return refused
        ok = self.engine.delete(doc_id)
        return R.render_message(T.tr("deleted" if ok else "not_found", lang, doc=doc_id), "empty" if ok else "error")
