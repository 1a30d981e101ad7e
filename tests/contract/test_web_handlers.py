"""The browser UI's handlers on a real engine: what a user reads after a bad date or an upload."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from khabar.service import Engine
from khabar.settings import Settings
from ui.web_handlers import Handlers

SEEDS = Path(__file__).resolve().parents[2] / "samples" / "seeds"


@pytest.fixture
def handlers(tmp_path: Path, embedder):
    engine = Engine(Settings(data_dir=str(tmp_path / "index")), embedder=embedder)
    yield Handlers(engine, None)
    engine.close()


@pytest.mark.parametrize("date_from, date_to, message", [
    ("2024-13-45", "", "date_from 2024-13-45 is not a calendar date"),
    ("", "2024-02-30", "date_to 2024-02-30 is not a calendar date"),
    ("2020-01-01", "2019-01-01", "date_from 2020-01-01 is after date_to 2019-01-01"),
])
def test_impossible_search_dates_are_explained(handlers, date_from, date_to, message):
    html, page, *_ = handlers.search("التحالف", "lexical", None, date_from, date_to, "en", 0)
    assert message in html
    assert page == 0


def test_uploaded_files_are_named_by_their_own_name_not_where_gradio_keeps_them(handlers, tmp_path: Path):
    """Gradio hands the handler /tmp/gradio/<hash>/<name>: reports and documents show <name>."""
    cache = tmp_path / "gradio" / "6f1ed002ab5595859014ebf0951522d9"
    cache.mkdir(parents=True)
    shutil.copy(next(SEEDS.glob("000_*.txt")), cache / "upload_article.txt")
    (cache / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    html = handlers.index_files([str(cache / "upload_article.txt"), str(cache / "bin.txt")], "")
    assert "<b>added</b> <bdi>1</bdi>" in html and "bin.txt</bdi>: <bdi>binary file" in html
    assert str(cache) not in html and "khabar-upload" not in html
    (doc,) = handlers.engine.documents()
    assert doc["path"] == "upload:upload_article.txt" and doc["doc_id"].startswith("upload_article-")
