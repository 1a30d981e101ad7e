"""Hybrid scoring arithmetic (search.fusion): convex fusion, scaling, document context.

Worked out by hand, because the benchmark's R@1 only tells whether these are good, not
whether they compute what their docstrings say.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from khabar.models import Passage
from search.backends import PassageRecord
from search.fusion import FusionWeights, convex, max_scaled, window_scaled, with_document_context
from search.searcher import Searcher


def test_max_scaled_keeps_bm25_zero():
    assert max_scaled([("a", 8.0), ("b", 2.0)]) == {"a": 1.0, "b": 0.25}
    assert max_scaled([]) == {}


def test_window_scaled_is_min_max_over_the_window_and_extends_below_it():
    ranked = [("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6)]
    assert window_scaled(ranked, window=3) == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.0, "d": -0.5})
    # the window's bottom is what matters, not the list's length
    assert window_scaled(ranked[:3], window=3) == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.0})
    assert window_scaled([("a", 0.5)], window=3) == {"a": 1.0}


def test_convex_mixes_scaled_scores_and_floors_missing_sides():
    lexical = [("a", 10.0), ("b", 5.0)]
    semantic = [("b", 0.9), ("c", 0.8), ("d", 0.7)]  # window 50 > 3: scaled 1, 0.5, 0
    scores = convex(lexical, semantic, 0.4)
    assert scores == pytest.approx({
        "a": 0.4 * 1.0 + 0.6 * 0.0,   # not found semantically: lowest returned cosine
        "b": 0.4 * 0.5 + 0.6 * 1.0,
        "c": 0.4 * 0.0 + 0.6 * 0.5,   # not found lexically: BM25 zero
        "d": 0.0,
    })
    assert max(scores, key=scores.get) == "b"


def test_convex_with_zero_lexical_weight_is_the_semantic_order():
    scores = convex([("x", 3.0)], [("b", 0.9), ("c", 0.8)], 0.0)
    assert set(scores) == {"b", "c"} and scores["b"] > scores["c"]
    assert convex([("x", 3.0)], [], 0.5) == {"x": 0.5}


def test_document_context_pulls_a_lone_sentence_below_a_document_that_matches_twice():
    # d1's best passage is slightly better, but d2 matches in two passages.
    semantic = [("d1:a", 0.90), ("d2:a", 0.88), ("d2:b", 0.86)]
    siblings = [("d1:a", "d1", 0.90), ("d1:b", "d1", 0.60), ("d2:a", "d2", 0.88), ("d2:b", "d2", 0.86),
                ("d3:a", "d3", 0.99)]
    out = dict(with_document_context(semantic, siblings, 0.3))
    assert out == pytest.approx({"d1:a": 0.7 * 0.90 + 0.3 * 0.60, "d2:a": 0.7 * 0.88 + 0.3 * 0.86,
                                 "d2:b": 0.7 * 0.86 + 0.3 * 0.88})
    assert [pid for pid, _ in with_document_context(semantic, siblings, 0.3)][0] == "d2:a"
    assert with_document_context(semantic, siblings, 0.0) == semantic


def test_document_context_keeps_one_passage_documents_and_unknown_siblings():
    assert with_document_context([("d1:a", 0.8)], [("d1:a", "d1", 0.8)], 0.3) == [("d1:a", pytest.approx(0.8))]
    assert with_document_context([("d9:a", 0.7)], [], 0.3) == [("d9:a", pytest.approx(0.7))]


def test_weights_are_chosen_by_query_language():
    w = replace(FusionWeights.tuned(), lexical_same_language=0.4, lexical_cross_language=0.1,
                context_same_language=0.0, context_cross_language=0.2)
    assert w.for_language("ar") == (0.4, 0.0) and w.for_language("en") == (0.1, 0.2)
    assert w.for_language("en", with_terms=False) == (w.lexical_cross_language_without_terms, 0.2)
    assert w.for_language("ar", with_terms=False) == (0.4, 0.0)  # one Arabic weight either way


class _ManyPassages:
    """A backend stub with 200 passages (2 per document) whose scores fall linearly with the id.

    Enough candidates for the Searcher's depth (max(50, 3k)) to differ between k=3 and k=60,
    which the 4-document contract corpus cannot show.
    """

    name = "stub"

    def __init__(self) -> None:
        self.ids = [f"d{i // 2:03d}:{i % 2}" for i in range(200)]

    def lexical(self, terms, k, filters):
        return [(pid, 20.0 - 0.09 * i) for i, pid in enumerate(self.ids[::-1][:k])]

    def knn(self, vector, k, filters):
        return [(pid, 0.95 - 0.001 * i) for i, pid in enumerate(self.ids[:k])]

    def sibling_scores(self, vector, passage_ids):
        docs = {pid.split(":")[0] for pid in passage_ids}
        return [(pid, pid.split(":")[0], 0.95 - 0.001 * i) for i, pid in enumerate(self.ids) if pid.split(":")[0] in docs]

    def passages(self, passage_ids):
        return [PassageRecord(Passage(pid, pid.split(":")[0], 0, "نص", 0, 2), "", None, None, None, None, "ar")
                for pid in passage_ids]

    def sparse_vectors(self, passage_ids):  # latent terms whose scores run against the cosine order
        return {pid: (np.array([1, 7]), np.array([0.002 * self.ids.index(pid), 0.5])) for pid in passage_ids}


class _SparseEmbedder:
    """Only what the Searcher asks of an embedder with latent terms, for the page-stability test."""

    def embed_sparse(self, texts):
        return [(np.array([1, 7]), np.array([1.0, 0.2])) for _ in texts]


@pytest.mark.parametrize("query, mode, embedder", [
    ("نص الخبر", "hybrid", None), ("the news text", "semantic", None), ("the news text", "hybrid", None),
    ("the news text", "semantic", _SparseEmbedder()), ("the news text", "hybrid", _SparseEmbedder())])
def test_a_passage_keeps_its_score_when_the_page_grows(query, mode, embedder):
    searcher = Searcher(_ManyPassages(), embedder=embedder)  # type: ignore[arg-type]
    assert searcher.use_sparse == (embedder is not None)
    vector = np.ones(3, dtype=np.float32)
    small = searcher.search(query, mode=mode, k=3, query_vector=vector).hits
    response = searcher.search(query, mode=mode, k=60, query_vector=vector)
    large = {h.passage_id: h.score for h in response.hits}
    assert len(small) == 3 and all(large[h.passage_id] == h.score for h in small)
    assert ("latent-term" in response.fusion) == (embedder is not None)
