"""The Elasticsearch servers that scripts/es.sh runs behind ELASTICSEARCH_URL, for tests that kill them.

`scripts/es.sh start` runs one node; `scripts/es.sh cluster start` runs two data nodes and a
master-only tiebreaker (docs/ELASTICSEARCH.md). Fault tests must only ever kill servers that
es.sh manages (never a user's cluster), so the `managed_es` fixture first asks es.sh whether
ELASTICSEARCH_URL is its single node or its cluster, and skips with that reason otherwise.
Whatever a test did, every node runs again when it ends.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ES_SH = ROOT / "scripts" / "es.sh"
START_TIMEOUT = 420  # seconds for `es.sh [cluster] start` (its own health waits are 180 s / 300 s)


@pytest.fixture(scope="session")
def chromium() -> dict[str, Any]:
    """Playwright's launch arguments for the system's headless Chromium (`pw.chromium.launch(**chromium)`).

    Fails, rather than skips, when Chromium is missing: the browser tests are part of the suite, and
    only KHABAR_SKIP_BROWSER=1 leaves them out on purpose.
    """
    if os.environ.get("KHABAR_SKIP_BROWSER") == "1":
        pytest.skip("KHABAR_SKIP_BROWSER=1: browser tests explicitly disabled")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser.sh (Debian chromium + Arabic fonts), "
                    "or set KHABAR_SKIP_BROWSER=1 to skip the browser tests on purpose", pytrace=False)
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@dataclass(frozen=True)
class Node:
    name: str
    pid: int | None  # None: not running
    url: str
    roles: str


class ManagedElasticsearch:
    """The es.sh-run server(s) at ELASTICSEARCH_URL: one node ("single") or the cluster ("cluster")."""

    def __init__(self, url: str, mode: str, env: dict[str, str]) -> None:
        self.url = url
        self.urls = [u.strip() for u in url.split(",") if u.strip()]
        self.mode = mode
        self._env = env

    # ------------------------------------------------------------- es.sh
    def es_sh(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = ["cluster", *args] if self.mode == "cluster" else list(args)
        return subprocess.run(["bash", str(ES_SH), *command], env=self._env, cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)

    def nodes(self) -> list[Node]:
        """Every node es.sh manages here, running or not."""
        out = self.es_sh("status").stdout
        if self.mode == "single":
            found = re.search(r"pid=(\d+)", out)
            return [Node("node", int(found.group(1)) if found else None, self.urls[0], "master,data")]
        nodes = []
        for line in out.splitlines():
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            if "node" in fields:
                nodes.append(Node(fields["node"], int(fields["pid"]) if "pid" in fields else None, fields["url"],
                                  fields["roles"]))
        return nodes

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes() if n.name == name)

    def all_running(self) -> bool:
        return self.es_sh("status").returncode == 0

    def kill(self, *names: str) -> None:
        """kill -9 these nodes (all of them when none are named)."""
        targets = [n for n in self.nodes() if not names or n.name in names]
        assert targets and all(n.pid for n in targets), f"not running: {targets}"
        for n in targets:
            os.kill(n.pid, signal.SIGKILL)  # type: ignore[arg-type]
        for n in targets:  # gone for good before the test goes on (its pid must not answer)
            deadline = time.monotonic() + 30
            while Path(f"/proc/{n.pid}").exists() and _state(n.pid) not in ("Z", "X"):
                assert time.monotonic() < deadline, f"pid {n.pid} survived SIGKILL"
                time.sleep(0.05)

    def start(self) -> float:
        """Start whatever is not running (a killed node rejoins from its data dir); seconds taken.

        es.sh waits for health: one node answering, or the whole cluster green.
        """
        t0 = time.monotonic()
        done = self.es_sh("start", timeout=START_TIMEOUT)
        assert done.returncode == 0, f"es.sh {self.mode} start failed:\n{done.stderr[-4000:]}"
        return time.monotonic() - t0

    # ------------------------------------------------------------- HTTP, any live node
    def get(self, path: str, timeout: float = 5) -> httpx.Response | None:
        """GET from the first node that answers (None if none does)."""
        for url in [n.url for n in self.nodes() if n.pid] or self.urls:
            try:
                return httpx.get(f"{url}{path}", timeout=timeout)
            except httpx.HTTPError:
                continue
        return None

    def json(self, path: str, timeout: float = 30) -> Any:
        response = self.get(path, timeout=timeout)
        assert response is not None, f"no Elasticsearch node answers GET {path}"
        response.raise_for_status()
        return response.json()

    def master(self) -> str:
        return str(self.json("/_cat/master?format=json")[0]["node"])

    def shard_copies(self, index: str) -> list[dict[str, str]]:
        """index, prirep (p/r), state and node of every copy of the index's shards."""
        return self.json(f"/_cat/shards/{index}?format=json&h=index,shard,prirep,state,node")

    def wait_for_status(self, status: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/_cluster/health?wait_for_status={status}&timeout=5s", timeout=10)
            if response is not None and response.status_code == 200:
                return response.json()
            assert time.monotonic() < deadline, f"cluster not {status} after {timeout}s: " \
                                                f"{response.text if response is not None else 'no node answers'}"
            time.sleep(1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def find_managed(url: str) -> ManagedElasticsearch | None:
    """es.sh's cluster or single node at `url`, or None when es.sh does not run what answers there."""
    urls = [u.strip() for u in url.split(",") if u.strip()]
    port = urlparse(urls[0]).port or 9200
    cluster = ManagedElasticsearch(url, "cluster", dict(os.environ, ES_CLUSTER_PORT=str(port)))
    listed = cluster.es_sh("url").stdout.strip().split(",")
    if sorted(listed) == sorted(urls) and any(n.pid for n in cluster.nodes()):
        return cluster
    single = ManagedElasticsearch(url, "single", dict(os.environ, ES_PORT=str(port)))
    if len(urls) == 1 and single.es_sh("status").returncode == 0:
        return single
    return None


@pytest.fixture
def managed_es() -> Iterator[ManagedElasticsearch]:
    """ELASTICSEARCH_URL, checked to be es.sh's node or cluster (so it can be killed and restarted)."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: fault tests need the server of scripts/es.sh")
    managed = find_managed(url)
    if managed is None:
        for one in url.split(","):
            try:
                httpx.get(f"{one.strip()}/_cluster/health", timeout=5)
                break
            except httpx.HTTPError:
                continue
        else:
            pytest.fail(f"ELASTICSEARCH_URL={url} is set but does not answer")
        pytest.skip(f"{url} answers but is not a server scripts/es.sh manages; fault tests will not kill it")
    if not managed.all_running():  # a node left down by an earlier failure
        managed.start()
    yield managed
    if not managed.all_running():
        managed.start()


@pytest.fixture
def es_cluster(managed_es: ManagedElasticsearch) -> ManagedElasticsearch:
    """`managed_es` when it is es.sh's cluster (two data nodes + a tiebreaker)."""
    if managed_es.mode != "cluster":
        pytest.skip(f"ELASTICSEARCH_URL={managed_es.url} is es.sh's single node; node-failure tests need "
                    "`scripts/es.sh cluster start` and `eval \"$(scripts/es.sh cluster env)\"`")
    return managed_es
