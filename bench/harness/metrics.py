"""Benchmark metrics: ranks, recall and MRR over document rankings, exact top-k as ground truth."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def dedupe_docs(doc_ids: Sequence[str]) -> list[str]:
    """Passage-level ranking -> document ranking: each document at the rank of its best passage."""
    return list(dict.fromkeys(doc_ids))


def rank_of(gold: str, ranking: Sequence[str]) -> int | None:
    """1-based rank of `gold` in a document ranking, None when absent."""
    try:
        return ranking.index(gold) + 1
    except ValueError:
        return None


def retrieval_metrics(ranks: Sequence[int | None], cutoffs: Sequence[int] = (1, 5, 20), mrr_at: int = 10) -> dict[str, float]:
    """R@k for each cutoff and MRR@mrr_at over one gold document per query."""
    if not ranks:
        raise ValueError("no queries to score")
    n = len(ranks)
    out = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in cutoffs}
    out[f"MRR@{mrr_at}"] = sum(1.0 / r for r in ranks if r is not None and r <= mrr_at) / n
    return out


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    sims = queries @ matrix.T
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    return top


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]))
