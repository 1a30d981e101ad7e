"""Security properties of the server and API: who may write, what may be uploaded, what a
name or id can reach, and that user text is never markup or query syntax.

Real engine, real API (in process); `khabar serve` as a subprocess for the bind check.
"""
from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from indexer.pipeline import document_from_article
from khabar.settings import Settings
from khabar.service import Engine
from ui.api import create_app

ROOT = Path(__file__).resolve().parents[2]
KEY = {"X-API-Key": "k3y-s3cret"}


def _serve(tmp_path: Path, *args: str, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KHABAR_API_KEY"}
    env["KHABAR_DATA_DIR"] = str(tmp_path / "index")
    if key is not None:
        env["KHABAR_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "ui.cli", "serve", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
@pytest.mark.parametrize("key", [None, ""])
def test_serving_beyond_loopback_without_a_key_is_refused(tmp_path: Path, host: str, key: str | None) -> None:
    run = _serve(tmp_path, "--host", host, "--port", "1", key=key)
    assert run.returncode == 2, (run.returncode, run.stderr[-500:])
    assert "KHABAR_API_KEY" in run.stderr and "refusing" in run.stderr
    assert not (tmp_path / "index").exists(), "nothing may be opened or created before the refusal"


@pytest.fixture
def guarded(tmp_path: Path, embedder):
    engine = Engine(Settings(data_dir=str(tmp_path / "index"), api_key=KEY["X-API-Key"], max_upload_mb=1),
                    embedder=embedder)
    yield TestClient(create_app(engine), raise_server_exceptions=False), engine, tmp_path
    engine.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, embedder, serve_in_thread):
    """The API on a real uvicorn server in a thread, for what depends on how a server decodes a path
    (Starlette's TestClient percent-decodes it twice, so "%252F" would reach a route as "/")."""
    root = tmp_path_factory.mktemp("live")
    engine = Engine(Settings(data_dir=str(root / "index"), api_key=KEY["X-API-Key"]), embedder=embedder)
    with serve_in_thread(create_app(engine)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client, engine, root
    engine.close()


def test_every_write_endpoint_needs_the_key(guarded) -> None:
    client, engine, _ = guarded
    article = {"id": "a1", "title": "خبر", "text": "أعلنت وزارة الصحة افتتاح مستشفى في حلب."}
    upload = {"files": ("a.txt", "عنوان\nنص الخبر عن دمشق.".encode(), "text/plain")}
    for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY["X-API-Key"] + "x"},
                    {"X-API-Key": KEY["X-API-Key"][:-1]}, {"x-api-key": b"\xfc\xff k3y"}):
        assert client.post("/api/documents", json=article, headers=headers).status_code == 401
        assert client.post("/api/upload", files=upload, headers=headers).status_code == 401
        assert client.delete("/api/documents/a1", headers=headers).status_code == 401
    assert engine.stats().documents == 0
    # Reads stay open; the key opens writes (header names are case-insensitive).
    assert client.get("/api/search", params={"q": "حلب"}).status_code == 200
    assert client.post("/api/documents", json=article, headers={"x-api-key": KEY["X-API-Key"]}).status_code == 200


def test_the_key_is_compared_in_constant_time(guarded, monkeypatch) -> None:
    import hmac

    import khabar.service.auth

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(khabar.service.auth.hmac, "compare_digest", spy)
    client, _, _ = guarded
    client.delete("/api/documents/none", headers={"X-API-Key": "guess"})
    assert calls and calls[-1][0] == b"guess"


def test_upload_size_limit_is_413_and_the_limit_itself_is_accepted(guarded) -> None:
    client, engine, _ = guarded
    line = "أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة حلب يضم مئتي سرير.\n".encode()
    exact = (line * (1024 * 1024 // len(line) + 1))[: 1024 * 1024 - 1] + b"."
    assert len(exact) == 1024 * 1024
    too_big = exact + b" "
    r = client.post("/api/upload", files={"files": ("big.txt", too_big, "text/plain")}, headers=KEY)
    assert r.status_code == 413 and "1 MB" in r.json()["detail"]
    assert engine.stats().documents == 0
    r = client.post("/api/upload", files={"files": ("ok.txt", exact, "text/plain")}, headers=KEY)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("name", ["../../../../tmp/khabar-escape.txt", "..\\..\\khabar-escape.txt",
                                  "/tmp/khabar-escape.txt", "a/../../khabar-escape.txt", "khabar\x00escape.txt",
                                  "." * 300 + ".txt", "%2e%2e%2fkhabar-escape.txt"])
def test_upload_names_cannot_reach_the_file_system(guarded, name: str) -> None:
    client, engine, tmp_path = guarded
    before = {p for p in Path("/tmp").iterdir() if "escape" in p.name}
    r = client.post("/api/upload", files={"files": (name, "عنوان\nخبر عن افتتاح مستشفى في حلب.".encode(),
                                                    "text/plain")}, headers=KEY)
    assert r.status_code in (200, 422), r.text
    assert {p for p in Path("/tmp").iterdir() if "escape" in p.name} == before
    for doc in engine.documents():
        assert doc["path"].startswith("upload:") and "/" not in doc["path"][len("upload:"):]


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "....//....//etc/passwd", "/etc/passwd", "..", ".",
                                    "a\\..\\b", "x\u202ey", "tab\there", "new\nline", "x" * 201])
def test_ids_that_cannot_be_addressed_are_refused_at_ingest(guarded, doc_id: str) -> None:
    client, engine, tmp_path = guarded
    r = client.post("/api/documents", json={"id": doc_id, "title": "خبر", "text": "نص الخبر عن دمشق وحلب."},
                    headers=KEY)
    assert r.status_code == 200 and r.json()["added"] == [], r.text
    (rejected,) = r.json()["rejected"]
    assert rejected["source"] == "request[0]" and rejected["reason"].startswith("field 'id' ")
    assert engine.documents() == []


@pytest.mark.parametrize("doc_id", ["..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "catalog.sqlite",
                                    "...", "a?b#c", "تقرير 7", "x" * 200, "100%", "a+b=c&d"])
def test_every_stored_id_can_be_fetched_and_deleted(live, doc_id: str) -> None:
    client, engine, tmp_path = live
    r = client.post("/api/documents", json={"id": doc_id, "title": "خبر", "text": "نص الخبر عن دمشق وحلب."},
                    headers=KEY)
    assert r.status_code == 200 and r.json()["added"] == [doc_id], r.text
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(f.startswith("index/catalog.sqlite") or f.startswith("index/tantivy/") for f in files), files
    path = "/api/documents/" + quote(doc_id, safe="")
    got = client.get(path)
    assert got.status_code == 200 and got.json()["doc_id"] == doc_id
    assert client.delete(path, headers=KEY).json() == {"deleted": doc_id}
    assert client.get(path).status_code == 404 and engine.document(doc_id) is None
    assert Path("/etc/passwd").exists()


def test_ids_stored_with_a_slash_stay_reachable(live) -> None:
    """An index may hold ids with "/" (ingest refuses them now, but a backend accepts them)."""
    client, engine, _ = live
    doc = document_from_article("خبر", "نص الخبر عن دمشق وحلب.")
    doc.doc_id = "old/style/id"
    engine.store([doc], embed=False)
    for path in ("/api/documents/old/style/id", "/api/documents/old%2Fstyle%2Fid"):
        assert client.get(path).json()["doc_id"] == "old/style/id"
    assert client.delete("/api/documents/old%2Fstyle%2Fid", headers=KEY).status_code == 200
    assert engine.document("old/style/id") is None


def test_user_text_is_never_rendered_as_html_in_hits(guarded) -> None:
    client, _, _ = guarded
    evil = ('<img src=x onerror=alert(1)> مستشفى <script>alert("x")</script> حلب '
            '<a href="javascript:alert(1)">رابط</a> &lt;b&gt; "quoted" \'single\'')
    r = client.post("/api/documents", json={"id": "x", "title": "<b>عنوان</b>", "text": evil}, headers=KEY)
    assert r.status_code == 200
    for mode in ("lexical", "hybrid"):
        resp = client.get("/api/search", params={"q": "مستشفى حلب <script>", "mode": mode})
        assert resp.headers["content-type"].startswith("application/json")
        hits = resp.json()["hits"]
        assert hits
        for hit in hits:
            bare = hit["highlight"].replace("<mark>", "").replace("</mark>", "")
            assert "<" not in bare and ">" not in bare and '"' not in bare, hit["highlight"]
            assert html.unescape(bare) == hit["text"]  # escaped, not dropped: the text is data


def test_query_syntax_is_just_words(tmp_path: Path, embedder) -> None:
    """Field names, operators and wildcards in a query are searched as words, never parsed."""
    engine = Engine(Settings(data_dir=str(tmp_path / "index")), embedder=embedder)
    try:
        engine.ingest_records([
            {"id": "a", "title": "الطقس", "text": "أمطار غزيرة في دمشق اليوم.", "source": "سانا"},
            {"id": "b", "title": "العنوان", "text": "وكالة سانا تنقل خبر افتتاح مدرسة في حلب.", "source": "رويترز"},
            {"id": "c", "title": "title", "text": "افتتاح جسر جديد في الرقة."},
        ], embed=False)

        def ids(q: str) -> set[str]:
            return {h.doc_id for h in engine.search(q, mode="lexical", k=10).hits}

        assert ids("source:سانا") == {"b"}  # the word, not the field filter (a's source is سانا)
        assert ids("doc_id:a") == set() and ids("doc_id:c OR *") == set()
        # "title" is a word in c's title and, translated (العنوان), b's title; "OR" and "*" match nothing
        assert ids("title:x OR *") == {"b", "c"}
        assert ids("*") == set() and ids("?") == set() and ids("[* TO *]") == set()
        assert ids("دمشق AND NOT حلب") == ids("دمشق حلب") == {"a", "b"}  # no boolean operators
        assert ids('"أمطار غزيرة"~5') == {"a"}
    finally:
        engine.close()


def test_settings_description_hides_the_key() -> None:
    described = json.dumps(Settings(api_key="super-secret").describe())
    assert "super-secret" not in described and '"api_key_set": true' in described
