"""Annotated news questions -> a gold document, over the news evaluation index, Arabic and English.

What it measures: the answerable questions of bench/data/questions_gold.jsonl (written over the
fact-check pages and the SaudiNewsNet subset, docs/ANNOTATING_QUESTIONS.md), each searched
through the product's `Searcher` in lexical, semantic and hybrid mode over the evaluation index
(`bench.eval_index`; vectors without latent terms, so English questions take the fusion path
for an index without them). A question counts at the first of its gold documents (`gold`) in the
article ranking (`K_SEARCH` passages collapsed to articles). Dev/test is the annotation's
`split` (by source document).

Why: XQuAD questions meet 240 paragraphs; these meet ~100k news passages where many articles
share a topic, which is where the semantic side's weakness on specifics shows.

Run:  .venv/bin/python -m bench.question_retrieval          (writes its table into docs/RETRIEVAL.md)
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from bench.claim_retrieval import open_searcher
from bench.harness import REPO_ROOT
from bench.harness.ranking import K_SEARCH, SPLITS, Query, product_rankings, scores
from bench.harness.report import markdown_table, measured_with, write_generated
from bench.harness.timing import timer
from search.fusion import FUSION_PATH, FusionWeights
from search.searcher import MODES, validate_query

GOLD = REPO_ROOT / "bench" / "data" / "questions_gold.jsonl"
LINE = "gold"
LANGUAGES = ("ar", "en")


def gold_questions(language: str, path: Path = GOLD) -> list[Query]:
    """The answerable annotated questions in `language` ('ar' or 'en'), relevant = their gold documents."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r["answerable"] and r["language"] == language:
            out.append(Query(r["id"], validate_query(r["question"]), r["split"],
                             {LINE: frozenset(g["doc_id"] for g in r["gold"])}))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.question_retrieval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None, help="evaluation index folder (default: the shared one)")
    ap.add_argument("--weights", type=Path, default=FUSION_PATH, help="fusion weights file (default: the product's)")
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "RETRIEVAL.md")
    ap.add_argument("--no-report", action="store_true", help="print the table only")
    args = ap.parse_args(argv)

    engine, searcher = open_searcher(args.index, FusionWeights.tuned(args.weights))
    stats = engine.stats()
    rows: list[list[object]] = []
    counts = {}
    with timer() as t:
        for language in LANGUAGES:
            queries = gold_questions(language)
            counts[language] = Counter(q.split for q in queries)
            searcher.embedder.warm([q.text for q in queries], progress=False)  # type: ignore[attr-defined]
            for mode in MODES:
                rankings = product_rankings(searcher, queries, mode)
                for split in (*SPLITS, "all"):
                    pairs = [(q, r) for q, r in zip(queries, rankings) if split == "all" or q.split == split]
                    m = scores([q for q, _ in pairs], [r for _, r in pairs], LINE)
                    rows.append([mode, f"{language}→ar", split, len(pairs), m["R@1"], m["R@5"], m["MRR@10"]])
    engine.close()
    body = "\n".join([
        measured_with("bench.question_retrieval") + f"; {t['seconds']:.0f} s.",
        f"Index: fact-check pages + SaudiNewsNet subset ({stats.documents:,} documents, {stats.passages:,} passages, "
        f"vectors without latent terms); fusion weights `{args.weights.name}`. Questions: the answerable ones of "
        f"`bench/data/questions_gold.jsonl` (ar: {counts['ar']['dev']} dev / {counts['ar']['test']} test; en: "
        f"{counts['en']['dev']} dev / {counts['en']['test']} test); k = {K_SEARCH} passages collapsed to articles; "
        "a question counts at its first gold document.",
        "",
        markdown_table(["mode", "question", "split", "questions", "R@1", "R@5", "MRR@10"], rows),
    ]) + "\n"
    print(body)
    if not args.no_report:
        write_generated(args.report, "bench.question_retrieval", body)
        print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
