"""The news benchmarks' arithmetic: first relevant of several, fusion replay = the Searcher, the tuning rule.

A tuned weight is only worth what the replay it was tuned on is worth, so the replay is checked
against the real `Searcher.search` on a stub backend for every mode and both query languages.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench import fusion_tuning
from bench.harness.ranking import Captured, Query, capture, first_relevant, replay, scores
from khabar.models import Passage
from search.backends import PassageRecord
from search.fusion import FusionWeights
from search.searcher import MODES, Searcher


def test_first_relevant_counts_any_relevant_document():
    assert first_relevant(["a", "b", "c"], frozenset({"c", "b"})) == 2
    assert first_relevant(["a"], frozenset({"z"})) is None


def test_scores_per_relevance_line_by_hand():
    queries = [Query("1", "x", "dev", {"strict": frozenset({"b"}), "loose": frozenset({"a", "b"})}),
               Query("2", "y", "dev", {"strict": frozenset({"z"}), "loose": frozenset({"c"})})]
    rankings = [["a", "b"], ["c"]]
    strict, loose = scores(queries, rankings, "strict"), scores(queries, rankings, "loose")
    assert strict["R@1"] == 0.0 and strict["R@5"] == 0.5 and strict["MRR@10"] == pytest.approx(0.25)
    assert loose["R@1"] == 1.0 and loose["MRR@10"] == 1.0


class _Backend:
    """Passages 'dNN:i' whose BM25 and cosine orders disagree, with sibling cosines for the context."""

    def __init__(self) -> None:
        self.ids = [f"d{i // 3:02d}:{i % 3}" for i in range(150)]

    def lexical(self, terms, k, filters):
        ranked = sorted(self.ids, key=lambda p: (int(p[1:3]) * 7 + int(p[-1])) % 50)
        return [(pid, 30.0 / (1 + i) + len(terms)) for i, pid in enumerate(ranked[:k])]

    def knn(self, vector, k, filters):
        return [(pid, 0.95 - 0.002 * i) for i, pid in enumerate(self.ids[:k])]

    def sibling_scores(self, vector, passage_ids):
        docs = {p.split(":")[0] for p in passage_ids}
        return [(p, p.split(":")[0], 0.9 - 0.003 * ((i * 11) % 37)) for i, p in enumerate(self.ids)
                if p.split(":")[0] in docs]

    def passages(self, passage_ids):
        return [PassageRecord(Passage(p, p.split(":")[0], 0, "نص", 0, 2), "", None, None, None, None, "ar")
                for p in passage_ids]


class _Embedder:
    id, dim = "stub", 3

    def embed_queries(self, texts):
        return np.ones((len(texts), 3), dtype=np.float32)


@pytest.mark.parametrize("text", ["قصف منشأة عسكرية في ريف دمشق واعتراض ثلاثة صواريخ أطلقتها إسرائيل",
                                  "Which military site near Damascus did the missiles hit?"])
@pytest.mark.parametrize("mode", MODES)
def test_replay_ranks_exactly_like_the_searcher(text, mode):
    weights = replace(FusionWeights.tuned(), lexical_same_language=0.45, semantic_terms_same_language=4.0,
                      lexical_cross_language_without_terms=0.4, context_cross_language=0.5,
                      semantic_terms_cross_language_without_terms=6.0)
    searcher = Searcher(_Backend(), _Embedder(), weights=weights)  # type: ignore[arg-type]
    captured = capture(searcher, Query("q", text, "dev", {}))
    product = [h.doc_id for h in searcher.search(text, mode=mode, k=100).hits]
    assert replay(captured, weights, mode) == list(dict.fromkeys(product))
    # and another weighting replays differently (the replay does use the weights)
    if mode == "hybrid":
        other = replace(weights, lexical_same_language=0.0, semantic_terms_same_language=0.0,
                        lexical_cross_language_without_terms=0.0, semantic_terms_cross_language_without_terms=0.0)
        assert replay(captured, other, mode) != replay(captured, weights, mode)


def test_replay_refuses_a_context_it_cannot_compute():
    c = Captured(Query("q", "x", "dev", {}), "en", 3, [("d1:a", 2.0)], [("d1:a", 0.9)], None)
    with pytest.raises(ValueError, match="without siblings"):
        replay(c, replace(FusionWeights.tuned(), context_cross_language=0.3), "semantic")


def test_tuning_rule_keeps_the_current_weights_unless_a_point_wins_without_a_large_loss(monkeypatch):
    current = FusionWeights.tuned()
    bench = [fusion_tuning.Benchmark("small", [Captured(Query(str(i), "x", "dev", {}), "ar", 1, [], [], None)
                                               for i in range(100)], "gold"),
             fusion_tuning.Benchmark("big", [], "gold")]
    results = {  # semantic_terms_same_language -> per benchmark dev metrics
        0.0: {"small": {"R@1": 0.50, "MRR@10": 0.60}, "big": {"R@1": 0.90, "MRR@10": 0.90}},
        2.0: {"small": {"R@1": 0.70, "MRR@10": 0.80}, "big": {"R@1": 0.85, "MRR@10": 0.86}},  # loses 5 of 100
        4.0: {"small": {"R@1": 0.60, "MRR@10": 0.66}, "big": {"R@1": 0.89, "MRR@10": 0.90}},  # loses 1: allowed
        6.0: {"small": {"R@1": 0.50, "MRR@10": 0.602}, "big": {"R@1": 0.90, "MRR@10": 0.90}},  # below the margin
    }
    monkeypatch.setattr(fusion_tuning, "evaluate", lambda w, b, split="dev": results[w.semantic_terms_same_language])
    bench[1].captured = bench[0].captured
    grid = {"semantic_terms_same_language": (0.0, 2.0, 4.0, 6.0)}
    base, best, points = fusion_tuning.choose(replace(current, semantic_terms_same_language=0.0), grid, bench)
    assert len(points) == 4 and best.weights.semantic_terms_same_language == 4.0
    # without the allowed point only the below-margin one is left: the current weights stay
    del results[4.0]
    grid = {"semantic_terms_same_language": (0.0, 2.0, 6.0)}
    base, best, _ = fusion_tuning.choose(replace(current, semantic_terms_same_language=0.0), grid, bench)
    assert best is base
