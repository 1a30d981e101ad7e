"""Real news corpora for evaluation, with stable document ids (read from shared/data, never copied).

Why a module of its own: the annotated dev/test sets (bench/data/), the cleaning check, the
claim -> article retrieval benchmark and the question-answering evaluation all refer to the same
articles. They do so by id, and the id must not depend on the order files are read in, so it is
derived from the article's URL:

* `fc-<sha1(url)[:12]>`  a scraped page of the Arabic fact-checking corpus (Baly et al. 2018;
  2,871 distinct URLs; the same page can be judged under several claims);
* `snn-<sha1(url)[:12]>` a SaudiNewsNet article. The evaluation subset is fixed by the URL hash
  (`int(sha1(url), 16) % SNN_MODULUS == 0`, about 2,000 articles), so it never depends on the
  order of the zips.

`python -m bench.corpora export OUT` writes both as JSONL (`id`, `url`, `text`, and for
SaudiNewsNet `title`, `source`, `published_at`), ready for `khabar index OUT`. Fact-check pages
are exported as scraped (no title: the cleaner finds it), which is how a user would drop them in.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from bench.harness.data import shared_data_dir

SNN_MODULUS = 15


def url_id(prefix: str, url: str) -> str:
    return f"{prefix}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:12]}"


# ---------------------------------------------------------------- fact-check corpus
@dataclass(frozen=True)
class Judgement:
    """One claim-article pair: how the article stands toward the claim, and its evidence lines."""

    doc_id: str
    stance: str  # agree / disagree / discuss / unrelated
    rationale: tuple[int, ...]  # 0-based indices into the page's lines (article.split("\n"))


@dataclass(frozen=True)
class FactCheckClaim:
    claim_id: str  # e.g. "R-10" (the prefix leaks the label: never feed it to a model)
    claim: str
    fold: int  # the corpus's own 5-fold split, 0-4
    judgements: tuple[Judgement, ...] = field(default_factory=tuple)

    def relevant(self) -> set[str]:
        """Articles judged agree, disagree or discuss."""
        return {j.doc_id for j in self.judgements if j.stance != "unrelated"}


@dataclass(frozen=True)
class FactCheckPage:
    doc_id: str
    url: str
    text: str  # the raw page text, lines separated by "\n"

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _factcheck_folder() -> Path:
    return shared_data_dir() / "arabic-factcheck-stance"


def _folds() -> dict[str, int]:
    folds: dict[str, int] = {}
    for line in (_factcheck_folder() / "train_test_splits.txt").read_text(encoding="utf-8").splitlines():
        if ":" not in line:
            continue
        name, ids = line.split(":", 1)
        k = int(name.strip().split("_")[-1]) - 1
        for claim_id in ids.split():
            folds[claim_id.strip().strip(",")] = k
    return folds


@lru_cache(maxsize=1)
def _factcheck() -> tuple[tuple[FactCheckClaim, ...], tuple[FactCheckPage, ...]]:
    folds = _folds()
    claims: list[FactCheckClaim] = []
    pages: dict[str, FactCheckPage] = {}
    for path in sorted((_factcheck_folder() / "dataset").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        judgements = []
        for text, url, stance, rationale in zip(record["article"], record["url"], record["stance"],
                                                record["rationale"]):
            doc_id = url_id("fc", url)
            pages.setdefault(doc_id, FactCheckPage(doc_id, url, text))
            lines = tuple(json.loads(rationale)) if rationale.strip() else ()
            judgements.append(Judgement(doc_id, stance, lines))
        claims.append(FactCheckClaim(record["id"], record["claim"], folds.get(record["id"], -1), tuple(judgements)))
    return tuple(claims), tuple(pages[k] for k in sorted(pages))


def factcheck_claims() -> list[FactCheckClaim]:
    """The 422 claims with their judged articles."""
    return list(_factcheck()[0])


def factcheck_pages() -> list[FactCheckPage]:
    """Every distinct scraped page (by URL), sorted by id."""
    return list(_factcheck()[1])


def claim_split(claim: FactCheckClaim) -> str:
    """The corpus's folds 1-3 are dev, folds 4-5 test (claim-level, as the paper's CV split)."""
    return "dev" if claim.fold in (0, 1, 2) else "test"


@lru_cache(maxsize=1)
def _page_splits() -> dict[str, str]:
    splits: dict[str, str] = {}
    for claim in factcheck_claims():  # a page judged under several claims takes its first claim's split
        for j in claim.judgements:
            splits.setdefault(j.doc_id, claim_split(claim))
    return splits


def split_of(doc_id: str) -> str:
    """'dev' or 'test' for any evaluation document; annotations are split by their source document.

    Fact-check pages follow their claim's fold (pages about one claim's event stay together);
    SaudiNewsNet articles split by the parity of their id's hash.
    """
    if doc_id.startswith("fc-"):
        return _page_splits()[doc_id]
    if doc_id.startswith("snn-"):
        return "dev" if int(doc_id[4:], 16) % 2 == 0 else "test"
    raise ValueError(f"not an evaluation document id: {doc_id!r}")


# ---------------------------------------------------------------- SaudiNewsNet
@dataclass(frozen=True)
class NewsArticle:
    doc_id: str
    url: str
    title: str
    text: str
    source: str
    published_at: str | None  # the crawl date (YYYY-MM-DD): the corpus has no publication date


def _snn_articles() -> Iterator[NewsArticle]:
    folder = shared_data_dir() / "saudinewsnet" / "dataset"
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                for art in json.loads(z.read(name)):
                    url = art.get("url") or ""
                    body = (art.get("content") or "").strip()
                    if not url or not body:
                        continue
                    date = (art.get("date_extracted") or "")[:10] or None
                    yield NewsArticle(url_id("snn", url), url, (art.get("title") or "").strip(), body,
                                      art.get("source") or "", date)


def in_snn_subset(url: str) -> bool:
    return int(hashlib.sha1(url.encode("utf-8")).hexdigest(), 16) % SNN_MODULUS == 0


@lru_cache(maxsize=1)
def saudinewsnet_subset() -> tuple[NewsArticle, ...]:
    """The fixed SaudiNewsNet evaluation subset (~1/15 of the corpus), first copy of each URL, sorted by id."""
    seen: dict[str, NewsArticle] = {}
    for art in _snn_articles():
        if in_snn_subset(art.url):
            seen.setdefault(art.doc_id, art)
    return tuple(seen[k] for k in sorted(seen))


# ---------------------------------------------------------------- export
def export(out: Path) -> dict[str, int]:
    """Write factcheck.jsonl and saudinewsnet.jsonl into `out` (outside the repository)."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with (out / "factcheck.jsonl").open("w", encoding="utf-8") as f:
        pages = factcheck_pages()
        for p in pages:
            f.write(json.dumps({"id": p.doc_id, "url": p.url, "text": p.text}, ensure_ascii=False) + "\n")
        counts["factcheck"] = len(pages)
    with (out / "saudinewsnet.jsonl").open("w", encoding="utf-8") as f:
        arts = saudinewsnet_subset()
        for a in arts:
            record = {"id": a.doc_id, "url": a.url, "title": a.title, "text": a.text, "source": a.source,
                      "published_at": a.published_at}
            f.write(json.dumps({k: v for k, v in record.items() if v}, ensure_ascii=False) + "\n")
        counts["saudinewsnet"] = len(arts)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write the corpora as JSONL for `khabar index`")
    ex.add_argument("out", type=Path)
    args = ap.parse_args()
    if args.command == "export":
        print(export(args.out))


if __name__ == "__main__":
    main()
