"""Query sets ranked through the product, and the product's fusion replayed offline for tuning.

Why replay: tuning fusion means scoring thousands of weight combinations, and each search costs
a query embedding, a BM25 and a kNN call. So every query is searched once (`capture`: the scored
lists `Searcher.search` fuses, at the Searcher's own candidate depth) and each combination is
applied to the captured lists by `replay`, which calls the same `search.fusion` functions in the
same order as `Searcher.search` / `Searcher.semantic`. The benchmarks check that the replay and
the real Searcher agree (`check_replay`), so a tuned number is what a user gets.

A query may have several relevant documents, and several relevance lines (e.g. agree/disagree,
and agree/disagree/discuss); metrics count the first relevant document in the document ranking
(hits deduplicated by document: an article ranks at its best passage).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from bench.harness.metrics import dedupe_docs, retrieval_metrics
from search.backends import Filters, SparseVector
from search.fusion import (NORMALISATION_WINDOW, FusionWeights, ScoredIds, convex, sparse_dot,
                           with_document_context, with_sparse)
from search.searcher import MODES, Searcher, candidate_depth

K_SEARCH = 100  # passages asked of the Searcher (its maximum), collapsed to articles
CUTOFFS = (1, 5, 10)
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Query:
    """One benchmark query: its text, split and relevant documents per relevance line."""

    qid: str
    text: str
    split: str  # "dev" or "test"
    relevant: dict[str, frozenset[str]]  # relevance line -> relevant doc ids


@dataclass
class Captured:
    """What `Searcher.search` computes for one query before fusing (at depth `candidate_depth(K_SEARCH)`)."""

    query: Query
    language: str
    n_terms: int  # distinct lexical terms (what `FusionWeights.lexical_weight` looks at)
    lexical: ScoredIds
    semantic: ScoredIds  # raw kNN cosines
    siblings: list[tuple[str, str, float]] | None  # Backend.sibling_scores of the kNN hits (None: not asked)
    sparse: dict[str, float] | None = field(default=None)  # latent-term dot products (None: index without)


def doc_of(passage_id: str) -> str:
    """Passage ids are '<doc_id>:<hash>' (khabar.segment.passage_id)."""
    return passage_id.rsplit(":", 1)[0]


def first_relevant(ranking: Sequence[str], relevant: frozenset[str]) -> int | None:
    """1-based rank of the first relevant document, None when none is in the ranking."""
    return next((i for i, doc in enumerate(ranking, start=1) if doc in relevant), None)


def scores(queries: Sequence[Query], rankings: Sequence[Sequence[str]], line: str) -> dict[str, float]:
    """R@1/5/10 and MRR@10 (first relevant document) of document rankings aligned with `queries`."""
    return retrieval_metrics([first_relevant(r, q.relevant[line]) for q, r in zip(queries, rankings)],
                             cutoffs=CUTOFFS, mrr_at=10)


def product_rankings(searcher: Searcher, queries: Sequence[Query], mode: str, k: int = K_SEARCH) -> list[list[str]]:
    """Document rankings from the real `Searcher.search` (what users get)."""
    return [dedupe_docs([h.doc_id for h in searcher.search(q.text, mode=mode, k=k).hits]) for q in queries]


def capture(searcher: Searcher, query: Query, language: str | None = None, sparse: bool = False,
            siblings: bool | None = None) -> Captured:
    """Search `query` once and keep the scored lists `Searcher.search` would fuse.

    `language` overrides the detected one; `sparse`: also the latent-term dot products, as
    `Searcher.semantic` computes them (needs an index and embedder with them); `siblings`: the
    cosines of the hits' documents' passages, needed to replay a document-context weight (on a
    large index they are the bulk of a capture); None: for non-Arabic queries only, the ones
    whose semantic side uses the context.
    """
    from khabar.language import query_language

    language = language or query_language(query.text)
    terms = searcher.query_terms(query.text, language)
    depth = candidate_depth(K_SEARCH)
    backend = searcher.backend
    lexical = backend.lexical(terms, depth, Filters()) if terms else []
    vector = searcher.query_vector(query.text)
    semantic = backend.knn(vector, depth, Filters())
    if siblings is None:
        siblings = language != "ar"
    context = backend.sibling_scores(vector, [pid for pid, _ in semantic]) if siblings else None
    dots = None
    if sparse and semantic:
        pids = [pid for pid, _ in semantic[:NORMALISATION_WINDOW]]
        stored = backend.sparse_vectors(pids)
        if stored:
            dots = sparse_dot(searcher.query_sparse(query.text), stored, pids)
    return Captured(query, language, len(set(terms)), lexical, semantic, context, dots)


def replay(c: Captured, weights: FusionWeights, mode: str = "hybrid") -> list[str]:
    """The document ranking `Searcher.search(mode=mode)` returns for the captured query under `weights`."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode == "lexical":
        ranked: dict[str, float] = dict(c.lexical)
    else:
        semantic, sparse_used = c.semantic, False
        sparse_weight = weights.sparse_for(c.language)
        context = weights.for_language(c.language)[1]
        if sparse_weight > 0 and c.sparse is not None and semantic:
            semantic, sparse_used = with_sparse(semantic, c.sparse, sparse_weight), True
        elif context > 0 and semantic:
            if c.siblings is None:
                raise ValueError(f"query {c.query.qid} was captured without siblings: cannot replay context {context:g}")
            semantic = with_document_context(semantic, c.siblings, context)
        if mode == "semantic":
            ranked = dict(semantic)
        else:
            ranked = convex(c.lexical, semantic, weights.lexical_weight(c.language, c.n_terms, sparse_used),
                            semantic_scaled=sparse_used)
    order = sorted(ranked, key=lambda pid: -ranked[pid])[:K_SEARCH]
    return dedupe_docs([doc_of(pid) for pid in order])


def check_replay(searcher: Searcher, captured: Sequence[Captured], mode: str = "hybrid") -> int:
    """How many queries' top document differs between `replay` and the real Searcher (0 when they agree)."""
    product = product_rankings(searcher, [c.query for c in captured], mode)
    return sum(1 for c, r in zip(captured, product) if replay(c, searcher.weights, mode)[:1] != r[:1])


def split_scores(captured: Sequence[Captured], weights: FusionWeights, mode: str, line: str,
                 split: str) -> dict[str, float]:
    """Metrics of `replay` over the captured queries of one split ('all' for every query)."""
    chosen = [c for c in captured if split == "all" or c.query.split == split]
    return scores([c.query for c in chosen], [replay(c, weights, mode) for c in chosen], line)
