"""`khabar serve`: the HTTP API and the browser UI from one process on one port."""
from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from typing import Sequence

import uvicorn

from khabar.settings import Settings

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
    from khabar.service import Engine, answerer_for
    from ui.api import create_app
    from ui.web import mount_ui

    engine = Engine(settings)
    if index_paths:
        report = engine.ingest(list(index_paths))
        print(f"indexed: added {len(report.added)}, updated {len(report.updated)}, "
              f"unchanged {len(report.unchanged)}, rejected {len(report.rejected)}", file=sys.stderr)
    for note in engine.setup_warnings():
        print(f"khabar: {note}", file=sys.stderr)
    answerer = answerer_for(engine)
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
    print(f"Khabar is ready: open http://{host}:{port}/ in a browser  (API docs: http://{host}:{port}/docs; "
          "Ctrl-C stops)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
