"""Embedded-backend specifics the shared contract cannot see: the in-memory faiss index."""
from __future__ import annotations

import numpy as np

from indexer.models import Document
from indexer.segment import build_passages
from search.backend import Filters
from search.embedded import EmbeddedBackend


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
    backend.set_vectors(ids[:2], _unit(rng, 2))
    backend.set_vectors(ids[2:], _unit(rng, len(ids) - 2))
    backend.set_vectors(ids[:1], _unit(rng, 1))  # a replaced vector must not stay behind
    query = _unit(rng, 1)[0]
    incremental = backend.knn(query, 10, Filters())
    assert backend._faiss.ntotal == len(ids)

    reopened = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)  # rebuilt from SQLite
    rebuilt = reopened.knn(query, 10, Filters())
    assert [p for p, _ in incremental] == [p for p, _ in rebuilt]
    assert np.allclose([s for _, s in incremental], [s for _, s in rebuilt], atol=1e-6)


def test_another_process_writing_in_between_forces_a_rebuild(tmp_path):
    rng = np.random.default_rng(1)
    first = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    first.upsert([_doc("a", "جملة أولى.\nجملة ثانية.")])
    other = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    ids = [p.passage_id for p in first.passages_without_vectors(10)]
    other.set_vectors(ids[:1], _unit(rng, 1))  # first has not seen this yet
    first.set_vectors(ids[1:], _unit(rng, 1))
    assert first._faiss.ntotal == 2


def test_upserts_and_deletes_keep_faiss_equal_to_a_rebuild(tmp_path):
    rng = np.random.default_rng(2)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 8)
    backend.upsert([_doc("a", "جملة أولى.\nجملة ثانية.\nجملة ثالثة."), _doc("b", "نص آخر.\nنص رابع."),
                    _doc("c", "خبر ثالث.")])
    pending = backend.passages_without_vectors(100)
    backend.set_vectors([p.passage_id for p in pending], _unit(rng, len(pending)))
    # "a" changes one sentence: its two unchanged passages keep their vectors under new row ids.
    backend.upsert([_doc("a", "جملة أولى.\nجملة معدلة.\nجملة ثالثة.")])
    backend.delete("c")
    stats = backend.stats()
    assert backend._faiss.ntotal == stats.passages - stats.passages_without_vectors == 4
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
