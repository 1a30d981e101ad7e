"""Elasticsearch going away: the whole server or cluster (kill -9), one node of a cluster, a closed port.

Why: `search/backends/elastic/` promises that an unreachable cluster is a clear
`BackendUnavailable` (CLI exit 1, API 503), that an interrupted ingest is simply redone
(passages and claims first, the document record that marks a document as stored last,
ids as `_id`), and - given every data node in ELASTICSEARCH_URL and one replica - that
losing one node of a cluster loses no acknowledged write and stops no search. These tests
check that from the outside, with the real `khabar` CLI and HTTP API.

- The kill tests need servers started by scripts/es.sh (they kill and restart them; the
  `managed_es` fixture in conftest.py): skipped with that reason when ELASTICSEARCH_URL is
  unset or points at something es.sh does not run; failing when it is set and nothing
  answers. The node tests need es.sh's cluster (`scripts/es.sh cluster start`: two data
  nodes and a master-only tiebreaker). Each kill costs one restart (10-60 s for a node on a
  busy machine); every node runs again when a test ends.
- The unreachable-URL tests need no server at all (a closed port), except the API one,
  which opens its index on the real server and then loses it.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from bench.kill_ingest import KHABAR, ROOT, write_corpus
from search.backends import ClaimQuery
from search.backends.elastic import ElasticBackend, ElasticSettings

ARTICLES = 600  # 6 upsert batches of 100: the kill lands after the first, well before the last


# ----------------------------------------------------------------------------- helpers
def closed_port() -> int:
    with socket.socket() as s:  # bound then released: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def khabar(args: list[str], prefix: str, url: str, data_dir: Path, timeout: float = 300,
           popen: bool = False) -> Any:
    # One replica whatever the caller's environment: on a cluster, every shard then has a copy
    # on each data node (on a single node the replica stays unassigned, which changes nothing here).
    env = dict(os.environ, KHABAR_BACKEND="elasticsearch", KHABAR_ES_PREFIX=prefix, ELASTICSEARCH_URL=url,
               KHABAR_DATA_DIR=str(data_dir), KHABAR_ES_REPLICAS="1", PYTHONPATH=str(ROOT))
    if popen:
        return subprocess.Popen([*KHABAR, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run([*KHABAR, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def stored_documents(es, prefix: str) -> int:
    """Document records visible so far (0 before the index exists or when no node answers)."""
    response = es.get(f"/{prefix}-docs/_count", timeout=2)
    return response.json().get("count", 0) if response is not None and response.status_code == 200 else 0


def open_existing(prefix: str) -> ElasticBackend:
    """The index `khabar index` built, opened with the embedder identity it recorded."""
    # The client's own retries move to another node when the first one it tries is down.
    client = ElasticSettings.from_env().client().options(max_retries=3)
    try:
        mapping = client.indices.get_mapping(index=f"{prefix}-passages")
    finally:
        client.close()
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


def assert_equal_indexes(a: dict[str, Any], b: dict[str, Any]) -> None:
    """b holds exactly what a holds: documents and hashes, passages, claims and values, counts, no duplicates."""
    assert len(a["hashes"]) == ARTICLES and a["passages"] and a["claims"]
    assert b["hashes"] == a["hashes"]
    assert sorted(b["passages"]) == sorted(a["passages"])
    assert sorted(b["claims"]) == sorted(a["claims"])
    assert b["claim_values"] == a["claim_values"]
    assert b["counts"] == a["counts"] == (ARTICLES, len(a["passages"]), len(a["claims"]), len(a["passages"]))
    for snap in (a, b):  # no duplicates: one record per id, and the counts agree with the ids
        assert len({p[0] for p in snap["passages"]}) == len(snap["passages"]) == snap["counts"][1]
        assert len({c[0] for c in snap["claims"]}) == len(snap["claims"]) == snap["counts"][2]


def assert_stored_documents_are_whole(partial: dict[str, Any], clean: dict[str, Any]) -> None:
    """Every document with a record has all of its passages and claims (the record is written last)."""
    stored = set(partial["hashes"])
    assert all(clean["hashes"][d] == h for d, h in partial["hashes"].items())
    want_passages = sorted(p for p in clean["passages"] if p[1] in stored)
    want_claims = sorted(c for c in clean["claims"] if c[1] in stored)
    assert sorted(p for p in partial["passages"] if p[1] in stored) == want_passages
    assert sorted(c for c in partial["claims"] if c[1] in stored) == want_claims


@pytest.fixture(scope="module")
def clean_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The synthetic corpus and a snapshot of its uninterrupted ingest (shared by the kill tests)."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: the kill tests need the server of scripts/es.sh")
    tmp = tmp_path_factory.mktemp("clean")
    corpus = tmp / "corpus"
    write_corpus(corpus, ARTICLES, seed=23, per_file=200, prefix="fault")
    prefix = f"khabar-fault-{uuid.uuid4().hex[:8]}-clean"
    try:
        done = khabar(["index", "--no-embed", "--quiet", str(corpus)], prefix, url, tmp / "data")
        assert done.returncode == 0, done.stderr
        assert f"added {ARTICLES}," in done.stdout
        yield corpus, snapshot(prefix)
    finally:
        destroy(prefix)


def start_ingest_and_wait_for_first_batch(es, corpus: Path, prefix: str, data_dir: Path) -> subprocess.Popen:
    proc = khabar(["index", "--no-embed", "--quiet", str(corpus)], prefix, es.url, data_dir, popen=True)
    deadline = time.monotonic() + 120
    while stored_documents(es, prefix) == 0:
        assert proc.poll() is None, f"the ingest ended before the kill:\n{proc.stderr.read()}"
        assert time.monotonic() < deadline, "no document was stored within 120 s"
        time.sleep(0.02)
    return proc


# ----------------------------------------------------------------------------- kill -9 of every node
@pytest.mark.elasticsearch
def test_killed_server_fails_the_ingest_clearly_and_a_rerun_equals_a_clean_ingest(
        managed_es, clean_index, tmp_path: Path) -> None:
    """Every node es.sh runs (the single node, or all three of the cluster) dies mid-ingest."""
    es = managed_es
    corpus, clean = clean_index
    killed = f"khabar-fault-{uuid.uuid4().hex[:8]}-killed"
    try:
        # 1. Kill -9 the server(s) as soon as the first batch is stored.
        proc = start_ingest_and_wait_for_first_batch(es, corpus, killed, tmp_path / "d2")
        es.kill()
        out, err = proc.communicate(timeout=180)

        assert proc.returncode == 1, (proc.returncode, out, err)
        assert "Traceback" not in err, err
        assert re.search(rf"Elasticsearch at {re.escape(es.url)} is unreachable", err), err
        assert "scripts/es.sh start" in err  # the message says what to do

        # 2. Start it again: what was acknowledged before the kill survived; the rest is missing.
        es.start()
        partial = snapshot(killed)
        assert 0 < partial["counts"][0] < ARTICLES, f"the kill did not land mid-ingest: {partial['counts']}"
        assert_stored_documents_are_whole(partial, clean)

        # 3. Re-run the same ingest: it completes and the index equals the clean one.
        rerun = khabar(["index", "--no-embed", "--quiet", str(corpus)], killed, es.url, tmp_path / "d2")
        assert rerun.returncode == 0, rerun.stderr
        assert f"unchanged {partial['counts'][0]}," in rerun.stdout  # stored documents are skipped, not redone
        assert_equal_indexes(clean, snapshot(killed))
    finally:
        if not es.all_running():
            es.start()
        destroy(killed)


# ----------------------------------------------------------------------------- kill -9 of one cluster node
def local_counts(node_url: str, prefix: str) -> tuple[int, ...]:
    """Documents, passages and claims in the shard copies one node holds (`preference=_only_local`)."""
    return tuple(httpx.get(f"{node_url}/{prefix}-{name}/_count?preference=_only_local", timeout=30).json()["count"]
                 for name in ("docs", "passages", "claims"))


@pytest.mark.elasticsearch
def test_data_node_killed_mid_ingest_loses_no_acknowledged_document(es_cluster, clean_index, tmp_path: Path) -> None:
    """kill -9 of the data node holding the primaries being written: the replica takes over.

    The CLI lists both data nodes, so it may ride through the failover (exit 0) or stop with
    one clear line (exit 1); either way nothing it had stored is lost, while the node is
    down and after it rejoins from its data dir, and a rerun completes the ingest.
    """
    es = es_cluster
    corpus, clean = clean_index
    prefix = f"khabar-fault-{uuid.uuid4().hex[:8]}-node"
    try:
        proc = start_ingest_and_wait_for_first_batch(es, corpus, prefix, tmp_path / "d")
        master = es.master()
        primary = next(c["node"] for c in es.shard_copies(f"{prefix}-passages") if c["prirep"] == "p")
        replica = next(c["node"] for c in es.shard_copies(f"{prefix}-passages") if c["prirep"] == "r")
        assert {primary, replica} == {"d1", "d2"}, es.shard_copies(f"{prefix}-passages")
        es.kill(primary)
        out, err = proc.communicate(timeout=300)
        assert "Traceback" not in err, err
        if proc.returncode != 0:  # a clean stop: one line that names the cluster
            assert proc.returncode == 1 and err.startswith("khabar: Elasticsearch") and err.count("\n") == 1, err

        # While the node is down: the survivor answers, yellow, holding everything acknowledged.
        health = es.json("/_cluster/health")
        assert (health["status"], health["number_of_data_nodes"]) == ("yellow", 1), health
        assert {c["node"] for c in es.shard_copies(f"{prefix}-*") if c["state"] == "STARTED"} == {replica}
        during = snapshot(prefix)
        assert_stored_documents_are_whole(during, clean)
        if proc.returncode == 0:
            assert f"added {ARTICLES}," in out
            assert_equal_indexes(clean, during)

        # The node rejoins from its data dir: both copies hold exactly what was acknowledged.
        print(f"killed {primary} (primary; master was {master}) after the first batch: CLI exit {proc.returncode}, "
              f"{during['counts'][0]} documents stored while it was down; rejoined in {es.start():.0f} s")
        assert es.wait_for_status("green")["number_of_data_nodes"] == 2
        after = snapshot(prefix)
        assert after == during
        for node in ("d1", "d2"):
            assert local_counts(es.node(node).url, prefix) == after["counts"][:3], node

        # The CLI rerun completes the ingest (skipping what is stored) and equals the clean one.
        rerun = khabar(["index", "--no-embed", "--quiet", str(corpus)], prefix, es.url, tmp_path / "d")
        assert rerun.returncode == 0, rerun.stderr
        assert f"unchanged {during['counts'][0]}," in rerun.stdout
        assert_equal_indexes(clean, snapshot(prefix))
    finally:
        if not es.all_running():
            es.start()
        destroy(prefix)


@pytest.mark.elasticsearch
def test_searches_keep_answering_while_a_data_node_is_killed(es_cluster, embedder, monkeypatch, tmp_path: Path) -> None:
    """The elected master (or, when the tiebreaker is master, the passages' primary) dies under searches.

    Every API answer while the node is down and while it rejoins is the healthy cluster's
    answer (200) or the clear 503 - never a 500 or a traceback - and most are answers.
    """
    from fastapi.testclient import TestClient

    from khabar.service import Engine
    from khabar.settings import Settings
    from ui.api import create_app

    es = es_cluster
    monkeypatch.setenv("KHABAR_ES_REPLICAS", "1")
    monkeypatch.setenv("KHABAR_BACKEND", "elasticsearch")
    prefix = f"khabar-fault-{uuid.uuid4().hex[:8]}-search"
    monkeypatch.setenv("KHABAR_ES_PREFIX", prefix)
    engine = Engine(Settings(data_dir=str(tmp_path)), embedder=embedder)
    try:
        engine.ingest([ROOT / "samples" / "seeds"], progress=False)
        es.wait_for_status("green")
        api = TestClient(create_app(engine))
        queries = [("قتلى مدنيين", "lexical"), ("التحالف الدولي", "semantic"), ("civilian deaths in Syria", "hybrid"),
                   ("انفجار", "hybrid"), ("coalition air strikes", "semantic")]

        def ask(q: str, mode: str) -> tuple[int, Any]:
            r = api.get("/api/search", params={"q": q, "mode": mode, "k": 5})
            if r.status_code == 200:
                return 200, tuple(h["passage_id"] for h in r.json()["hits"])
            return r.status_code, r.json().get("detail", r.text)

        # What the healthy cluster answers (each query several times: both copies serve reads).
        healthy: dict[tuple[str, str], set[Any]] = {}
        for _ in range(8):
            for q in queries:
                status, hits = ask(*q)
                assert status == 200 and hits, (q, status, hits)
                healthy.setdefault(q, set()).add(hits)

        master = es.master()
        passages_primary = next(c["node"] for c in es.shard_copies(f"{prefix}-passages") if c["prirep"] == "p")
        victim = master if master in ("d1", "d2") else passages_primary
        answers: dict[str, list[tuple[tuple[str, str], int, Any]]] = {"down": [], "rejoining": []}

        def search_for(phase: str, seconds: float) -> None:
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                for q in queries:
                    answers[phase].append((q, *ask(*q)))
                time.sleep(0.1)  # a steady stream, not a load test: the node must restart meanwhile

        es.kill(victim)
        search_for("down", 8)
        health = es.json("/_cluster/health")
        assert (health["status"], health["number_of_data_nodes"]) == ("yellow", 1), health
        cli = subprocess.run([*KHABAR, "search", "--mode", "lexical", "قتلى مدنيين"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert "Traceback" not in cli.stderr, cli.stderr
        assert cli.returncode == 0 and "candidates" in cli.stdout, (cli.returncode, cli.stdout, cli.stderr)

        took: list[float] = []
        restart = threading.Thread(target=lambda: took.append(es.start()))
        restart.start()
        while restart.is_alive():
            search_for("rejoining", 2)
        restart.join()
        assert es.wait_for_status("green")["number_of_data_nodes"] == 2

        print(f"killed {victim} (master {master}, passages primary {passages_primary}); rejoined in "
              f"{took[0] if took else float('nan'):.0f} s; healthy variants per query "
              f"{[len(v) for v in healthy.values()]}; " + "; ".join(
                  f"{phase}: {sum(a[1] == 200 for a in got)}/{len(got)} answered" for phase, got in answers.items()))
        for phase, got in answers.items():
            ok = [a for a in got if a[1] == 200]
            for q, status, detail in got:
                if status == 200:
                    assert detail in healthy[q], (phase, q, detail, healthy[q])
                else:
                    assert status == 503 and str(detail).startswith("Elasticsearch at"), (phase, q, status, detail)
            assert len(ok) >= 0.9 * len(got) and ok, f"{phase}: {len(ok)} of {len(got)} searches answered"
    finally:
        if not es.all_running():
            es.start()
        engine.backend.destroy()  # type: ignore[attr-defined]
        engine.close()


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
