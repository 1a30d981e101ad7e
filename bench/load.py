"""Load test: `khabar serve` on loopback, N concurrent clients for D seconds.

    .venv/bin/python bench/load.py --clients 8 --seconds 60

Starts the real server (seeds indexed into a temporary KHABAR_DATA_DIR) on a free
127.0.0.1 port, runs client threads (httpx) that mix /api/search in every mode with
/api/ask, and samples the server's RSS every second. Prints a JSON report: errors
(must be 0), latency p50/p95/p99 per endpoint, RSS start/end/max. Loopback only;
the number of clients and the duration are bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["الميادين", "التحالف الدولي", "عدد القتلى المدنيين", "كابول", "how many civilians were killed",
           "coalition airstrikes", "الرقة", "Syria", "إدلب غارات", "مستشفى"]
QUESTIONS = ["what death toll did the coalition admit?", "كم عدد القتلى المدنيين؟", "who was killed in Kabul?",
             "ما الذي اعترف به التحالف الدولي؟"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def client(base: str, until: float, seed: int, ask_share: float, out: dict[str, list[float]],
           errors: list[str], lock: threading.Lock) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=120) as http:
        while time.monotonic() < until:
            if rng.random() < ask_share:
                name = "ask"
                started = time.perf_counter()
                r = http.post("/api/ask", json={"question": rng.choice(QUESTIONS)})
            else:
                mode = rng.choice(["lexical", "semantic", "hybrid"])
                name = f"search:{mode}"
                started = time.perf_counter()
                r = http.get("/api/search", params={"q": rng.choice(QUERIES), "mode": mode, "k": 10})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if r.status_code != 200:
                    errors.append(f"{name}: {r.status_code} {r.text[:200]}")
                else:
                    out[name].append(elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, choices=range(1, 33), metavar="1..32")
    parser.add_argument("--seconds", type=int, default=60, choices=range(5, 601), metavar="5..600")
    parser.add_argument("--ask-share", type=float, default=0.2, help="share of requests that are /api/ask")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="khabar-load-") as tmp:
        env = dict(os.environ, KHABAR_DATA_DIR=tmp, PYTHONPATH=str(ROOT))
        env.pop("KHABAR_API_KEY", None)
        server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                                   "--index", str(ROOT / "samples" / "seeds")], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while True:
                if server.poll() is not None:
                    print(server.stderr.read() if server.stderr else "", file=sys.stderr)
                    return 1
                try:
                    if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("server did not come up in 600 s")
                time.sleep(0.5)
            health = httpx.get(base + "/api/health").json()
            # One warm-up request per kind so lazy model loads are not counted as latency.
            httpx.get(base + "/api/search", params={"q": "warm", "mode": "hybrid"}, timeout=120)
            ask_ok = httpx.post(base + "/api/ask", json={"question": "warm up?"}, timeout=120).status_code == 200
            ask_share = args.ask_share if ask_ok else 0.0

            out: dict[str, list[float]] = defaultdict(list)
            errors: list[str] = []
            lock = threading.Lock()
            rss: list[int] = [rss_kb(server.pid)]
            until = time.monotonic() + args.seconds
            threads = [threading.Thread(target=client, args=(base, until, i, ask_share, out, errors, lock))
                       for i in range(args.clients)]
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                time.sleep(1)
                rss.append(rss_kb(server.pid))
            for t in threads:
                t.join()
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    report: dict[str, Any] = {
        "clients": args.clients, "seconds": args.seconds, "ask_available": ask_ok,
        "documents": health.get("documents"), "passages": health.get("passages"),
        "requests": sum(len(v) for v in out.values()) + len(errors), "errors": len(errors),
        "error_examples": errors[:5],
        "throughput_rps": round((sum(len(v) for v in out.values()) + len(errors)) / args.seconds, 1),
        "latency_ms": {name: {"n": len(v), "p50": round(percentile(v, 50), 1), "p95": round(percentile(v, 95), 1),
                              "p99": round(percentile(v, 99), 1), "mean": round(statistics.fmean(v), 1)}
                       for name, v in sorted(out.items())},
        "rss_mb": {"start": round(rss[0] / 1024, 1), "end": round(rss[-1] / 1024, 1),
                   "max": round(max(rss) / 1024, 1), "samples": len(rss)},
        "cpu_count": os.cpu_count(), "loadavg_after": os.getloadavg(),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
