"""The Khabar engine: one object that ingests, embeds, searches and reports.

It wires the one-way flow together: `indexer.pipeline.prepare` (files -> Documents with
passages and claims) -> `Backend.upsert` (searchable by keyword at once) -> embedding
of passages still without vectors, in durable batches (so an interrupted run resumes
where it stopped) -> `Searcher`. The CLI, the HTTP API and the UI all use this object.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from tqdm import tqdm

from indexer import pipeline
from indexer.models import Claim, Document, IngestReport, Passage, Rejected
from search.backend import Backend, ClaimQuery, Filters, Stats
from search.config import Settings
from search.embedders import Embedder, load_embedder, supports_sparse
from search.searcher import SearchResponse, Searcher

log = logging.getLogger("khabar")
UPSERT_BATCH = 100


def open_backend(settings: Settings, embedder: Embedder) -> Backend:
    """The configured backend, checked against the embedder it will serve."""
    if settings.backend == "embedded":
        from search.embedded import EmbeddedBackend

        return EmbeddedBackend(settings.data_dir, embedder.id, embedder.dim)
    if settings.backend == "elasticsearch":
        from search.elastic import ElasticBackend

        return ElasticBackend.from_env(embedder.id, embedder.dim)
    raise ValueError(f"KHABAR_BACKEND must be 'embedded' or 'elasticsearch', not {settings.backend!r}")


class Engine:
    def __init__(self, settings: Settings | None = None, backend: Backend | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or load_embedder(self.settings.embedder)
        self.backend = backend or open_backend(self.settings, self.embedder)
        self.searcher = Searcher(self.backend, self.embedder, use_sparse=self.sparse)

    # ---------------------------------------------------------------- ingest
    def ingest(self, paths: Sequence[str | Path], embed: bool = True, progress: bool = True,
               path_labels: dict[str, str] | None = None) -> IngestReport:
        """Index files/folders; unchanged documents are skipped, changed ones replaced.

        `path_labels` maps a file's absolute path to what documents should show instead
        (uploads live in a temporary folder; "upload:report.html" is what the user knows).
        """
        prepared = pipeline.prepare(list(paths), existing_fingerprints=self.backend.fingerprints())
        for doc in prepared.documents:
            if path_labels and doc.path in path_labels:
                doc.path = path_labels[doc.path]
        report = self._store(prepared.documents, prepared.rejected, prepared.duplicates, embed, progress)
        report.warnings.extend(prepared.warnings)
        return report

    def ingest_records(self, records: Iterable[dict[str, Any]], embed: bool = True) -> IngestReport:
        """Index JSON articles ({title, text, url?, source?, published_at?, id?}) from the API."""
        docs: list[Document] = []
        rejected: list[Rejected] = []
        for i, record in enumerate(records):
            try:
                docs.append(pipeline.document_from_record(record))
            except ValueError as exc:
                rejected.append(Rejected(f"request[{i}]", str(exc)))
        return self._store(docs, rejected, [], embed, progress=False)

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

    def claims(self, query: ClaimQuery) -> list[Claim]:
        return self.backend.claims(query)

    def document(self, doc_id: str) -> Document | None:
        return self.backend.get_document(doc_id)

    def documents(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self.backend.list_documents(limit=limit, offset=offset)

    def delete(self, doc_id: str) -> bool:
        return self.backend.delete(doc_id)

    def stats(self) -> Stats:
        return self.backend.stats()

    def close(self) -> None:
        self.backend.close()
