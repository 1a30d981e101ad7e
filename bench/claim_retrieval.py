"""Claim -> article retrieval over the news evaluation index: does a fact-check claim find its articles?

What it measures: the Arabic fact-checking corpus (Baly et al. 2018) judges, for each claim, the
articles a search engine returned for it: agree, disagree, discuss or unrelated. Each claim with
at least one agreeing or disagreeing article is a query, searched through the product's
`Searcher` (lexical, semantic, hybrid; `K_SEARCH` passages collapsed to articles) over the
evaluation index (`bench.eval_index`: every fact-check page plus the SaudiNewsNet subset as
distractors, vectors without latent terms). Relevant: the agreeing/disagreeing articles; a
second line also counts the articles that discuss the claim (same queries). Dev = the corpus's
claim folds 1-3, test = folds 4-5 (`bench.corpora.claim_split`).

Why it matters: a claim is a full news sentence, not a question, so it checks that fusion tuned
on short questions generalises. Reading it: many judged pages carry the claim near verbatim
(news agencies' copy reprinted by many sites) under any label, so R@1 counts the label of one
of several near-identical pages; `--misses` says how often (docs/RETRIEVAL.md).

Run:  .venv/bin/python -m bench.claim_retrieval                 (writes its table into docs/RETRIEVAL.md)
      .venv/bin/python -m bench.claim_retrieval --index DIR --label "fact-check pages only" --no-report
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from bench.harness import REPO_ROOT
from bench.harness.data import CACHE, CachedQueryEmbedder, embedding_build
from bench.harness.ranking import (K_SEARCH, SPLITS, Query, first_relevant, product_rankings, scores)
from bench.harness.report import markdown_table, measured_with, write_generated
from bench.harness.timing import timer
from search.fusion import FUSION_PATH, FusionWeights
from search.searcher import MODES, Searcher, validate_query

LINES = {"agree/disagree": ("agree", "disagree"), "agree/disagree/discuss": ("agree", "disagree", "discuss")}
PRIMARY = "agree/disagree"


def claim_queries() -> list[Query]:
    """Claims with at least one agreeing or disagreeing article, with both relevance lines."""
    from bench.corpora import claim_split, factcheck_claims

    out = []
    for claim in factcheck_claims():
        relevant = {line: frozenset(j.doc_id for j in claim.judgements if j.stance in stances)
                    for line, stances in LINES.items()}
        if relevant[PRIMARY]:
            out.append(Query(claim.claim_id, validate_query(claim.claim), claim_split(claim), relevant))
    return out


def open_searcher(index: Path | None = None, weights: FusionWeights | None = None) -> tuple[object, Searcher]:
    """(engine, Searcher) over an evaluation index (default: the shared one), query vectors cached on disk."""
    from bench.eval_index import open_engine

    engine = open_engine(sparse=False, data_dir=index)
    embedder = CachedQueryEmbedder(engine.embedder, CACHE / f"news-queries-{embedding_build()}.npz")
    return engine, Searcher(engine.backend, embedder, weights=weights, use_sparse=False)


def product_table(searcher: Searcher, queries: Sequence[Query], lines: Sequence[str]) -> list[list[object]]:
    """Rows (mode, relevance line, split, n, R@1, R@5, R@10, MRR@10) through `Searcher.search`."""
    rows: list[list[object]] = []
    for mode in MODES:
        rankings = product_rankings(searcher, queries, mode)
        for line in lines:
            for split in (*SPLITS, "all"):
                pairs = [(q, r) for q, r in zip(queries, rankings) if split == "all" or q.split == split]
                m = scores([q for q, _ in pairs], [r for _, r in pairs], line)
                rows.append([mode, line, split, len(pairs), m["R@1"], m["R@5"], m["R@10"], m["MRR@10"]])
    return rows


def misses(searcher: Searcher, queries: Sequence[Query], mode: str = "hybrid") -> dict[str, Counter]:
    """Per split: what ranks first when it is not an agreeing/disagreeing article.

    The label the corpus gave the first article for this claim (discuss / unrelated), a page
    judged only for other claims, or a SaudiNewsNet distractor; and whether that article
    contains at least 80 % of the claim's analysed terms (a near-verbatim copy of the claim).
    """
    from bench.corpora import factcheck_claims
    from khabar.arabic import analyze

    label = {c.claim_id: {j.doc_id: j.stance for j in c.judgements} for c in factcheck_claims()}
    out: dict[str, Counter] = {s: Counter() for s in SPLITS}
    for q, ranking in zip(queries, product_rankings(searcher, queries, mode)):
        if not ranking or ranking[0] in q.relevant[PRIMARY]:
            continue
        top = ranking[0]
        kind = label[q.qid].get(top) or ("SaudiNewsNet" if top.startswith("snn-") else "judged for other claims")
        terms = set(analyze(q.text))
        doc = searcher.backend.get_document(top)
        verbatim = doc is not None and len(terms & set(analyze(doc.text))) >= 0.8 * len(terms)
        out[q.split][f"{kind}{', >= 80 % of the claim terms' if verbatim else ''}"] += 1
        out[q.split]["(of all the above: first agreeing/disagreeing article at rank 2)"] += (
            first_relevant(ranking, q.relevant[PRIMARY]) == 2)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.claim_retrieval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None, help="evaluation index folder (default: the shared one)")
    ap.add_argument("--label", default="fact-check pages + SaudiNewsNet subset", help="what the index holds")
    ap.add_argument("--weights", type=Path, default=FUSION_PATH, help="fusion weights file (default: the product's)")
    ap.add_argument("--misses", action="store_true", help="also classify the hybrid misses at rank 1")
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "RETRIEVAL.md")
    ap.add_argument("--no-report", action="store_true", help="print the table only")
    ap.add_argument("--block", default="", help="name suffix of the generated block (one block per index)")
    args = ap.parse_args(argv)

    queries = claim_queries()
    engine, searcher = open_searcher(args.index, FusionWeights.tuned(args.weights))
    stats = engine.stats()
    with timer() as t:
        searcher.embedder.warm([q.text for q in queries], progress=False)  # type: ignore[attr-defined]
        rows = product_table(searcher, queries, list(LINES))
    miss = misses(searcher, queries) if args.misses else {}
    engine.close()
    n = Counter(q.split for q in queries)
    parts = [
        measured_with("bench.claim_retrieval") + f"; {t['seconds']:.0f} s.",
        f"Index: {args.label} ({stats.documents:,} documents, {stats.passages:,} passages, vectors without latent "
        f"terms); fusion weights `{args.weights.name}`. Queries: {len(queries)} Arabic claims with ≥ 1 agreeing or "
        f"disagreeing article (dev = folds 1–3: {n['dev']}, test = folds 4–5: {n['test']}); k = {K_SEARCH} passages "
        "collapsed to articles; a query counts at its first relevant article.",
        "",
        markdown_table(["mode", "relevant", "split", "claims", "R@1", "R@5", "R@10", "MRR@10"], rows),
    ]
    if miss:
        parts += ["", "Hybrid misses at rank 1 (what ranks first instead):", "",
                  markdown_table(["split", "first article", "claims"],
                                 [[s, k, v] for s in SPLITS for k, v in sorted(miss[s].items())])]
    body = "\n".join(parts) + "\n"
    print(body)
    if not args.no_report:
        write_generated(args.report, " ".join(filter(None, ("bench.claim_retrieval", args.block))), body)
        print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
