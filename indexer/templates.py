"""What sites print around every article, learned from the pages of one ingest run.

Chrome repeats and article text does not. Two kinds of repetition are learned:

- **template lines** (`find_template_lines`): short lines that are not sentences, printed on
  at least three pages of the run, whatever their site (menus, "most read" headers). Long
  lines and sentences are left alone here because copies of one wire story on different
  sites share whole paragraphs, and near-duplicate detection, not cleaning, decides those.
- **site furniture** (`learn_sites`, `strip_furniture`): for pages that name their site (the
  URL host, else the source), the word 5-grams and whole lines printed on at least three
  pages *of that site*: its name and menus, login and subscription boxes, comment rules,
  "latest news" and "most read" lists. Within one site, articles do not repeat each other,
  so repetition there is a much stronger signal, and it holds for any site with a few pages
  in the run.

Guards keep the article. A 5-gram a few pages of one site share may be a phrase of its beat
("في ريف دير الزور الجنوبي الشرقي"), a background paragraph its reporters re-use or the frame
of a formulaic report, so: inside the article (from its first to its last line of new running
text) only a line printed verbatim on a quarter of the site's pages goes; a phrase is cut from
a line only in the page's header and footer, and only when *frequent* (a quarter of the
site's pages, and at least FREQUENT_MIN_COUNT) or, in the footer, a long run (EDGE_RUN_MIN
words) at a line's edge; and a page with no new running text
(three copies of one story, a report that differs only in its figures) is left alone.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Mapping, NamedTuple, Sequence
from urllib.parse import urlparse

from indexer.chrome import PROSE_MIN_WORDS, is_dateline, is_prose, words
from indexer.dedup import line_key
from indexer.page_dates import find_date
from khabar.arabic import fold

TEMPLATE_MAX_WORDS = 15  # longer repeated lines (any site) are syndicated copy, left to near-dup detection
TEMPLATE_MIN_DOCS = 3

FURNITURE_N = 5  # words per phrase learned from a site's pages
SITE_MIN_PAGES = 3  # a phrase or line printed on this many pages of one site is furniture
FREQUENT_SHARE = 0.25  # ... and frequent when on this share of the site's pages too
FREQUENT_MIN_COUNT = 5  # ... and on at least this many pages
NAME_WORDS = (2, 3)  # a site's name: a phrase this short ...
NAME_SHARE = 0.6  # ... in the first lines of this share of its pages (and FREQUENT_MIN_COUNT)
NAME_LINES = 3  # the page header where a site prints its name
EDGE_RUN_MIN = 10  # a run of furniture this long at a line's start or end is cut even when rare
NOVEL_MAX = 0.5  # a line of running text less covered than this is new text: the article
FOOTER_COVERED = 0.9  # a footer sentence less covered than this holds new words: kept whole
DATE_LINE_MAX_WORDS = 12  # a line this short with a date is the page's date line
_NAME_MARKS = frozenset("|-–—:")
_SEPARATORS = frozenset(" \t\u00a0,،|-–—:;/\\•·>")


# ----------------------------------------------------------------------------- template lines
def find_template_lines(texts: Iterable[str], min_docs: int = TEMPLATE_MIN_DOCS,
                        max_words: int = TEMPLATE_MAX_WORDS) -> frozenset[str]:
    """Keys (`line_key`) of short non-sentence lines that occur in at least `min_docs` documents.

    A page seen twice in a run counts once.
    """
    counts: Counter[str] = Counter()
    seen_pages: set[str] = set()
    for text in texts:
        page = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if page in seen_pages:
            continue  # the same page twice in a run is one page, not a template
        seen_pages.add(page)
        keys = {line_key(line) for line in text.splitlines() if not is_prose(line.strip())}
        counts.update(k for k in keys if k and words(k) <= max_words)
    return frozenset(k for k, n in counts.items() if n >= min_docs)


# ----------------------------------------------------------------------------- sites
def site_of(url: str | None, source: str | None = None) -> str | None:
    """The site a page comes from: its URL host without "www.", else its source, else None."""
    host = urlparse(url).hostname if url else None
    if host:
        return host.removeprefix("www.")
    name = " ".join((source or "").split()).lower()
    return name or None


@lru_cache(maxsize=300_000)
def _fold_word(word: str) -> str:
    return fold(word)


_Token = tuple[str, int, int]  # (folded word, start, end): plain tuples, a run makes millions
_FOLDED, _START, _END = 0, 1, 2
_WORD = re.compile(r"[^\W_]+(?:[\u0640\u064b-\u065f\u0670][^\W_]*)*")  # as `khabar.arabic.tokens`


@lru_cache(maxsize=65_536)
def _tokens(line: str) -> tuple[_Token, ...]:
    """Folded word tokens with offsets (cached: a run reads each line when learning and again
    when cutting, and a site's lines repeat across its pages)."""
    return tuple((_fold_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(line))


def _gram_keys(toks: Sequence[_Token]) -> list[int]:
    """One hash per FURNITURE_N-word window (a run's learning and lookup agree within a process)."""
    folded = [t[_FOLDED] for t in toks]
    return [hash("\x1f".join(folded[i:i + FURNITURE_N])) for i in range(len(folded) - FURNITURE_N + 1)]


@dataclass
class SiteFurniture:
    """Phrases and lines printed on SITE_MIN_PAGES or more pages of one site, with their page counts."""

    pages: int
    grams: Mapping[int, int] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    names: frozenset[tuple[str, ...]] = frozenset()  # short phrases of most first lines: the site's name

    def frequent(self, count: int) -> bool:
        """Printed on enough of the site's pages to be its furniture wherever it appears.

        At least FREQUENT_MIN_COUNT pages, whatever the site's size: three or four copies of
        one story (an update, a re-post) are not a quarter of a small site's furniture.
        """
        return count >= max(FREQUENT_MIN_COUNT, FREQUENT_SHARE * self.pages)


def learn_sites(pages: Iterable[tuple[str | None, str]]) -> dict[str, SiteFurniture]:
    """Site furniture of every site with at least SITE_MIN_PAGES distinct pages.

    `pages` are (site, raw text); pages without a site teach nothing here (a folder of files
    may mix papers, and wire copy repeats across papers). A page seen twice counts once.
    """
    by_site: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for site, text in pages:
        if not site:
            continue
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if (site, digest) not in seen:
            seen.add((site, digest))
            by_site.setdefault(site, []).append(text)
    out: dict[str, SiteFurniture] = {}
    for site, texts in by_site.items():
        if len(texts) < SITE_MIN_PAGES:
            continue
        grams: Counter[int] = Counter()
        lines: Counter[str] = Counter()
        names: Counter[tuple[str, ...]] = Counter()
        for text in texts:
            head = [t[_FOLDED] for line in [ln for ln in text.splitlines() if ln.strip()][:NAME_LINES]
                    for t in (*_tokens(line), ("\n", 0, 0))]
            names.update({tuple(head[i:i + n]) for n in NAME_WORDS for i in range(len(head) - n + 1)
                          if not any(w.isdigit() or w == "\n" for w in head[i:i + n])})  # dates are not names
            page_grams: set[int] = set()
            page_lines: set[str] = set()
            for line in text.splitlines():
                if line.strip():
                    page_grams.update(_gram_keys(_tokens(line)))
                    page_lines.add(line_key(line))
            grams.update(page_grams)
            lines.update(k for k in page_lines if k)
        out[site] = SiteFurniture(
            pages=len(texts),
            grams={g: n for g, n in grams.items() if n >= SITE_MIN_PAGES},
            lines={k: n for k, n in lines.items() if n >= SITE_MIN_PAGES},
            names=frozenset(g for g, n in names.items() if n >= max(FREQUENT_MIN_COUNT, NAME_SHARE * len(texts))),
        )
    return out


# ----------------------------------------------------------------------------- cutting
class _LineCover(NamedTuple):
    toks: Sequence[_Token]
    covered: list[bool]  # token inside some furniture phrase
    frequent: list[bool]  # token inside a frequent furniture phrase
    whole: int  # pages of the site printing this very line (0 below SITE_MIN_PAGES)

    @property
    def share(self) -> float:
        if self.whole:
            return 1.0
        return sum(self.covered) / len(self.toks) if self.toks else 0.0


def _cover(line: str, site: SiteFurniture) -> _LineCover:
    toks = _tokens(line)
    covered = [False] * len(toks)
    frequent = [False] * len(toks)
    for i, key in enumerate(_gram_keys(toks)):
        count = site.grams.get(key, 0)
        if count:
            covered[i:i + FURNITURE_N] = [True] * FURNITURE_N
            if site.frequent(count):
                frequent[i:i + FURNITURE_N] = [True] * FURNITURE_N
    return _LineCover(toks, covered, frequent, site.lines.get(line_key(line), 0) if toks else 0)


def _date_line(line: str) -> bool:
    """A short line with a date ("تاريخ النشر : 21 كانون الثاني 2018"): the page's date, which
    every page of a site published on one day prints alike, is read by cleaning, never cut."""
    return words(line) <= DATE_LINE_MAX_WORDS and find_date(fold(line)) is not None


def _mark_names(line: str, cover: _LineCover, site: SiteFurniture) -> None:
    """Mark the site's name (`SiteFurniture.names`) as frequent furniture in a header line, where
    it stands apart: at the line's start or end or next to a bar, dash or colon
    ("<headline> | رأي اليوم", "SMART News Agency - …"), not inside a sentence."""
    folded = [t[_FOLDED] for t in cover.toks]
    for n in NAME_WORDS:
        for i in range(len(folded) - n + 1):
            if tuple(folded[i:i + n]) not in site.names:
                continue
            before = line[: cover.toks[i][_START]].rstrip()
            after = line[cover.toks[i + n - 1][_END]:].lstrip()
            if not before or not after or before[-1] in _NAME_MARKS or after[0] in _NAME_MARKS:
                cover.frequent[i:i + n] = [True] * n


def _runs(mask: Sequence[bool]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = None
    for i, on in enumerate([*mask, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _cut(line: str, cover: _LineCover, end_runs: bool, start_runs: bool) -> list[str]:
    """The line without its frequent furniture and its long furniture runs at the line's end
    (`end_runs`) or start (`start_runs`), where footers are glued on; one line per piece left."""
    n = len(cover.toks)
    cut = list(cover.frequent)
    for a, b in _runs(cover.covered):
        if b - a >= EDGE_RUN_MIN and ((b == n and end_runs) or (a == 0 and start_runs)):
            cut[a:b] = [True] * (b - a)
    if not any(cut):
        return [line]
    pieces: list[str] = []
    pos = 0
    for a, b in _runs(cut):
        left, right = cover.toks[a][_START], cover.toks[b - 1][_END]
        while left > pos and line[left - 1] in _SEPARATORS:
            left -= 1  # the bar or dash that joined the furniture to the text goes with it
        while right < len(line) and line[right] in _SEPARATORS:
            right += 1
        pieces.append(line[pos:left])
        pos = right
    pieces.append(line[pos:])
    # text on both sides of a cut were two things (a headline and its lead): two lines
    kept = [" ".join(p.split()) for p in pieces if any(ch.isalnum() for ch in p)]
    if 2 * sum(cut) >= n and not is_prose(" ".join(kept)):
        return []  # what is left of a line that was mostly furniture: a label, a date, a counter
    return kept


def strip_furniture(lines: Sequence[str], site: SiteFurniture | None) -> list[str]:
    """Raw lines of one page with its site's furniture removed (dropped lines become "", and a
    line cut in the middle becomes one line per piece).

    The article is the block from the page's first to its last line of new running text
    (NOVEL_MAX). Inside it, only a line printed verbatim on much of the site goes; before it
    (the header) frequent furniture is cut; after it (the footer: other stories, login and
    comment boxes) a line printed verbatim on other pages of the site goes, and a long run of
    furniture at either end of a line is cut (at the end only, on the article's last line). A page with no new running text repeats its site's other pages (a
    copy of one story, a formulaic report) and is left to near-duplicate detection.
    Indentation is kept (the page header uses it to tell menus apart).
    """
    if site is None:
        return list(lines)
    covers = [_cover(line, site) if line.strip() else None for line in lines]
    novel = [i for i, (line, c) in enumerate(zip(lines, covers))
             if c is not None and words(line) >= PROSE_MIN_WORDS and c.share < NOVEL_MAX and not is_dateline(line)]
    if not novel:
        return list(lines)
    first, last = novel[0], novel[-1]
    dateline = max((i for i in range(first) if covers[i] is not None), default=-1)
    out: list[str] = []
    for i, (line, c) in enumerate(zip(lines, covers)):
        if (c is None or first < i < last and not site.frequent(c.whole) or i == dateline and is_dateline(line)
                or _date_line(line)):
            out.append(line)
            continue
        if site.frequent(c.whole) or (i > last and c.whole):
            out.append("")
            continue
        if i <= first:
            _mark_names(line, c, site)
        indent = line[: len(line) - len(line.lstrip(" \t\u00a0"))]
        if i > last and c.share < FOOTER_COVERED and is_prose(line):
            out.append(line)  # a sentence with new words between the site's phrases: a formulaic report's end
            continue
        start_runs = i > last
        out.extend(indent + piece for piece in _cut(line, c, end_runs=i >= last, start_runs=start_runs) or [""])
    return out
