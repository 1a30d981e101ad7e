"""The default backend: tantivy (BM25) + faiss (vectors) + SQLite (records), in one folder.

Why three libraries: tantivy is a maintained Lucene-class engine (incremental add/delete,
sub-millisecond queries; `text_index.py`); faiss finds vector candidates (an exact 8-bit scan, or
HNSW past ANN_THRESHOLD vectors; re-scored exactly; `vectors.py`); SQLite holds documents,
passages, claims and vectors transactionally and is the source of truth (`catalog.py`).
Measurements: docs/DESIGN.md, docs/BENCHMARKS.md.

Over 400 lines for a reason: this is the one class that implements the backend contract's
twenty operations, plus the life of the derived vector index; what each engine needs to know
lives in the three modules beside it. The vector index is made from SQLite at the first vector
search (or loaded from its saved copy, stamped with the catalog's id and change-log position) and
follows every committed change, this process's or another's, through the catalog's `vector_log`,
so a crash can never leave vectors and records out of step.

Crash safety and idempotence: `upsert` first replaces the document's passages in tantivy
(delete by doc_id, add, commit) and only then commits the SQLite transaction that records
the document and its content hash. A crash in between leaves SQLite without the document,
so a rerun upserts it again and the tantivy delete-by-doc_id removes the stale copy.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import tantivy

from khabar.arabic import analyze
from khabar.models import Claim, Document, Passage
from search.backends.contract import (
    BackendError,
    ClaimQuery,
    Filters,
    IndexCorrupt,
    IndexInfo,
    MISSING,
    REBUILD_HINT,
    PassageRecord,
    SparseVector,
    Stats,
    check_sparse_count,
    checked_query_vector,
    decode_sparse,
    encode_sparse,
)
from search.backends.embedded.catalog import (
    SCHEMA_VERSION,
    claims_sql,
    log_vector_changes,
    vector_filter_sql,
    WITHOUT_SPARSE,
    Transaction,
    date_key,
    open_catalog,
    write_error,
)
from search.backends.embedded.text_index import has_segments, lexical_query, open_text_index, text_schema
from search.backends.embedded.vector_state import SAVED_DIR, VectorState
from search.backends.embedded.vectors import ANN_THRESHOLD, EXACT, HNSW, RESCORE_FACTOR, remove_saved

VECTOR_INDEX_SETTINGS = ("auto", EXACT, HNSW)
ADMITTED_CACHE = 8  # filters whose admitted vec_ids are remembered (until the next write)


class EmbeddedBackend:
    """Backend on a local folder; safe for one writer process and many readers."""

    name = "embedded"

    def __init__(self, data_dir: str | os.PathLike, embedder_id: str, dim: int, vector_index: str = "auto",
                 ann_threshold: int = ANN_THRESHOLD, build_in_background: bool = True) -> None:
        """`vector_index`: `auto` (exact below `ann_threshold` vectors, HNSW from it), `exact` or `hnsw`.
        `build_in_background`: an HNSW build (minutes at a million vectors) runs on a thread while
        searches use the exact index; False builds it in the calling thread (tests, benchmarks)."""
        if vector_index not in VECTOR_INDEX_SETTINGS:
            raise BackendError(f"KHABAR_VECTOR_INDEX must be one of {', '.join(VECTOR_INDEX_SETTINGS)}, "
                               f"not {vector_index!r}")
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = open_catalog(self.dir / "catalog.sqlite")
        self.info = self._check_info(embedder_id, dim)
        self._tantivy_schema = text_schema()
        self._index = open_text_index(self.dir / "tantivy", self._tantivy_schema,
                                      bool(self._rows("SELECT 1 FROM documents LIMIT 1")))
        self._generation_seen = self._generation()
        self._admitted_cache: dict[tuple[Filters, int], np.ndarray] = {}
        self._vectors = VectorState(self.dir, dim, self._ensure_catalog_id(), self._db, self._lock, vector_index,
                                    ann_threshold, build_in_background)

    # ------------------------------------------------------------------ opening
    def _check_info(self, embedder_id: str, dim: int) -> IndexInfo:
        rows = dict(self._rows("SELECT key, value FROM info"))
        if not rows and has_segments(self.dir / "tantivy"):
            # A new, empty catalog next to a populated text index: the catalog was lost.
            raise IndexCorrupt(f"the catalog {self.dir / 'catalog.sqlite'} is missing or empty but the text index "
                               f"holds data; {REBUILD_HINT}")
        if not rows:
            with self._tx() as db:
                db.executemany(
                    "INSERT INTO info(key, value) VALUES (?, ?)",
                    [("embedder_id", embedder_id), ("dim", str(dim)), ("schema_version", str(SCHEMA_VERSION)),
                     ("generation", "0")],
                )
            return IndexInfo(embedder_id, dim, SCHEMA_VERSION)
        info = IndexInfo(rows["embedder_id"], int(rows["dim"]), int(rows["schema_version"]))
        info.check(embedder_id, dim, SCHEMA_VERSION, f"index at {self.dir}", "KHABAR_DATA_DIR")
        return info

    # ------------------------------------------------------------------ helpers
    def _tx(self) -> Transaction:
        return Transaction(self._db, self._lock, self.dir)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read under the lock: one SQLite connection is shared by the server's threads."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _bump_generation(self, db: sqlite3.Connection) -> None:
        db.execute("UPDATE info SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def _generation(self) -> int:
        rows = self._rows("SELECT value FROM info WHERE key = 'generation'")
        return int(rows[0][0]) if rows else 0

    def _ensure_catalog_id(self) -> str:
        """A random id for this catalog: a saved vector index is only used with the catalog it came from."""
        rows = self._rows("SELECT value FROM info WHERE key = 'catalog_id'")
        if rows:
            return str(rows[0][0])
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO info(key, value) VALUES ('catalog_id', ?)", (uuid.uuid4().hex,))
            return str(db.execute("SELECT value FROM info WHERE key = 'catalog_id'").fetchone()[0])

    def _stacked(self, blobs: Iterable[bytes]) -> np.ndarray:
        """Stored float32 vectors (SQLite blobs) as one (n, dim) matrix."""
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, self.info.dim)

    def _refresh(self) -> None:
        """See other processes' commits: reload the text index, bring the vector index up to date."""
        with self._lock:
            generation = self._generation()
            if generation == self._generation_seen:
                return
            self._index.reload()
            self._generation_seen = generation
            self._vectors.catch_up()

    def vector_index_info(self) -> dict[str, Any]:
        """Which vector index serves searches and why (`vector_state.VectorState.info`)."""
        return self._vectors.info()

    def wait_for_vector_index(self, timeout: float | None = None) -> bool:
        """Block until a background HNSW build (if any) has finished; True if none is running now."""
        return self._vectors.wait(timeout)

    # ------------------------------------------------------------------ writes
    def upsert(self, docs: Sequence[Document]) -> None:
        if not docs:
            return
        with self._lock:
            writer = self._index.writer(heap_size=64_000_000, num_threads=1)
            try:
                for doc in docs:
                    writer.delete_documents_by_term("doc_id", doc.doc_id)
                    title_terms = " ".join(analyze(doc.title))
                    day = date_key(doc.published_at)
                    for passage in doc.passages:
                        fields: dict[str, Any] = {
                            "passage_id": passage.passage_id,
                            "doc_id": doc.doc_id,
                            "terms": " ".join(analyze(passage.text)),
                            "title": title_terms,
                            "source": doc.source or "",
                        }
                        if day is not None:
                            fields["date"] = day
                        writer.add_document(tantivy.Document(**fields))
                writer.commit()
                writer.wait_merging_threads()
            except Exception as exc:
                raise write_error("the text index", exc, self.dir) from exc
            finally:
                del writer
            with self._tx() as db:
                for doc in docs:
                    gone, moved = self._replace_rows(db, doc)
                    log_vector_changes(db, gone + moved)
                self._bump_generation(db)
            self._refresh()

    def _replace_rows(self, db: sqlite3.Connection, doc: Document) -> tuple[list[int], list[int]]:
        """Replace a document's rows; returns (vec_ids whose vectors left, new vec_ids of vectors kept)."""
        # Vectors of passages whose text did not change are kept (ids are content hashes).
        old = db.execute(
            "SELECT vec_id, passage_id, vector, sparse FROM passages WHERE doc_id = ? AND vector IS NOT NULL",
            (doc.doc_id,)).fetchall()
        kept = {pid: (blob, sparse) for _, pid, blob, sparse in old}
        db.execute("DELETE FROM passages WHERE doc_id = ?", (doc.doc_id,))
        db.execute("DELETE FROM claims WHERE doc_id = ?", (doc.doc_id,))
        db.execute(
            "INSERT OR REPLACE INTO documents(doc_id, title, text, content_hash, source, url, path, published_at, "
            "language, sidebar, fingerprint, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,CURRENT_TIMESTAMP)",
            (doc.doc_id, doc.title, doc.text, doc.content_hash, doc.source, doc.url, doc.path, doc.published_at,
             doc.language, json.dumps(doc.sidebar, ensure_ascii=False), json.dumps(doc.fingerprint)),
        )
        db.executemany(
            'INSERT INTO passages(passage_id, doc_id, ordinal, text, start, "end", vector, sparse)'
            " VALUES (?,?,?,?,?,?,?,?)",
            [(p.passage_id, p.doc_id, p.ordinal, p.text, p.start, p.end, *kept.get(p.passage_id, (None, None)))
             for p in doc.passages],
        )
        db.executemany(
            "INSERT OR REPLACE INTO claims(claim_id, doc_id, actor_id, actor, what, stance, value, section, terms, body,"
            " kind, event, actor_terms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(c.claim_id, c.doc_id, c.actor_id, c.actor, c.what, c.stance, c.value, c.section,
              " " + " ".join(analyze(c.sentence)) + " ", json.dumps(c.to_dict(), ensure_ascii=False),
              c.kind, c.event, " " + " ".join(analyze(c.actor or "")) + " ")
             for c in doc.claims],
        )
        moved = [r[0] for r in db.execute(
            "SELECT vec_id FROM passages WHERE doc_id = ? AND vector IS NOT NULL", (doc.doc_id,))] if kept else []
        return [vec_id for vec_id, _, _, _ in old], moved

    def delete(self, doc_id: str) -> bool:
        with self._lock:
            exists = self._rows("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)) or None
            writer = self._index.writer(heap_size=15_000_000, num_threads=1)
            try:
                writer.delete_documents_by_term("doc_id", doc_id)
                writer.commit()
                writer.wait_merging_threads()
            finally:
                del writer
            with self._tx() as db:
                log_vector_changes(db, [r[0] for r in db.execute(
                    "SELECT vec_id FROM passages WHERE doc_id = ? AND vector IS NOT NULL", (doc_id,))])
                db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM claims WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                self._bump_generation(db)
            self._refresh()
        return exists is not None

    def set_vectors(self, passage_ids: Sequence[str], vectors: np.ndarray,
                    sparse: Sequence[SparseVector] | None = None) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(passage_ids), self.info.dim):
            raise BackendError(f"expected {len(passage_ids)} vectors of dim {self.info.dim}, got {vectors.shape}")
        check_sparse_count(passage_ids, sparse)
        blobs = [encode_sparse(v) for v in sparse] if sparse is not None else [None] * len(passage_ids)
        with self._lock:
            with self._tx() as db:
                for start in range(0, len(passage_ids), 10_000):  # SQLite's limit on bound variables
                    part = list(passage_ids[start : start + 10_000])
                    log_vector_changes(db, [r[0] for r in db.execute(
                        f"SELECT vec_id FROM passages WHERE passage_id IN ({','.join('?' * len(part))})", part)])
                db.executemany(
                    "UPDATE passages SET vector = ?, sparse = ? WHERE passage_id = ?",
                    [(vectors[i].tobytes(), blobs[i], pid) for i, pid in enumerate(passage_ids)],
                )
                self._bump_generation(db)
            self._refresh()

    # ------------------------------------------------------------------ reads
    def content_hashes(self) -> dict[str, str]:
        return dict(self._rows("SELECT doc_id, content_hash FROM documents"))

    def fingerprints(self) -> dict[str, list[int]]:
        return {d: json.loads(f) for d, f in self._rows("SELECT doc_id, fingerprint FROM documents")}

    def get_document(self, doc_id: str) -> Document | None:
        found = self._rows(
            "SELECT doc_id, title, text, content_hash, source, url, path, published_at, language, sidebar, fingerprint"
            " FROM documents WHERE doc_id = ?",
            (doc_id,),
        )
        if not found:
            return None
        row = found[0]
        doc = Document(*row[:9], sidebar=json.loads(row[9]), fingerprint=json.loads(row[10]))
        doc.passages = [
            Passage(*r)
            for r in self._rows(
                'SELECT passage_id, doc_id, ordinal, text, start, "end" FROM passages WHERE doc_id = ? ORDER BY ordinal',
                (doc_id,),
            )
        ]
        doc.claims = self.claims(ClaimQuery(doc_id=doc_id, limit=10_000))
        return doc

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT d.doc_id, d.title, d.source, d.published_at, d.path, d.url, d.language, d.updated_at,"
            " (SELECT COUNT(*) FROM passages p WHERE p.doc_id = d.doc_id),"
            " (SELECT COUNT(*) FROM claims c WHERE c.doc_id = d.doc_id)"
            " FROM documents d ORDER BY d.published_at IS NULL, substr(d.published_at, 1, 10) DESC, d.updated_at DESC,"
            " d.doc_id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        keys = ("doc_id", "title", "source", "published_at", "path", "url", "language", "updated_at", "passages",
                "claims")
        return [dict(zip(keys, r)) for r in rows]

    def passages_without_vectors(self, limit: int) -> list[Passage]:
        return self._passages_where("vector IS NULL", limit)

    def passages_without_sparse(self, limit: int) -> list[Passage]:
        return self._passages_where(WITHOUT_SPARSE, limit)

    def pending_ids(self, missing: str, after: Any, limit: int) -> tuple[list[str], Any]:
        condition = {"vector": "vector IS NULL", "sparse": WITHOUT_SPARSE}.get(missing)
        if condition is None:
            raise BackendError(f"pending_ids: missing must be one of {MISSING}, not {missing!r}")
        rows = self._rows(f"SELECT vec_id, passage_id FROM passages WHERE {condition} AND vec_id > ?"
                          " ORDER BY vec_id LIMIT ?", (int(after or 0), limit))
        return [r[1] for r in rows], (rows[-1][0] if rows else after)

    def _passages_where(self, condition: str, limit: int) -> list[Passage]:
        """Passages matching a fixed SQL condition (never user input), oldest first."""
        return [Passage(*r) for r in self._rows(
            f'SELECT passage_id, doc_id, ordinal, text, start, "end" FROM passages WHERE {condition}'
            " ORDER BY vec_id LIMIT ?", (limit,))]

    def set_sparse(self, passage_ids: Sequence[str], sparse: Sequence[SparseVector]) -> None:
        check_sparse_count(passage_ids, sparse)
        with self._tx() as db:  # sparse terms are not in faiss: no generation change, no rebuild
            db.executemany("UPDATE passages SET sparse = ? WHERE passage_id = ?",
                           [(encode_sparse(v), pid) for v, pid in zip(sparse, passage_ids)])

    def sparse_vectors(self, passage_ids: Sequence[str]) -> dict[str, SparseVector]:
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self._rows(f"SELECT passage_id, sparse FROM passages WHERE passage_id IN ({marks}) AND sparse IS NOT NULL",
                          list(passage_ids))
        return {pid: decode_sparse(blob) for pid, blob in rows}

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> list[tuple[str, float]]:
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms or k <= 0:
            return []
        self._refresh()
        query = lexical_query(self._tantivy_schema, terms, filters)
        try:
            searcher = self._index.searcher()
            result = searcher.search(query, limit=k, count=False)
            return [(searcher.doc(addr)["passage_id"][0], float(score)) for score, addr in result.hits]
        except ValueError as exc:  # tantivy reports unreadable segment data as ValueError
            raise IndexCorrupt(f"the text index {self.dir / 'tantivy'} cannot be read ({exc}); {REBUILD_HINT}") from exc

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms:
            return {}
        self._refresh()
        try:
            searcher = self._index.searcher()
            out: dict[str, int] = {}
            for t in terms:
                # doc_freq is a dictionary lookup but still counts deleted passages until a merge;
                # the count query is exact, and only terms the dictionary holds need one
                if searcher.doc_freq("terms", t) > 0:
                    query = tantivy.Query.term_query(self._tantivy_schema, "terms", t)
                    n = searcher.search(query, limit=1, count=True).count
                    if n:
                        out[t] = int(n)
            return out
        except ValueError as exc:
            raise IndexCorrupt(f"the text index {self.dir / 'tantivy'} cannot be read ({exc}); {REBUILD_HINT}") from exc

    def knn(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        query = checked_query_vector(vector, self.info.dim)
        with self._lock:  # a catch-up in another thread must not change the index mid-search
            self._refresh()
            index = self._vectors.current()
            if index.ntotal == 0:
                return []
            allowed = None if filters.is_empty() else self._admitted(filters)
            if allowed is not None and allowed.size == 0:
                return []
            found = index.search(query, RESCORE_FACTOR * k, allowed)
        if not len(found):
            return []
        marks = ",".join("?" * len(found))
        rows = self._rows(f"SELECT passage_id, vector FROM passages WHERE vec_id IN ({marks}) AND vector IS NOT NULL",
                          [int(i) for i in found])
        if not rows:
            return []
        # the index ranked 8-bit codes; the ranking and the reported cosines are exact, from the float32 originals
        exact = self._stacked(blob for _, blob in rows) @ query
        return sorted(((pid, float(c)) for (pid, _), c in zip(rows, exact)), key=lambda item: -item[1])[:k]

    def _admitted(self, filters: Filters) -> np.ndarray:
        """vec_ids a filter admits, remembered until the next write (a filter admitting 80k passages of a
        million takes ~0.1-0.2 s of SQL; a user paging or refining a query repeats the same filter)."""
        key = (filters, self._generation_seen)
        found = self._admitted_cache.get(key)
        if found is None:
            found = np.fromiter((r[0] for r in self._rows(*vector_filter_sql(filters))), dtype=np.int64)
            self._admitted_cache = {k: v for k, v in self._admitted_cache.items() if k[1] == key[1]}
            if len(self._admitted_cache) >= ADMITTED_CACHE:
                self._admitted_cache.pop(next(iter(self._admitted_cache)))
            self._admitted_cache[key] = found
        return found

    def passages(self, passage_ids: Sequence[str]) -> list[PassageRecord]:
        if not passage_ids:
            return []
        marks = ",".join("?" * len(passage_ids))
        rows = self._rows(
            'SELECT p.passage_id, p.doc_id, p.ordinal, p.text, p.start, p."end", d.title, d.source, d.path, d.url,'
            f" d.published_at, d.language FROM passages p JOIN documents d ON d.doc_id = p.doc_id"
            f" WHERE p.passage_id IN ({marks})",
            list(passage_ids),
        )
        by_id = {r[0]: PassageRecord(Passage(*r[:6]), *r[6:]) for r in rows}
        return [by_id[pid] for pid in passage_ids if pid in by_id]

    def claims(self, query: ClaimQuery) -> list[Claim]:
        return [Claim.from_dict(json.loads(r[0])) for r in self._rows(*claims_sql(query))]

    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM info WHERE key = ?", (f"meta:{key}",))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", (f"meta:{key}", str(value)))

    def stats(self) -> Stats:
        count = lambda sql: self._rows(sql)[0][0]  # noqa: E731
        size = sum(f.stat().st_size for f in self.dir.rglob("*") if f.is_file())
        return Stats(
            backend=self.name,
            documents=count("SELECT COUNT(*) FROM documents"),
            passages=count("SELECT COUNT(*) FROM passages"),
            claims=count("SELECT COUNT(*) FROM claims"),
            passages_without_vectors=count("SELECT COUNT(*) FROM passages WHERE vector IS NULL"),
            embedder_id=self.info.embedder_id,
            dim=self.info.dim,
            details={"data_dir": str(self.dir), "disk_bytes": size, "schema_version": self.info.schema_version,
                     "passages_without_sparse": count(
                         f"SELECT COUNT(*) FROM passages WHERE {WITHOUT_SPARSE}"),
                     "vector_index": self.vector_index_info(),
                     "status": "ok"},
        )

    def close(self) -> None:
        """Close the catalog; an HNSW index that changed a lot since it was saved is saved first."""
        with self._lock:
            self._vectors.close()
            self._db.close()

    def derived_counts(self, doc_ids: Sequence[str]) -> dict[str, Any]:
        """What the indexes rebuilt from the catalog hold: passages in the text index (all, and per
        document) and vectors in the in-memory index. Crash tests check them against the catalog."""
        self._refresh()
        index = self._vectors.current()
        searcher = self._index.searcher()
        per_doc = {doc_id: searcher.search(tantivy.Query.term_query(self._tantivy_schema, "doc_id", doc_id),
                                           limit=1, count=True).count for doc_id in doc_ids}
        return {"text_passages": searcher.num_docs, "text_passages_per_doc": per_doc,
                "vectors": index.ntotal}

    @staticmethod
    def destroy(data_dir: str | os.PathLike) -> None:
        """Delete an index folder (used by `khabar reset`)."""
        path = Path(data_dir)
        for name in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
            (path / name).unlink(missing_ok=True)
        shutil.rmtree(path / "tantivy", ignore_errors=True)
        remove_saved(path / SAVED_DIR)

    def sibling_scores(self, vector: np.ndarray, passage_ids: Sequence[str]) -> list[tuple[str, str, float]]:
        """Exact cosines from the vectors in SQLite (one query; the faiss index is not involved)."""
        if not passage_ids:
            return []
        query = checked_query_vector(vector, self.info.dim)
        marks = ",".join("?" * len(passage_ids))
        rows = self._rows(
            "SELECT passage_id, doc_id, vector FROM passages WHERE vector IS NOT NULL AND doc_id IN "
            f"(SELECT doc_id FROM passages WHERE passage_id IN ({marks}))",
            list(passage_ids),
        )
        if not rows:
            return []
        return [(r[0], r[1], float(s)) for r, s in zip(rows, self._stacked(r[2] for r in rows) @ query)]
