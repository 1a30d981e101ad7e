"""The `khabar` command on a real index (in process): exit codes and the one line a user reads."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ui.cli import main

SEEDS = Path(__file__).resolve().parents[2] / "samples" / "seeds"


@pytest.fixture
def khabar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """run(*args) -> (exit code, stdout, stderr) against an index of the test's own."""
    monkeypatch.setenv("KHABAR_DATA_DIR", str(tmp_path / "index"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_indexing_a_path_that_does_not_exist_fails_with_one_line(khabar, tmp_path: Path):
    code, out, err = khabar("index", "--quiet", "--no-embed", str(tmp_path / "nonexistent"))
    assert code == 1 and out == ""
    assert err == f"khabar: no such file or folder: {tmp_path / 'nonexistent'} (nothing indexed)\n"
    assert not (tmp_path / "index").exists()


def test_a_jsonl_file_whose_every_record_is_rejected_fails(khabar, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"title": "بلا نص"}\n{"text": 5}\nnot json\n', encoding="utf-8")
    code, out, err = khabar("index", "--quiet", "--no-embed", str(feed))
    assert code == 1
    assert err.strip() == "khabar: nothing indexed: all 3 input(s) rejected"
    assert f"rejected: {feed}:2: field 'text' must be a string, got int" in out


def test_a_partly_rejected_run_succeeds_and_lists_what_was_rejected(khabar, tmp_path: Path):
    shutil.copy(next(SEEDS.glob("000_*.txt")), tmp_path / "good.txt")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02binary")
    code, out, err = khabar("index", "--quiet", "--no-embed", str(tmp_path))
    assert code == 0 and err == ""
    assert "added 1," in out and f"rejected: {tmp_path / 'bad.txt'}: binary file" in out


@pytest.mark.parametrize("flags, message", [
    (["--date-from", "07/2015"], "khabar: date_from must be a date written YYYY-MM-DD, not '07/2015'"),
    (["--date-to", "2024-02-30"], "khabar: date_to 2024-02-30 is not a calendar date"),
    (["--date-from", "2020-01-01", "--date-to", "2019-01-01"], "khabar: date_from 2020-01-01 is after date_to 2019-01-01"),
])
def test_bad_search_dates_are_one_clear_line(khabar, flags, message):
    code, out, err = khabar("search", "التحالف", "--mode", "lexical", *flags)
    assert code == 2 and out == ""
    assert err == message + "\n"


def test_documents_says_what_it_shows_newest_first_and_pages(khabar, tmp_path: Path):
    feed = tmp_path / "feed.jsonl"
    dates = ["2016-01-02", None, "2019-07-01", "2017-12-31", "2018-03-04"]
    feed.write_text("\n".join(json.dumps({"id": f"d{i}", "text": f"خبر رقم {i} عن مدينة حلب.",
                                          **({"published_at": d} if d else {})}) for i, d in enumerate(dates)),
                    encoding="utf-8")
    assert khabar("index", "--quiet", "--no-embed", str(feed))[0] == 0
    code, out, _ = khabar("documents", "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines[:2]] == ["d2", "d4"]
    assert lines[-1] == "showing 1-2 of 5 documents, newest first; next page: khabar documents --offset 2"
    code, out, _ = khabar("documents", "--limit", "2", "--offset", "4")
    assert out.splitlines() == [out.splitlines()[0], "showing 5-5 of 5 documents, newest first"]
    assert out.split()[0] == "d1" and "no date" in out.splitlines()[0]
    listing = json.loads(khabar("documents", "--json", "--offset", "1")[1])
    assert [d["doc_id"] for d in listing["documents"]] == ["d4", "d3", "d0", "d1"] and listing["total"] == 5
