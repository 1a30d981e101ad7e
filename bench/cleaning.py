"""Cleaning benchmark on real news the cleaning rules were not written on.

Run:  .venv/bin/python -m bench.cleaning                 (~5 min on idle cores, before and after; writes docs/CLEANING.md)
      .venv/bin/python -m bench.cleaning --no-baseline   (only the working tree's code)
      .venv/bin/python -m bench.cleaning --no-write --show-misses 20   (look at what is lost)

Pages go in the way a user would put them in: every page of a corpus in one run of
`indexer.pipeline.prepare` (so template lines are learned across all of them), the fact-check
pages as a JSONL file (id, url, text: no title, the cleaner finds it), SaudiNewsNet articles as
.txt files written "title, blank line, content" (scraped text saved by hand). Claim extraction is
switched off for the run: it reads passages and never changes them, and it is 80 % of ingest time.
Nothing is embedded.

Three measurements:

* fact-check evidence: every rationale line of every claim-article pair (indices into the
  raw page's lines) must survive cleaning and land in that page's passages;
* SaudiNewsNet: every sentence of every article's content must land in its passages, no article
  may be rejected, and the headline must come out exactly as given;
* chrome: on a hand-labelled sample of fact-check pages (bench/data/cleaning_chrome.json), the
  share of passages that carry site chrome, and the share of labelled article text kept.

"Survives" is measured on folded word tokens (`khabar.arabic.fold`, then runs of letters and
digits), so spacing and punctuation artefacts of the scraped text do not count: a line survives
when at least 90 % of its tokens are found in order (longest common subsequence) in the token
stream of its document's passages; the strict variant asks for the whole token sequence,
contiguous. A near-duplicate page held back by the run is measured on the passages of the
document it duplicates, since that is what the index holds.

`--baseline REF` (default main) runs the same measurement with the `indexer` package of a git
ref, in a child process, so the report shows before and after side by side.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence
from unittest import mock

from bench.harness import REPO_ROOT
from bench.harness.report import machine, markdown_table, write_generated
from bench.corpora import factcheck_claims, factcheck_pages, saudinewsnet_subset, split_of
from indexer.dedup import line_key
from khabar.arabic import fold, tokens

REPORT = REPO_ROOT / "docs" / "CLEANING.md"
CHROME_LABELS = REPO_ROOT / "bench" / "data" / "cleaning_chrome.json"
SURVIVAL = 0.90  # share of a line's tokens that must be found, in order
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


# ---------------------------------------------------------------- token matching
def folded_tokens(text: str) -> list[str]:
    """Letters-and-digits runs of folded text: what "the same words" means here."""
    return _TOKEN.findall(fold(text))


class TokenStream:
    """The passages of one document as one token sequence, with bit masks for fast LCS."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.tokens = [t for text in texts for t in folded_tokens(text)]
        self.joined = " " + " ".join(self.tokens) + " "
        positions: dict[str, list[int]] = defaultdict(list)
        for j, t in enumerate(self.tokens):
            positions[t].append(j)
        self.masks = {t: sum(1 << j for j in js) for t, js in positions.items()}
        self.full = (1 << len(self.tokens)) - 1

    def lcs(self, tokens: Sequence[str]) -> int:
        """Longest common subsequence length with `tokens` (bit-parallel, Allison-Dix / Hyyro)."""
        v = self.full
        for t in tokens:
            u = v & self.masks.get(t, 0)
            v = ((v + u) | (v - u)) & self.full
        return len(self.tokens) - bin(v).count("1")

    def contains(self, tokens: Sequence[str]) -> bool:
        """The whole sequence, contiguous."""
        return (" " + " ".join(tokens) + " ") in self.joined


FURNITURE_NGRAM = 4  # word n-grams used to recognise a site's furniture and a headline's second copy
FURNITURE_MIN_PAGES = 3


def ngrams(tokens: Sequence[str], n: int = FURNITURE_NGRAM) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def core_tokens(tokens: Sequence[str], furniture: set[tuple[str, ...]] | frozenset = frozenset()) -> list[str]:
    """The tokens of an evidence line an index needs: without second copies and site furniture.

    Fact-check pages are flattened so that one line can hold "<headline> | <site> <menu>
    <headline again> <lead>". The annotators marked the line for its news, so two kinds of
    token are not counted against cleaning: (1) a later copy of a word 4-gram the line
    already had (the headline printed twice), and (2) words of a 4-gram that occurs on at
    least three pages of the same site (menus, site names, footers: `site_furniture`).
    """
    drop = [False] * len(tokens)
    seen: dict[tuple[str, ...], int] = {}
    for i, gram in enumerate(ngrams(tokens)):
        first = seen.setdefault(gram, i)
        if first + FURNITURE_NGRAM <= i or gram in furniture:
            drop[i:i + FURNITURE_NGRAM] = [True] * FURNITURE_NGRAM
    return [t for t, d in zip(tokens, drop) if not d]


def site_furniture(lines_of_interest: Sequence[str]) -> set[tuple[str, ...]]:
    """4-grams of the given lines that occur on FURNITURE_MIN_PAGES or more pages of one site."""
    from urllib.parse import urlparse

    wanted = {g for line in lines_of_interest for g in ngrams(folded_tokens(line))}
    pages_with: Counter[tuple[str, tuple[str, ...]]] = Counter()
    for page in factcheck_pages():
        site = urlparse(page.url).netloc
        grams = {g for g in ngrams(folded_tokens(page.text)) if g in wanted}
        pages_with.update((site, g) for g in grams)
    return {g for (_, g), n in pages_with.items() if n >= FURNITURE_MIN_PAGES}


@dataclass
class LineResult:
    doc_id: str
    line: int
    split: str
    tokens: int
    found: int  # LCS with the passages
    strict: bool
    in_title: bool  # survives when the document's title counts too
    text: str = ""
    core: int = -1  # evidence lines: tokens without second copies and site furniture
    core_found: int = -1  # ... found in order in the title and passages
    chrome: bool = False  # SaudiNewsNet: a sentence of the page chrome the corpus's content carries
    auto: int = -1  # evidence lines: core tokens by the automatic definition alone (no hand mark)
    auto_found: int = -1

    @property
    def survives(self) -> bool:
        return self.found >= SURVIVAL * self.tokens

    @property
    def core_survives(self) -> bool:
        return self.core_found >= SURVIVAL * self.core

    @property
    def auto_survives(self) -> bool:
        return self.auto_found >= SURVIVAL * self.auto


EVIDENCE_SPANS = REPO_ROOT / "bench" / "data" / "cleaning_evidence_spans.json"


def news_starts(path: Path = EVIDENCE_SPANS) -> dict[tuple[str, int], int]:
    """(doc id, line) -> character offset where the news starts, for hand-marked evidence lines."""
    pages = {p.doc_id: p for p in factcheck_pages()}
    starts: dict[tuple[str, int], int] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["lines"]:
        line = pages[entry["id"]].lines[entry["line"]]
        if " ".join(line[entry["start"]:].split()[:3]) != entry["anchor"]:
            raise ValueError(f"{entry['id']}:{entry['line']}: anchor {entry['anchor']!r} no longer matches")
        starts[(entry["id"], entry["line"])] = entry["start"]
    return starts


def judge(doc_id: str, line: int, split: str, text: str, passages: TokenStream | None,
          with_title: TokenStream | None, furniture: set | None = None, news_from: int | None = None) -> LineResult:
    tokens = folded_tokens(text)
    found = passages.lcs(tokens) if passages else 0
    strict = passages.contains(tokens) if passages else False
    titled = with_title is not None and with_title.lcs(tokens) >= SURVIVAL * len(tokens)
    result = LineResult(doc_id, line, split, len(tokens), found, strict, titled, text)
    if furniture is not None:
        auto = core_tokens(tokens, furniture)
        core = folded_tokens(text[news_from:]) if news_from is not None else auto
        result.core = len(core)
        result.core_found = with_title.lcs(core) if with_title is not None else 0
        result.auto = len(auto)
        result.auto_found = with_title.lcs(auto) if with_title is not None else 0
    return result


# ---------------------------------------------------------------- running the pipeline
@contextmanager
def no_claims() -> Iterator[None]:
    """Skip claim extraction inside `prepare` (it never changes text or passages)."""
    import indexer.pipeline as pipeline

    with mock.patch.object(pipeline, "extract_claims", lambda doc: []):
        yield


@dataclass
class Run:
    """What one `prepare` run made of a corpus."""

    documents: dict[str, object]  # doc_id -> Document (held-back duplicates map to their original)
    rejected: list[tuple[str, str]]
    duplicates: int


def run_prepare(paths: Sequence[Path], id_of_label=None, known_ids: set[str] | None = None) -> Run:
    """`known_ids`: the corpus ids the files are named after; a file's document id is its stem,
    or its stem and a hash of its path ("snn-…-1a2b3c4d"), depending on the revision measured."""
    from indexer.pipeline import prepare

    def corpus_id(doc_id: str) -> str:
        if known_ids is None or doc_id in known_ids:
            return doc_id
        stem = doc_id.rsplit("-", 1)[0]
        return stem if stem in known_ids else doc_id

    with no_claims():
        prepared = prepare(list(paths))
    docs = {corpus_id(d.doc_id): d for d in prepared.documents}
    for dup, original in prepared.duplicates:
        docs[corpus_id(dup)] = docs[corpus_id(original)]
    rejected = [(r.source if id_of_label is None else id_of_label(r.source), r.reason) for r in prepared.rejected]
    return Run(docs, rejected, len(prepared.duplicates))


def streams(doc) -> tuple[TokenStream, TokenStream]:
    texts = [p.text for p in doc.passages]
    return TokenStream(texts), TokenStream([doc.title, *texts])


# ---------------------------------------------------------------- fact-check evidence
def factcheck_run(tmp: Path, with_urls: bool = True) -> Run:
    """All fact-check pages in one run; without their URLs no page knows its site, which is how
    a page of a site with no other page in the run is cleaned."""
    path = tmp / ("factcheck.jsonl" if with_urls else "factcheck-no-urls.jsonl")
    with path.open("w", encoding="utf-8") as f:
        for p in factcheck_pages():
            record = {"id": p.doc_id, "url": p.url, "text": p.text} if with_urls else {"id": p.doc_id, "text": p.text}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return run_prepare([path])


def _pair_texts() -> dict[tuple[str, str], str]:
    """(claim id, doc id) -> the page text that pair's rationale indices refer to.

    26 URLs were scraped more than once with different text; `factcheck_pages` keeps one
    version per URL, but each pair's line numbers index its own version.
    """
    from bench.corpora import _factcheck_folder, url_id

    texts: dict[tuple[str, str], str] = {}
    for path in sorted((_factcheck_folder() / "dataset").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for text, url in zip(record["article"], record["url"]):
            texts[(record["id"], url_id("fc", url))] = text
    return texts


def factcheck_evidence(run: Run) -> tuple[list[LineResult], int]:
    """One result per rationale line of every claim-article pair (a page judged twice counts twice).

    Also returns how many rationale lines were left out because the indexed version of a
    page scraped twice does not contain them at all (nothing cleaning could keep).
    """
    pages = {p.doc_id: p for p in factcheck_pages()}
    pair_texts = _pair_texts()
    evidence = [pair_texts[(c.claim_id, j.doc_id)].split("\n")[i]
                for c in factcheck_claims() for j in c.judgements for i in j.rationale]
    furniture = site_furniture(evidence)
    marked = news_starts()
    cache: dict[str, tuple[TokenStream, TokenStream]] = {}
    out: list[LineResult] = []
    absent = 0
    for claim in factcheck_claims():
        for j in claim.judgements:
            if not j.rationale:
                continue
            doc = run.documents.get(j.doc_id)
            if doc is not None and j.doc_id not in cache:
                cache[j.doc_id] = streams(doc)
            passages, titled = cache.get(j.doc_id, (None, None))
            lines = pair_texts[(claim.claim_id, j.doc_id)].split("\n")
            indexed = set(pages[j.doc_id].lines)
            for i in j.rationale:
                if not folded_tokens(lines[i]):
                    continue
                if lines[i] not in indexed:
                    absent += 1
                    continue
                out.append(judge(j.doc_id, i, split_of(j.doc_id), lines[i], passages, titled, furniture,
                                 marked.get((j.doc_id, i))))
    return out, absent


# ---------------------------------------------------------------- SaudiNewsNet as text files
@dataclass
class SnnResult:
    sentences: list[LineResult]
    titles: dict[str, bool]  # doc_id -> headline intact
    title_misses: list[tuple[str, str, str]]  # (doc_id, given, cleaned)
    rejected: list[tuple[str, str]]
    duplicates: int
    articles: int


def _split_sentences(text: str) -> list[tuple[int, str]]:
    from khabar.segment import sentences

    return [(s.start, text[s.start : s.end]) for s in sentences(text)]


def _tail_key(line: str) -> str:
    """A line's key without its numbers ("18:29 ت م", "بالرمز (92)" differ only there)."""
    return " ".join(w for w in line_key(line).split() if not w.isdigit())


TAIL_PREFIX_CHARS = 15
TAIL_PREFIX_SHARE = 0.10


def snn_tail_chrome(articles) -> dict[str, int]:
    """doc id -> offset in its content where the page chrome the corpus kept starts (len if none).

    SaudiNewsNet's `content` field still carries some of each paper's chrome after the article:
    the author's other columns ("مقالات أخرى للكاتب…"), SMS short codes, "المزيد", "// انتهى //",
    "رابط الخبر بصحيفة …". The rule, by paper (URL host): the article's last lines, back to the
    first line that is neither printed verbatim (numbers aside) in 3 or more articles of the
    paper nor opening, in its first 15 characters, lines of at least 10 % (and 3) of them. The
    first line is never chrome (datelines and bylines carry the place and author). Sentences
    of those lines are not counted as losses; the table shows both counts.
    """
    from urllib.parse import urlparse

    def site_of(url: str) -> str | None:
        return urlparse(url).hostname if url else None

    pages = Counter(site_of(a.url) for a in articles)
    verbatim: dict[str | None, Counter[str]] = defaultdict(Counter)
    opening: dict[str | None, Counter[str]] = defaultdict(Counter)
    for a in articles:
        keys = [_tail_key(line) for line in a.text.split("\n")]
        verbatim[site_of(a.url)].update({k for k in keys if k})
        opening[site_of(a.url)].update({k[:TAIL_PREFIX_CHARS] for k in keys if k})
    starts: dict[str, int] = {}
    for a in articles:
        site = site_of(a.url)
        lines = a.text.split("\n")
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        start = len(a.text)
        for k in range(len(lines) - 1, 0, -1):
            key = _tail_key(lines[k])
            if not key:
                continue
            if verbatim[site][key] >= 3 or opening[site][key[:TAIL_PREFIX_CHARS]] >= max(
                    3, TAIL_PREFIX_SHARE * pages[site]):
                start = offsets[k]
            else:
                break
        starts[a.doc_id] = start
    return starts


def snn_run(tmp: Path, with_urls: bool = False) -> SnnResult:
    """SaudiNewsNet through `prepare`: as .txt files (title, blank line, content), or as a JSONL
    file with each article's URL, title and content (so site furniture is learned per paper)."""
    articles = saudinewsnet_subset()
    if with_urls:
        path = tmp / "saudinewsnet.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for a in articles:
                f.write(json.dumps({"id": a.doc_id, "url": a.url, "title": a.title, "text": a.text},
                                   ensure_ascii=False) + "\n")
        run = run_prepare([path])
    else:
        folder = tmp / "saudinewsnet"
        folder.mkdir()
        for a in articles:
            (folder / f"{a.doc_id}.txt").write_text(f"{a.title}\n\n{a.text}\n", encoding="utf-8")
        run = run_prepare([folder], id_of_label=lambda label: Path(label).stem,
                          known_ids={a.doc_id for a in articles})
    tails = snn_tail_chrome(articles)
    results: list[LineResult] = []
    titles: dict[str, bool] = {}
    misses: list[tuple[str, str, str]] = []
    for a in articles:
        doc = run.documents.get(a.doc_id)
        passages, titled = streams(doc) if doc is not None else (None, None)
        split = split_of(a.doc_id)
        for k, (start, sentence) in enumerate(_split_sentences(a.text)):
            if folded_tokens(sentence):
                result = judge(a.doc_id, k, split, sentence, passages, titled)
                result.chrome = start >= tails[a.doc_id]
                results.append(result)
        if a.title.strip():
            got = doc.title if doc is not None else ""
            titles[a.doc_id] = " ".join(got.split()) == " ".join(a.title.split())
            if not titles[a.doc_id]:
                misses.append((a.doc_id, a.title, got))
    return SnnResult(results, titles, misses, run.rejected, run.duplicates, len(articles))


# ---------------------------------------------------------------- chrome on labelled pages
def _char_labels(line: str, entry: dict | None) -> list[str]:
    """One label per character of a raw line: a (article), c (chrome) or o (neither)."""
    if entry is None:
        return ["a"] * len(line)
    if "label" in entry:
        return [entry["label"]] * len(line)
    labels = ["c"] * len(line)
    for span in entry["spans"]:
        if " ".join(line[span["start"]:span["end"]].split()[:3]) != span["anchor"]:
            raise ValueError(f"label anchor {span['anchor']!r} no longer matches line {entry['i']}")
        labels[span["start"]:span["end"]] = [span["label"]] * (span["end"] - span["start"])
    return labels


def _normalised(line: str) -> tuple[str, list[int]]:
    """Whitespace-collapsed text and, per character, its offset in `line` (cleaning collapses spaces)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(line):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                where.append(i)
        else:
            out.append(ch)
            where.append(i)
    return "".join(out), where


def _token_labels(text: str, labels: Sequence[str]) -> list[str]:
    """Label of each word token of `text` (its first character's label)."""
    return [labels[m.start()] for m in _TOKEN.finditer(text)]


def _blocks(wanted: Sequence[str], line: Sequence[tuple[str, str]]) -> tuple[int, list[str]] | None:
    """Labels of `line` tokens matching `wanted` as few contiguous blocks, in order (greedy longest)."""
    words = [w for w, _ in line]
    i = j = blocks = 0
    labels: list[str] = []
    while i < len(wanted):
        best_len, best_at = 0, -1
        for at in range(j, len(words)):
            n = 0
            while i + n < len(wanted) and at + n < len(words) and words[at + n] == wanted[i + n]:
                n += 1
            if n > best_len:
                best_len, best_at = n, at
        if not best_len:
            return None
        labels.extend(label for _, label in line[best_at:best_at + best_len])
        i, j, blocks = i + best_len, best_at + best_len, blocks + 1
    return blocks, labels


def _align(wanted: Sequence[str], lines: Sequence[Sequence[tuple[str, str]]]) -> list[str] | None:
    """Labels of the raw words a passage came from, when cleaning cut chrome out of the middle of
    its line: the line that holds all its words in order in the fewest contiguous blocks."""
    found = [m for line in lines if (m := _blocks(wanted, line)) is not None]
    return min(found, key=lambda m: m[0])[1] if found and wanted else None


@dataclass
class ChromePage:
    doc_id: str
    split: str
    passages: int = 0
    with_chrome: int = 0
    unlocated: int = 0
    article_tokens: int = 0
    article_found: int = 0
    chrome_tokens: int = 0
    chrome_in_passages: int = 0
    examples: list[str] = field(default_factory=list)


def chrome_page(page, entries: dict[int, dict], doc) -> ChromePage:
    """Where each passage of `doc` came from in the raw page, and what the labels say about it."""
    result = ChromePage(page.doc_id, split_of(page.doc_id))
    lines = page.lines
    line_labels = [_char_labels(line, entries.get(i)) for i, line in enumerate(lines)]
    normalised = [_normalised(line) for line in lines]
    article: list[str] = []
    for line, labels in zip(lines, line_labels):
        for m in _TOKEN.finditer(line):
            if labels[m.start()] == "a":
                article.extend(folded_tokens(m.group()))
            elif labels[m.start()] == "c":
                result.chrome_tokens += 1
    result.article_tokens = len(article)
    if doc is None or doc.doc_id != page.doc_id:
        return result  # rejected or held back as a near-duplicate: nothing of it is indexed
    result.article_found = TokenStream([p.text for p in doc.passages]).lcs(article)
    line_tokens: list[list[tuple[str, str]]] | None = None
    for passage in doc.passages:
        result.passages += 1
        text = " ".join(passage.text.split())
        hit = next(((k, norm.find(text)) for k, (norm, _) in enumerate(normalised) if norm.find(text) >= 0), None)
        if hit is not None:
            k, start = hit
            where = normalised[k][1]
            raw_start, raw_end = where[start], where[start + len(text) - 1] + 1
            chrome = _token_labels(lines[k][raw_start:raw_end], line_labels[k][raw_start:raw_end]).count("c")
        else:  # text joined across a cut inside a line: align it by word blocks
            if line_tokens is None:
                line_tokens = [[(fold(t.text), labels[t.start]) for t in tokens(line)]
                               for line, labels in zip(lines, line_labels)]
            matched = _align(folded_tokens(passage.text), line_tokens)
            if matched is None:  # not found in any one line in order: counted as holding chrome
                result.unlocated += 1
                result.with_chrome += 1
                continue
            chrome = matched.count("c")
        result.chrome_in_passages += chrome
        if chrome:
            result.with_chrome += 1
            if len(result.examples) < 8:
                result.examples.append(text[:160])
    return result


def chrome_metrics(fc: Run, labels_path: Path = CHROME_LABELS) -> dict[str, object]:
    """Share of passages holding labelled chrome, and article-text recall, on the labelled pages."""
    gold = json.loads(labels_path.read_text(encoding="utf-8"))
    pages = {p.doc_id: p for p in factcheck_pages()}
    results = []
    for entry in gold["pages"]:
        page = pages[entry["id"]]
        if len(page.lines) != entry["lines"]:
            raise ValueError(f"{entry['id']}: the page has {len(page.lines)} lines, the labels {entry['lines']}")
        results.append(chrome_page(page, {e["i"]: e for e in entry["labels"]}, fc.documents.get(entry["id"])))
    out: dict[str, object] = {}
    for split in ("dev", "test", "all"):
        rows = [r for r in results if split in ("all", r.split)]
        out[split] = {
            "pages": len(rows),
            "sites": len({gold_site for gold_site in (e["site"] for e in gold["pages"] if split in ("all", e["split"]))}),
            "passages": sum(r.passages for r in rows),
            "with_chrome": sum(r.with_chrome for r in rows),
            "unlocated": sum(r.unlocated for r in rows),
            "article_tokens": sum(r.article_tokens for r in rows),
            "article_found": sum(r.article_found for r in rows),
            "chrome_tokens": sum(r.chrome_tokens for r in rows),
            "chrome_in_passages": sum(r.chrome_in_passages for r in rows),
        }
    out["examples"] = {r.doc_id: r.examples for r in results if r.examples}
    return out


# ---------------------------------------------------------------- summary
def _share(results: Sequence[LineResult], attr: str) -> tuple[int, int]:
    return sum(bool(getattr(r, attr)) for r in results), len(results)


def summarise(fc_lines: list[LineResult], snn: SnnResult, chrome: dict[str, object],
              fc_rejected: list[tuple[str, str]], fc_duplicates: int,
              snn_urls: SnnResult | None = None) -> dict[str, object]:
    out: dict[str, object] = {"factcheck": {}, "saudinewsnet": {}, "chrome": chrome}
    for split in ("dev", "test", "all"):
        rows = [r for r in fc_lines if split in ("all", r.split)]
        out["factcheck"][split] = {
            "lines": len(rows),
            "survive": _share(rows, "survives")[0],
            "strict": _share(rows, "strict")[0],
            "survive_or_title": sum(r.survives or r.in_title for r in rows),
            "core_survive": sum(r.core_survives for r in rows),
            "auto_survive": sum(r.auto_survives for r in rows),
            "pairs_rejected": 0,
        }
        srows = [r for r in snn.sentences if split in ("all", r.split)]
        ids = [d for d in snn.titles if split in ("all", split_of(d))]
        rejected = [d for d, _ in snn.rejected if split in ("all", split_of(d))]
        news = [r for r in srows if not r.chrome]
        out["saudinewsnet"][split] = {
            "articles": sum(1 for _ in ids),
            "sentences": len(srows),
            "survive": _share(srows, "survives")[0],
            "strict": _share(srows, "strict")[0],
            "news_sentences": len(news),
            "news_survive": _share(news, "survives")[0],
            "news_strict": _share(news, "strict")[0],
            "titles_intact": sum(snn.titles[d] for d in ids),
            "rejected": len(rejected),
        }
        if snn_urls is not None:
            urows = [r for r in snn_urls.sentences if split in ("all", r.split)]
            unews = [r for r in urows if not r.chrome]
            out["saudinewsnet"][split].update({
                "urls_survive": _share(urows, "survives")[0],
                "urls_news_survive": _share(unews, "survives")[0],
                "urls_rejected": len([d for d, _ in snn_urls.rejected if split in ("all", split_of(d))]),
            })
    out["factcheck_rejected"] = fc_rejected
    out["factcheck_duplicates"] = fc_duplicates
    out["saudinewsnet_rejected"] = snn.rejected
    out["saudinewsnet_duplicates"] = snn.duplicates
    return out


def measure(show_misses: int = 0, seed: int = 0, dump: Path | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="khabar-cleaning-") as tmp:
        fc = factcheck_run(Path(tmp))
        fc_lines, absent = factcheck_evidence(fc)
        snn = snn_run(Path(tmp))
        snn_urls = snn_run(Path(tmp), with_urls=True)
        fc_alone = factcheck_run(Path(tmp), with_urls=False)
    chrome = chrome_metrics(fc)
    summary = summarise(fc_lines, snn, chrome, fc.rejected, fc.duplicates, snn_urls)
    summary["chrome_alone"] = chrome_metrics(fc_alone)
    summary["factcheck_absent"] = absent
    if dump:
        with dump.open("w", encoding="utf-8") as f:
            for r in fc_lines + snn.sentences:
                if not (r.core_survives if r.core >= 0 else r.survives):
                    f.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
            for doc_id, given, got in snn.title_misses:
                f.write(json.dumps({"doc_id": doc_id, "title": given, "cleaned": got}, ensure_ascii=False) + "\n")
    if show_misses:
        rng = random.Random(seed)
        lost = [r for r in fc_lines if not r.core_survives and r.split == "dev"]
        print(f"# fact-check dev: {len(lost)} rationale lines lost", file=sys.stderr)
        for r in rng.sample(lost, min(show_misses, len(lost))):
            print(f"- {r.doc_id}:{r.line} core {r.core_found}/{r.core} {r.text[:300]!r}", file=sys.stderr)
        lost = [r for r in snn.sentences if not r.survives and r.split == "dev"]
        print(f"# saudinewsnet dev: {len(lost)} sentences lost", file=sys.stderr)
        for r in rng.sample(lost, min(show_misses, len(lost))):
            print(f"- {r.doc_id}:{r.line} {r.found}/{r.tokens} {r.text[:300]!r}", file=sys.stderr)
        print(f"# saudinewsnet: {len(snn.title_misses)} titles changed", file=sys.stderr)
        for doc_id, given, got in snn.title_misses[:show_misses]:
            print(f"- {doc_id} {given!r} -> {got!r}", file=sys.stderr)
        print(f"# rejected: {snn.rejected[:show_misses]} {fc.rejected[:show_misses]}", file=sys.stderr)
    return summary


# ---------------------------------------------------------------- baseline and report
def baseline(ref: str) -> dict[str, object]:
    """The same measurement with the `indexer` and `khabar` packages as they are at git `ref` (child process)."""
    with tempfile.TemporaryDirectory(prefix="khabar-cleaning-ref-") as tmp:
        archive = subprocess.run(["git", "archive", ref, "indexer", "khabar"], cwd=REPO_ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        out = Path(tmp) / "result.json"
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        # cwd first on sys.path: the ref's `indexer` shadows the working tree's
        subprocess.run([sys.executable, "-m", "bench.cleaning", "--measure-only", "--json", str(out)],
                       cwd=tmp, env=env, check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.2f} % ({n}/{d})" if d else "-"


def render(after: dict[str, object], before: dict[str, object] | None, ref: str, command: str) -> str:
    info = machine()
    lines = [
        f"Command: `{command}`  ",
        f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, {info.get('ram', '?')} RAM, "
        f"Python {info.get('python', '?')}  ",
        f"Date: {info['date']}",
        "",
    ]
    cols = [("after", after)] + ([(f"before ({ref})", before)] if before else [])
    rows = []
    for name, res in cols:
        for split in ("dev", "test"):
            fc = res["factcheck"][split]
            rows.append([name, split, _pct(fc["core_survive"], fc["lines"]),
                         _pct(fc.get("auto_survive", fc["core_survive"]), fc["lines"]),
                         _pct(fc["survive"], fc["lines"]), _pct(fc["strict"], fc["lines"])])
    lines.append(markdown_table(
        ["code", "split", "fact-check evidence kept: ≥90 % of its news tokens in title + passages",
         "… news by the automatic definition alone", "≥90 % of all its tokens in passages",
         "strict: whole line in passages"], rows))
    lines.append("")
    rows = []
    for name, res in cols:
        for split in ("dev", "test"):
            sn = res["saudinewsnet"][split]
            news = sn.get("news_sentences", sn["sentences"])
            rows.append([name, split, _pct(sn.get("news_survive", sn["survive"]), news),
                         _pct(sn["survive"], sn["sentences"]), _pct(sn.get("news_strict", sn["strict"]), news),
                         sn["rejected"], _pct(sn["titles_intact"], sn["articles"]),
                         _pct(sn["urls_news_survive"], news) if "urls_news_survive" in sn else "-",
                         _pct(sn["urls_survive"], sn["sentences"]) if "urls_survive" in sn else "-"])
    lines.append(markdown_table(
        ["code", "split", "SaudiNewsNet news sentences in passages (≥90 %)", "all sentences (chrome too)",
         "news, strict", "rejected", "headline intact", "news sentences, fed with URLs (site furniture learned)",
         "all sentences, fed with URLs"], rows))
    lines.append("")
    chrome_rows = []
    for name, res in cols:
        for split in ("dev", "test"):
            for label, ch in ((name, res["chrome"][split]),
                              ("after, no other page of the site", res.get("chrome_alone", {}).get(split)
                               if name == "after" else None)):
                if ch is None:
                    continue
                chrome_rows.append([label, split, f"{ch['pages']} pages / {ch['sites']} sites",
                                    _pct(ch["with_chrome"], ch["passages"]), ch["unlocated"],
                                    _pct(ch["chrome_in_passages"], ch["chrome_tokens"]),
                                    _pct(ch["article_found"], ch["article_tokens"])])
    lines.append(markdown_table(
        ["code", "split", "labelled sample", "passages holding chrome", "of which not located (counted as chrome)",
         "chrome words reaching passages", "article words kept (in order)"], chrome_rows))
    lines.append("")
    for name, res in cols:
        lines.append(f"- {name}: evidence lines absent from the indexed version of a page scraped twice "
                     f"(left out) {res.get('factcheck_absent', 0)}; fact-check pages rejected "
                     f"{len(res['factcheck_rejected'])}, held back as near-duplicates "
                     f"{res['factcheck_duplicates']}; SaudiNewsNet rejected "
                     f"{len(res['saudinewsnet_rejected'])}, near-duplicates {res['saudinewsnet_duplicates']}.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default="main", help="git ref whose indexer/ is measured as 'before'")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print the table, do not touch docs/")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--show-misses", type=int, default=0, help="print N lost dev lines/sentences")
    ap.add_argument("--dump-misses", type=Path, help="write every lost line/sentence and changed title (JSONL)")
    args = ap.parse_args(argv)
    after = measure(args.show_misses, dump=args.dump_misses)
    if args.json:
        args.json.write_text(json.dumps(after, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.measure_only:
        return
    before = None if args.no_baseline else baseline(args.baseline)
    command = "python -m bench.cleaning" + (" --no-baseline" if args.no_baseline else "")
    report = render(after, before, args.baseline, command)
    print(report)
    if not args.no_write:
        write_generated(REPORT, "bench.cleaning", report)


if __name__ == "__main__":
    main()
