"""The life of the embedded backend's vector index: made, loaded, kept up to date, rebuilt, saved.

The index is derived data (SQLite holds every vector), so this module's job is to keep it equal
to the catalog cheaply:

- **Made at the first vector search**, not when the folder is opened: `khabar index` and
  `khabar embed` never need one. `auto` picks the exact 8-bit scan below the threshold and HNSW
  from it (`vectors.choose_kind`, the reason is reported).
- **Followed through the catalog's change log** (`vector_log`: every vec_id whose vector appeared,
  changed or left, in commit order): after this process's writes and when another process's
  commit is seen, only the logged vec_ids are removed and re-read, never every vector.
- **HNSW is built beside the searches**: at a million vectors a build takes tens of minutes, so
  the exact index (seconds to build) serves while a thread builds the graph from one read
  snapshot on its own connection; the graph is then brought up to date from the log and swapped in.
- **Saved with a stamp** (catalog id, log position) after a build and on close when it changed a
  lot; the next process loads it and applies only what the log lists since. A stamp from another
  catalog, or a log trimmed past it, means a rebuild. Nothing here can make a search wrong: the
  backend re-scores every candidate from SQLite.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable

import faiss
import numpy as np

from search.backends.contract import BackendError
from search.backends.embedded.vectors import EXACT, HNSW, ExactIndex, HnswIndex, choose_kind, scan_bound

log = logging.getLogger("khabar")
READ_CHUNK = 50_000  # vectors read from SQLite per step of a full read (bounds the Python objects alive)
BIG_CATCH_UP = 50_000  # more changed vectors than this for a graph to absorb: rebuild it in the background instead
SAVE_AFTER = 10_000  # logged changes since the saved HNSW index that make `close` save it again
SAVED_DIR = "vectors-hnsw"

Index = ExactIndex | HnswIndex


class VectorState:
    """One process's vector index over one catalog (see the module docstring). All methods take `lock`."""

    def __init__(self, folder: Path, dim: int, catalog_id: str, db: sqlite3.Connection, lock: threading.RLock,
                 setting: str, threshold: int, background: bool) -> None:
        self.folder, self.dim, self.catalog_id = folder, dim, catalog_id
        self.db, self.lock = db, lock
        self.setting, self.threshold, self.background = setting, threshold, background
        self.index: Index | None = None
        self.log_seen = 0  # the vector_log position `index` reflects
        self.saved_seq = -1  # the position of the saved HNSW index, if this process loaded or saved one
        self.builder: threading.Thread | None = None
        self.note = ""
        self.closed = False

    @property
    def saved_dir(self) -> Path:
        return self.folder / SAVED_DIR

    # ------------------------------------------------------------------ reads of the catalog
    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, tuple(args)).fetchall()

    def _stacked(self, blobs: Iterable[bytes]) -> np.ndarray:
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, self.dim)

    def count(self) -> int:
        """Stored vectors, counted on indexes (passages, and the partial index of passages without one)."""
        total = self._rows("SELECT COUNT(*) FROM passages")[0][0]
        return int(total - self._rows("SELECT COUNT(*) FROM passages WHERE vector IS NULL")[0][0])

    @staticmethod
    def _log_position(db: sqlite3.Connection) -> tuple[int, int]:
        """(first, last) seq in the change log, (0, 0) when it is empty."""
        # two subqueries: SQLite reads min() or max() of the primary key from the b-tree's end, but not both at once
        first, last = db.execute("SELECT COALESCE((SELECT min(seq) FROM vector_log), 0), "
                                 "COALESCE((SELECT max(seq) FROM vector_log), 0)").fetchone()
        return int(first), int(last)

    def _read_all(self, db: sqlite3.Connection) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
        """Every stored vector (in chunks of ids and vectors) and the log position, from one read snapshot."""
        chunks = []
        db.execute("BEGIN")
        try:
            _, last = self._log_position(db)
            cursor = db.execute("SELECT vec_id, vector FROM passages WHERE vector IS NOT NULL")
            while rows := cursor.fetchmany(READ_CHUNK):
                chunks.append((np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                               self._stacked(r[1] for r in rows)))
        finally:
            db.execute("COMMIT")
        return chunks, last

    # ------------------------------------------------------------------ building
    def _build_from(self, kind: str, chunks: list[tuple[np.ndarray, np.ndarray]]) -> Index:
        """A new index of `kind` holding these vectors."""
        if kind == EXACT:  # the 8-bit scale must cover every vector
            index: Index = ExactIndex(self.dim, max((scan_bound(v) for _, v in chunks), default=0.0))
        else:  # HNSW: the scale of the first chunk; later outliers are clipped (re-scoring is exact)
            index = HnswIndex(self.dim, scan_bound(chunks[0][1]) if chunks else 1.0)
        for ids, vectors in chunks:
            if self.closed:
                raise BackendError("the backend was closed during a vector index build")
            index.add(ids, vectors)
        return index

    def _build(self, kind: str) -> None:
        """A full build from SQLite. HNSW in the background: the exact index serves until the graph is ready."""
        with self.lock:
            chunks, last = self._read_all(self.db)
        if kind == HNSW and self.background:
            self.index, self.log_seen = self._build_from(EXACT, chunks), last
            self._start_background_build()
            return
        self.index, self.log_seen = self._build_from(kind, chunks), last
        if kind == HNSW:
            self._save(self.index, last)

    def _start_background_build(self) -> None:
        if self.builder is not None and self.builder.is_alive():
            return
        self.note = ""
        self.builder = threading.Thread(target=self._background_build, name="khabar-hnsw-build", daemon=True)
        self.builder.start()

    def _background_build(self) -> None:
        """Build HNSW from a snapshot read on its own connection, on all cores; save it; swap it in."""
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # this thread only: OpenMP's setting is per thread
        started = time.perf_counter()
        try:
            db = sqlite3.connect(f"file:{self.folder / 'catalog.sqlite'}?mode=ro", uri=True, isolation_level=None)
            try:
                chunks, seq = self._read_all(db)  # a short snapshot: writers' log is not held back during the build
            finally:
                db.close()
            index = self._build_from(HNSW, chunks)
            del chunks
            self._save(index, seq)
            with self.lock:
                if self.closed:
                    return
                self.index, self.log_seen = index, seq
                self.catch_up()
            log.info("HNSW vector index ready in %.0f s (%d vectors)", time.perf_counter() - started, index.ntotal)
        except Exception as exc:  # noqa: BLE001 - reported by info(); searches keep the index they have
            self.note = f"HNSW build failed: {exc}"
            log.warning("%s; searches keep the current vector index", self.note)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a background build (if any) has finished; True if none is running now."""
        builder = self.builder
        if builder is not None:
            builder.join(timeout)
            return not builder.is_alive()
        return True

    # ------------------------------------------------------------------ saved copy
    def _save(self, index: Index, seq: int) -> None:
        if not isinstance(index, HnswIndex):
            return
        try:
            index.save(self.saved_dir, {"catalog_id": self.catalog_id, "log_seq": seq})
            self.saved_seq = seq
        except OSError as exc:  # a saved copy only saves start time: never fail a search for it
            log.warning("could not save the HNSW index in %s: %s", self.saved_dir, exc)

    def _load_saved(self) -> bool:
        """Use the saved HNSW index if it belongs to this catalog and the change log still reaches back to it."""
        loaded = HnswIndex.load(self.saved_dir, self.dim)
        if loaded is None:
            return False
        index, stamp = loaded
        with self.lock:
            first, _ = self._log_position(self.db)
        seq = int(stamp["log_seq"])
        if stamp.get("catalog_id") != self.catalog_id or first > seq + 1:
            return False
        self.index, self.log_seen, self.saved_seq = index, seq, seq
        return True

    # ------------------------------------------------------------------ use
    def current(self) -> Index:
        """The index, made on first use (loaded if saved, else built) and up to date with the log."""
        with self.lock:
            if self.index is None:
                kind, _ = choose_kind(self.setting, self.count(), self.threshold)
                if not (kind == HNSW and self._load_saved()):
                    self._build(kind)
            self.catch_up()
            return self.index  # type: ignore[return-value]

    def catch_up(self) -> None:
        """Apply the vector changes logged since the index's position (this process's writes and others')."""
        with self.lock:
            if self.index is None:
                return
            first, last = self._log_position(self.db)
            if last <= self.log_seen:
                return
            if first > self.log_seen + 1:  # the log was trimmed past our position: changes were missed
                self.index = None
                self._build(choose_kind(self.setting, self.count(), self.threshold)[0])
                return
            window = (self.log_seen, last)
            changed = np.unique(np.fromiter((r[0] for r in self._rows(
                "SELECT vec_id FROM vector_log WHERE seq > ? AND seq <= ?", window)), dtype=np.int64))
            if isinstance(self.index, HnswIndex) and len(changed) > BIG_CATCH_UP:
                # Inserting this many nodes would hold searches for minutes: rebuild beside them instead.
                self.index.remove(changed)
                self.log_seen = last
                self._start_background_build()
                return
            rows = self._rows("SELECT vec_id, vector FROM passages WHERE vector IS NOT NULL AND vec_id IN "
                              "(SELECT vec_id FROM vector_log WHERE seq > ? AND seq <= ?)", window)
            vectors = self._stacked(r[1] for r in rows)
            if not self.index.fits(vectors):  # outside the exact index's 8-bit scale: re-scale all
                self.index = None
                self._build(EXACT)
                return
            self.index.remove(changed)
            self.index.add(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), vectors)
            self.log_seen = last
            wanted, _ = choose_kind(self.setting, self.index.ntotal, self.threshold)
            if (wanted == HNSW and isinstance(self.index, ExactIndex)) or self.index.needs_rebuild():
                if self.background:
                    self._start_background_build()
                else:
                    self.index = None
                    self._build(HNSW)

    def info(self) -> dict[str, Any]:
        """Which index serves searches and why (for `/api/health` and `khabar stats`)."""
        with self.lock:
            count = self.count() if self.index is None else self.index.ntotal
            kind, reason = choose_kind(self.setting, count, self.threshold)
            out: dict[str, Any] = {"chosen": kind, "reason": reason, "setting": self.setting,
                                   "threshold": self.threshold}
            if self.index is None:
                out["state"] = "not in memory yet (made at the first vector search)"
                out["saved"] = (self.saved_dir / "current.json").exists()
            else:
                out.update(self.index.describe())
                out["state"] = "in memory"
                out["saved"] = self.saved_seq >= 0
            if self.builder is not None and self.builder.is_alive():
                out["building"] = "hnsw (searches use the current index until it is ready)"
            if self.note:
                out["note"] = self.note
            return out

    def close(self) -> None:
        """Stop using the catalog; a graph that changed a lot since it was saved is saved first."""
        with self.lock:
            self.closed = True
            if isinstance(self.index, HnswIndex) and self.log_seen - self.saved_seq >= SAVE_AFTER:
                self._save(self.index, self.log_seen)
