"""The benchmark's own arithmetic: metrics, doc dedupe, fusion levels, report blocks, query cache.

A benchmark that miscounts is worse than none, so its scoring is tested on hand-made
rankings whose answers are worked out by hand.
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.harness.data import CachedQueryEmbedder, make_document
from bench.harness.metrics import dedupe_docs, rank_of, retrieval_metrics
from bench.harness.report import write_generated
from bench.retrieval import GridPoint, best, doc_of, fuse


def test_metrics_by_hand():
    m = retrieval_metrics([1, 2, None, 6], cutoffs=(1, 5), mrr_at=5)
    assert m["R@1"] == 0.25
    assert m["R@5"] == 0.5
    assert m["MRR@5"] == pytest.approx((1 + 0.5) / 4)


def test_metrics_reject_empty():
    with pytest.raises(ValueError):
        retrieval_metrics([])


def test_dedupe_keeps_best_passage_rank():
    ranking = dedupe_docs([doc_of(p) for p in ["d1:a", "d2:a", "d1:b", "d3:a"]])
    assert ranking == ["d1", "d2", "d3"]
    assert rank_of("d3", ranking) == 3
    assert rank_of("d9", ranking) is None


def test_doc_level_fusion_credits_a_document_found_by_both_sides_through_different_passages():
    lex = ["d1:a", "d2:a"]  # d1 first lexically (passage a)
    sem = ["d2:b", "d1:b"]  # d2 first semantically (passage b)
    # passage level: d1:a and d2:b tie at 1/61 and d2:a,d1:b tie at 1/62; ties keep insertion order
    assert fuse(lex, sem, 1.0, 1.0, level="passage")[0] == "d1"
    # with a stronger semantic weight both levels prefer d2
    assert fuse(lex, sem, 1.0, 2.0, level="doc")[0] == "d2"
    # a doc found by both sides (through different passages) beats one found by one side only
    assert fuse(["d1:a", "d3:a"], ["d3:b", "d2:a"], 1.0, 1.0, level="doc")[0] == "d3"


def test_zero_weight_side_is_ignored():
    assert fuse(["d1:a"], ["d2:a"], 0.0, 1.0) == ["d2"]


def test_whole_document_is_one_passage_with_offsets():
    doc = make_document("x-1", "  نص أول. نص ثان.  ", whole=True)
    assert len(doc.passages) == 1
    p = doc.passages[0]
    assert doc.text[p.start : p.end] == p.text == "نص أول. نص ثان."


def test_generated_block_is_replaced_and_hand_text_kept(tmp_path):
    path = tmp_path / "R.md"
    path.write_text("# Title\n\nhand-written intro\n", encoding="utf-8")
    write_generated(path, "b", "first")
    write_generated(path, "b", "second")
    text = path.read_text(encoding="utf-8")
    assert "hand-written intro" in text and "second" in text and "first" not in text
    assert text.count("BEGIN GENERATED: b") == 1


class _CountingEmbedder:
    id, dim = "fake", 3

    def __init__(self):
        self.calls = 0

    def embed_queries(self, texts):
        self.calls += len(texts)
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    def embed_passages(self, texts):
        return self.embed_queries(texts)


def test_query_cache_survives_a_restart_and_only_embeds_misses(tmp_path):
    inner = _CountingEmbedder()
    cache = CachedQueryEmbedder(inner, tmp_path / "q.npz")
    cache.warm(["a", "bb", "a"], progress=False)
    assert inner.calls == 2
    again = CachedQueryEmbedder(inner, tmp_path / "q.npz")
    v = again.embed_queries(["bb", "ccc"])
    assert inner.calls == 3  # only "ccc" was new
    assert v[0, 0] == 2 and v[1, 0] == 3


def test_tuning_keeps_the_default_unless_it_loses_by_more_than_two_questions():
    def point(lexical: float, right: int) -> GridPoint:
        return GridPoint("en", lexical, 0.0, {"R@1": right / 632, "MRR@10": right / 632}, 0.5)

    default = (0.2, 0.0, 0.5)
    assert best([point(0.2, 530), point(0.3, 532)], "en", default, 632).lexical == 0.2  # +2: noise
    assert best([point(0.2, 530), point(0.3, 533)], "en", default, 632).lexical == 0.3  # +3: a change
    assert best([point(0.1, 530), point(0.3, 531)], "en", default, 632).lexical == 0.3  # default not in the grid


def test_short_speed_queries_are_distinct_prefixes():
    from bench.speed import short_queries

    titles = ["أمير مكة المكرمة يفتتح المعرض", "أمير مكة المكرمة يزور جدة", "وزير الصحة يعلن", "خبر قصير"]
    assert short_queries(titles) == ["أمير مكة المكرمة", "وزير الصحة يعلن"]  # no repeat, none shorter than 3 words
