"""The in-memory vector index of the embedded backend: faiss, 8-bit copies, exact re-scoring.

The index holds no data of its own: the backend rebuilds it from the vectors in SQLite, so it
can never drift from the records.
"""
from __future__ import annotations

import faiss
import numpy as np

# One query at a time is faster on one thread (docs/BENCHMARKS.md, "Where the code's numbers come
# from"); the server gets its parallelism from concurrent requests.
faiss.omp_set_num_threads(1)

SCAN_HEADROOM = 1.25  # the 8-bit scale covers 1.25x the largest |component| seen, for vectors added later
RESCORE_FACTOR = 3  # candidates taken from the 8-bit scan per result wanted, then re-scored exactly


def vector_index(dim: int, bound: float) -> faiss.Index:
    """Exhaustive inner-product search over 8-bit copies of the vectors, scale [-bound, bound].

    Why 8 bits: the scan is bound by memory bandwidth, and smaller codes also leave the model's
    weights in the CPU cache for the next query embedding. Every vector is still compared, and
    `knn` re-scores RESCORE_FACTOR x k candidates from the float32 originals, so rankings and
    cosines are exact; the scale comes from the data (`scan_bound`), not a fixed +-1. Unlike
    HNSW it keeps exact deletes and in-place updates and needs no build. Measurements (recall
    per factor, latency, cache effects): docs/BENCHMARKS.md, "Vector search".
    """
    index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT)
    faiss.copy_array_to_vector(np.asarray([-bound, 2 * bound], dtype=np.float32), index.sq.trained)
    index.is_trained = True
    return index


def scan_bound(vectors: np.ndarray) -> float:
    """The 8-bit scale for these vectors: SCAN_HEADROOM x their largest |component| (at most 1, unit vectors)."""
    return min(1.0, SCAN_HEADROOM * float(np.abs(vectors).max())) if vectors.size else 0.0
