"""Hybrid scoring arithmetic (search.fusion): convex fusion, scaling, document context.

Worked out by hand, because the benchmark's R@1 only tells whether these are good, not
whether they compute what their docstrings say.
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace

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


def test_long_queries_lean_on_the_lexical_side():
    w = replace(FusionWeights.tuned(), lexical_same_language=0.45, semantic_terms_same_language=4.0,
                lexical_cross_language_without_terms=0.4, semantic_terms_cross_language_without_terms=10.0,
                lexical_cross_language=0.2, semantic_terms_cross_language=0.0)
    # semantic share = min(1 - base, worth / n): 0.55 up to 7 terms, 4/8 = 0.5 at 8, 4/20 = 0.2 at 20
    assert w.lexical_weight("ar", 5) == 0.45 and w.lexical_weight("ar", 7) == 0.45
    assert w.lexical_weight("ar", 8) == pytest.approx(0.5)
    assert w.lexical_weight("ar", 20) == pytest.approx(0.8)
    assert w.lexical_weight("ar", 0) == 0.45  # no terms: nothing to lean on
    # English: each path has its own worth; 0 keeps the base weight at every length
    assert w.lexical_weight("en", 20, with_terms=False) == pytest.approx(0.5)
    assert w.lexical_weight("en", 40, with_terms=True) == 0.2
    # the weight never falls with length
    assert all(w.lexical_weight("ar", n) <= w.lexical_weight("ar", n + 1) for n in range(1, 60))


def test_weights_files_without_the_length_rule_keep_the_constant_weights(tmp_path):
    path = tmp_path / "fusion.json"
    old = {name: value for name, value in asdict(FusionWeights.tuned()).items() if not name.startswith("semantic_terms")}
    path.write_text(json.dumps({"weights": old}), encoding="utf-8")
    w = FusionWeights.tuned(path)
    assert w.semantic_terms_same_language == 0.0
    assert w.lexical_weight("ar", 30) == w.lexical_same_language


def test_searcher_fuses_a_long_query_with_the_length_weight():
    w = replace(FusionWeights.tuned(), lexical_same_language=0.45, semantic_terms_same_language=4.0)
    searcher = Searcher(_ManyPassages(), embedder=None, weights=w)  # type: ignore[arg-type]
    vector = np.ones(3, dtype=np.float32)
    short = searcher.search("نص الخبر", k=3, query_vector=vector)
    words = "قصف صواريخ منشأة عسكرية ريف دمشق الدفاع الجوي السوري اعترض ثلاثة الصواريخ إسرائيل أطلقت عدة"
    n = len(set(searcher.query_terms(words, "ar")))
    long = searcher.search(words, k=3, query_vector=vector)
    assert n >= 12
    assert "lexical 0.45:" in short.fusion and short.hits[0].passage_id == "d000:0"  # the semantic top
    assert f"lexical {1 - 4.0 / n:.3g}:" in long.fusion and f"query of {n} terms" in long.fusion
    # with the lexical side leaning harder, the lexical order (ids falling from d099) wins the top
    assert long.hits[0].passage_id == "d099:1"


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
