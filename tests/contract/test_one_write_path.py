"""One server, one write path: a write from the browser UI and one from the API never run at once.

`khabar serve` builds one Engine and hands it to both the API and the UI; every write takes
the engine's one lock (`Engine._writes`). This drives both through HTTP on a real server (the UI
through Gradio's own call endpoint, as the page does) while the index is slow to write.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from khabar.settings import Settings
from ui.server import build_app

HOLD_S = 1.5  # each write holds the index this long: far longer than either request takes to arrive


@pytest.fixture
def server(tmp_path: Path, serve_in_thread):
    app = build_app(Settings(data_dir=str(tmp_path / "index")))
    engine = app.state.engine
    with serve_in_thread(app) as base_url:
        yield base_url, engine
    engine.close()


def _ui_index_pasted(base: str, title: str, text: str) -> str:
    """What the Library tab's "Index article" button does, through Gradio's call API."""
    with httpx.Client(base_url=base, timeout=120) as client:
        started = client.post("/gradio_api/call/v2/index_pasted",
                              json={"title": title, "text": text, "source": "", "url": "", "published_at": "",
                                    "key": ""})
        started.raise_for_status()
        event_id = started.json()["event_id"]
        with client.stream("GET", f"/gradio_api/call/index_pasted/{event_id}") as events:
            lines = [line for line in events.iter_lines()]
    data = [json.loads(line[len("data: "):]) for line in lines if line.startswith("data: ")]
    assert any("event: complete" in line for line in lines), lines
    return data[-1][0]


def test_a_ui_write_and_an_api_write_in_one_server_are_serialised(server):
    base, engine = server
    intervals: list[tuple[float, float, list[str]]] = []
    upsert = engine.backend.upsert

    def slow_upsert(docs):
        start = time.monotonic()
        time.sleep(HOLD_S)
        upsert(docs)
        intervals.append((start, time.monotonic(), [d.title for d in docs]))

    engine.backend.upsert = slow_upsert
    results: dict[str, object] = {}

    def ui() -> None:
        results["ui"] = _ui_index_pasted(base, "خبر من الواجهة", "أعلنت وزارة الصحة افتتاح مستشفى جديد في حلب.")

    def api() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            results["api"] = client.post("/api/documents", json={"title": "خبر من الواجهة البرمجية",
                                                                 "text": "قتل 12 مدنيا في غارة على الرقة."}).json()

    threads = [threading.Thread(target=ui), threading.Thread(target=api)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert len(results["api"]["added"]) == 1, results  # type: ignore[index]
    assert "<b>added</b> <bdi>1</bdi>" in str(results["ui"]), results["ui"]
    assert sorted(t for _, _, titles in intervals for t in titles) == ["خبر من الواجهة", "خبر من الواجهة البرمجية"]
    (a_start, a_end, _), (b_start, b_end, _) = sorted(intervals)
    assert b_start >= a_end, f"the two writes overlapped: {intervals}"
    assert engine.stats().documents == 2
