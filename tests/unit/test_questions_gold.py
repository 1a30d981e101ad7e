"""The annotated questions stay consistent: schema, spans, parallel links, split rule, sources."""
from __future__ import annotations

import copy
from collections import Counter

import pytest

from bench import questions_gold_check as qc


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return qc.load()


def test_fixture_schema_is_valid(records):
    assert qc.check_schema(records) == []


def test_fixture_has_the_agreed_shape(records):
    assert len(records) >= 170
    unanswerable = Counter(r["language"] for r in records if not r["answerable"])
    assert sum(unanswerable.values()) >= 45 and min(unanswerable["ar"], unanswerable["en"]) >= 20
    types = Counter(r["type"] for r in records)
    assert all(types[t] >= 10 for t in ("who", "what", "which", "when", "where"))
    assert sum(1 for r in records if r["parallel"]) // 2 >= 35
    splits = Counter(r["split"] for r in records)
    assert abs(splits["dev"] - splits["test"]) <= 0.2 * len(records)


def _answerable(records):
    return copy.deepcopy(next(r for r in records if r["answerable"] and r["gold"][0]["doc_id"].startswith("snn-")))


def test_schema_rejects_an_answer_outside_the_evidence(records):
    r = _answerable(records)
    r["answers_ar"] = ["كلمة لا ترد في الدليل"]
    assert any("not a span" in e for e in qc.check_schema([r]))


def test_schema_rejects_arabic_in_the_english_answer(records):
    r = _answerable(records)
    r["answer_en"] = "48 ألف جندي"
    assert any("answer_en" in e for e in qc.check_schema([r]))


def test_schema_rejects_a_wrong_saudinewsnet_split(records):
    r = _answerable(records)
    r["split"] = "test" if r["split"] == "dev" else "dev"
    r["parallel"] = None
    assert any("split" in e for e in qc.check_schema([r]))


def test_schema_rejects_gold_on_an_unanswerable_question(records):
    r = copy.deepcopy(next(r for r in records if not r["answerable"]))
    r["gold"] = [{"doc_id": "fc-0123456789ab", "evidence": "جملة"}]
    assert any("unanswerable" in e for e in qc.check_schema([r]))


def test_schema_rejects_an_unchecked_unanswerable_question(records):
    r = copy.deepcopy(next(r for r in records if not r["answerable"] and not r["parallel"]))
    r["checked"] = "searched, nothing found"
    assert any("checked" in e for e in qc.check_schema([r]))


def test_schema_rejects_broken_parallel_links_and_duplicate_ids(records):
    a, b = _pair(records)
    b["parallel"] = None
    errors = qc.check_schema([a, b])
    assert any("not symmetric" in e for e in errors)
    assert any("duplicate id" in e for e in qc.check_schema([a, copy.deepcopy(a)]))


def _pair(records):
    a = next(r for r in records if r["parallel"])
    b = next(r for r in records if r["id"] == a["parallel"])
    return copy.deepcopy(a), copy.deepcopy(b)


def test_unanswerable_split_alternates_in_blocks_that_keep_pairs_together():
    assert [qc.unanswerable_split({"id": f"q{n:04d}", "parallel": None}) for n in range(1, 9)] == \
        ["dev", "dev", "test", "test", "dev", "dev", "test", "test"]
    assert qc.unanswerable_split({"id": "q0004", "parallel": "q0003"}) == "test"


def test_source_check_flags_missing_evidence_and_split(records):
    r = _answerable(records)
    doc = r["gold"][0]["doc_id"]
    good = {doc: "عنوان\n" + "  ".join(g["evidence"] for g in r["gold"])}
    assert qc.check_sources([r], lambda d: good.get(d, good[doc]), lambda d: r["split"]) == []
    assert any("verbatim" in e for e in qc.check_sources([r], lambda d: "نص آخر", lambda d: r["split"]))
    other = "test" if r["split"] == "dev" else "dev"
    assert any("split" in e for e in qc.check_sources([r], lambda d: good.get(d, good[doc]), lambda d: other))
    assert any("not in the evaluation corpora" in e for e in qc.check_sources([r], lambda d: None, lambda d: r["split"]))


def test_fixture_matches_its_sources(records):
    try:
        from bench.harness.data import shared_data_dir

        shared_data_dir()
    except FileNotFoundError:
        pytest.skip("shared/data (fact-check corpus, SaudiNewsNet) is not available: source check not run")
    from bench.corpora import split_of

    assert qc.check_sources(records, qc.corpus_texts(), split_of) == []
