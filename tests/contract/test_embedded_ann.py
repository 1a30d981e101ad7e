"""The embedded backend's approximate (HNSW) vector index, on small indexes with small thresholds.

What a million-passage index relies on: the automatic choice and its report, adds, deletes and
replaced vectors (tombstones, then a rebuild), filters, the saved copy after a restart, catching up
with another process's writes, and the background build.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from khabar.models import Document
from khabar.segment import build_passages
from search.backends import Filters
from search.backends.embedded import EmbeddedBackend
from search.backends.embedded import catalog, vectors

DIM = 16


def _doc(i: int, source: str = "wire") -> Document:
    doc = Document(doc_id=f"d{i:04d}", title=f"d{i}", text=f"خبر رقم {i}.", content_hash=f"h{i}", source=source)
    doc.passages = build_passages(doc.doc_id, doc.text)
    return doc


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _fill(backend: EmbeddedBackend, docs: list[Document], rng: np.random.Generator) -> dict[str, np.ndarray]:
    backend.upsert(docs)
    pending = backend.passages_without_vectors(100_000)
    vecs = _unit(rng, len(pending))
    backend.set_vectors([p.passage_id for p in pending], vecs)
    return dict(zip((p.passage_id for p in pending), vecs))


def _exact(by_id: dict[str, np.ndarray], query: np.ndarray, k: int, keep=lambda pid: True) -> list[str]:
    scored = sorted(((float(v @ query), pid) for pid, v in by_id.items() if keep(pid)), reverse=True)
    return [pid for _, pid in scored[:k]]


def _open(path, **options) -> EmbeddedBackend:
    return EmbeddedBackend(path, "test-embedder", DIM, build_in_background=False, **options)


def test_auto_switches_to_hnsw_at_the_threshold_and_reports_why(tmp_path):
    rng = np.random.default_rng(0)
    backend = _open(tmp_path / "i", ann_threshold=60)
    by_id = _fill(backend, [_doc(i) for i in range(50)], rng)
    query = _unit(rng, 1)[0]
    assert [p for p, _ in backend.knn(query, 5, Filters())] == _exact(by_id, query, 5)
    info = backend.stats().details["vector_index"]
    assert info["kind"] == info["chosen"] == "exact" and "< KHABAR_ANN_THRESHOLD 60" in info["reason"]
    by_id.update(_fill(backend, [_doc(i) for i in range(50, 80)], rng))  # 80 vectors: past the threshold
    assert [p for p, _ in backend.knn(query, 5, Filters())] == _exact(by_id, query, 5)
    info = backend.stats().details["vector_index"]
    assert info["kind"] == info["chosen"] == "hnsw" and ">= KHABAR_ANN_THRESHOLD 60" in info["reason"]
    assert info["vectors"] == 80 and info["saved"] is True


def test_hnsw_finds_the_exact_neighbours_after_adds_deletes_and_replacements(tmp_path):
    rng = np.random.default_rng(1)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(backend, [_doc(i) for i in range(200)], rng)
    queries = _unit(rng, 20)
    backend.knn(queries[0], 1, Filters())  # the graph exists from here on; the changes below are applied to it
    gone = backend.get_document("d0007").passages[0].passage_id
    backend.delete("d0007")
    del by_id[gone]
    replaced = [p.passage_id for p in backend.get_document("d0010").passages]
    new = _unit(rng, len(replaced))
    backend.set_vectors(replaced, new)
    by_id.update(zip(replaced, new))
    by_id.update(_fill(backend, [_doc(i) for i in range(200, 230)], rng))
    for q in queries:
        found = backend.knn(q, 10, Filters())
        assert [p for p, _ in found] == _exact(by_id, q, 10)
        assert gone not in {p for p, _ in found}
        assert np.allclose([s for _, s in found], [float(by_id[p] @ q) for p, _ in found], atol=1e-6)
    info = backend.vector_index_info()
    assert info["kind"] == "hnsw" and info["vectors"] == len(by_id) and info["tombstones"] == 2


def test_many_tombstones_trigger_a_rebuild_of_the_graph(tmp_path):
    rng = np.random.default_rng(2)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(backend, [_doc(i) for i in range(100)], rng)
    backend.knn(_unit(rng, 1)[0], 1, Filters())
    for i in range(30):  # 30 % of the nodes dead: past REBUILD_DEAD_SHARE
        by_id.pop(backend.get_document(f"d{i:04d}").passages[0].passage_id)
        backend.delete(f"d{i:04d}")
    query = _unit(rng, 1)[0]
    assert [p for p, _ in backend.knn(query, 10, Filters())] == _exact(by_id, query, 10)
    info = backend.vector_index_info()
    # rebuilt once 26 of 100 nodes were dead; the 4 deletes after that are tombstones in the new graph
    assert info["kind"] == "hnsw" and info["vectors"] == 70 and info["graph_nodes"] == 74 and info["tombstones"] == 4


@pytest.mark.parametrize("share", [0.05, 0.6])  # below FILTER_EXACT_SHARE: exact scan of the codes; above: the graph
def test_filtered_search_returns_only_admitted_passages_and_the_exact_top_k(tmp_path, share):
    rng = np.random.default_rng(3)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    n = 300
    docs = [_doc(i, source="agency" if i < share * n else "wire") for i in range(n)]
    by_id = _fill(backend, docs, rng)
    agency = {d.passages[0].passage_id for d in docs if d.source == "agency"}
    for q in _unit(rng, 10):
        found = backend.knn(q, 10, Filters(source="agency"))
        assert {p for p, _ in found} <= agency
        assert [p for p, _ in found] == _exact(by_id, q, 10, keep=agency.__contains__)
    one = docs[42].passages[0].passage_id
    assert [p for p, _ in backend.knn(_unit(rng, 1)[0], 5, Filters(doc_id="d0042"))] == [one]


def test_a_restart_loads_the_saved_graph_and_applies_what_changed_since(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    first = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(first, [_doc(i) for i in range(120)], rng)
    first.knn(_unit(rng, 1)[0], 1, Filters())  # built and saved
    first.close()
    writer = _open(tmp_path / "i", vector_index="hnsw")  # a writer never builds an index
    by_id.update(_fill(writer, [_doc(i) for i in range(120, 140)], rng))
    by_id.pop(writer.get_document("d0003").passages[0].passage_id)
    writer.delete("d0003")
    writer.close()
    assert not list((tmp_path / "i" / "vectors-hnsw").glob("*.faiss.tmp"))

    def no_build(*args, **kwargs):
        raise AssertionError("the saved graph should have been loaded, not rebuilt")

    reopened = _open(tmp_path / "i", vector_index="hnsw")
    monkeypatch.setattr(reopened._vectors, "_build_from", no_build)
    query = _unit(rng, 1)[0]
    assert [p for p, _ in reopened.knn(query, 10, Filters())] == _exact(by_id, query, 10)
    assert reopened.vector_index_info()["vectors"] == len(by_id) == 139


def test_a_saved_graph_from_another_catalog_or_past_the_trimmed_log_is_rebuilt(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(backend, [_doc(i) for i in range(60)], rng)
    backend.knn(_unit(rng, 1)[0], 1, Filters())
    backend.close()
    pointer = tmp_path / "i" / "vectors-hnsw" / "current.json"
    stamp = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**stamp, "catalog_id": "another"}))
    query = _unit(rng, 1)[0]
    reopened = _open(tmp_path / "i", vector_index="hnsw")
    assert [p for p, _ in reopened.knn(query, 5, Filters())] == _exact(by_id, query, 5)
    assert json.loads(pointer.read_text())["catalog_id"] != "another"  # rebuilt and saved again
    reopened.close()

    monkeypatch.setattr(catalog, "LOG_KEEP", 5)  # trimmed on the next write: the saved position is lost
    writer = _open(tmp_path / "i", vector_index="hnsw")
    by_id.update(_fill(writer, [_doc(i) for i in range(60, 80)], rng))
    writer.close()
    built = []
    third = _open(tmp_path / "i", vector_index="hnsw")
    real_build = third._vectors._build_from
    monkeypatch.setattr(third._vectors, "_build_from", lambda *a: built.append(a) or real_build(*a))
    assert [p for p, _ in third.knn(query, 5, Filters())] == _exact(by_id, query, 5)
    assert built, "a log trimmed past the saved position must force a rebuild"


def test_another_process_s_writes_reach_a_loaded_graph(tmp_path):
    rng = np.random.default_rng(6)
    server = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(server, [_doc(i) for i in range(80)], rng)
    query = _unit(rng, 1)[0]
    server.knn(query, 1, Filters())
    writer = _open(tmp_path / "i", vector_index="hnsw")
    by_id.update(_fill(writer, [_doc(i) for i in range(80, 100)], rng))
    by_id.pop(writer.get_document("d0001").passages[0].passage_id)
    writer.delete("d0001")
    assert [p for p, _ in server.knn(query, 10, Filters())] == _exact(by_id, query, 10)
    assert server.vector_index_info()["vectors"] == 99


def test_the_background_build_serves_exactly_until_the_graph_is_ready(tmp_path):
    rng = np.random.default_rng(7)
    backend = EmbeddedBackend(tmp_path / "i", "test-embedder", DIM, ann_threshold=50)
    by_id = _fill(backend, [_doc(i) for i in range(120)], rng)
    query = _unit(rng, 1)[0]
    assert [p for p, _ in backend.knn(query, 10, Filters())] == _exact(by_id, query, 10)
    assert backend.wait_for_vector_index(timeout=60)
    info = backend.vector_index_info()
    assert info["kind"] == "hnsw" and "building" not in info and info["saved"]
    assert [p for p, _ in backend.knn(query, 10, Filters())] == _exact(by_id, query, 10)


def test_an_unknown_vector_index_setting_is_a_clear_error(tmp_path):
    from search.backends import BackendError

    with pytest.raises(BackendError, match="KHABAR_VECTOR_INDEX must be one of auto, exact, hnsw"):
        EmbeddedBackend(tmp_path / "i", "test-embedder", DIM, vector_index="ivf")


def test_the_hnsw_index_is_exercised_not_the_exact_scan(tmp_path, monkeypatch):
    """Guard for the tests above: with `hnsw` forced, unfiltered searches go through the graph."""
    rng = np.random.default_rng(8)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    _fill(backend, [_doc(i) for i in range(50)], rng)
    calls = []
    real = vectors.HnswIndex.search
    monkeypatch.setattr(vectors.HnswIndex, "search", lambda self, *a: calls.append(a) or real(self, *a))
    backend.knn(_unit(rng, 1)[0], 5, Filters())
    assert calls


def test_a_filter_s_remembered_passages_follow_writes(tmp_path):
    """The admitted vec_ids of a filter are remembered between searches, never across a write."""
    rng = np.random.default_rng(9)
    backend = _open(tmp_path / "i", vector_index="hnsw")
    by_id = _fill(backend, [_doc(i, source="agency" if i < 10 else "wire") for i in range(100)], rng)
    query = _unit(rng, 1)[0]
    before = backend.knn(query, 50, Filters(source="agency"))
    assert len(before) == 10
    newcomer = _doc(500, source="agency")
    backend.upsert([newcomer])
    backend.set_vectors([newcomer.passages[0].passage_id], query[None])  # the best possible match
    after = backend.knn(query, 50, Filters(source="agency"))
    assert after[0][0] == newcomer.passages[0].passage_id and len(after) == 11
    backend.delete("d0003")
    assert by_id.keys() >= {p for p, _ in backend.knn(query, 50, Filters(source="agency"))} - {after[0][0]}
    assert len(backend.knn(query, 50, Filters(source="agency"))) == 10
