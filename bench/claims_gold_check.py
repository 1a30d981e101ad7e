"""Check the hand-annotated claims set (bench/data/claims_gold.jsonl) and print its make-up.

Why a checker: the claims benchmark scores the extractor against these annotations, so a typo
in the gold file (a figure that is not in its sentence, a sentence that is not in its article,
a document put in the wrong split) would silently turn into a wrong score. The rules the file
follows are in docs/ANNOTATING_CLAIMS.md; this module enforces the mechanical part of them.

Two levels:

* `check_schema(records)` needs nothing but the file: fields and their values, every
  `value_text` (and its `offset`) inside the sentence, actors/places/dates written in the
  sentence unless marked as taken from context, ranges, ids unique, ANS splits;
* `check_sources(records)` needs the evaluation data (shared/data): every sentence is a
  verbatim, whitespace-normalised substring of its source document, and the split of every
  fact-check / SaudiNewsNet sentence is `bench.corpora.split_of` of its document.

`python -m bench.claims_gold_check [--path FILE] [--no-sources]` runs both and prints counts per
set, split, figure type, stance and with/without actor; it exits 1 when anything is wrong.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from bench.harness import REPO_ROOT

GOLD_PATH = REPO_ROOT / "bench" / "data" / "claims_gold.jsonl"
WHAT_PATH = REPO_ROOT / "bench" / "data" / "claims_what.json"
GAZETTEER_PATH = REPO_ROOT / "khabar" / "vocabulary" / "data" / "gazetteer.json"

SETS = {"fc-": "factcheck", "snn-": "saudinewsnet", "ans-": "ans"}
SPLITS = {"dev", "test"}
QUANTITY_TYPES = {"count", "money", "percent", "measure"}
OTHER_TYPES = {"year", "hijri_year", "date", "age", "time", "duration", "ordinal", "phone", "rank", "other"}
TYPES = QUANTITY_TYPES | OTHER_TYPES
QUALIFIERS = {"exact", "more_than", "at_least", "about", "up_to", "less_than", "range"}
STANCES = {"admitted", "estimated", "confirmed", "announced", "denied", "stated", "reported"}
QUANTITY_KEYS = ("what", "what_ar", "what_en", "actor", "actor_canonical", "actor_id", "actor_from_context",
                 "stance", "place", "place_en", "date", "date_norm", "event")
RECORD_KEYS = {"id", "doc_id", "set", "split", "sentence", "figures", "notes"}
ID_RE = re.compile(r"^c\d{4}$")
ANS_ID_RE = re.compile(r"^ans-(claim|stance)-(dev|test)-(\d+)$")
DATE_NORM_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace to one space: the only change allowed to a quoted sentence."""
    return re.sub(r"\s+", " ", text).strip()


def load(path: Path = GOLD_PATH) -> list[dict[str, Any]]:
    """Read the JSONL file; a line that is not JSON is an error naming its line number."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from exc
    return records


def known_whats() -> set[str]:
    """Gazetteer 'what' ids plus the categories the guidelines define (bench/data/claims_what.json)."""
    gazetteer = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))
    extra = json.loads(WHAT_PATH.read_text(encoding="utf-8"))
    return {w["id"] for w in gazetteer["what"]} | {k for k in extra if not k.startswith("_")}


def known_actor_ids() -> set[str]:
    gazetteer = json.loads(GAZETTEER_PATH.read_text(encoding="utf-8"))
    return {a["id"] for a in gazetteer["actors"]}


def written_in(phrase: str, sentence: str) -> bool:
    """Is `phrase` written in `sentence`? After the preposition ل the article's alif drops
    (للمرصد = ل + المرصد), so an annotation keeps the article and still counts as written."""
    if phrase in sentence:
        return True
    return phrase.startswith("ال") and ("لل" + phrase[2:]) in sentence


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_figure(rid: str, sentence: str, k: int, fig: Any, whats: set[str], actor_ids: set[str]) -> list[str]:
    where = f"{rid} figure {k}"
    if not isinstance(fig, dict):
        return [f"{where}: not an object"]
    errors = []
    text = fig.get("value_text")
    if not isinstance(text, str) or not text:
        errors.append(f"{where}: value_text missing")
    elif text not in sentence:
        errors.append(f"{where}: value_text {text!r} is not in the sentence")
    elif "offset" in fig:
        off = fig["offset"]
        if not isinstance(off, int) or sentence[off:off + len(text)] != text:
            errors.append(f"{where}: offset {off!r} does not point at {text!r}")
    ftype = fig.get("type")
    if ftype not in TYPES:
        errors.append(f"{where}: type {ftype!r} not one of {sorted(TYPES)}")
    if fig.get("qualifier") not in QUALIFIERS:
        errors.append(f"{where}: qualifier {fig.get('qualifier')!r} not one of {sorted(QUALIFIERS)}")
    value = fig.get("value")
    if value is not None and not _is_number(value):
        errors.append(f"{where}: value {value!r} is neither a number nor null")
    if fig.get("qualifier") == "range":
        if ftype in QUANTITY_TYPES and not (_is_number(fig.get("value_max")) and _is_number(value)
                                            and fig["value_max"] >= value):
            errors.append(f"{where}: a quantity range needs value <= value_max")
    if ftype in ("year", "hijri_year") and not (isinstance(value, int) and not isinstance(value, bool)):
        errors.append(f"{where}: a {ftype} needs its year as an integer value")
    norm = fig.get("date_norm")
    if norm is not None and not (isinstance(norm, str) and DATE_NORM_RE.match(norm)):
        errors.append(f"{where}: date_norm {norm!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if ftype not in QUANTITY_TYPES:
        return errors
    # quantities: what was counted, who says so, how, where, when, about which event
    missing = [key for key in QUANTITY_KEYS if key not in fig]
    if missing:
        errors.append(f"{where}: quantity figure lacks {missing}")
    if not _is_number(value):
        errors.append(f"{where}: a quantity needs a numeric value")
    if fig.get("what") not in whats:
        errors.append(f"{where}: what {fig.get('what')!r} is neither a gazetteer id nor in {WHAT_PATH.name}")
    if fig.get("stance") not in STANCES:
        errors.append(f"{where}: stance {fig.get('stance')!r} not one of {sorted(STANCES)}")
    if not isinstance(fig.get("event"), str) or not fig.get("event"):
        errors.append(f"{where}: event missing")
    if not isinstance(fig.get("actor_from_context"), bool):
        errors.append(f"{where}: actor_from_context must be true or false")
    actor, actor_id = fig.get("actor"), fig.get("actor_id")
    if actor_id is not None and actor_id not in actor_ids:
        errors.append(f"{where}: actor_id {actor_id!r} is not a gazetteer actor")
    if actor is None:
        if actor_id is not None or fig.get("actor_canonical") is not None:
            errors.append(f"{where}: actor_id/actor_canonical without an actor")
        if fig.get("actor_from_context"):
            errors.append(f"{where}: actor_from_context is true but there is no actor")
    elif not fig.get("actor_from_context") and not written_in(actor, sentence):
        errors.append(f"{where}: actor {actor!r} is not in the sentence (mark actor_from_context)")
    for key in ("place", "date"):
        if fig.get(key) is not None and not written_in(fig[key], sentence):
            errors.append(f"{where}: {key} {fig[key]!r} is not written in the sentence")
    return errors


def check_schema(records: Iterable[dict[str, Any]]) -> list[str]:
    """Every problem that can be found without the source documents, as readable messages."""
    whats, actor_ids = known_whats(), known_actor_ids()
    errors: list[str] = []
    seen_ids: set[str] = set()
    seen_sentences: set[tuple[str, str]] = set()
    for n, rec in enumerate(records, 1):
        rid = str(rec.get("id", f"record {n}"))
        unknown = set(rec) - RECORD_KEYS
        if unknown:
            errors.append(f"{rid}: unknown keys {sorted(unknown)}")
        if not ID_RE.match(str(rec.get("id", ""))):
            errors.append(f"{rid}: id must look like c0001")
        if rid in seen_ids:
            errors.append(f"{rid}: duplicate id")
        seen_ids.add(rid)
        doc_id = str(rec.get("doc_id", ""))
        expected_set = next((s for p, s in SETS.items() if doc_id.startswith(p)), None)
        if expected_set is None:
            errors.append(f"{rid}: doc_id {doc_id!r} is not fc-/snn-/ans-")
        elif rec.get("set") != expected_set:
            errors.append(f"{rid}: set {rec.get('set')!r} but doc_id says {expected_set!r}")
        if rec.get("split") not in SPLITS:
            errors.append(f"{rid}: split {rec.get('split')!r} not dev/test")
        if expected_set == "ans":
            m = ANS_ID_RE.match(doc_id)
            if not m:
                errors.append(f"{rid}: ANS doc_id must be ans-<claim|stance>-<dev|test>-<row>")
            elif m.group(2) != rec.get("split"):
                errors.append(f"{rid}: ANS split {rec.get('split')!r} differs from its file's ({m.group(2)})")
        sentence = rec.get("sentence")
        if not isinstance(sentence, str) or not sentence:
            errors.append(f"{rid}: sentence missing")
            continue
        if sentence != normalise_space(sentence):
            errors.append(f"{rid}: sentence is not whitespace-normalised")
        if (doc_id, sentence) in seen_sentences:
            errors.append(f"{rid}: the same sentence of {doc_id} is annotated twice")
        seen_sentences.add((doc_id, sentence))
        figures = rec.get("figures")
        if not isinstance(figures, list) or not figures:
            errors.append(f"{rid}: figures must be a non-empty list")
            continue
        last = -1
        for k, fig in enumerate(figures):
            errors += _check_figure(rid, sentence, k, fig, whats, actor_ids)
            off = fig.get("offset") if isinstance(fig, dict) else None
            if isinstance(off, int):
                if off < last:
                    errors.append(f"{rid} figure {k}: figures must be listed in the order they appear")
                last = off
    return errors


def _ans_text(doc_id: str, data_dir: Path) -> str:
    folder, split, row = ANS_ID_RE.match(doc_id).groups()  # type: ignore[union-attr]
    with (data_dir / "ans" / folder / f"{split}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    record = rows[int(row)]
    return record["claim_s"] if folder == "claim" else record["s1"] + "\n" + record["s2"]


def check_sources(records: Iterable[dict[str, Any]]) -> list[str]:
    """Sentences against their documents, and splits against bench.corpora (needs shared/data)."""
    from bench import corpora
    from bench.harness.data import shared_data_dir

    data_dir = shared_data_dir()
    texts = {p.doc_id: p.text for p in corpora.factcheck_pages()}
    texts.update({a.doc_id: a.text for a in corpora.saudinewsnet_subset()})
    normalised: dict[str, str] = {}
    errors = []
    for rec in records:
        rid, doc_id, sentence = rec["id"], rec["doc_id"], rec["sentence"]
        if doc_id.startswith("ans-"):
            if not ANS_ID_RE.match(doc_id):
                continue  # reported by check_schema
            try:
                source = _ans_text(doc_id, data_dir)
            except (IndexError, FileNotFoundError) as exc:
                errors.append(f"{rid}: {doc_id} not found ({exc})")
                continue
        else:
            if doc_id not in texts:
                errors.append(f"{rid}: {doc_id} is not a document of the evaluation corpora")
                continue
            source = texts[doc_id]
            expected = corpora.split_of(doc_id)
            if rec.get("split") != expected:
                errors.append(f"{rid}: split {rec.get('split')!r} but split_of({doc_id}) is {expected!r}")
        if doc_id not in normalised:
            normalised[doc_id] = normalise_space(source)
        if normalise_space(sentence) not in normalised[doc_id]:
            errors.append(f"{rid}: sentence is not a verbatim substring of {doc_id}")
    return errors


def summary(records: list[dict[str, Any]]) -> dict[str, Counter]:
    """Counts the benchmark report needs: sentences per set/split, figures per type, stance, actor."""
    figures = [(r, f) for r in records for f in r["figures"]]
    quantities = [(r, f) for r, f in figures if f["type"] in QUANTITY_TYPES]
    return {
        "sentences by set/split": Counter(f"{r['set']}/{r['split']}" for r in records),
        "sentences by content": Counter(
            "with a quantity" if any(f["type"] in QUANTITY_TYPES for f in r["figures"]) else "no quantity"
            for r in records),
        "figures by type": Counter(f["type"] for _, f in figures),
        "quantities by stance": Counter(f["stance"] for _, f in quantities),
        "quantities by actor": Counter(
            "no actor" if f["actor"] is None else
            ("actor from context" if f["actor_from_context"] else "actor in sentence") +
            (" (gazetteer id)" if f["actor_id"] else "") for _, f in quantities),
        "quantities by qualifier": Counter(f["qualifier"] for _, f in quantities),
        "quantities by set/split": Counter(f"{r['set']}/{r['split']}" for r, _ in quantities),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--path", type=Path, default=GOLD_PATH)
    ap.add_argument("--no-sources", action="store_true", help="skip the check against shared/data")
    args = ap.parse_args(argv)
    records = load(args.path)
    errors = check_schema(records)
    if not args.no_sources:
        errors += check_sources(records)
    for title, counts in summary(records).items():
        print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"{len(records)} sentences, {sum(len(r['figures']) for r in records)} figures")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
