"""Mine candidate gazetteer actors (and counted nouns) from whole news corpora, for review.

Why: the gazetteer must grow from the news Khabar reads, not by hand per page. This script runs
the product's own attribution (`indexer.attribution`: reporting verbs, «بحسب/وفق/نقلا عن X»,
headline «X:») over every sentence of SaudiNewsNet (all 31k articles in shared/data) and the
fact-check pages, and counts the actor phrases it finds — folded, with their written variants —
and the nouns written right after figures. The output is a candidate list (TSV) that a person
reviews; reviewed regional actors go into khabar/vocabulary/data/gazetteer.json with their
Arabic variants and English aliases. It is unsupervised frequency counting over whole corpora:
no gold label is read.

Run:  python -m bench.mine_actors --out /tmp/actors.tsv --nouns /tmp/nouns.tsv [--limit N]
"""
from __future__ import annotations

import argparse
import json
import re
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterator

from bench.harness.data import shared_data_dir
from khabar.arabic import fold
from khabar.segment import sentences
from khabar.vocabulary.gazetteer import Gazetteer
from indexer.attribution import find_cues, tokens
from indexer.numbers import find_numbers

_WORD = re.compile(r"[^\W\d_]+")


def corpus_texts(limit: int | None = None) -> Iterator[str]:
    """Every SaudiNewsNet article body, then every fact-check page (raw text)."""
    n = 0
    folder = shared_data_dir() / "saudinewsnet" / "dataset"
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                for art in json.loads(z.read(name)):
                    for part in (art.get("title") or "", art.get("content") or ""):
                        if part.strip():
                            yield part
                    n += 1
                    if limit and n >= limit:
                        return
    from bench.corpora import factcheck_pages
    for page in factcheck_pages():
        yield page.text


def mine(limit: int | None = None) -> tuple[dict[str, Counter], Counter, Counter]:
    """(folded actor phrase -> Counter of written forms, phrase -> gazetteer id votes, counted-noun counts)."""
    gaz = Gazetteer.load()
    forms: dict[str, Counter] = defaultdict(Counter)
    ids: Counter = Counter()
    nouns: Counter = Counter()
    for text in corpus_texts(limit):
        for span in sentences(text):
            s = text[span.start:span.end]
            if len(s) > 600:
                continue
            toks = tokens(s, 0, len(s))
            actors = gaz.find_actors(s)
            for cue in find_cues(toks, s, gaz, actors):
                if cue.actor is None:
                    continue
                key = " ".join(_WORD.findall(fold(cue.actor.surface)))
                if key:
                    forms[key][cue.actor.surface] += 1
                    if cue.actor.id:
                        ids[(key, cue.actor.id)] += 1
            for n in find_numbers(s, counted=gaz.is_counted_word):
                after = _WORD.findall(fold(s[n.end:n.end + 30]))
                if after and after[0] == "من" and len(after) > 1:
                    after = after[1:]
                if after and not after[0].startswith("ال"):
                    nouns[after[0]] += 1
    return forms, ids, nouns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="candidate actors (TSV: count, phrase, known id, forms)")
    ap.add_argument("--nouns", type=Path, help="nouns after figures (TSV: count, noun)")
    ap.add_argument("--limit", type=int, default=None, help="SaudiNewsNet articles to read (default: all)")
    ap.add_argument("--min-count", type=int, default=5)
    args = ap.parse_args()
    forms, ids, nouns = mine(args.limit)
    known = {}
    for (key, actor_id), _ in ids.most_common():
        known.setdefault(key, actor_id)
    rows = sorted(forms.items(), key=lambda kv: -sum(kv[1].values()))
    with args.out.open("w", encoding="utf-8") as f:
        for key, written in rows:
            total = sum(written.values())
            if total < args.min_count:
                break
            variants = " | ".join(w for w, _ in written.most_common(5))
            f.write(f"{total}\t{key}\t{known.get(key, '')}\t{variants}\n")
    print(f"{len(rows)} actor phrases, written to {args.out}")
    if args.nouns:
        with args.nouns.open("w", encoding="utf-8") as f:
            for noun, count in nouns.most_common():
                if count < args.min_count:
                    break
                f.write(f"{count}\t{noun}\n")
        print(f"{len(nouns)} nouns after figures, written to {args.nouns}")


if __name__ == "__main__":
    main()
