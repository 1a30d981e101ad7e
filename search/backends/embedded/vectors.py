"""The embedded backend's vector indexes: exact 8-bit scan below a size threshold, HNSW above it.

Both hold 8-bit copies of the vectors and return candidates that the backend re-scores from the
float32 originals in SQLite, so reported cosines are always exact and rankings exact among the
candidates. Neither holds data of its own: SQLite is the source of truth, and an index is rebuilt
(or, for HNSW, loaded from its saved file and brought up to date from the catalog's change log)
whenever a process needs one. Measurements behind every constant: docs/BENCHMARKS.md, "Vector
search at a million passages".
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# One query at a time is faster on one thread (docs/BENCHMARKS.md, "Where the code's numbers come
# from"); the server gets its parallelism from concurrent requests.
faiss.omp_set_num_threads(1)

SCAN_HEADROOM = 1.25  # the 8-bit scale covers 1.25x the largest |component| seen, for vectors added later
RESCORE_FACTOR = 3  # candidates taken from the 8-bit codes per result wanted, then re-scored exactly

EXACT, HNSW = "exact", "hnsw"
# From this many vectors on, `auto` builds HNSW: the exact scan costs ~25 ns per vector and query on
# an idle core (2.5 ms at 100k; at 1M it measured 107 ms p50 on a loaded one, memory-bound), so past
# ~250k it alone would take over 20 % of the 30 ms search budget; HNSW at 1M answers in ~21 ms p50 on a
# loaded core at efSearch 1536 (docs/BENCHMARKS.md, "Search at a million passages").
ANN_THRESHOLD = 250_000
HNSW_M = 32  # graph degree (links per node): 0.996 recall@10 at efSearch 256 on 12k real vectors (bench.ann)
EF_CONSTRUCTION = 40  # faiss's default; build time grows about linearly with it
# efSearch: recall@10 after exact re-scoring, 1M real-like vectors, graph built with efConstruction 40:
# 256 -> 0.861, 1024 -> 0.974, 1536 -> 0.987, 2048 -> 0.993; kNN p50 at 1536 ~21 ms on a loaded core
# (docs/BENCHMARKS.md, "Search at a million passages"). The target is 0.98.
EF_SEARCH = 1536
EF_SEARCH_MAX = 4096  # cap when a filter or tombstones widen the search
# A filter admitting at most this share of the vectors is answered by an exact scan of those codes
# (cost ~ n bitmap checks + admitted x 25 ns): HNSW's filtered search has to walk past the rejected
# nodes and loses recall when few pass. Above it, HNSW runs with efSearch scaled by 1 / share.
FILTER_EXACT_SHARE = 0.25
REBUILD_DEAD_SHARE = 0.25  # rebuild HNSW once this share of its nodes are tombstones (deleted/replaced)


def scan_bound(vectors: np.ndarray) -> float:
    """The 8-bit scale for these vectors: SCAN_HEADROOM x their largest |component| (at most 1, unit vectors)."""
    return min(1.0, SCAN_HEADROOM * float(np.abs(vectors).max())) if vectors.size else 0.0


def vector_index(dim: int, bound: float) -> faiss.Index:
    """Exhaustive inner-product search over 8-bit copies of the vectors, scale [-bound, bound].

    Why 8 bits: the scan is bound by memory bandwidth, and smaller codes also leave the model's
    weights in the CPU cache for the next query embedding. Every vector is still compared, and
    the backend re-scores RESCORE_FACTOR x k candidates from the float32 originals, so rankings
    and cosines are exact; the scale comes from the data (`scan_bound`), not a fixed +-1.
    """
    index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT)
    _set_scale(index, bound)
    return index


def _set_scale(index: faiss.IndexScalarQuantizer, bound: float) -> None:
    faiss.copy_array_to_vector(np.asarray([-bound, 2 * bound], dtype=np.float32), index.sq.trained)
    index.is_trained = True


def choose_kind(setting: str, vectors: int, threshold: int) -> tuple[str, str]:
    """(kind, reason): which index `setting` (auto / exact / hnsw) asks for at this many vectors."""
    if setting == EXACT:
        return EXACT, "KHABAR_VECTOR_INDEX=exact"
    if setting == HNSW:
        return HNSW, "KHABAR_VECTOR_INDEX=hnsw"
    if vectors >= threshold:
        return HNSW, f"{vectors:,} vectors >= KHABAR_ANN_THRESHOLD {threshold:,}: an exact scan would cost ~{vectors * 25e-6:.0f} ms per query"
    return EXACT, f"{vectors:,} vectors < KHABAR_ANN_THRESHOLD {threshold:,}: the exact scan costs ~{vectors * 25e-6:.1f} ms per query"


class ExactIndex:
    """Every vector's 8-bit code scanned for every query; exact deletes, no build (see `vector_index`)."""

    kind = EXACT

    def __init__(self, dim: int, bound: float) -> None:
        self.dim, self.bound = dim, bound
        self.index = faiss.IndexIDMap2(vector_index(dim, bound))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def fits(self, vectors: np.ndarray) -> bool:
        """Do these vectors fit the 8-bit scale? (If not, the caller rebuilds with a wider one.)"""
        return not vectors.size or float(np.abs(vectors).max()) <= self.bound

    def add(self, vec_ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(vec_ids):
            self.index.add_with_ids(vectors, vec_ids.astype(np.int64))

    def remove(self, vec_ids: np.ndarray) -> None:
        if len(vec_ids):
            self.index.remove_ids(np.asarray(vec_ids, dtype=np.int64))

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None) -> np.ndarray:
        """vec_ids of the best `n` candidates by 8-bit score, restricted to `allowed` vec_ids if given."""
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        _, ids = self.index.search(query.reshape(1, -1), min(n, self.ntotal), params=params)
        return ids[0][ids[0] != -1]

    def needs_rebuild(self) -> bool:
        return False

    def describe(self) -> dict[str, Any]:
        return {"kind": EXACT, "vectors": self.ntotal, "codes": "8-bit", "rescored": f"{RESCORE_FACTOR} x k, float32"}


class HnswIndex:
    """faiss HNSW over 8-bit codes, with vec_ids mapped to graph nodes and deletes as tombstones.

    faiss's HNSW cannot remove a node, so a deleted or replaced vector's node stays in the graph
    (it still links its neighbours) but is excluded from results by a bitmap of live nodes; a
    replaced vector is added again as a new node. Once REBUILD_DEAD_SHARE of the nodes are dead the
    owner rebuilds the graph from SQLite. The codes are kept in node order (`index.storage`), which
    also serves exact scans of a filter's few admitted vectors.
    """

    kind = HNSW

    def __init__(self, dim: int, bound: float, index: faiss.IndexHNSWSQ | None = None,
                 node_vec: np.ndarray | None = None) -> None:
        self.dim, self.bound = dim, bound
        if index is None:
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit_uniform, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = EF_CONSTRUCTION
            _set_scale(faiss.downcast_index(index.storage), bound)
            index.is_trained = True
        self.index = index
        self.storage = faiss.downcast_index(index.storage)
        nodes = int(index.ntotal)
        self.node_vec = np.full(max(1024, nodes), -1, dtype=np.int64)  # vec_id per graph node, -1 = dead
        self.vec_node = np.full(1024, -1, dtype=np.int64)  # graph node per vec_id, -1 = none
        self.live = np.zeros(max(1024, nodes) // 8 + 1, dtype=np.uint8)  # bit per node: alive
        self.alive = 0
        if node_vec is not None:
            self.node_vec[:nodes] = node_vec
            alive = np.flatnonzero(node_vec >= 0)
            self._grow_vec(int(node_vec.max()) + 1 if len(node_vec) else 0)
            self.vec_node[node_vec[alive]] = alive
            self._set_live(alive, True)
            self.alive = len(alive)

    # ------------------------------------------------------------------ bookkeeping
    @property
    def nodes(self) -> int:
        return int(self.index.ntotal)

    @property
    def ntotal(self) -> int:
        return self.alive

    def _grow_vec(self, size: int) -> None:
        if size > len(self.vec_node):
            grown = np.full(max(size, 2 * len(self.vec_node)), -1, dtype=np.int64)
            grown[: len(self.vec_node)] = self.vec_node
            self.vec_node = grown

    def _grow_nodes(self, size: int) -> None:
        if size > len(self.node_vec):
            capacity = max(size, 2 * len(self.node_vec))
            grown = np.full(capacity, -1, dtype=np.int64)
            grown[: len(self.node_vec)] = self.node_vec
            self.node_vec = grown
            live = np.zeros(capacity // 8 + 1, dtype=np.uint8)
            live[: len(self.live)] = self.live
            self.live = live

    def _set_live(self, nodes: np.ndarray, alive: bool) -> None:
        bits = np.left_shift(1, nodes & 7).astype(np.uint8)
        if alive:
            np.bitwise_or.at(self.live, nodes >> 3, bits)
        else:
            np.bitwise_and.at(self.live, nodes >> 3, np.invert(bits))

    def fits(self, vectors: np.ndarray) -> bool:
        return True  # codes outside the scale are clipped; re-scoring from float32 keeps results exact

    # ------------------------------------------------------------------ changes
    def add(self, vec_ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(vec_ids):
            return
        vec_ids = np.asarray(vec_ids, dtype=np.int64)
        self.remove(vec_ids)  # a vec_id is in the graph at most once
        first = self.nodes
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        nodes = np.arange(first, first + len(vec_ids), dtype=np.int64)
        self._grow_nodes(first + len(vec_ids))
        self._grow_vec(int(vec_ids.max()) + 1)
        self.node_vec[nodes] = vec_ids
        self.vec_node[vec_ids] = nodes
        self._set_live(nodes, True)
        self.alive += len(vec_ids)

    def remove(self, vec_ids: np.ndarray) -> None:
        vec_ids = np.asarray(vec_ids, dtype=np.int64)
        vec_ids = vec_ids[vec_ids < len(self.vec_node)]
        nodes = self.vec_node[vec_ids]
        nodes = np.unique(nodes[nodes >= 0])
        if not len(nodes):
            return
        self.vec_node[self.node_vec[nodes]] = -1
        self.node_vec[nodes] = -1
        self._set_live(nodes, False)
        self.alive -= len(nodes)

    def needs_rebuild(self) -> bool:
        return self.nodes > 0 and (self.nodes - self.alive) / self.nodes > REBUILD_DEAD_SHARE

    # ------------------------------------------------------------------ search
    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None) -> np.ndarray:
        """vec_ids of about the best `n` candidates (by 8-bit score), restricted to `allowed` vec_ids if given.

        Unfiltered: the graph, efSearch widened by the dead share. A filter admitting at most
        FILTER_EXACT_SHARE of the live vectors: an exact scan of just those codes. A wider one:
        the graph with efSearch scaled by 1 / admitted share, so about as many admitted nodes are
        visited as an unfiltered search visits.
        """
        if self.alive == 0:
            return np.zeros(0, dtype=np.int64)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            share = self.alive / self.nodes
            live = self.live if share < 1 else None
        else:
            allowed = np.asarray(allowed, dtype=np.int64)
            nodes = self.vec_node[allowed[(allowed >= 0) & (allowed < len(self.vec_node))]]
            nodes = nodes[nodes >= 0]
            if not len(nodes):
                return np.zeros(0, dtype=np.int64)
            live = np.zeros_like(self.live)
            bits = np.left_shift(1, nodes & 7).astype(np.uint8)
            np.bitwise_or.at(live, nodes >> 3, bits)
            share = len(nodes) / self.nodes
            if len(nodes) <= FILTER_EXACT_SHARE * self.alive:
                sel = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(live))
                _, found = self.storage.search(q, min(n, len(nodes)), params=faiss.SearchParameters(sel=sel))
                return self._vec_ids(found[0])
        params = faiss.SearchParametersHNSW()
        params.efSearch = int(min(EF_SEARCH_MAX, max(EF_SEARCH, n) / max(share, 1e-9)))
        if live is not None:
            sel = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(live))
            params.sel = sel
        _, found = self.index.search(q, n, params=params)
        return self._vec_ids(found[0])

    def _vec_ids(self, nodes: np.ndarray) -> np.ndarray:
        nodes = nodes[nodes >= 0]
        vec_ids = self.node_vec[nodes]
        return vec_ids[vec_ids >= 0]

    def describe(self) -> dict[str, Any]:
        return {"kind": HNSW, "vectors": self.alive, "graph_nodes": self.nodes, "tombstones": self.nodes - self.alive,
                "M": HNSW_M, "ef_search": EF_SEARCH, "codes": "8-bit", "rescored": f"{RESCORE_FACTOR} x k, float32"}

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path, stamp: dict[str, Any]) -> None:
        """Write the graph, codes and node map with `stamp` (catalog id, log position); atomic.

        The files are written under new names, then `current.json` is replaced to point at them
        (a crash leaves either the old complete set or the new one), then older sets are removed.
        """
        folder.mkdir(parents=True, exist_ok=True)
        name = f"hnsw-{stamp['log_seq']}-{os.getpid()}"
        faiss.write_index(self.index, str(folder / f"{name}.faiss"))
        np.save(folder / f"{name}.npy", self.node_vec[: self.nodes])
        pointer = folder / "current.json"
        tmp = folder / f"current.json.{os.getpid()}"
        tmp.write_text(json.dumps({**stamp, "files": name, "dim": self.dim, "bound": self.bound, "M": HNSW_M}))
        os.replace(tmp, pointer)
        for old in folder.iterdir():
            if old.name.startswith("hnsw-") and old.stem != name:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, dim: int) -> tuple["HnswIndex", dict[str, Any]] | None:
        """The saved index and its stamp, or None if there is none usable (it is then rebuilt)."""
        try:
            stamp = json.loads((folder / "current.json").read_text())
            if stamp.get("dim") != dim or stamp.get("M") != HNSW_M:
                return None
            index = faiss.read_index(str(folder / f"{stamp['files']}.faiss"))  # already the concrete class
            node_vec = np.load(folder / f"{stamp['files']}.npy")
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        if not isinstance(index, faiss.IndexHNSWSQ) or len(node_vec) != index.ntotal:
            return None
        return cls(dim, float(stamp["bound"]), index, node_vec), stamp


def remove_saved(folder: Path) -> None:
    """Delete saved index files (a reset, or a saved index that no longer matches)."""
    if folder.is_dir():
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()
