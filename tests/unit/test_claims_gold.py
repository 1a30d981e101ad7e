"""The hand-annotated claims set (bench/data/claims_gold.jsonl) and its checker.

The schema half runs everywhere (the file is in the repository); the source half needs the
evaluation data in shared/data and says so when it is absent.
"""
from __future__ import annotations

import copy
import json

import pytest

from bench.claims_gold_check import (GOLD_PATH, QUANTITY_TYPES, check_schema, check_sources, load, main,
                                     summary)
from bench.harness.data import shared_data_dir

RECORDS = load(GOLD_PATH)


def _has_shared_data() -> bool:
    try:
        shared_data_dir()
    except FileNotFoundError:
        return False
    return True


def _quantity_record() -> dict:
    """A copy of the first gold record whose first figure is an attributed quantity."""
    for rec in RECORDS:
        fig = rec["figures"][0]
        if fig["type"] in QUANTITY_TYPES and fig["actor"] and not fig["actor_from_context"]:
            return copy.deepcopy(rec)
    raise AssertionError("the gold set has no attributed quantity")


def test_gold_file_passes_the_schema_checks():
    assert check_schema(RECORDS) == []


def test_gold_file_has_the_size_and_mix_the_benchmark_needs():
    assert len(RECORDS) >= 320
    counts = summary(RECORDS)["sentences by set/split"]
    for name in ("factcheck", "saudinewsnet", "ans"):
        assert counts[f"{name}/dev"] > 0 and counts[f"{name}/test"] > 0, name
    no_quantity = sum(1 for r in RECORDS if not any(f["type"] in QUANTITY_TYPES for f in r["figures"]))
    assert no_quantity / len(RECORDS) >= 0.25  # typed-number errors must be measurable


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["figures"][0].update(value_text="99999"), "is not in the sentence"),
    (lambda r: r["figures"][0].update(offset=r["figures"][0]["offset"] + 1), "does not point at"),
    (lambda r: r["figures"][0].update(type="casualties"), "type 'casualties'"),
    (lambda r: r["figures"][0].update(stance="claimed"), "stance 'claimed'"),
    (lambda r: r["figures"][0].update(what="dead_people"), "what 'dead_people'"),
    (lambda r: r["figures"][0].update(actor="وزارة لا توجد في الجملة"), "is not in the sentence (mark"),
    (lambda r: r["figures"][0].update(actor_id="nobody"), "is not a gazetteer actor"),
    (lambda r: r["figures"][0].update(value="12"), "neither a number nor null"),
    (lambda r: r["figures"][0].update(qualifier="range"), "needs value <= value_max"),
    (lambda r: r["figures"][0].update(date_norm="2017/10/05"), "is not YYYY"),
    (lambda r: r["figures"][0].pop("event"), "lacks ['event']"),
    (lambda r: r.update(set="ans"), "but doc_id says"),
    (lambda r: r.update(sentence=r["sentence"] + "  "), "not whitespace-normalised"),
    (lambda r: r.update(figures=[]), "non-empty list"),
])
def test_checker_reports_each_kind_of_mistake(mutate, message):
    rec = _quantity_record()
    assert check_schema([rec]) == []
    mutate(rec)
    errors = check_schema([rec])
    assert any(message in e for e in errors), errors


def test_checker_reports_duplicate_ids_and_wrong_ans_split():
    first, second = copy.deepcopy(RECORDS[0]), copy.deepcopy(RECORDS[1])
    second["id"] = first["id"]
    assert any("duplicate id" in e for e in check_schema([first, second]))
    ans = copy.deepcopy(next(r for r in RECORDS if r["set"] == "ans"))
    ans["split"] = "test" if ans["split"] == "dev" else "dev"
    assert any("differs from its file's" in e for e in check_schema([ans]))


def test_year_figures_carry_their_year():
    rec = copy.deepcopy(next(r for r in RECORDS if any(f["type"] == "year" for f in r["figures"])))
    year = next(f for f in rec["figures"] if f["type"] == "year")
    year["value"] = None
    assert any("needs its year" in e for e in check_schema([rec]))


needs_data = pytest.mark.skipif(not _has_shared_data(), reason="shared/data (evaluation corpora) is not present")


@needs_data
def test_every_sentence_is_verbatim_in_its_document_and_split_by_document():
    assert check_sources(RECORDS) == []


@needs_data
def test_source_check_reports_edited_sentences_and_wrong_splits():
    fc = copy.deepcopy(next(r for r in RECORDS if r["set"] == "factcheck"))
    fc["sentence"] = fc["sentence"].replace(" ", " و ", 1)
    snn = copy.deepcopy(next(r for r in RECORDS if r["set"] == "saudinewsnet"))
    snn["split"] = "test" if snn["split"] == "dev" else "dev"
    ans = copy.deepcopy(next(r for r in RECORDS if r["set"] == "ans"))
    ans["sentence"] = ans["sentence"] + " إضافة"
    errors = check_sources([fc, snn, ans])
    assert any(fc["id"] in e and "verbatim" in e for e in errors), errors
    assert any(snn["id"] in e and "split_of" in e for e in errors), errors
    assert any(ans["id"] in e and "verbatim" in e for e in errors), errors


def test_command_line_exits_nonzero_on_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "gold.jsonl"
    rec = _quantity_record()
    rec["figures"][0]["value_text"] = "99999"
    broken.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["--path", str(broken), "--no-sources"]) == 1
    assert main(["--path", str(GOLD_PATH), "--no-sources"]) == 0
    assert "sentences by set/split" in capsys.readouterr().out
