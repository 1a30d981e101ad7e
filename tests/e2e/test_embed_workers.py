"""`khabar embed --workers N` and `--shard i/n` under kill -9, on the embedded backend and on a real Elasticsearch.

What is promised (khabar/service/embed_workers.py, khabar/service/shards.py): a killed worker
loses nothing (its batches are handed out again), a killed run (or machine) is finished by a
rerun, no passage is embedded twice, and the index then equals one built by a plain
single-process `khabar embed`: the same passage ids, the same counts, and the same vectors and
sparse terms bit for bit (the engine's results depend neither on the batch a passage is in nor
on the thread count: tests/unit/test_native_engine.py).

Each test runs the real CLI as subprocesses and kills real processes; nothing is mocked.
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from bench.kill_ingest import KHABAR, ROOT, khabar_env, write_corpus

ARTICLES = 24  # ~70 passages: ~35 batches of 2, so the kills land mid-run on a busy machine too
BATCH = "2"
TIMEOUT = 900


# ----------------------------------------------------------------------------- helpers
def worker_pids(parent: int) -> list[int]:
    """The embedding workers of `khabar embed --workers` running as `parent` (not multiprocessing's tracker)."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return []
    found = []
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def gone(pid: int) -> bool:
    """Exited (a zombie counts: nothing runs any more)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status


def wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def sqlite_vectors(data: Path) -> dict[str, tuple[bytes | None, bytes | None]]:
    db = sqlite3.connect(data / "catalog.sqlite", timeout=10)
    try:
        return {pid: (v, s) for pid, v, s in db.execute("SELECT passage_id, vector, sparse FROM passages")}
    finally:
        db.close()


def with_vectors(data: Path) -> int:
    try:
        db = sqlite3.connect(data / "catalog.sqlite", timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def embedded_run(args: list[str], data: Path, popen: bool = False) -> Any:
    env = khabar_env(data) | {"KHABAR_EMBED_BATCH": BATCH}
    if popen:
        return subprocess.Popen([*KHABAR, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run([*KHABAR, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, ARTICLES, seed=31)
    return folder


@pytest.fixture(scope="module")
def clean_embedded(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes | None, bytes | None]]:
    """The reference: the same corpus indexed and embedded by one plain `khabar embed`."""
    data = tmp_path_factory.mktemp("clean")
    assert embedded_run(["index", "--no-embed", "--quiet", str(corpus)], data).returncode == 0
    done = embedded_run(["embed", "--quiet"], data)
    assert done.returncode == 0, done.stderr
    vectors = sqlite_vectors(data)
    assert vectors and all(v is not None and s is not None for v, s in vectors.values())
    return vectors


def indexed_copy(corpus: Path, data: Path) -> int:
    done = embedded_run(["index", "--no-embed", "--quiet", str(corpus)], data)
    assert done.returncode == 0, done.stderr
    return len(sqlite_vectors(data))


def assert_equal_indexes(got: dict[str, Any], clean: dict[str, Any]) -> None:
    assert sorted(got) == sorted(clean)
    assert [pid for pid in clean if got[pid] != clean[pid]] == []


# ----------------------------------------------------------------------------- embedded backend
def test_a_worker_killed_mid_batch_is_replaced_and_its_passages_are_not_lost(corpus, clean_embedded, tmp_path):
    data = tmp_path / "index"
    total = indexed_copy(corpus, data)
    proc = embedded_run(["embed", "--workers", "2", "--threads", "1"], data, popen=True)
    try:
        wait_for(lambda: len(worker_pids(proc.pid)) == 2 and with_vectors(data) >= 4, "two working workers")
        victim = worker_pids(proc.pid)[0]
        before = with_vectors(data)
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert before < total, f"the run ended before the worker was killed: {out} {err[-2000:]}"
    assert proc.returncode == 0, err
    held = re.search(r"\(pid (\d+)\) was killed by signal 9; its (\d+) passages go back to the queue", err)
    assert held and int(held.group(1)) == victim and int(held.group(2)) > 0, err  # it died holding a batch
    assert "1 embedding worker(s) died and were replaced" in out
    assert f"embedded {total} passages" in out  # each passage stored once, none twice
    assert_equal_indexes(sqlite_vectors(data), clean_embedded)


def test_a_killed_run_stops_its_workers_and_a_rerun_finishes_exactly_the_rest(corpus, clean_embedded, tmp_path):
    data = tmp_path / "index"
    total = indexed_copy(corpus, data)
    proc = embedded_run(["embed", "--workers", "2", "--threads", "1"], data, popen=True)
    try:
        wait_for(lambda: len(worker_pids(proc.pid)) == 2 and with_vectors(data) >= 6, "two working workers")
        workers = worker_pids(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    partial = with_vectors(data)
    assert 0 < partial < total, f"the kill landed outside the run ({partial}/{total}): {proc.stderr.read()[-2000:]}"
    # the orphaned workers see their pipe close and exit after the batch in hand
    wait_for(lambda: all(gone(pid) for pid in workers), "the workers of the killed run to exit", timeout=120)
    assert with_vectors(data) == partial  # nothing was stored after the parent died

    again = embedded_run(["embed", "--workers", "2", "--threads", "1", "--quiet"], data)
    assert again.returncode == 0, again.stderr
    assert f"embedded {total - partial} passages" in again.stdout  # resumed, not restarted
    assert_equal_indexes(sqlite_vectors(data), clean_embedded)


def test_bad_worker_options_are_clear_errors(tmp_path):
    for args, message in ((["--workers", "0", "--threads", "2"], "--threads sets the threads of each worker"),
                          (["--workers", "-1"], "--workers must be at least 1"),
                          (["--workers", "2", "--threads", "0"], "--threads must be at least 1"),
                          (["--shard", "3/2"], "1 <= i <= n")):
        done = embedded_run(["embed", *args], tmp_path / "index")
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


# ----------------------------------------------------------------------------- Elasticsearch: two machines
def es_run(args: list[str], prefix: str, data: Path, popen: bool = False) -> Any:
    env = dict(os.environ, KHABAR_BACKEND="elasticsearch", KHABAR_ES_PREFIX=prefix, KHABAR_DATA_DIR=str(data),
               KHABAR_EMBED_BATCH=BATCH, PYTHONPATH=str(ROOT))
    if popen:
        return subprocess.Popen([*KHABAR, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run([*KHABAR, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)


def es_passages(url: str, prefix: str) -> dict[str, Any]:
    """passage id -> (vector, sparse) as stored, every passage (search_after pages)."""
    out: dict[str, Any] = {}
    after = None
    while True:
        body: dict[str, Any] = {"size": 1000, "sort": [{"passage_id": "asc"}], "query": {"match_all": {}},
                                "_source": ["vector", "sparse", "has_vector"]}
        if after:
            body["search_after"] = after
        hits = httpx.post(f"{url}/{prefix}-passages/_search", json=body, timeout=30).json()["hits"]["hits"]
        for h in hits:
            src = h["_source"]
            out[h["_id"]] = (src.get("vector") if src.get("has_vector") else None, src.get("sparse"))
        if len(hits) < 1000:
            return out
        after = hits[-1]["sort"]


def es_with_vectors(url: str, prefix: str) -> int:
    try:
        r = httpx.post(f"{url}/{prefix}-passages/_count", json={"query": {"term": {"has_vector": True}}}, timeout=5)
    except httpx.HTTPError:
        return 0
    return r.json().get("count", 0) if r.status_code == 200 else 0


@pytest.mark.elasticsearch
def test_two_machines_share_one_elasticsearch_index_and_a_dead_one_is_finished_by_a_rerun(corpus, tmp_path):
    urls = os.environ.get("ELASTICSEARCH_URL")
    if not urls:
        pytest.skip("ELASTICSEARCH_URL is not set: this test needs a real server (scripts/es.sh start)")
    url = urls.split(",")[0].strip()  # a cluster is named by a comma list; any node answers these reads
    run = uuid.uuid4().hex[:8]
    clean, shared = f"khabar-test-{run}-clean", f"khabar-test-{run}-shared"
    try:
        for prefix in (clean, shared):
            done = es_run(["index", "--no-embed", "--quiet", str(corpus)], prefix, tmp_path)
            assert done.returncode == 0, done.stderr
        done = es_run(["embed", "--quiet"], clean, tmp_path)
        assert done.returncode == 0, done.stderr
        reference = es_passages(url, clean)
        total = len(reference)
        assert all(v is not None and s is not None for v, s in reference.values())

        # "machine" A: one worker, shard 1/2; "machine" B: two workers, shard 2/2, at the same time
        a = es_run(["embed", "--workers", "1", "--shard", "1/2"], shared, tmp_path, popen=True)
        b = es_run(["embed", "--workers", "2", "--threads", "1", "--shard", "2/2"], shared, tmp_path, popen=True)
        try:
            wait_for(lambda: len(worker_pids(a.pid)) == 1 and len(worker_pids(b.pid)) == 2
                     and es_with_vectors(url, shared) >= 6, "both machines embedding")
            os.kill(worker_pids(a.pid)[0], signal.SIGKILL)  # a worker of A dies: A carries on
            b_workers = worker_pids(b.pid)
            b.kill()  # machine B dies
            b.wait()
            a_out, a_err = a.communicate(timeout=TIMEOUT)
        finally:
            for proc in (a, b):
                if proc.poll() is None:
                    proc.kill()
        assert a.returncode == 0, a_err
        assert "1 embedding worker(s) died and were replaced" in a_out
        wait_for(lambda: all(gone(pid) for pid in b_workers), "B's workers to exit", timeout=120)

        stats = es_run(["stats", "--json", "--shards", "2"], shared, tmp_path)
        assert stats.returncode == 0, stats.stderr
        import json

        left = json.loads(stats.stdout)["passages_without_vectors_by_shard"]
        assert left["1/2"] == 0 and left["2/2"] > 0, left  # what the dead machine left is visible, per shard

        again = es_run(["embed", "--workers", "2", "--threads", "1", "--shard", "2/2", "--quiet"], shared, tmp_path)
        assert again.returncode == 0, again.stderr
        assert f"embedded {left['2/2']} passages (shard 2/2)" in again.stdout
        got = es_passages(url, shared)
        assert len(got) == total
        assert_equal_indexes(got, reference)
    finally:
        for prefix in (clean, shared):
            for name in ("passages", "docs", "claims"):
                httpx.delete(f"{url}/{prefix}-{name}-v1", timeout=30)
