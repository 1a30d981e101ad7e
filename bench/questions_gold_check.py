"""Validate the annotated questions (bench/data/questions_gold.jsonl) and print their counts.

Run:  python -m bench.questions_gold_check            (schema + sources when the corpora are present)
      python -m bench.questions_gold_check --schema-only

Why a module of its own: the questions are the yardstick for cited answers on real news
(gold document, first cited sentence, short answer, abstention). A yardstick that drifts from its
sources measures nothing, so every evidence must still be a verbatim sentence of its document,
every short answer a span of an evidence, and the dev/test split must follow the source document
(`bench.corpora.split_of`) so tuning on dev never sees a test article. The schema part needs no
data (it runs in the unit tests); the source part reads the corpora from shared/data.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from bench.harness import REPO_ROOT

GOLD_PATH = REPO_ROOT / "bench" / "data" / "questions_gold.jsonl"

LANGUAGES = {"ar", "en"}
TYPES = {"how_many", "who", "what", "which", "when", "where", "why", "yes_no"}
ANSWER_TYPES = {"number", "person", "organisation", "place", "date", "reason", "event", "other"}
SPLITS = {"dev", "test"}
FIELDS = ("id", "language", "question", "type", "answer_type", "answerable", "split", "gold", "answers_ar",
          "answer_en", "value", "event", "parallel", "checked", "notes")
ID_RE = re.compile(r"q\d{4}")
DOC_RE = re.compile(r"(fc|snn)-[0-9a-f]{12}")
ARABIC_RE = re.compile(r"[\u0600-\u06ff]")


def ws(text: str) -> str:
    """Whitespace-normalised text: evidence is compared this way (sources mix spaces and newlines)."""
    return " ".join(text.split())


def load(path: Path = GOLD_PATH) -> list[dict]:
    """Read the JSONL; a line that is not a JSON object is reported with its line number."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}:{n}: not JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise ValueError(f"{path.name}:{n}: not a JSON object")
        records.append(record)
    return records


def unanswerable_split(record: dict) -> str:
    """Unanswerable questions alternate dev/test by id in blocks of two (q0001-2 dev, q0003-4 test, ...).

    Blocks of two because parallel pairs sit on consecutive ids and must share a split; a pair takes
    the split of its lower id.
    """
    ids = [record["id"]] + ([record["parallel"]] if record.get("parallel") else [])
    return "dev" if ((int(min(ids)[1:]) + 1) // 2) % 2 == 1 else "test"


def check_schema(records: list[dict]) -> list[str]:
    """Everything that can be checked without the corpora. Returns error messages (empty when valid)."""
    errors: list[str] = []
    by_id: dict[str, dict] = {}
    for r in records:
        qid = r.get("id", "?")
        err = lambda msg, qid=qid: errors.append(f"{qid}: {msg}")  # noqa: E731
        missing = [f for f in FIELDS if f not in r]
        extra = [f for f in r if f not in FIELDS]
        if missing or extra:
            err(f"fields missing {missing} / unexpected {extra}")
            continue
        if not isinstance(qid, str) or not ID_RE.fullmatch(qid):
            err("id must look like q0001")
        elif qid in by_id:
            err("duplicate id")
        by_id[qid] = r
        if r["language"] not in LANGUAGES:
            err(f"language {r['language']!r}")
        if not isinstance(r["question"], str) or not r["question"].strip():
            err("empty question")
        elif r["language"] == "ar" and not ARABIC_RE.search(r["question"]):
            err("Arabic question without Arabic script")
        elif r["language"] == "en" and ARABIC_RE.search(r["question"]):
            err("English question containing Arabic script")
        if r["type"] not in TYPES:
            err(f"type {r['type']!r}")
        if r["answer_type"] not in ANSWER_TYPES:
            err(f"answer_type {r['answer_type']!r}")
        if r["split"] not in SPLITS:
            err(f"split {r['split']!r}")
        if not isinstance(r["answerable"], bool):
            err("answerable must be true or false")
            continue
        if r["answerable"]:
            errors.extend(f"{qid}: {m}" for m in _answerable_schema(r))
        else:
            if r["gold"] or r["answers_ar"] or r["answer_en"] is not None or r["value"] is not None:
                err("unanswerable questions have gold [], answers_ar [], answer_en null, value null")
            if not isinstance(r["checked"], str) or not re.search(r"fc \d+, snn \d+", r["checked"]):
                err("unanswerable questions record their searches over both corpora in 'checked' (fc N, snn M)")
            elif r["split"] in SPLITS and r["split"] != unanswerable_split(r):
                err(f"split {r['split']} but unanswerable questions alternate by id: {unanswerable_split(r)}")
        if r["type"] in ("how_many", "when", "where") and not (isinstance(r["event"], str) and r["event"].strip()):
            err(f"{r['type']} questions name their event")
    errors.extend(_check_parallel(by_id))
    return errors


def _answerable_schema(r: dict) -> Iterable[str]:
    gold = r["gold"]
    if not isinstance(gold, list) or not gold:
        yield "answerable questions have at least one gold document"
        return
    seen = set()
    for g in gold:
        if not isinstance(g, dict) or set(g) != {"doc_id", "evidence"}:
            yield f"gold entries are {{doc_id, evidence}}: {g!r}"
            continue
        if not DOC_RE.fullmatch(str(g["doc_id"])):
            yield f"doc_id {g['doc_id']!r} is not an evaluation id (fc-/snn- + 12 hex)"
        if g["doc_id"] in seen:
            yield f"doc {g['doc_id']} listed twice"
        seen.add(g["doc_id"])
        if not isinstance(g["evidence"], str) or not g["evidence"].strip():
            yield f"empty evidence for {g['doc_id']}"
        elif len(g["evidence"]) > 600:
            yield f"evidence for {g['doc_id']} is {len(g['evidence'])} characters: keep a sentence, not the article"
    answers = r["answers_ar"]
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        yield "answerable questions have non-empty answers_ar"
        return
    evidences = [ws(g["evidence"]) for g in gold if isinstance(g, dict) and isinstance(g.get("evidence"), str)]
    for a in answers:
        if not any(ws(a) in e for e in evidences):
            yield f"answer {a!r} is not a span of any evidence"
    if not isinstance(r["answer_en"], str) or not r["answer_en"].strip():
        yield "answerable questions have answer_en"
    elif ARABIC_RE.search(r["answer_en"]):
        yield "answer_en must be English (numbers in digits)"
    if r["answer_type"] == "number":
        if not isinstance(r["value"], (int, float)) or isinstance(r["value"], bool):
            yield "number answers carry a numeric value"
    elif r["value"] is not None:
        yield "value is only for number answers"
    if r["checked"] is not None:
        yield "'checked' is for unanswerable questions"
    if r["split"] in SPLITS and str(gold[0].get("doc_id", "")).startswith("snn-"):
        expected = _snn_split(gold[0]["doc_id"])
        if r["split"] != expected:
            yield f"split {r['split']} but gold[0] {gold[0]['doc_id']} is {expected}"


def _snn_split(doc_id: str) -> str:
    # mirrors bench.corpora.split_of for SaudiNewsNet ids, which needs no data
    return "dev" if int(doc_id[4:], 16) % 2 == 0 else "test"


def _check_parallel(by_id: dict[str, dict]) -> Iterable[str]:
    for qid, r in by_id.items():
        other_id = r.get("parallel")
        if other_id is None:
            continue
        other = by_id.get(other_id)
        if other is None:
            yield f"{qid}: parallel {other_id} does not exist"
            continue
        if other.get("parallel") != qid:
            yield f"{qid}: parallel link to {other_id} is not symmetric"
        if other.get("language") == r.get("language"):
            yield f"{qid}: parallel {other_id} is in the same language"
        for field in ("split", "answerable", "type"):
            if other.get(field) != r.get(field):
                yield f"{qid}: parallel {other_id} differs in {field}"


def check_sources(records: list[dict], texts: Callable[[str], str | None], split_of: Callable[[str], str]) -> list[str]:
    """Evidence is a verbatim (whitespace-normalised) substring of its document; split follows gold[0].

    `texts(doc_id)` returns the document text (SaudiNewsNet: title and body) or None if unknown.
    """
    errors: list[str] = []
    for r in records:
        if not r.get("answerable") or not isinstance(r.get("gold"), list):
            continue
        for g in r["gold"]:
            text = texts(g["doc_id"])
            if text is None:
                errors.append(f"{r['id']}: {g['doc_id']} is not in the evaluation corpora")
            elif ws(g["evidence"]) not in ws(text):
                errors.append(f"{r['id']}: evidence is not a verbatim sentence of {g['doc_id']}: {g['evidence'][:80]!r}")
        if r["gold"]:
            try:
                expected = split_of(r["gold"][0]["doc_id"])
            except (KeyError, ValueError):
                continue  # already reported as unknown document
            if r["split"] != expected:
                errors.append(f"{r['id']}: split {r['split']} but {r['gold'][0]['doc_id']} is {expected}")
    return errors


def corpus_texts() -> Callable[[str], str | None]:
    """Document texts by id from bench.corpora (reads shared/data)."""
    from bench.corpora import factcheck_pages, saudinewsnet_subset

    docs = {p.doc_id: p.text for p in factcheck_pages()}
    docs.update({a.doc_id: f"{a.title}\n{a.text}" for a in saudinewsnet_subset()})
    return docs.get


def counts(records: list[dict]) -> str:
    """A small report: how the set is spread over languages, types, answerability, splits and sources."""
    lines = [f"{len(records)} questions"]
    for label, key in (("language", lambda r: r["language"]), ("type", lambda r: r["type"]),
                       ("answer_type", lambda r: r["answer_type"]), ("answerable", lambda r: r["answerable"]),
                       ("split", lambda r: r["split"]),
                       ("split x answerable", lambda r: f"{r['split']}/{'ans' if r['answerable'] else 'unans'}"),
                       ("language x answerable", lambda r: f"{r['language']}/{'ans' if r['answerable'] else 'unans'}"),
                       ("source of gold[0]", lambda r: r["gold"][0]["doc_id"].split("-")[0] if r["gold"] else "none")):
        c = Counter(key(r) for r in records)
        lines.append(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))))
    pairs = sum(1 for r in records if r.get("parallel")) // 2
    docs = {g["doc_id"] for r in records for g in r.get("gold") or []}
    lines.append(f"  parallel pairs: {pairs}; distinct gold documents: {len(docs)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.questions_gold_check", description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=GOLD_PATH)
    ap.add_argument("--schema-only", action="store_true", help="skip the check against the corpora")
    args = ap.parse_args(argv)
    records = load(args.path)
    errors = check_schema(records)
    if not args.schema_only:
        from bench.corpora import split_of

        errors += check_sources(records, corpus_texts(), split_of)
    print(counts(records))
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print(f"{'schema' if args.schema_only else 'schema and sources'}: {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
