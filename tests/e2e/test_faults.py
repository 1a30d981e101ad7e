"""Faults from the outside: kill -9, damaged files, a full disk, hostile input files.

Every test runs the real `khabar` (as a subprocess where a crash or exit code matters)
on a real index folder; nothing is mocked. The bigger kill -9 run (5,000 articles) is
`bench/kill_ingest.py`, with its numbers in docs/RELIABILITY.md.
"""
from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bench.kill_ingest import (
    QUERIES,
    compare_indexes,
    kill_and_resume,
    khabar_env,
    run_khabar,
    snapshot,
    stored_documents,
    write_corpus,
    KHABAR,
    ROOT,
)
from search.backends import IndexCorrupt

KILL_CORPUS = 800  # articles: ~6 s per clean run on one free core (the 5,000-article run is the bench)
REPAIR = "khabar reset --yes && khabar index"


# ----------------------------------------------------------------------------- kill -9
def test_kill9_during_index_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, KILL_CORPUS, seed=11)
    clean = run_khabar(["index", "--no-embed", "--quiet", str(corpus)], tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr

    summary = kill_and_resume(corpus, tmp_path / "killed", KILL_CORPUS, kills=3, seed=3)
    kills = summary["kills"]
    assert sum(k["killed"] for k in kills) >= 2, f"the runs finished before they could be killed: {kills}"
    assert any(0 < k["stored_after"] < KILL_CORPUS for k in kills), f"no kill left a partial index: {kills}"

    a, b = snapshot(tmp_path / "clean", QUERIES), snapshot(tmp_path / "killed", QUERIES)
    assert len(a["docs"]) == KILL_CORPUS and a["passages"] and a["claims"] is not None
    assert all(a["results"][q] for q in QUERIES), "the comparison queries must match something"
    assert compare_indexes(a, b) == []
    assert len(set(b["passages"])) == len(b["passages"]) == b["tantivy_docs"]


def test_kill9_during_embed_then_rerun_finishes_without_duplicate_vectors(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 8, seed=5)
    data = tmp_path / "index"
    done = run_khabar(["index", "--no-embed", "--quiet", str(corpus)], data)
    assert done.returncode == 0, done.stderr
    total = len(snapshot(data)["passages"])

    def with_vectors() -> int:
        db = sqlite3.connect(data / "catalog.sqlite", timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0]
        finally:
            db.close()

    env = khabar_env(data) | {"KHABAR_EMBED_BATCH": "2"}
    proc = subprocess.Popen([*KHABAR, "embed", "--quiet"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    target = random.Random(9).randint(2, total // 2)
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and with_vectors() < target and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    partial = with_vectors()
    assert 0 < partial < total, f"kill landed outside the embedding run ({partial}/{total} vectors)"

    again = subprocess.run([*KHABAR, "embed", "--quiet"], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"embedded {total - partial} passages" in again.stdout  # resumed, not restarted
    snap = snapshot(data)
    assert snap["vectors"] == total and snap["faiss_ntotal"] == total


# ----------------------------------------------------------------------------- damaged index
@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    write_corpus(root / "corpus", 300, seed=21)
    done = run_khabar(["index", "--no-embed", "--quiet", str(root / "corpus")], root / "index")
    assert done.returncode == 0, done.stderr
    db = sqlite3.connect(root / "index" / "catalog.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file: copies are self-contained
    db.close()
    return root / "index"


def _garble(path: Path, at: int, n: int = 64) -> None:
    with path.open("r+b") as fh:
        fh.seek(min(at, max(0, path.stat().st_size - n)))
        fh.write(bytes(random.Random(at).randrange(256) for _ in range(n)))


def _segment_file(index: Path, ext: str) -> Path:
    files = sorted((index / "tantivy").glob(f"*.{ext}"), key=lambda f: -f.stat().st_size)
    assert files, f"no .{ext} segment file in {index}"
    return files[0]


DAMAGE = {
    "catalog truncated": lambda d: (d / "catalog.sqlite").write_bytes((d / "catalog.sqlite").read_bytes()[:5000]),
    "catalog garbled": lambda d: _garble(d / "catalog.sqlite", 8192, 4096),
    "catalog deleted": lambda d: (d / "catalog.sqlite").unlink(),
    "catalog emptied": lambda d: (d / "catalog.sqlite").write_bytes(b""),
    "tantivy meta.json deleted": lambda d: (d / "tantivy" / "meta.json").unlink(),
    "tantivy meta.json garbled": lambda d: (d / "tantivy" / "meta.json").write_text("{not json"),
    "tantivy folder deleted": lambda d: shutil.rmtree(d / "tantivy"),
    **{f"tantivy .{ext} deleted": (lambda e: lambda d: _segment_file(d, e).unlink())(ext)
       for ext in ("idx", "term", "store")},
    **{f"tantivy .{ext} garbled": (lambda e: lambda d: _garble(_segment_file(d, e), 200))(ext)
       for ext in ("idx", "term", "pos", "store", "fast", "fieldnorm")},
    "tantivy .term truncated": lambda d: _segment_file(d, "term").write_bytes(_segment_file(d, "term").read_bytes()[:-300]),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_index_is_refused_with_the_repair_command(built_index: Path, tmp_path: Path, damage: str) -> None:
    from search.backends.embedded import EmbeddedBackend
    from khabar.service import Engine  # noqa: F401 - import cost paid once, outside the timed part

    data = tmp_path / "index"
    # The fixture checkpointed everything into the main file; WAL files of a reader that is
    # still open (or closing) would mask damage, or vanish mid-copy.
    shutil.copytree(built_index, data, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    DAMAGE[damage](data)
    reader = sqlite3.connect(f"file:{built_index / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        info = dict(reader.execute("SELECT key, value FROM info"))
    finally:
        reader.close()
    with pytest.raises(IndexCorrupt) as caught:
        EmbeddedBackend(data, info["embedder_id"], int(info["dim"]))
    assert REPAIR in str(caught.value)

    cli = run_khabar(["search", "--mode", "lexical", "--json", "المستشفيات"], data)
    assert cli.returncode == 1, (cli.returncode, cli.stdout[:300], cli.stderr[-500:])
    assert cli.stdout == "" and "Traceback" not in cli.stderr
    assert REPAIR in cli.stderr and str(data) in cli.stderr


def test_the_repair_command_works(built_index: Path, tmp_path: Path) -> None:
    data = tmp_path / "index"
    shutil.copytree(built_index, data, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    _garble(_segment_file(data, "idx"), 200)
    assert run_khabar(["stats"], data).returncode == 1
    assert run_khabar(["reset", "--yes"], data).returncode == 0
    corpus = built_index.parent / "corpus"
    assert run_khabar(["index", "--no-embed", "--quiet", str(corpus)], data).returncode == 0
    assert compare_indexes(snapshot(built_index, QUERIES), snapshot(data, QUERIES)) == []


# ----------------------------------------------------------------------------- disk full
def test_disk_full_is_a_clear_error_and_the_committed_index_survives(tmp_path: Path) -> None:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    assert made.returncode == 0, (
        f"this test needs a 2 MB filesystem to fill (run as root or with CAP_SYS_ADMIN): {made.stderr.strip()}")
    try:
        data = mount / "index"
        write_corpus(tmp_path / "small", 20, seed=1, prefix="small")
        write_corpus(tmp_path / "big", 600, seed=2, prefix="big")
        first = run_khabar(["index", "--no-embed", "--quiet", str(tmp_path / "small")], data)
        assert first.returncode == 0, first.stderr
        before = snapshot(data, QUERIES)

        full = run_khabar(["index", "--no-embed", "--quiet", str(tmp_path / "big")], data)
        assert full.returncode == 1, (full.returncode, full.stderr[-800:])
        assert "Traceback" not in full.stderr
        assert "no space left" in full.stderr and "run the command again" in full.stderr, full.stderr

        # The disk is still full: the index must open read-only-ish and answer as before for
        # everything committed before the failure.
        after = snapshot(data, QUERIES)
        small = set(before["docs"])
        assert {d: after["docs"][d] for d in small} == before["docs"]
        assert [p for p in after["passages"] if p.split(":")[0] in small] == before["passages"]
        for q in QUERIES:
            mine = lambda hits: sorted(pid for pid, _ in hits if pid.split(":")[0] in small)  # noqa: E731
            assert mine(after["results"][q]) == mine(before["results"][q])
        searched = run_khabar(["search", "--mode", "lexical", "--json", "وزارة", "الصحة"], data)
        assert searched.returncode == 0, searched.stderr

        # Room again: the same command finishes the job, as the message promised.
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        resumed = run_khabar(["index", "--no-embed", "--quiet", str(tmp_path / "big")], data)
        assert resumed.returncode == 0, resumed.stderr
        final = snapshot(data)
        assert len(final["docs"]) == 620 and final["tantivy_docs"] == len(final["passages"])
        assert final["per_doc_mismatch"] == []
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


# ----------------------------------------------------------------------------- bad input files
def test_file_over_the_default_50mb_limit_is_rejected_and_others_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_corpus(folder, 3, seed=4)
    huge = folder / "huge.jsonl"
    with huge.open("wb") as fh:  # sparse: the size check must reject it without reading it
        fh.truncate(50 * 1024 * 1024 + 1)
    run = run_khabar(["index", "--no-embed", "--json", "--quiet", str(folder)], tmp_path / "index")
    assert run.returncode == 0, run.stderr
    import json

    report = json.loads(run.stdout)
    assert len(report["added"]) == 3
    assert [r["source"] for r in report["rejected"]] == [str(huge)]
    assert "too large" in report["rejected"][0]["reason"] and "50 MB" in report["rejected"][0]["reason"]


def test_file_exactly_at_the_limit_is_indexed(tmp_path: Path) -> None:
    """At the cap (2 MB here via KHABAR_MAX_FILE_MB, to stay fast) is allowed; one byte more is not."""
    import json

    folder = tmp_path / "in"
    write_corpus(folder, 3000, seed=8, per_file=3000)
    path = next(folder.glob("*.jsonl"))
    limit = 2 * 1024 * 1024
    data = path.read_bytes()
    lines = data.split(b"\n")
    body = b""
    for line in lines:  # whole lines up to the limit, then pad the last line's text with spaces
        if len(body) + len(line) + 1 > limit - 200:
            break
        body += line + b"\n"
    assert len(body) < limit
    pad = b'{"id": "pad", "title": "\xd8\xae\xd8\xa8\xd8\xb1", "text": "\xd9\x86\xd8\xb5' + b" " * 0
    tail_len = limit - len(body) - len(pad) - len(b'"}')
    at_limit = body + pad + b" " * (tail_len - 1) + b'x"}'
    assert len(at_limit) == limit
    path.write_bytes(at_limit)
    env_limit = {"KHABAR_MAX_FILE_MB": "2"}

    def index(into: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*KHABAR, "index", "--no-embed", "--json", "--quiet", str(folder)],
                              env=khabar_env(tmp_path / into) | env_limit, cwd=ROOT, capture_output=True, text=True,
                              timeout=600)

    started = time.perf_counter()
    ok = index("a")
    seconds = time.perf_counter() - started
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert not [r for r in report["rejected"] if "too large" in r["reason"]], report["rejected"][:3]
    assert len(report["added"]) >= body.count(b"\n")
    print(f"2 MB JSONL at the limit: {len(report['added'])} articles in {seconds:.1f} s")

    path.write_bytes(at_limit + b"\n")
    over = json.loads(index("b").stdout)
    assert over["added"] == [] and "too large" in over["rejected"][0]["reason"]


def test_html_scripts_and_styles_never_reach_the_index(tmp_path: Path, embedder) -> None:
    from indexer.ids import file_id
    from khabar.settings import Settings
    from khabar.service import Engine

    page = """<html><head><title>افتتاح مستشفى في حلب</title>
<style>.zzstyleword { color: red } body::before { content: "كلمةالنمط" }</style>
<script>var secret = "zzscriptword"; document.write("كلمةالسكربت");</script></head>
<body><nav>الرئيسية أخبار رياضة</nav><article><h1>افتتاح مستشفى في حلب</h1>
<p>أعلنت وزارة الصحة افتتاح مستشفى جديد في مدينة حلب يضم مئتي سرير لعلاج المرضى والجرحى من أبناء المدينة.</p>
<p>وقال الوزير إن المستشفى سيخدم نحو خمسين ألف نسمة في الأحياء الشرقية &lt;script&gt;alert(1)&lt;/script&gt; بحسب البيان.</p>
<script>trackPageView("zzinlinescript")</script>
<p>وأضاف أن العمل جار على تجهيز مستشفيين آخرين في ريف حلب الشمالي خلال العام المقبل بدعم من منظمات دولية.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>"""
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    engine = Engine(Settings(data_dir=str(tmp_path / "index")), embedder=embedder)
    try:
        report = engine.ingest([tmp_path / "page.html"], embed=False, progress=False)
        assert report.added == [file_id((tmp_path / "page.html").resolve())], report.to_dict()
        doc = engine.document(report.added[0])
        assert doc is not None and "مستشفى جديد" in doc.text
        for leaked in ("zzstyleword", "كلمةالنمط", "zzscriptword", "كلمةالسكربت", "zzinlinescript", "color: red"):
            assert leaked not in doc.text and leaked not in doc.title
            assert engine.search(leaked, mode="lexical").hits == []
        hits = engine.search("الأحياء الشرقية", mode="lexical").hits
        assert hits and "<script>" not in hits[0].highlight
        if "script" in hits[0].text:  # the escaped text in the article is data, shown escaped
            assert "&lt;script&gt;" in hits[0].highlight
    finally:
        engine.close()


def test_embed_adds_latent_terms_to_an_index_embedded_without_them(tmp_path: Path) -> None:
    """An index embedded with KHABAR_SPARSE=0 (or before latent terms existed) gets them from `khabar embed`."""
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 3, seed=9)
    data = tmp_path / "index"
    env = khabar_env(data) | {"KHABAR_SPARSE": "0"}
    first = subprocess.run([*KHABAR, "index", "--quiet", str(corpus)], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stderr

    def counts() -> tuple[int, int]:
        db = sqlite3.connect(data / "catalog.sqlite", timeout=5)
        try:
            return db.execute("SELECT COUNT(vector), COUNT(sparse) FROM passages").fetchone()
        finally:
            db.close()

    vectors, terms = counts()
    assert vectors > 0 and terms == 0
    again = run_khabar(["embed", "--quiet"], data)
    assert again.returncode == 0, again.stderr
    assert f"added latent terms to {vectors} passages" in again.stdout
    assert counts() == (vectors, vectors)
