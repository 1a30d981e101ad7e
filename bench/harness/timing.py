"""Benchmark timing: wall-clock blocks, per-call latencies and their percentiles, the machine's load."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """`with timer() as t: ...` then t["seconds"]."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean in milliseconds."""
    if not samples_s:
        raise ValueError("no latency samples")
    ms = np.asarray(samples_s, dtype=np.float64) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "p99": float(np.percentile(ms, 99)), "mean": float(ms.mean()), "n": len(ms)}


def time_each(fn: Callable[[object], object], items: Sequence[object], warmup: int = 5) -> list[float]:
    """Seconds per call of fn(item), after a few unrecorded warm-up calls (caches, lazy init)."""
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def random_unit(n: int, dim: int, seed: int) -> np.ndarray:
    """Random unit vectors (float32), generated in chunks to bound memory."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(0, n, 50_000):
        block = rng.standard_normal((min(50_000, n - i), dim)).astype(np.float32)
        out[i : i + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def load_average() -> str:
    """The 1/5/15-minute load averages: on shared cores they say how trustworthy a timing is."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def timed_hybrid(backend: Any, searcher: Any, embedder: Any, query: str, k: int = 50) -> tuple[float, ...]:
    """One hybrid search done by hand, stage by stage, in seconds: (query analysis + embedding, BM25, kNN,
    fusion + passage fetch + highlighting, total, CPU time of the whole). What an HTTP latency is made of;
    the same calls `Searcher.search` makes, so the stages add up to a real search."""
    from khabar.language import query_language
    from search.backends import Filters
    from search.fusion import FusionWeights, convex
    from search.searcher import highlight

    t0, c0 = time.perf_counter(), time.process_time()
    lang = query_language(query)
    terms = searcher.query_terms(query, lang)
    vec = embedder.embed_queries([query])[0]
    t1 = time.perf_counter()
    lex = backend.lexical(terms, k, Filters())
    t2 = time.perf_counter()
    sem = backend.knn(vec, k, Filters())
    t3 = time.perf_counter()
    scores = convex(lex, sem, FusionWeights.tuned().for_language(lang)[0])
    page = sorted(scores, key=lambda p: -scores[p])[:10]
    [highlight(r.passage.text, set(terms)) for r in backend.passages(page)]
    t4 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, time.process_time() - c0

