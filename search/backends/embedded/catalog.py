"""The embedded backend's catalog: SQLite holds documents, passages, claims and vectors, and is the source of truth.

Everything else in the folder (the tantivy text index, the vector index in memory and its
saved copy) can be rebuilt from it. `vector_log` lists, in commit order, every vec_id whose vector
appeared, changed or left, so a process holding a vector index applies only what changed since it
last looked instead of re-reading every vector (at a million passages a rebuild takes minutes). One connection is shared by the server's threads under the backend's lock;
writes go through `Transaction`, which turns SQLite failures (a full disk) into messages
that say what to do.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from search.backends.contract import REBUILD_HINT, BackendError, ClaimQuery, Filters, IndexCorrupt

SCHEMA_VERSION = 1

SQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL,
    source TEXT, url TEXT, path TEXT, published_at TEXT, language TEXT,
    sidebar TEXT NOT NULL DEFAULT '[]', fingerprint TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS passages (
    vec_id INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB, sparse BLOB
);
CREATE INDEX IF NOT EXISTS passages_doc ON passages(doc_id);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_published ON documents(published_at);
CREATE INDEX IF NOT EXISTS passages_pending ON passages(vec_id) WHERE vector IS NULL;
CREATE TABLE IF NOT EXISTS claims (
    claim_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, actor_id TEXT, actor TEXT, what TEXT,
    stance TEXT, value INTEGER NOT NULL, section TEXT NOT NULL, terms TEXT NOT NULL, body TEXT NOT NULL,
    kind TEXT, event TEXT, actor_terms TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS claims_doc ON claims(doc_id);
CREATE TABLE IF NOT EXISTS vector_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, vec_id INTEGER NOT NULL);
"""


CLAIM_COLUMNS = {"kind": "TEXT", "event": "TEXT", "actor_terms": "TEXT NOT NULL DEFAULT ''"}
WITHOUT_SPARSE = "vector IS NOT NULL AND sparse IS NULL"  # embedded before latent terms, or with them off
# Change-log rows kept: a process further behind than this rebuilds its vector index from the catalog.
LOG_KEEP = 2_000_000


def log_vector_changes(db: sqlite3.Connection, vec_ids: list[int]) -> None:
    """Record, inside the caller's write transaction, that these vec_ids' vectors changed; trim old rows."""
    if not vec_ids:
        return
    db.executemany("INSERT INTO vector_log(vec_id) VALUES (?)", [(v,) for v in vec_ids])
    last = db.execute("SELECT max(seq) FROM vector_log").fetchone()[0]
    if last % min(10_000, LOG_KEEP) < len(vec_ids):  # trim now and then, not on every write
        db.execute("DELETE FROM vector_log WHERE seq <= ?", (last - LOG_KEEP,))


def date_key(iso: str | None) -> int | None:
    """YYYY-MM-DD (or YYYY-MM / YYYY) -> sortable integer YYYYMMDD."""
    if not iso:
        return None
    parts = (iso.split("T")[0].split("-") + ["01", "01"])[:3]
    try:
        return int(parts[0]) * 10000 + int(parts[1]) * 100 + int(parts[2])
    except ValueError:
        return None


def write_error(what: str, exc: BaseException, where: Path) -> BackendError:
    """A write failure as a BackendError that says what to do (disk full is the common case)."""
    text = str(exc)
    if "full" in text.lower() or "no space" in text.lower() or getattr(exc, "errno", None) == 28:
        return BackendError(f"writing {what} failed: no space left on the disk holding {where} ({text}). "
                            "Everything committed before is intact; free some space (or set KHABAR_DATA_DIR "
                            "to a bigger disk) and run the command again to continue")
    return BackendError(f"writing {what} failed: {text}")


def open_catalog(path: Path) -> sqlite3.Connection:
    """The SQLite catalog at `path`, created or migrated in place, and checked (IndexCorrupt if damaged)."""
    try:
        db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SQL_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
        if "sparse" not in columns:  # a catalog from before sparse latent terms: add the column in place
            db.execute("ALTER TABLE passages ADD COLUMN sparse BLOB")
        claim_columns = {row[1] for row in db.execute("PRAGMA table_info(claims)")}
        for column, decl in CLAIM_COLUMNS.items():  # claims from an older extractor: add the columns in place
            if column not in claim_columns:
                db.execute(f"ALTER TABLE claims ADD COLUMN {column} {decl}")
        check = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(f"the catalog {path} is damaged ({exc}); {REBUILD_HINT}") from exc
    if check != "ok":
        raise IndexCorrupt(f"the catalog {path} failed its integrity check ({check}); {REBUILD_HINT}")
    return db


class Transaction:
    """One write transaction; SQLite failures (disk full, read-only) become BackendError."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, where: Path) -> None:
        self.db, self.lock, self.where = db, lock, where

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.lock.release()
            raise write_error("the catalog", exc, self.where) from exc
        return self.db

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                try:
                    self.db.execute("COMMIT")
                    return
                except sqlite3.Error as err:
                    exc = err
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite has already rolled back after a failed statement
            if isinstance(exc, sqlite3.Error):
                raise write_error("the catalog", exc, self.where) from exc
        finally:
            self.lock.release()


def vector_filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    """SQL (and its arguments) for the vec_ids of passages that pass `filters`.

    Passages without a vector are not excluded here (the vector index holds none of them): that
    keeps the query on the passages_doc index, without reading any passage row, which matters
    when a filter admits a hundred thousand passages of a million.
    """
    sql = "SELECT p.vec_id FROM passages p JOIN documents d ON d.doc_id = p.doc_id WHERE 1=1"
    args: list[Any] = []
    if filters.source:
        sql += " AND d.source = ?"
        args.append(filters.source)
    if filters.doc_id:
        sql += " AND d.doc_id = ?"
        args.append(filters.doc_id)
    if filters.date_from:
        sql += " AND d.published_at >= ?"
        args.append(filters.date_from)
    if filters.date_to:
        sql += " AND d.published_at IS NOT NULL AND substr(d.published_at, 1, 10) <= ?"
        args.append(filters.date_to)
    return sql, args


def claims_sql(query: ClaimQuery) -> tuple[str, list[Any]]:
    """SQL (and its arguments) for the claims `query` selects, newest documents first."""
    sql = "SELECT c.body FROM claims c JOIN documents d ON d.doc_id = c.doc_id WHERE 1=1"
    args: list[Any] = []
    if query.actor:
        sql += " AND (c.actor_id = ? OR c.actor = ?)"
        args += [query.actor, query.actor]
    if query.actor_ids:
        sql += f" AND c.actor_id IN ({','.join('?' * len(query.actor_ids))})"
        args += list(query.actor_ids)
    for t in query.actor_terms:
        sql += " AND c.actor_terms LIKE ?"
        args.append(f"% {t} %")
    for column, value in (("what", query.what), ("stance", query.stance), ("doc_id", query.doc_id),
                          ("section", query.section), ("kind", query.kind), ("event", query.event)):
        if value:
            sql += f" AND c.{column} = ?"
            args.append(value)
    if query.min_value is not None:
        sql += " AND c.value >= ?"
        args.append(query.min_value)
    if query.max_value is not None:
        sql += " AND c.value <= ?"
        args.append(query.max_value)
    for t in query.terms:
        sql += " AND c.terms LIKE ?"
        args.append(f"% {t} %")
    sql += " ORDER BY d.published_at DESC, c.doc_id, c.value DESC LIMIT ?"
    args.append(query.limit)
    return sql, args


def stored_vectors(data_dir: str | Path) -> tuple[list[str], list[str], np.ndarray]:
    """(passage_ids, doc_ids, matrix) of every stored vector of the index in `data_dir`, read-only.

    For reference measurements that must use exactly the vectors the backend searches
    (bench), without opening the index for writing.
    """
    db = sqlite3.connect(f"file:{Path(data_dir) / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        dim = int(db.execute("SELECT value FROM info WHERE key = 'dim'").fetchone()[0])
        rows = db.execute("SELECT passage_id, doc_id, vector FROM passages WHERE vector IS NOT NULL "
                          "ORDER BY vec_id").fetchall()
    finally:
        db.close()
    matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), dim)
    return [r[0] for r in rows], [r[1] for r in rows], matrix


def catalog_snapshot(data_dir: str | Path) -> dict[str, object]:
    """What the catalog in `data_dir` holds (info, document hashes, passage and claim ids, vector count).

    For crash tests (bench/kill_ingest.py) that compare an interrupted-then-resumed index with a clean
    one. Opened read-write, as the backend would, so SQLite can recover a write-ahead log a killed
    writer left behind.
    """
    db = sqlite3.connect(Path(data_dir) / "catalog.sqlite")
    try:
        return {
            "info": dict(db.execute("SELECT key, value FROM info")),
            "docs": dict(db.execute("SELECT doc_id, content_hash FROM documents")),
            "passages": sorted(r[0] for r in db.execute("SELECT passage_id FROM passages")),
            "claims": sorted(r[0] for r in db.execute("SELECT claim_id FROM claims")),
            "vectors": db.execute("SELECT COUNT(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0],
        }
    finally:
        db.close()
