"""Ingestion entry point: files, folders or JSON articles -> Documents ready to index.

    prepare(paths, existing_fingerprints) -> Prepared(documents, rejected, duplicates, warnings)

Steps per run: read every input (`readers`), learn the lines that recur across the
run's pages (template: menus, footers) and what each site prints on its pages (site
furniture, by URL host or source), clean each page (`cleaning`), give it a stable
id and a content hash, cut passages (`segment`), extract claims (`claims`), detect its
language, fingerprint it, and hold back near-duplicates of documents already indexed
or seen earlier in the run. The engine compares `content_hash` with what it stored to
tell added / updated / unchanged documents apart, so the hash covers exactly what is
indexed (title + cleaned text).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping, Sequence

from indexer.claims import extract_claims
from indexer.cleaning import PROSE_MIN_WORDS, clean_page, find_template_lines, headline_first
from indexer.templates import SiteFurniture, learn_sites, site_of
from indexer.dedup import NearDuplicateIndex, fingerprint
from khabar.language import detect_language
from khabar.models import Document, Rejected
from indexer.ids import content_id, file_id, upload_id, url_id
from indexer.readers import InputError, RawArticle, article_from_record, file_label, ignored_note, read_paths
from khabar.segment import build_passages

TEMPLATE_MIN_DOCS = 3


@dataclass
class Prepared:
    """Result of one ingest run, before anything is stored.

    `documents` excludes near-duplicates; `duplicates` lists them as
    (doc_id, doc_id it duplicates). `warnings` are problems that did not stop a
    document from being indexed (e.g. the claim extractor failed on it).
    """

    documents: list[Document] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class Upload:
    """A file staged for indexing on a user's behalf: `name` is the name it was uploaded as (shown
    in reports and as the document's path "upload:<name>"), `digest` the sha256 of its bytes
    (its identity, `indexer.ids.upload_id`)."""

    name: str
    digest: str


# ----------------------------------------------------------------------------- ids
def content_hash(title: str, text: str) -> str:
    """sha256 of what gets indexed: an unchanged article hashes the same on every run."""
    return hashlib.sha256(f"{title}\n{text}".encode("utf-8")).hexdigest()


def _article_id(article: RawArticle, uploads: Mapping[str, Upload]) -> str:
    """The id of `article`'s source (`indexer.ids`): given id, else file or upload, else url, else content."""
    if article.record_id:
        return article.record_id
    if article.kind in ("txt", "html") and article.path:
        upload = uploads.get(article.path)
        return upload_id(upload.name, upload.digest) if upload else file_id(article.path)
    if article.url:
        return url_id(article.url)
    return content_id(article.title or "", article.text)


# ----------------------------------------------------------------------------- documents
def _build(article: RawArticle, template: Collection[str], uploads: Mapping[str, Upload],
           sites: Mapping[str, SiteFurniture] | None = None) -> tuple[Document, str | None]:
    """Clean and assemble one Document; returns (document, warning or None).

    `sites` holds what each site of the run prints on its pages (`indexer.templates`).
    Raises InputError when nothing of the article survives cleaning.
    """
    furniture = (sites or {}).get(site_of(article.url, article.source) or "")
    cleaned = clean_page(article.text, title=article.title, template=template, furniture=furniture)
    if not cleaned.text.strip():
        raise InputError("no article text: the page holds only navigation, links and other page chrome "
                         f"(no line of {PROSE_MIN_WORDS} words or more)")
    text = headline_first(cleaned.title, cleaned.text)  # the headline is passage 0, citable like the rest
    upload = uploads.get(article.path or "")
    doc = Document(
        doc_id=_article_id(article, uploads),
        title=cleaned.title,
        text=text,
        content_hash=content_hash(cleaned.title, text),
        source=article.source or cleaned.source,
        url=article.url,
        path=f"upload:{upload.name}" if upload else article.path,
        published_at=article.published_at or cleaned.published_at,
        language=detect_language(cleaned.title + "\n" + cleaned.text),
        sidebar=cleaned.sidebar,
        fingerprint=fingerprint(cleaned.title + "\n" + cleaned.text),
    )
    doc.passages = build_passages(doc.doc_id, doc.text)
    warning = None
    try:
        doc.claims = extract_claims(doc)
    except Exception as exc:  # one extractor bug must not sink a whole ingest run
        doc.claims = []
        warning = f"claim extraction failed, indexed without claims: {type(exc).__name__}: {exc}"
    return doc, warning


def document_from_article(title: str | None, text: str, *, doc_id: str | None = None, url: str | None = None,
                          source: str | None = None, published_at: str | None = None,
                          path: str | None = None) -> Document:
    """One article given as fields (API, tests) -> Document. Raises ValueError on bad input."""
    record = {"title": title, "text": text, "id": doc_id, "url": url, "source": source,
              "published_at": published_at}
    doc = document_from_record({k: v for k, v in record.items() if v is not None})
    if path:
        doc.path = path
    return doc


def document_from_raw(article: RawArticle, template: Collection[str] = frozenset()) -> Document:
    """One read article, cleaned with a run's template lines (`find_template_lines`) -> Document.

    What `prepare` does to each article, without near-duplicate detection: for measurements
    that need the exact document an ingest would store. Raises InputError like `prepare`
    rejects, and when claim extraction fails.
    """
    doc, warning = _build(article, template, {})
    if warning:
        raise InputError(warning)
    return doc


def document_from_record(record: Mapping[str, Any]) -> Document:
    """A JSON article ({title, text, url?, source?, published_at?, id?}) -> Document.

    Same validation and cleaning as a .jsonl line. Raises ValueError (InputError) with
    the reason when the record is unusable. Claim-extractor failures propagate here,
    since a single article has nowhere else to report them.
    """
    article = article_from_record(record, "request")
    doc, warning = _build(article, frozenset(), {})
    if warning:
        raise InputError(warning)
    return doc


def documents_from_records(records: Iterable[Any]) -> Prepared:
    """JSON articles of one request -> Prepared, each problem labelled "request[i]".

    Validated and cleaned like .jsonl lines; two records with the same id are refused (the
    second would silently replace the first), and fields Khabar does not read are named once.
    """
    result = Prepared()
    seen_ids: dict[str, str] = {}
    ignored: set[str] = set()
    first_ignored = ""
    for i, record in enumerate(records):
        label = f"request[{i}]"
        try:
            article = article_from_record(record, label)
            if article.ignored and not ignored:
                first_ignored = label
            ignored.update(article.ignored)
            doc, warning = _build(article, frozenset(), {})
        except InputError as exc:
            result.rejected.append(Rejected(label, str(exc)))
            continue
        if _is_repeat(doc, label, seen_ids, result):
            continue
        if warning:
            result.warnings.append(Rejected(label, warning))
        result.documents.append(doc)
    if ignored:
        result.warnings.insert(0, Rejected("request", ignored_note(ignored, first_ignored)))
    return result


def _is_repeat(doc: Document, label: str, seen_ids: dict[str, str], result: Prepared) -> bool:
    """Reject a second article with an id already used in this run (it would replace the first)."""
    if doc.doc_id in seen_ids:
        result.rejected.append(Rejected(label, f"duplicate id {doc.doc_id!r} (first used by {seen_ids[doc.doc_id]})"))
        return True
    seen_ids[doc.doc_id] = label
    return False


def _ignored_warnings(articles: Sequence[RawArticle]) -> list[Rejected]:
    """One warning per file naming the JSON fields Khabar did not read in it."""
    per_file: dict[str, tuple[str, set[str]]] = {}
    for article in articles:
        if article.ignored:
            first, names = per_file.setdefault(file_label(article), (article.label, set()))
            names.update(article.ignored)
    return [Rejected(file, ignored_note(names, first)) for file, (first, names) in per_file.items()]


def prepare(paths: Sequence[str | Path], existing_fingerprints: Mapping[str, Sequence[int]] | None = None,
            template_min_docs: int = TEMPLATE_MIN_DOCS, uploads: Mapping[str, Upload] | None = None) -> Prepared:
    """Read, clean and assemble everything under `paths` (files and folders).

    `existing_fingerprints` ({doc_id: fingerprint}) are the documents already indexed;
    a new document that nearly duplicates one of them - or one earlier in this run - is
    reported in `duplicates` instead of returned. A document is never a duplicate of
    its own doc_id, so an edited file comes back as an update. `uploads` ({resolved path:
    Upload}) names files staged for a user: their ids, paths and reports use the uploaded name.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]  # a lone path, not a sequence of one-character paths
    uploads = uploads or {}
    articles, rejected = read_paths(paths, {path: upload.name for path, upload in uploads.items()})
    result = Prepared(rejected=rejected, warnings=_ignored_warnings(articles))
    template = find_template_lines((a.text for a in articles), min_docs=template_min_docs)
    sites = learn_sites((site_of(a.url, a.source), a.text) for a in articles)
    near = NearDuplicateIndex(existing_fingerprints)
    seen_ids: dict[str, str] = {}
    for article in articles:
        try:
            doc, warning = _build(article, template, uploads, sites)
        except InputError as exc:
            result.rejected.append(Rejected(article.label, str(exc)))
            continue
        if _is_repeat(doc, article.label, seen_ids, result):
            continue
        if warning:
            result.warnings.append(Rejected(article.label, warning))
        original = near.duplicate_of(doc.doc_id, doc.fingerprint)
        if original is not None:
            result.duplicates.append((doc.doc_id, original))
            continue
        near.add(doc.doc_id, doc.fingerprint)
        result.documents.append(doc)
    return result
