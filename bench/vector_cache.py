"""A passage-vector cache keyed by text, so evaluation indexes survive changes to cleaning.

Why: embedding is the wall (~10-25 passages/s on 2 cores), and the evaluation corpora hold
~100k passages. The product keeps a passage's vector only while its id (document, position,
text) is unchanged, so an improvement to cleaning or segmentation that shifts positions would
re-embed whole corpora. Benchmarks therefore wrap the embedder in `CachingEmbedder`: vectors
(and latent terms) are stored in SQLite by a hash of the exact passage text, per embedder
build, outside the repository, and any later index of the same text reuses them.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.harness.data import CACHE, embedding_build


def cache_path(embedder_id: str) -> Path:
    """One SQLite file per embedder and engine build (their vectors differ in rounding)."""
    safe = hashlib.sha1(f"{embedder_id}|{embedding_build()}".encode()).hexdigest()[:12]
    return CACHE / f"passage-vectors-{safe}.sqlite"


class CachingEmbedder:
    """Wraps an embedder: passage vectors and latent terms come from the cache when the text was seen."""

    def __init__(self, inner: Any, path: Path | None = None) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.path = Path(path or cache_path(inner.id))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._db.execute("CREATE TABLE IF NOT EXISTS sparse (key TEXT PRIMARY KEY, i BLOB, w BLOB)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        if hasattr(inner, "embed_sparse"):
            self.embed_sparse = self._embed_sparse  # only where the inner embedder has latent terms

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        with self._lock:
            found = dict(self._db.execute(
                f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()) if keys else {}
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if missing:
            fresh = np.asarray(self.inner.embed_passages([texts[i] for i in missing]), dtype=np.float32)
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                     [(keys[i], fresh[j].tobytes()) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                out[i] = fresh[j]
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out

    def _embed_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        keys = [self._key(t) for t in texts]
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, i, w FROM sparse WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall() if keys else []
        found = {k: (np.frombuffer(i, dtype=np.int32), np.frombuffer(w, dtype=np.float32)) for k, i, w in rows}
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = self.inner.embed_sparse([texts[i] for i in missing])
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO sparse VALUES (?, ?, ?)",
                                     [(keys[i], fresh[j][0].astype(np.int32).tobytes(),
                                       fresh[j][1].astype(np.float32).tobytes()) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                found[keys[i]] = fresh[j]
        return [found[k] for k in keys]

    def close(self) -> None:
        self._db.close()
