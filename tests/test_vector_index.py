"""The vector index's two layouts: exact scan while small, inverted file (IVF) from a size on.

The IVF threshold is lowered so the tests build both layouts in milliseconds; the vectors are
clustered (like real embeddings), which is what an inverted file relies on.
"""
from __future__ import annotations

import numpy as np
import pytest

from indexer.models import Document
from indexer.segment import build_passages
from search import vector_index
from search.backend import Filters
from search.embedded import EmbeddedBackend
from search.vector_index import VectorIndex

DIM = 16


def clustered(rng: np.random.Generator, n: int, centres: int = 20) -> np.ndarray:
    middle = rng.standard_normal((centres, DIM))
    v = middle[rng.integers(0, centres, n)] + 0.3 * rng.standard_normal((n, DIM))
    v = v.astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in ids[np.argsort(-(vectors @ query))[:k]]]


def test_small_index_is_exact_and_large_one_is_an_inverted_file():
    rng = np.random.default_rng(0)
    small, large = VectorIndex(DIM, ivf_min_vectors=1000), VectorIndex(DIM, ivf_min_vectors=1000)
    small.rebuild(np.arange(999, dtype=np.int64), clustered(rng, 999))
    large.rebuild(np.arange(1000, dtype=np.int64), clustered(rng, 1000))
    assert not small.approximate and large.approximate
    assert large.trained_on == 1000 and large.ntotal == 1000


def test_inverted_file_finds_the_exact_neighbours_on_clustered_vectors():
    rng = np.random.default_rng(1)
    vectors, ids = clustered(rng, 3000), np.arange(10, 3010, dtype=np.int64)
    index = VectorIndex(DIM, ivf_min_vectors=1000, nprobe=8)
    index.rebuild(ids, vectors)
    queries = clustered(rng, 50)
    recall = np.mean([len(set(index.search(q, 10)) & set(exact_top(vectors, ids, q, 10))) / 10 for q in queries])
    assert recall >= 0.95
    index.nprobe = 1  # one list of ~55 is a real approximation: the test can tell
    index._index.nprobe = 1
    narrow = np.mean([len(set(index.search(q, 10)) & set(exact_top(vectors, ids, q, 10))) / 10 for q in queries])
    assert narrow < recall


def test_filtered_search_probes_every_list_so_it_stays_exact():
    rng = np.random.default_rng(2)
    vectors, ids = clustered(rng, 3000), np.arange(3000, dtype=np.int64)
    index = VectorIndex(DIM, ivf_min_vectors=1000, nprobe=1)
    index.rebuild(ids, vectors)
    allowed = ids[::37]  # scattered over every list
    for q in clustered(rng, 20):
        found = index.search(q, 5, allowed)
        assert found == exact_top(vectors[allowed], allowed, q, 5)


def test_removes_and_adds_apply_in_place_on_the_inverted_file():
    rng = np.random.default_rng(3)
    vectors, ids = clustered(rng, 2000), np.arange(2000, dtype=np.int64)
    index = VectorIndex(DIM, ivf_min_vectors=1000, nprobe=64)  # probes every list: exact
    index.rebuild(ids, vectors)
    query = vectors[5]
    assert index.search(query, 1) == [5]
    index.remove(np.array([5], dtype=np.int64))
    assert 5 not in index.search(query, 10) and index.ntotal == 1999
    index.add(np.array([7777], dtype=np.int64), vectors[5:6])
    assert index.search(query, 1) == [7777]


def test_growth_past_the_threshold_or_far_past_the_centroids_asks_for_a_rebuild():
    rng = np.random.default_rng(4)
    index = VectorIndex(DIM, ivf_min_vectors=1000)
    index.rebuild(np.arange(900, dtype=np.int64), clustered(rng, 900))
    assert not index.needs_rebuild
    index.add(np.arange(900, 1000, dtype=np.int64), clustered(rng, 100))
    assert index.needs_rebuild  # exact scan grew into the inverted file's range
    index.rebuild(np.arange(1000, dtype=np.int64), clustered(rng, 1000))
    index.add(np.arange(1000, 4000, dtype=np.int64), clustered(rng, 3000))
    assert not index.needs_rebuild  # 4x the training size is still fine
    index.add(np.arange(4000, 4001, dtype=np.int64), clustered(rng, 1))
    assert index.needs_rebuild


def test_a_rebuild_within_range_keeps_the_trained_centroids():
    rng = np.random.default_rng(5)
    index = VectorIndex(DIM, ivf_min_vectors=1000)
    index.rebuild(np.arange(1000, dtype=np.int64), clustered(rng, 1000))
    centroids = index._index.quantizer.reconstruct_n(0, index._index.nlist).copy()
    index.rebuild(np.arange(1500, dtype=np.int64), clustered(rng, 1500))
    assert index.trained_on == 1000 and index.ntotal == 1500
    assert np.array_equal(centroids, index._index.quantizer.reconstruct_n(0, index._index.nlist))


def _doc(doc_id: str, sentences: int) -> Document:
    text = "\n".join(f"الجملة رقم {i} من الخبر {doc_id}." for i in range(sentences))
    doc = Document(doc_id=doc_id, title=doc_id, text=text, content_hash=doc_id)
    doc.passages = build_passages(doc_id, text)
    return doc


def test_backend_switches_to_the_inverted_file_while_embedding_and_keeps_exact_cosines(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_index, "IVF_MIN_VECTORS", 300)
    monkeypatch.setattr(vector_index, "NPROBE", 1000)  # every list: results comparable with the exact scan
    rng = np.random.default_rng(6)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", DIM)
    backend.upsert([_doc(f"d{i}", 12) for i in range(40)])
    pending = backend.passages_without_vectors(10_000)
    assert len(pending) >= 300
    vectors = clustered(rng, len(pending))
    for start in range(0, len(pending), 100):  # like `khabar embed`: batches cross the threshold
        backend.set_vectors([p.passage_id for p in pending[start : start + 100]], vectors[start : start + 100])
    assert backend._faiss.approximate and backend._faiss.ntotal == len(pending)
    query = clustered(rng, 1)[0]
    hits = backend.knn(query, 10, Filters())
    expected = np.sort(vectors @ query)[::-1][:10]
    assert np.allclose([score for _, score in hits], expected, atol=1e-6)  # exact float32 cosines
    backend.delete("d0")
    reopened = EmbeddedBackend(tmp_path / "index", "test-embedder", DIM)
    assert reopened._faiss.approximate and reopened._faiss.ntotal == backend._faiss.ntotal
    assert reopened.knn(query, 10, Filters()) == backend.knn(query, 10, Filters())


@pytest.mark.parametrize("k", [0, -1])
def test_no_neighbours_asked_none_given(k):
    index = VectorIndex(DIM)
    index.rebuild(np.arange(3, dtype=np.int64), clustered(np.random.default_rng(7), 3))
    assert index.search(clustered(np.random.default_rng(8), 1)[0], k) == []
