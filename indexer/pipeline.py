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
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Mapping, Sequence

from indexer.claims import extract_claims
from indexer.cleaning import PROSE_MIN_WORDS, clean_page, find_template_lines, headline_first
from indexer.templates import SiteFurniture, learn_sites, site_of
from indexer.dedup import NearDuplicateIndex, fingerprint
from khabar.language import detect_language
from khabar.models import Document, Rejected
from indexer.readers import InputError, RawArticle, article_from_record, read_paths
from khabar.segment import build_passages

TEMPLATE_MIN_DOCS = 3
_SLUG_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


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


# ----------------------------------------------------------------------------- ids
def slug(text: str) -> str:
    """Readable, URL-safe id fragment (letters of any script, digits, . _ -)."""
    return _SLUG_UNSAFE.sub("-", text.strip()).strip("-.") or "doc"


def _hash_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{digest}"


def content_hash(title: str, text: str) -> str:
    """sha256 of what gets indexed: an unchanged article hashes the same on every run."""
    return hashlib.sha256(f"{title}\n{text}".encode("utf-8")).hexdigest()


def _file_ids(articles: Sequence[RawArticle]) -> dict[str, str]:
    """Ids for file-based articles: the file stem, qualified by folder only on a clash."""
    paths = sorted({a.path for a in articles if a.kind in ("txt", "html") and a.path})
    by_stem: dict[str, list[str]] = {}
    for p in paths:
        by_stem.setdefault(slug(Path(p).stem), []).append(p)
    ids: dict[str, str] = {}
    for stem, group in by_stem.items():
        if len(group) == 1:
            ids[group[0]] = stem
            continue
        qualified = {p: f"{slug(Path(p).parent.name)}__{stem}" for p in group}
        clash = Counter(qualified.values())
        for p in group:
            name = qualified[p]
            if clash[name] > 1:  # same folder name too (or same stem, other extension)
                name = f"{name}-{slug(Path(p).suffix.lstrip('.'))}"
            ids[p] = name
    return ids


def _article_id(article: RawArticle, file_ids: Mapping[str, str]) -> str:
    """jsonl/API id, else file stem, else hash of the url, else hash of the input as given.

    The last hash is over the title and text as received, not as cleaned, so that an
    improvement to cleaning does not give every such article a new id.
    """
    if article.record_id:
        return article.record_id
    if article.kind in ("txt", "html") and article.path in file_ids:
        return file_ids[article.path]
    if article.url:
        return _hash_id("url", article.url)
    return _hash_id("h", " ".join((article.title or "").split()), article.text.strip())


# ----------------------------------------------------------------------------- documents
def _build(article: RawArticle, template: Collection[str], doc_id: str | None,
           file_ids: Mapping[str, str], sites: Mapping[str, SiteFurniture] | None = None) -> tuple[Document, str | None]:
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
    doc = Document(
        doc_id=doc_id or _article_id(article, file_ids),
        title=cleaned.title,
        text=text,
        content_hash=content_hash(cleaned.title, text),
        source=article.source or cleaned.source,
        url=article.url,
        path=article.path,
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


def document_from_record(record: Mapping[str, Any]) -> Document:
    """A JSON article ({title, text, url?, source?, published_at?, id?}) -> Document.

    Same validation and cleaning as a .jsonl line. Raises ValueError (InputError) with
    the reason when the record is unusable. Claim-extractor failures propagate here,
    since a single API request has nowhere else to report them.
    """
    article = article_from_record(record, "request")
    doc, warning = _build(article, frozenset(), None, {})
    if warning:
        raise InputError(warning)
    return doc


def prepare(paths: Sequence[str | Path], existing_fingerprints: Mapping[str, Sequence[int]] | None = None,
            template_min_docs: int = TEMPLATE_MIN_DOCS) -> Prepared:
    """Read, clean and assemble everything under `paths` (files and folders).

    `existing_fingerprints` ({doc_id: fingerprint}) are the documents already indexed;
    a new document that nearly duplicates one of them - or one earlier in this run - is
    reported in `duplicates` instead of returned. A document is never a duplicate of
    its own doc_id, so an edited file comes back as an update.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]  # a lone path, not a sequence of one-character paths
    articles, rejected = read_paths(paths)
    result = Prepared(rejected=rejected)
    template = find_template_lines((a.text for a in articles), min_docs=template_min_docs)
    sites = learn_sites((site_of(a.url, a.source), a.text) for a in articles)
    file_ids = _file_ids(articles)
    near = NearDuplicateIndex(existing_fingerprints)
    seen_ids: dict[str, str] = {}
    for article in articles:
        try:
            doc, warning = _build(article, template, None, file_ids, sites)
        except InputError as exc:
            result.rejected.append(Rejected(article.label, str(exc)))
            continue
        if doc.doc_id in seen_ids:
            result.rejected.append(Rejected(article.label, f"duplicate id {doc.doc_id!r} "
                                                           f"(first used by {seen_ids[doc.doc_id]})"))
            continue
        seen_ids[doc.doc_id] = article.label
        if warning:
            result.warnings.append(Rejected(article.label, warning))
        original = near.duplicate_of(doc.doc_id, doc.fingerprint)
        if original is not None:
            result.duplicates.append((doc.doc_id, original))
            continue
        near.add(doc.doc_id, doc.fingerprint)
        result.documents.append(doc)
    return result
