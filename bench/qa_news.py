"""Cited answers on real news: the annotated questions asked of the news evaluation index.

    python -m bench.qa_news [--split dev|test|all] [--data-dir DIR] [--write] [--json OUT]

Every question of bench/data/questions_gold.jsonl (English and Arabic; how-many, who, what,
which, when, where, why; 48+ that the corpus cannot answer) is asked through the product's
`Answerer` over the evaluation index (bench/eval_index.py: all fact-check pages plus the
SaudiNewsNet subset). What is scored, per language (and per split and question type):

* answered: share of answerable questions given an answer (target >= 0.90);
* confident on unanswerable: share of unanswerable questions given an answer (target <= 0.05);
* gold in first citation: among answerable questions, the first cited sentence holds a gold
  answer (an annotated Arabic form, the English form, or for numbers the value, read with the
  product's own number reader); "strict" also requires the citation to come from a gold document
  (targets: ar >= 0.90, en >= 0.85, counted over all answerable questions, so an abstention
  counts as a miss);
* short answer shown / correct when shown: the bold short answer (`Answer.short_answer` when the
  answerer sets it, else `Answer.span`), correct when its number equals the gold value (numbers)
  or its words overlap a gold form with token F1 >= 0.5 (target precision >= 0.85);
* lead figure right (how-many): the short answer's number equals the gold value.

Questions are never used to tune anything here: the dev split is for tuning answer rules and
thresholds, the test split is reported.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from bench.harness import REPO_ROOT
from bench.harness.report import machine, markdown_table, write_generated
from indexer.numbers import find_numbers
from khabar.arabic import fold

GOLD = REPO_ROOT / "bench" / "data" / "questions_gold.jsonl"
REPORT = REPO_ROOT / "docs" / "QA_NEWS.md"
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def load_questions(split: str = "all") -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


# ---------------------------------------------------------------- matching
def words(text: str) -> list[str]:
    """Folded words without punctuation or the article ال, for lenient comparison."""
    text = _PUNCT.sub(" ", fold((text or "").translate(_ARABIC_INDIC)).lower())
    return [w[2:] if w.startswith("ال") and len(w) > 3 else w for w in text.split()]


def token_f1(pred: str, gold: str) -> float:
    p, g = words(pred), words(gold)
    same = sum((Counter(p) & Counter(g)).values())
    if not p or not g or not same:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def numbers_in(text: str) -> set[float]:
    """Every number the product's reader finds in `text`, plus plain digit groups ("48,000") and English
    multipliers ("23.1 billion")."""
    text = (text or "").translate(_ARABIC_INDIC)
    found = {float(n.value) for n in find_numbers(text, include_all=True)}
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?(?:\s+(million|billion|thousand)\b)?", text):
        try:
            value = float(m.group().split()[0].replace(",", ""))
        except ValueError:
            continue
        found.add(value)
        if m.group(1):  # English answers write "23.1 billion riyals"
            found.add(round(value * {"thousand": 1e3, "million": 1e6, "billion": 1e9}[m.group(1)], 2))
    return found


def gold_forms(q: dict[str, Any]) -> list[str]:
    forms = [a for a in q.get("answers_ar") or [] if a]
    if q.get("answer_en"):
        forms.append(q["answer_en"])
    return forms


def holds_answer(text: str, q: dict[str, Any]) -> bool:
    """Does `text` (a cited sentence) contain a gold answer?"""
    if q.get("value") is not None and float(q["value"]) in numbers_in(text):
        return True
    sentence = " " + " ".join(words(text)) + " "
    return any((" " + " ".join(words(f)) + " ") in sentence for f in gold_forms(q) if words(f))


def short_correct(short: str, q: dict[str, Any]) -> bool:
    if q.get("value") is not None:
        return float(q["value"]) in numbers_in(short)
    return any(token_f1(short, f) >= 0.5 for f in gold_forms(q))


# ---------------------------------------------------------------- running
@dataclass
class Outcome:
    id: str
    language: str
    type: str
    split: str
    answerable_gold: bool
    answered: bool
    confidence: float
    first_holds: bool
    first_in_gold_doc: bool
    short: str
    short_correct: bool
    answer: str
    took_ms: float


def ask_all(answerer: Any, questions: Sequence[dict[str, Any]]) -> list[Outcome]:
    out: list[Outcome] = []
    for q in questions:
        a = answerer.ask(q["question"])
        first = a.citations[0] if a.citations and a.answerable else None
        gold_docs = {g["doc_id"] for g in q.get("gold") or []}
        short = (getattr(a, "short_answer", None) if hasattr(a, "short_answer") else a.span) or ""
        short = short if a.answerable else ""
        out.append(Outcome(
            q["id"], q["language"], q["type"], q["split"], bool(q["answerable"]), bool(a.answerable),
            float(a.confidence), bool(first and holds_answer(first.snippet, q)),
            bool(first and first.doc_id in gold_docs and holds_answer(first.snippet, q)),
            short, bool(short and q["answerable"] and short_correct(short, q)), a.answer, float(a.took_ms)))
    return out


def _share(n: int, d: int) -> str:
    return f"{n / d:.3f} ({n}/{d})" if d else "-"


def summarise(rows: Iterable[Outcome]) -> dict[str, str]:
    rows = list(rows)
    ans = [r for r in rows if r.answerable_gold]
    una = [r for r in rows if not r.answerable_gold]
    shown = [r for r in ans if r.short]
    numeric = [r for r in ans if r.type == "how_many"]
    return {
        "questions": str(len(rows)),
        "answered (answerable)": _share(sum(r.answered for r in ans), len(ans)),
        "confident on unanswerable": _share(sum(r.answered for r in una), len(una)),
        "gold in first citation": _share(sum(r.first_holds for r in ans), len(ans)),
        "strict (gold document)": _share(sum(r.first_in_gold_doc for r in ans), len(ans)),
        "short answer shown": _share(len(shown), len(ans)),
        "short correct when shown": _share(sum(r.short_correct for r in shown), len(shown)),
        "how-many lead figure right": _share(sum(r.short_correct for r in numeric), len(numeric)),
    }


def report(rows: list[Outcome], split: str, command: str) -> str:
    info = machine()
    lines = [f"Command: `{command}`  ", f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores  ",
             f"Date: {info['date']}  ", f"Questions: bench/data/questions_gold.jsonl, split {split}", ""]
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for r in rows:
        groups[f"{r.split} / {r.language}"].append(r)
        groups[f"all / {r.language}"].append(r)
    names = sorted(groups)
    metrics = list(summarise(rows).keys())
    table = [[m] + [summarise(groups[n])[m] for n in names] for m in metrics]
    lines.append(markdown_table(["metric"] + names, table))
    lines.append("")
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for r in rows:
        by_type[r.type].append(r)
    type_rows = [[t, *(summarise(v)[m] for m in ("questions", "answered (answerable)", "confident on unanswerable",
                                                  "gold in first citation", "short correct when shown"))]
                 for t, v in sorted(by_type.items())]
    lines.append(markdown_table(["type", "questions", "answered", "confident on unanswerable", "gold in first citation",
                                 "short correct when shown"], type_rows))
    took = sorted(r.took_ms for r in rows)
    if took:
        lines.append("")
        lines.append(f"Time per question: p50 {took[len(took) // 2]:.0f} ms, p95 {took[int(len(took) * 0.95) - 1]:.0f} ms.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="all", choices=("dev", "test", "all"))
    ap.add_argument("--data-dir", type=Path, help="evaluation index folder (default: the shared one)")
    ap.add_argument("--write", action="store_true", help=f"write the table into {REPORT.relative_to(REPO_ROOT)}")
    ap.add_argument("--json", type=Path, help="write every outcome as JSON lines here")
    ap.add_argument("--only", help="comma-separated question ids")
    args = ap.parse_args(argv)

    from bench.eval_index import open_engine
    from khabar.service import answerer_for

    questions = load_questions(args.split)
    if args.only:
        wanted = set(args.only.split(","))
        questions = [q for q in questions if q["id"] in wanted]
    engine = open_engine(sparse=False, data_dir=args.data_dir)
    try:
        answerer = answerer_for(engine)
        started = time.perf_counter()
        rows = ask_all(answerer, questions)
        elapsed = time.perf_counter() - started
    finally:
        engine.close()
    if args.json:
        args.json.write_text("\n".join(json.dumps(asdict(r), ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    command = "python -m bench.qa_news" + (f" --split {args.split}" if args.split != "all" else "")
    body = report(rows, args.split, command)
    print(body)
    print(f"\n{len(rows)} questions in {elapsed:.0f} s")
    if args.write:
        write_generated(REPORT, "qa-news", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
