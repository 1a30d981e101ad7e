"""Kill -9 an ingest at random points, resume it, and compare with a clean run.

Why: `search/backends/embedded/` promises that a crash between the tantivy commit and the
SQLite commit can never leave duplicates or lost documents, and that a rerun resumes.
This script (and `tests/e2e/test_faults.py`, which uses its helpers on a smaller corpus)
checks that promise from the outside, with a real `khabar` process and SIGKILL.

    .venv/bin/python bench/kill_ingest.py --articles 5000 --kills 5 --seed 7

Prints a JSON summary (timings, kills, comparison) and exits 1 if the killed-and-resumed
index differs from the clean one in any way checked by `compare_indexes`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
KHABAR = [sys.executable, "-m", "ui.cli"]

# A small vocabulary: articles are random sentences over it, so 3-word shingles almost
# never repeat between two articles (no near-duplicates) while every word is searchable.
_ACTORS = ["وزارة الصحة", "الأمم المتحدة", "المرصد السوري", "الدفاع المدني", "التحالف الدولي", "الصليب الأحمر",
           "منظمة العفو الدولية", "وزارة الداخلية", "الهلال الأحمر", "مجلس الأمن", "البنك الدولي", "وكالة الأنباء"]
_PLACES = ["دمشق", "حلب", "حمص", "إدلب", "الرقة", "دير الزور", "بغداد", "الموصل", "بيروت", "صنعاء", "عدن", "غزة",
           "القاهرة", "طرابلس", "بنغازي", "الخرطوم", "عمان", "كابول", "تونس", "الرباط"]
_VERBS = ["أعلنت", "قالت", "أكدت", "نفت", "ذكرت", "أفادت", "أوضحت", "كشفت", "رجحت", "وثقت", "طالبت", "حذرت"]
_NOUNS = ["المدنيين", "الأطفال", "النازحين", "الجرحى", "المستشفيات", "المدارس", "الطرق", "الجسور", "المساعدات",
          "الغذاء", "الدواء", "الكهرباء", "المياه", "الوقود", "الأسواق", "المخيمات", "المعابر", "الحدود",
          "المفاوضات", "الانتخابات", "الاقتصاد", "الأسعار", "العملة", "الموازنة", "الصادرات", "الزراعة",
          "المحاصيل", "الأمطار", "الفيضانات", "الزلزال", "الحرائق", "الطائرات", "القصف", "الهدنة", "الاتفاق"]
_ADJ = ["الجديدة", "الكبيرة", "الشمالية", "الجنوبية", "الشرقية", "الغربية", "المحلية", "الدولية", "الإنسانية",
        "العاجلة", "الأخيرة", "الرسمية", "الواسعة", "الصعبة", "المتضررة", "المحاصرة"]
_LINKS = ["في", "من", "إلى", "على", "بعد", "قبل", "خلال", "حول", "بسبب", "رغم", "عبر", "قرب"]
_UNITS = ["شخصا", "مدنيا", "طفلا", "عائلة", "منزلا", "طنا", "شاحنة", "مستشفى", "مدرسة", "قرية"]


def _sentence(rng: random.Random) -> str:
    parts = [rng.choice(_VERBS), rng.choice(_ACTORS), "أن", str(rng.randint(2, 9999)), rng.choice(_UNITS)]
    for _ in range(rng.randint(3, 7)):
        parts += [rng.choice(_LINKS), rng.choice(_NOUNS), rng.choice(_ADJ)]
    parts += [rng.choice(_LINKS), rng.choice(_PLACES)]
    return " ".join(parts) + "."


def make_articles(n: int, seed: int = 0, prefix: str = "synth") -> list[dict[str, Any]]:
    """`n` distinct synthetic Arabic news articles (JSON records with ids, sources, dates)."""
    rng = random.Random(seed)
    articles = []
    for i in range(n):
        title = f"{rng.choice(_NOUNS)} {rng.choice(_ADJ)} {rng.choice(_LINKS)} {rng.choice(_PLACES)} {i}"
        paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 4))]
        articles.append({
            "id": f"{prefix}-{i:06d}",
            "title": title,
            "text": "\n".join(paragraphs),
            "source": rng.choice(["سانا", "الجزيرة", "العربية", "رويترز", "الأناضول"]),
            "published_at": f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        })
    return articles


def write_corpus(folder: Path, n: int, seed: int = 0, per_file: int = 500, prefix: str = "synth") -> list[Path]:
    """Write the synthetic articles as several .jsonl files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    articles = make_articles(n, seed, prefix)
    paths = []
    for part, start in enumerate(range(0, n, per_file)):
        path = folder / f"part-{part:03d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in articles[start : start + per_file]:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def khabar_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["KHABAR_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_khabar(args: Sequence[str], data_dir: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KHABAR, *args], env=khabar_env(data_dir), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def stored_documents(data_dir: Path) -> int:
    """Documents committed to the catalog so far (read while another process writes)."""
    import sqlite3

    path = data_dir / "catalog.sqlite"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(path, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0  # not created yet


def killed_run(args: Sequence[str], data_dir: Path, at_documents: int, extra_delay: float,
               timeout: float = 600) -> dict[str, Any]:
    """Start `khabar ARGS`; once `at_documents` documents are committed, wait `extra_delay`
    seconds (so the kill lands anywhere in a batch: analysis, tantivy commit, SQLite commit)
    and SIGKILL it. Returns what happened."""
    proc = subprocess.Popen([*KHABAR, *args], env=khabar_env(data_dir), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and stored_documents(data_dir) < at_documents:
            if time.monotonic() > deadline:
                raise TimeoutError(f"khabar {' '.join(args)} made no progress in {timeout} s")
            time.sleep(0.05)
        time.sleep(extra_delay)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        else:
            killed = False
    return {"at_documents": at_documents, "extra_delay": round(extra_delay, 3), "killed": killed,
            "returncode": proc.returncode, "stored_after": stored_documents(data_dir)}


def snapshot(data_dir: Path, queries: Sequence[str] = ()) -> dict[str, Any]:
    """Everything two equivalent indexes must agree on, read straight from the store."""
    from khabar.arabic import analyze
    from search.backends import Filters
    from search.backends.embedded import EmbeddedBackend, catalog_snapshot

    snapshot = catalog_snapshot(data_dir)
    info, docs, passages = snapshot["info"], snapshot["docs"], snapshot["passages"]
    backend = EmbeddedBackend(data_dir, info["embedder_id"], int(info["dim"]))
    try:
        derived = backend.derived_counts(sorted(docs))
        # Every passage must be in tantivy exactly once: count per doc_id term.
        text_docs = derived["text_passages"]
        per_doc_mismatch = []
        for doc_id in sorted(docs):
            n = derived["text_passages_per_doc"][doc_id]
            expected = sum(1 for p in passages if p.startswith(doc_id + ":"))
            if n != expected:
                per_doc_mismatch.append((doc_id, n, expected))
        # All matches, not a top-k: BM25 order among equal scores follows segment layout, and
        # tantivy counts deleted-but-unmerged passages in its statistics, so two equivalent
        # indexes may order ties differently; the set of matching passages must be identical.
        results = {q: backend.lexical(analyze(q), 1_000_000, Filters()) for q in queries}
        faiss_total = derived["vectors"]
    finally:
        backend.close()
    claims, vectors = snapshot["claims"], snapshot["vectors"]
    return {"docs": docs, "passages": passages, "claims": claims, "vectors": vectors, "tantivy_docs": text_docs,
            "per_doc_mismatch": per_doc_mismatch, "results": results, "faiss_ntotal": faiss_total}


def compare_indexes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Differences between two snapshots (empty list = equivalent)."""
    problems = []
    if a["docs"] != b["docs"]:
        only_a, only_b = set(a["docs"]) - set(b["docs"]), set(b["docs"]) - set(a["docs"])
        changed = [d for d in set(a["docs"]) & set(b["docs"]) if a["docs"][d] != b["docs"][d]]
        problems.append(f"documents differ: {len(only_a)} only in first, {len(only_b)} only in second, "
                        f"{len(changed)} with other content hashes")
    for key in ("passages", "claims"):
        if a[key] != b[key]:
            problems.append(f"{key} differ ({len(a[key])} vs {len(b[key])})")
    for name, snap in (("first", a), ("second", b)):
        if snap["tantivy_docs"] != len(snap["passages"]):
            problems.append(f"{name}: tantivy holds {snap['tantivy_docs']} passages, SQLite {len(snap['passages'])}")
        if snap["per_doc_mismatch"]:
            problems.append(f"{name}: {len(snap['per_doc_mismatch'])} documents with wrong tantivy passage counts, "
                            f"e.g. {snap['per_doc_mismatch'][:3]}")
        if snap["faiss_ntotal"] != snap["vectors"]:
            problems.append(f"{name}: faiss holds {snap['faiss_ntotal']} vectors, SQLite {snap['vectors']}")
    for q in a["results"]:
        ids_a = sorted(pid for pid, _ in a["results"][q])
        ids_b = sorted(pid for pid, _ in b["results"].get(q, []))
        if ids_a != ids_b:
            problems.append(f"lexical matches for {q!r} differ: {len(ids_a)} vs {len(ids_b)} passages, "
                            f"{len(set(ids_a) ^ set(ids_b))} not in both")
    return problems


QUERIES = ["المستشفيات في حلب", "وزارة الصحة", "المساعدات الإنسانية", "الزلزال", "الأطفال النازحين في إدلب"]


def kill_and_resume(corpus: Path, data_dir: Path, articles: int, kills: int, seed: int) -> dict[str, Any]:
    """Kill `khabar index --no-embed` `kills` times at seeded random progress points, then finish it."""
    rng = random.Random(seed)
    args = ["index", "--no-embed", "--quiet", str(corpus)]
    points = sorted(rng.sample(range(1, max(2, articles - 50)), kills))
    runs = [killed_run(args, data_dir, at, rng.uniform(0.0, 0.6)) for at in points]
    started = time.perf_counter()
    final = run_khabar(args, data_dir)
    if final.returncode != 0:
        raise RuntimeError(f"resumed run failed ({final.returncode}): {final.stderr[-2000:]}")
    return {"kills": runs, "resume_seconds": round(time.perf_counter() - started, 1),
            "resume_output": final.stdout.strip().splitlines()[:1]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args(argv)

    import tempfile

    with tempfile.TemporaryDirectory(prefix="khabar-kill-") as tmp:
        work = args.workdir or Path(tmp)
        corpus = work / "corpus"
        write_corpus(corpus, args.articles, seed=args.seed)
        started = time.perf_counter()
        clean = run_khabar(["index", "--no-embed", "--quiet", str(corpus)], work / "clean")
        clean_seconds = time.perf_counter() - started
        if clean.returncode != 0:
            print(clean.stderr, file=sys.stderr)
            return 1
        summary = kill_and_resume(corpus, work / "killed", args.articles, args.kills, args.seed)
        problems = compare_indexes(snapshot(work / "clean", QUERIES), snapshot(work / "killed", QUERIES))
        a = snapshot(work / "clean")
        summary.update({"articles": args.articles, "clean_seconds": round(clean_seconds, 1),
                        "documents": len(a["docs"]), "passages": len(a["passages"]), "problems": problems})
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
