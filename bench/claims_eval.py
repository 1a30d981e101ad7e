"""Claims benchmark: the product's claim extractor scored against the hand-annotated gold set.

What it measures: `indexer.claims.extract_claims` on each gold sentence's *whole document*,
as an ingest would store it — fact-check pages and SaudiNewsNet articles (`bench.corpora`)
read and cleaned through the product pipeline (`indexer.pipeline.document_from_raw`, with
the template lines of the whole run), ANS headlines alone. The gold sentence is located in
the cleaned text (body, title or a sidebar line) by whitespace-normalised search; sentences the
cleaner changed or dropped are counted as not located and their figures as missed. Predicted
claims are aligned to gold figures by position: a claim belongs to a gold figure when the
claim's figure (`value_start:value_end`) overlaps the gold `value_text` at its offset.

Metrics (docs/CLAIMS.md defines them for readers; tune on dev, report test):

* value exact — share of gold quantity figures (count / money / percent / measure) with an
  aligned claim whose value equals the gold value (for ranges, the lower bound);
* typed-number errors — gold non-quantities (years, Hijri years, dates, ages, durations,
  times, ordinals, ranks, phone numbers, identifiers) with an aligned claim; the target is 0;
* spurious — claims in located sentences that overlap no gold figure at all;
* what — over aligned quantities: the gold `what` is a gazetteer id, a money / percent /
  measure category → id equality; any other count category → the head of the counted noun
  (`what_ar`, folded, prefixes و ف ب ل ك ال and "من" dropped, light-stemmed) is equal;
* stance — over aligned quantities, equality;
* actor — over aligned quantities, a named actor vs none: a predicted actor is right when the
  gold actor is named and either both carry the same gazetteer id or the normalised surfaces
  match (one's folded token sequence contains the other's, or token-set F1 ≥ 0.5).
  Precision = right / predicted named; recall = right / gold named; F1 their harmonic mean.

The baseline (`--baseline REF`, default main) is the same measurement with the extractor and
pipeline of another git revision: its `khabar/`, `indexer/` and `search/` are exported to a
temporary folder and the prediction step runs there in a subprocess.

Run:  python -m bench.claims_eval                 (writes the table into docs/CLAIMS.md)
      python -m bench.claims_eval --split dev --errors 40   (dev only, prints the mistakes)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable, Sequence

from bench.harness import REPO_ROOT
from bench.harness.report import git_commit, markdown_table, measured_with, write_generated

GOLD_PATH = REPO_ROOT / "bench" / "data" / "claims_gold.jsonl"
DOC_PATH = REPO_ROOT / "docs" / "CLAIMS.md"
QUANTITY_TYPES = frozenset({"count", "money", "percent", "measure"})
SETS = ("factcheck", "saudinewsnet", "ans")
_RULE_CATEGORY = re.compile(r"^(money|percent)_|^(distance|weight|area|volume|index|temperature|speed|power|energy|"
                            r"length|height|depth|capacity|magnitude|time)_")


# ----------------------------------------------------------------------------- gold
def load_gold(path: Path = GOLD_PATH) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def normalise_space(text: str) -> tuple[str, list[int]]:
    """Text with every whitespace run as one space, and the original offset of each kept character."""
    out: list[str] = []
    index: list[int] = []
    space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            space = bool(out)
            continue
        if space:
            out.append(" ")
            index.append(i - 1)
            space = False
        out.append(ch)
        index.append(i)
    return "".join(out), index


# ----------------------------------------------------------------------------- prediction
def _documents(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """doc_id -> Document as the product's pipeline stores it, for every document the gold set cites."""
    from indexer import pipeline
    from indexer.cleaning import find_template_lines
    from indexer.readers import article_from_record

    from bench.corpora import factcheck_pages, saudinewsnet_subset

    # The baseline revision may predate document_from_raw; its _build is the same step.
    build = getattr(pipeline, "document_from_raw", None)
    if build is None:
        def build(article, template):  # type: ignore[no-redef]
            doc, warning = pipeline._build(article, template, None, {})
            if warning:
                raise ValueError(warning)
            return doc

    wanted = {r["doc_id"] for r in records}
    raw: list[dict[str, Any]] = [{"id": p.doc_id, "url": p.url, "text": p.text} for p in factcheck_pages()]
    raw += [{k: v for k, v in {"id": a.doc_id, "url": a.url, "title": a.title, "text": a.text, "source": a.source,
                               "published_at": a.published_at}.items() if v} for a in saudinewsnet_subset()]
    template = find_template_lines(r["text"] for r in raw)  # one ingest run over both sets, as bench.eval_index
    docs: dict[str, Any] = {}
    for rec in raw:
        if rec["id"] in wanted and rec["id"] not in docs:
            docs[rec["id"]] = build(article_from_record(rec, rec["id"]), template)
    for r in records:
        if r["set"] == "ans" and r["doc_id"] not in docs:
            docs[r["doc_id"]] = pipeline.document_from_record({"id": r["doc_id"], "text": r["sentence"]})
    return docs


def _locate(sentence: str, doc: Any) -> tuple[str, int, list[int], str] | None:
    """(section, start of the sentence in the section's text, offset map, section text) or None."""
    want, _ = normalise_space(sentence)
    sections = [("body", doc.text or ""), ("title", doc.title or "")] + [("sidebar", s) for s in doc.sidebar]
    for name, text in sections:
        flat, index = normalise_space(text)
        at = flat.find(want)
        if at >= 0:
            return name, at, index, text
    return None


def predict(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """For each gold record: where its sentence was found and the claims whose figure lies inside it.

    Claim offsets are returned relative to the whitespace-normalised gold sentence, so the
    scoring side needs nothing of the product (the baseline runs this in another tree).
    """
    docs = _documents(records)
    out: dict[str, Any] = {}
    for r in records:
        doc = docs[r["doc_id"]]
        found = _locate(r["sentence"], doc)
        if found is None:
            out[r["id"]] = {"located": False, "claims": []}
            continue
        section, at, index, text = found
        flat_len = len(normalise_space(r["sentence"])[0])
        lo, hi = index[at], index[at + flat_len - 1] + 1
        back = {orig: k - at for k, orig in enumerate(index)}
        claims = []
        for c in doc.claims:
            if c.section != section or not (lo <= c.value_start < hi):
                continue
            if section == "sidebar" and c.sentence != text:
                continue
            d = c.to_dict()
            d["rel_start"] = back.get(c.value_start, -1)
            end = c.value_end - 1
            while end > c.value_start and end not in back:
                end -= 1
            d["rel_end"] = back.get(end, d["rel_start"]) + 1
            claims.append(d)
        out[r["id"]] = {"located": True, "section": section, "claims": claims}
    return out


def predict_at(ref: str, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`predict` with the product code of git revision `ref` (bench itself stays this tree's)."""
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref, "khabar", "indexer", "search"],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="claims-baseline-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        gold = Path(tmp) / "gold.json"
        gold.write_text(json.dumps(list(records), ensure_ascii=False), encoding="utf-8")
        result = Path(tmp) / "pred.json"
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))  # `-m` puts the cwd (the old tree) first
        subprocess.run([sys.executable, "-m", "bench.claims_eval", "--predict-only", str(gold), str(result)],
                       cwd=tmp, env=env, check=True)
        return json.loads(result.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- scoring
_PREFIXES = ("وبال", "فبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_SUFFIXES = ("يين", "يون", "ات", "ين", "ون", "ان", "يه", "ه", "ا", "ي")


def _fold(text: str) -> str:
    from khabar.arabic import fold
    return fold(text)


def _tokens(text: str | None) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(text or ""))


def _strip_prefix(word: str) -> str:
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 3:
            return word[len(p):]
    return word


def _stem(word: str) -> str:
    word = _strip_prefix(word)
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 3:
            return word[: -len(s)]
    return word


def noun_head(text: str | None) -> str | None:
    """The stemmed first content word of a counted noun ("من عناصر التنظيم" -> "عناصر")."""
    words = [w for w in _tokens(text) if w not in ("من", "ال")]
    return _stem(words[0]) if words else None


def actor_tokens(text: str | None) -> list[str]:
    return [_strip_prefix(w) for w in _tokens(text)]


def actor_match(pred: dict[str, Any], gold: dict[str, Any]) -> bool:
    if pred.get("actor_id") and gold.get("actor_id") and pred["actor_id"] == gold["actor_id"]:
        return True
    p, g = actor_tokens(pred.get("actor")), actor_tokens(gold.get("actor"))
    if not p or not g:
        return False
    if _contains(p, g) or _contains(g, p):
        return True
    common = len(set(p) & set(g))
    return common > 0 and 2 * common / (len(set(p)) + len(set(g))) >= 0.5


def _contains(big: list[str], small: list[str]) -> bool:
    n = len(small)
    return any(big[i:i + n] == small for i in range(len(big) - n + 1))


def what_match(pred: dict[str, Any], gold: dict[str, Any], gazetteer_whats: set[str]) -> bool:
    gw = gold.get("what")
    if gw in gazetteer_whats or _RULE_CATEGORY.match(gw or "") or not gold.get("what_ar"):
        return pred.get("what") == gw
    return noun_head(pred.get("what_ar")) == noun_head(gold.get("what_ar"))


@dataclass
class Tally:
    sentences: int = 0
    located: int = 0
    quantities: int = 0
    value_exact: int = 0
    aligned: int = 0
    non_quantities: int = 0
    typed_errors: int = 0
    spurious: int = 0
    what_right: int = 0
    stance_right: int = 0
    actor_pred: int = 0
    actor_gold: int = 0
    actor_right: int = 0
    errors: list[str] = field(default_factory=list)

    def row(self) -> list[object]:
        p = self.actor_right / self.actor_pred if self.actor_pred else 0.0
        r = self.actor_right / self.actor_gold if self.actor_gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        share = (lambda a, b: a / b if b else 0.0)
        return [f"{self.located}/{self.sentences}", self.quantities, share(self.value_exact, self.quantities),
                f"{self.typed_errors}/{self.non_quantities}", self.spurious,
                share(self.what_right, self.aligned), share(self.stance_right, self.aligned), p, r, f1]


def _overlaps(c: dict[str, Any], start: int, end: int) -> bool:
    return c["rel_start"] < end and start < c["rel_end"]


def score(records: Sequence[dict[str, Any]], predictions: dict[str, Any]) -> dict[tuple[str, str], Tally]:
    """Tallies per (split, set) and per (split, "all")."""
    from khabar.vocabulary.gazetteer import Gazetteer
    gazetteer_whats = {w.id for w in Gazetteer.load().whats}
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for r in records:
        pred = predictions[r["id"]]
        keys = [(r["split"], r["set"]), (r["split"], "all")]
        sentence, _ = normalise_space(r["sentence"])
        flat_offsets = _flat_offsets(r["sentence"])
        for k in keys:
            tallies[k].sentences += 1
            tallies[k].located += pred["located"]
        used: set[int] = set()
        for fig in r["figures"]:
            start = flat_offsets[fig["offset"]]
            end = start + len(normalise_space(fig["value_text"])[0])
            here = [c for c in pred["claims"] if _overlaps(c, start, end)]
            used.update(id(c) for c in here)
            quantity = fig["type"] in QUANTITY_TYPES
            for k in keys:
                t = tallies[k]
                if not quantity:
                    t.non_quantities += 1
                    if here:
                        t.typed_errors += 1
                        if k[1] == "all":
                            t.errors.append(f"{r['id']} TYPED {fig['type']} {fig['value_text']!r} -> "
                                            f"{here[0]['value']} {here[0]['what']} | {sentence[:160]}")
                    continue
                t.quantities += 1
                if not here:
                    if k[1] == "all":
                        t.errors.append(f"{r['id']} MISSED {fig['value_text']!r} {fig['what']} | {sentence[:160]}")
                    continue
                best = next((c for c in here if c["value"] == fig["value"]), here[0])
                t.aligned += 1
                t.value_exact += best["value"] == fig["value"]
                ok_what = what_match(best, fig, gazetteer_whats)
                t.what_right += ok_what
                t.stance_right += best.get("stance") == fig.get("stance")
                gold_named, pred_named = bool(fig.get("actor")), bool(best.get("actor"))
                t.actor_gold += gold_named
                t.actor_pred += pred_named
                ok_actor = gold_named and pred_named and actor_match(best, fig)
                t.actor_right += ok_actor
                if k[1] == "all":
                    bad = []
                    if best["value"] != fig["value"]:
                        bad.append(f"value {best['value']}!={fig['value']}")
                    if not ok_what:
                        bad.append(f"what {best.get('what')}/{best.get('what_ar')} != {fig['what']}/{fig.get('what_ar')}")
                    if best.get("stance") != fig.get("stance"):
                        bad.append(f"stance {best.get('stance')}!={fig.get('stance')}")
                    if (gold_named or pred_named) and not ok_actor:
                        bad.append(f"actor {best.get('actor')}/{best.get('actor_id')} != {fig.get('actor')}/{fig.get('actor_id')}")
                    if bad:
                        t.errors.append(f"{r['id']} {fig['value_text']!r}: " + "; ".join(bad) + f" | {sentence[:160]}")
        extra = [c for c in pred["claims"] if id(c) not in used]
        for k in keys:
            tallies[k].spurious += len(extra)
            if k[1] == "all":
                tallies[k].errors += [f"{r['id']} SPURIOUS {c['value_text']!r} {c['what']} | {sentence[:160]}" for c in extra]
    return tallies


def _flat_offsets(sentence: str) -> list[int]:
    """Offset in the normalised sentence of every character of the sentence as written."""
    flat, index = normalise_space(sentence)
    out, k = [], 0
    for i in range(len(sentence) + 1):
        while k < len(index) and index[k] < i:
            k += 1
        out.append(k)
    return out


# ----------------------------------------------------------------------------- report
HEADERS = ["extractor", "split", "set", "located", "quantities", "value exact", "typed-number errors", "spurious",
           "what", "stance", "actor P", "actor R", "actor F1"]


def table(runs: Iterable[tuple[str, dict[tuple[str, str], Tally]]], splits: Sequence[str]) -> str:
    rows = []
    for split in splits:
        for name, tallies in runs:
            for s in SETS + ("all",):
                if (split, s) in tallies:
                    rows.append([name, split, s] + tallies[(split, s)].row())
    return markdown_table(HEADERS, rows)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default="main", help="git revision scored as the baseline ('' for none)")
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--errors", type=int, default=0, help="print up to N mistakes of this tree's extractor")
    ap.add_argument("--no-write", action="store_true", help="print the table only")
    ap.add_argument("--predict-only", nargs=2, metavar=("GOLD", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.predict_only:
        records = json.loads(Path(args.predict_only[0]).read_text(encoding="utf-8"))
        Path(args.predict_only[1]).write_text(json.dumps(predict(records), ensure_ascii=False), encoding="utf-8")
        return
    records = load_gold()
    splits = ("dev", "test") if args.split == "both" else (args.split,)
    records = [r for r in records if r["split"] in splits]
    runs = []
    if args.baseline:
        runs.append((f"baseline ({args.baseline})", score(records, predict_at(args.baseline, records))))
    current = score(records, predict(records))
    runs.append((f"this tree ({git_commit()})", current))
    body = table(runs, splits)
    print(body)
    for split in splits:
        errors = current[(split, "all")].errors
        for line in errors[: args.errors]:
            print(f"[{split}] {line}")
    if not args.no_write and args.split == "both":
        head = (measured_with("bench.claims_eval") + ".\n"
                f"Gold: `bench/data/claims_gold.jsonl` ({len(records)} sentences). located = gold sentences found in the "
                "cleaned document; typed-number errors = gold non-quantities that became claims (of all non-quantities).\n\n")
        write_generated(DOC_PATH, "claims", head + body)
        print(f"wrote {DOC_PATH}")


if __name__ == "__main__":
    main()
