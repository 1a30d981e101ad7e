"""Elasticsearch going away: mid-ingest (kill -9 of the real server) and before a request.

Why: `search/backends/elastic/` promises that an unreachable cluster is a clear
`BackendUnavailable` (CLI exit 1, API 503) and that an interrupted ingest is simply redone
(passages and claims first, the document record that marks a document as stored last,
ids as `_id`). These tests check that from the outside, with the real `khabar` CLI.

- The kill test needs a server started by scripts/es.sh (it kills it and starts it again):
  skipped with that reason when ELASTICSEARCH_URL is unset or points at a server es.sh does
  not manage; failing when the URL is set and nothing answers. It takes ~20 s plus one
  server restart (10-60 s on a busy machine) and always leaves the server running.
- The unreachable-URL tests need no server at all (a closed port), except the API one,
  which opens its index on the real server and then loses it.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import httpx
import pytest

from bench.kill_ingest import KHABAR, ROOT, write_corpus
from search.backends import ClaimQuery
from search.backends.elastic import ElasticBackend

ES_SH = ROOT / "scripts" / "es.sh"
ARTICLES = 600        # 6 upsert batches of 100: the kill lands after the first, well before the last
RESTART_TIMEOUT = 240  # seconds for `es.sh start` (its own health wait is 180 s)


# ----------------------------------------------------------------------------- helpers
def closed_port() -> int:
    with socket.socket() as s:  # bound then released: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def es_sh(command: str, url: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ES_PORT=str(urlparse(url).port or 9200))
    return subprocess.run(["bash", str(ES_SH), command], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def khabar(args: list[str], prefix: str, url: str, data_dir: Path, timeout: float = 300,
           popen: bool = False) -> Any:
    env = dict(os.environ, KHABAR_BACKEND="elasticsearch", KHABAR_ES_PREFIX=prefix, ELASTICSEARCH_URL=url,
               KHABAR_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    if popen:
        return subprocess.Popen([*KHABAR, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run([*KHABAR, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def stored_documents(url: str, prefix: str) -> int:
    """Document records visible so far (0 before the index exists or when the server is down)."""
    try:
        r = httpx.get(f"{url}/{prefix}-docs/_count", timeout=2)
    except httpx.HTTPError:
        return 0
    return r.json().get("count", 0) if r.status_code == 200 else 0


def open_existing(prefix: str) -> ElasticBackend:
    """The index `khabar index` built, opened with the embedder identity it recorded."""
    url = os.environ["ELASTICSEARCH_URL"]
    mapping = httpx.get(f"{url}/{prefix}-passages/_mapping", timeout=10).json()
    meta = next(iter(mapping.values()))["mappings"]["_meta"]
    return ElasticBackend.from_env(meta["embedder_id"], int(meta["dim"]), prefix=prefix)


def snapshot(prefix: str) -> dict[str, Any]:
    """Everything the comparison looks at, read back through the backend."""
    backend = open_existing(prefix)
    try:
        passages = [(h["_id"], h["_source"]["doc_id"], h["_source"]["ordinal"]) for h in backend._scan(
            backend.passages_alias, {"match_all": {}}, ["passage_id"], ["doc_id", "ordinal"])]
        claims = [(h["_id"], h["_source"]["doc_id"]) for h in backend._scan(
            backend.claims_alias, {"match_all": {}}, ["claim_id"], ["doc_id"])]
        stats = backend.stats()
        return {
            "hashes": backend.content_hashes(),
            "passages": passages,
            "claims": claims,
            "counts": (stats.documents, stats.passages, stats.claims, stats.passages_without_vectors),
            "claim_values": sorted((c.claim_id, c.value) for c in backend.claims(ClaimQuery(limit=10_000))),
        }
    finally:
        backend.close()


def destroy(prefix: str) -> None:
    try:
        backend = open_existing(prefix)
    except Exception:  # noqa: BLE001 - never created (the run failed before), nothing to delete
        return
    backend.destroy()
    backend.close()


@pytest.fixture
def managed_server() -> Iterator[str]:
    """ELASTICSEARCH_URL, checked to be the server scripts/es.sh runs (so it can be killed and restarted)."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: the kill test needs the server of scripts/es.sh")
    status = es_sh("status", url)
    if status.returncode != 0:
        try:
            httpx.get(f"{url}/_cluster/health", timeout=5)
        except httpx.HTTPError as exc:
            pytest.fail(f"ELASTICSEARCH_URL={url} is set but does not answer ({exc})")
        pytest.skip(f"{url} answers but is not the server scripts/es.sh manages; the kill test will not kill it")
    yield url
    # Whatever happened in the test: the server runs again afterwards.
    if es_sh("status", url).returncode != 0:
        started = es_sh("start", url, timeout=RESTART_TIMEOUT)
        assert started.returncode == 0, f"could not restart Elasticsearch:\n{started.stderr[-3000:]}"


# ----------------------------------------------------------------------------- kill -9
@pytest.mark.elasticsearch
def test_killed_server_fails_the_ingest_clearly_and_a_rerun_equals_a_clean_ingest(
        managed_server: str, tmp_path: Path) -> None:
    url = managed_server
    run = uuid.uuid4().hex[:8]
    clean, killed = f"khabar-fault-{run}-clean", f"khabar-fault-{run}-killed"
    corpus = tmp_path / "corpus"
    write_corpus(corpus, ARTICLES, seed=23, per_file=200, prefix="fault")
    try:
        done = khabar(["index", "--no-embed", "--quiet", str(corpus)], clean, url, tmp_path / "d1")
        assert done.returncode == 0, done.stderr
        assert f"added {ARTICLES}," in done.stdout

        # 1. Kill -9 the server as soon as the first batch is stored.
        pid = int(re.search(r"pid=(\d+)", es_sh("status", url).stdout).group(1))
        proc = khabar(["index", "--no-embed", "--quiet", str(corpus)], killed, url, tmp_path / "d2", popen=True)
        deadline = time.monotonic() + 120
        while stored_documents(url, killed) == 0:
            assert proc.poll() is None, f"the ingest ended before the kill:\n{proc.stderr.read()}"
            assert time.monotonic() < deadline, "no document was stored within 120 s"
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)

        assert proc.returncode == 1, (proc.returncode, out, err)
        assert "Traceback" not in err, err
        assert re.search(rf"Elasticsearch at {re.escape(url)} is unreachable", err), err
        assert "scripts/es.sh start" in err  # the message says what to do

        # 2. Start it again: what was acknowledged before the kill survived; the rest is missing.
        started = es_sh("start", url, timeout=RESTART_TIMEOUT)
        assert started.returncode == 0, started.stderr[-3000:]
        partial = snapshot(killed)
        assert 0 < partial["counts"][0] < ARTICLES, f"the kill did not land mid-ingest: {partial['counts']}"

        # 3. Re-run the same ingest: it completes and the index equals the clean one.
        rerun = khabar(["index", "--no-embed", "--quiet", str(corpus)], killed, url, tmp_path / "d2")
        assert rerun.returncode == 0, rerun.stderr
        assert f"unchanged {partial['counts'][0]}," in rerun.stdout  # stored documents are skipped, not redone
        a, b = snapshot(clean), snapshot(killed)
        assert len(a["hashes"]) == ARTICLES and a["passages"] and a["claims"]
        assert b["hashes"] == a["hashes"]
        assert sorted(b["passages"]) == sorted(a["passages"])
        assert sorted(b["claims"]) == sorted(a["claims"])
        assert b["claim_values"] == a["claim_values"]
        assert b["counts"] == a["counts"] == (ARTICLES, len(a["passages"]), len(a["claims"]), len(a["passages"]))
        for snap in (a, b):  # no duplicates: one record per id, and the counts agree with the ids
            assert len({p[0] for p in snap["passages"]}) == len(snap["passages"]) == snap["counts"][1]
            assert len({c[0] for c in snap["claims"]}) == len(snap["claims"]) == snap["counts"][2]
    finally:
        if es_sh("status", url).returncode != 0:
            es_sh("start", url, timeout=RESTART_TIMEOUT)
        destroy(clean)
        destroy(killed)


# ----------------------------------------------------------------------------- unreachable
@pytest.mark.parametrize("args", [["search", "قتلى"], ["index", "--no-embed", "samples/seeds"], ["stats"]])
def test_cli_exits_1_with_a_clear_message_when_elasticsearch_is_unreachable(args: list[str], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    done = khabar(args, "khabar-unreachable", url, tmp_path, timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"khabar: Elasticsearch at {url} is unreachable"), done.stderr
    assert "ELASTICSEARCH_URL" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.elasticsearch
def test_api_answers_503_when_elasticsearch_goes_away(embedder, tmp_path: Path) -> None:
    if not os.environ.get("ELASTICSEARCH_URL"):
        pytest.skip("ELASTICSEARCH_URL is not set: the index is opened on a real server before it goes away")
    from elasticsearch import Elasticsearch
    from fastapi.testclient import TestClient

    from khabar.settings import Settings
    from khabar.service import Engine
    from ui.api import create_app

    backend = ElasticBackend.from_env(embedder.id, embedder.dim, prefix=f"khabar-gone-{uuid.uuid4().hex[:8]}")
    real_client = backend.client
    try:
        engine = Engine(Settings(backend="elasticsearch"), backend=backend, embedder=embedder)
        client = TestClient(create_app(engine))
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/search", params={"q": "قتلى", "mode": "lexical"}).status_code == 200

        # The server disappears: from now on every request meets a closed port.
        gone = f"http://127.0.0.1:{closed_port()}"
        backend.client, backend.url, backend.attempts = Elasticsearch(gone, max_retries=0), gone, 2
        health = client.get("/api/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert f"Elasticsearch at {gone} is unreachable" in health.json()["detail"]
        for mode in ("lexical", "semantic", "hybrid"):
            r = client.get("/api/search", params={"q": "قتلى مدنيين", "mode": mode})
            assert r.status_code == 503, (mode, r.text)
            assert f"Elasticsearch at {gone} is unreachable" in r.json()["detail"]
    finally:
        backend.client.close()
        backend.client, backend.url = real_client, os.environ["ELASTICSEARCH_URL"]
        backend.destroy()
        backend.close()
