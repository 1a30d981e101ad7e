"""Scraped news page text -> headline, article body, sidebar headlines, date, source.

Pages saved as text carry everything the site printed around the article: menus
(bullet lists, indented section names, "مباشر", "49 خبر"), tickers of headlines glued
together without spaces, comment and share prompts, tag lists, photo credits, the
headline printed twice, and lists of *other* stories. Those other headlines are real
news and the claim extractor reads them, but they must never be mistaken for the
article, so they are returned separately as `sidebar`.

The page is read line by line as a small state machine:

    header  --(headline or first paragraph)-->  body  --("التعليقات", comment prompt,
            "اقرأ أيضاً" after the source line)-->  sidebar

Patterns are matched on `fold`ed text, so "إقرأ أيضاً" and "اقرأ ايضا" are one rule.

Over 400 lines for a reason: the line rules of the state machine share its state and read
best side by side. Chrome cut inside a line by its shape is `indexer.chrome`, what a site
prints on its pages `indexer.templates`, page dates `indexer.page_dates`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Iterable, NamedTuple

from khabar.arabic import fold
from indexer.chrome import (  # noqa: F401  (cut_footer … are part of this module's interface)
    PROSE_MIN_WORDS,
    arabic_share,
    cut_footer,
    cut_latin_runs,
    is_dateline,
    is_prose,
    split_header_line,
    strip_inline_chrome,
    strip_site_suffix,
    words,
)
from indexer.dedup import folded_key, line_key, unique_lines
from indexer.page_dates import find_date, parse_date, standalone_date  # noqa: F401  (parse_date: readers)
from indexer.templates import SiteFurniture, find_template_lines, strip_furniture  # noqa: F401
from khabar.segment import sentences

TITLE_MAX_CHARS = 120  # a title cut from the first sentence is shortened to this
HEADLINE_MAX_WORDS = 30
HEADLINE_MAX_CHARS = 220
MENU_MAX_WORDS = 15  # an indented line in the page header longer than this is not a menu item
DATE_LINE_MAX_WORDS = 12  # "تاريخ النشر: …" is a label; "بتاريخ 15 شباط 1999 ادعت…" is a sentence


class Cleaned(NamedTuple):
    """What `clean_page` extracts; unpacks as (title, text, sidebar, published_at, source)."""

    title: str
    text: str
    sidebar: list[str]
    published_at: str | None
    source: str | None


def _folded_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(line_key(w) for w in words)


# Whole lines that are site navigation, wherever they appear.
_NAV_LINES = _folded_set(
    """مباشر|أين يمكنك متابعتنا|أقسام مهمة|Stories|الرئيسية|الصفحة الرئيسية|أخبار عاجلة|عاجل|فيديوهات|فيديو
    |شارك|مشاركة|طباعة|إرسال|أرسل لصديق|تابعنا|تابعونا|القائمة|بحث|المزيد|شارك هذا المقال|شارك الخبر
    |Share|Tweet|Print|Menu|Home|Search|اضغط هنا|حجم الخط|تكبير الخط|تصغير الخط""".split("|")
)
_COUNT_LINE = re.compile(r"^\d+\s+(?:خبر|اخبار|مقال|قصه|قصص|stories|news)$")
_BULLET = re.compile(r"^\s*[•·▪●◦■►▸‣⁃]\s*")
_BREADCRUMB = re.compile(r"^[^.؟?!]*?(?:\s[>»|]\s[^.؟?!]*){2,}$")  # "الرئيسية > أخبار > سوريا"
BREADCRUMB_MAX_WORDS = 12

# Boilerplate dropped wherever it appears (matched on folded text, from the line start).
_BOILERPLATE = [
    re.compile(p)
    for p in (
        r"^(?:اترك|اضف|اكتب|أضف) (?:تعليق|رد)",
        r"^لن يتم نشر عنوان بريدك",
        r"الحقول الالزاميه مشار اليها",
        r"^زر الذهاب الي الاعلي",
        r"^(?:العوده|الذهاب) الي الاعلي",
        r"^تابعوا?(?:نا)? .*(?:تيلغرام|تلغرام|تليجرام|تليغرام|telegram|واتساب|واتس اب|تويتر|فيسبوك|يوتيوب|انستغرام|google news|جوجل نيوز)",
        r"^(?:انضم|اشترك) .*(?:قناه|قناتنا|النشره|telegram|تيلغرام|تلغرام|واتساب)",
        r"^جميع الحقوق محفوظه",
        r"^(?:all rights reserved|copyright|©)",
        r"^(?:\(?صوره ارشيفيه\)?|\(?ارشيفيه\)?|\(?صوره تعبيريه\)?)$",
        r"^(?:اعلان|advertisement)$",
        r"^(?:التعليقات|تعليقات)\s*\(\d+\)$",
    )
]
_COMMENTS_HEADER = _folded_set(["التعليقات", "تعليقات", "التعليقات على الخبر", "Comments"])
_COMMENT_PROMPT = re.compile(r"^(?:اترك|اضف|اكتب) (?:تعليق|رد)")
_TAGS = re.compile(r"^(?:كلمات دلاليه|الكلمات الدلاليه|الوسوم|وسوم|كلمات مفتاحيه|tags)\s*[:：]")
_RELATED = re.compile(
    r"^(?:اقرا ايضا|اقرا المزيد|اقرا كذلك|اقرا اكثر|مواضيع ذات صله|اخبار ذات صله|مقالات ذات صله|"
    r"ذات صله|المزيد من الاخبار|الاكثر قراءه|الاكثر مشاهده|read also|read more|related)\s*[:：]?\s*"
)
_SOURCE = re.compile(r"^(?:المصدر|مصدر الخبر|source)\s*[:：]\s*(?P<value>.+)$", re.IGNORECASE)
_DATE_MARKER = re.compile(
    r"^(?:تاريخ النشر|تاريخ الخبر|نشر في|نشر بتاريخ|تم النشر في|تم النشر|بتاريخ|التاريخ|اخر تحديث|"
    r"تاريخ التحديث|published(?: on)?|updated(?: on)?|date)\s*[:：]?\s*",
    re.IGNORECASE,
)
# A photo credit at the end of a caption: "… / RIA NOVOSTI", "… | Getty Images".
_CAPTION_CREDIT = re.compile(r"\s[/|]\s*(?:[A-Z][A-Za-z.&'-]*)(?:\s+[A-Z][A-Za-z.&'-]*){0,3}\s*$")
# Headlines glued together: a question or exclamation mark with no space before the next word, or
# a word run straight into an opening quote. A quote after a proclitic is ordinary Arabic
# ("و«الغميضة»", "بـ«تمويل»", "لـ«داعش»"), so only a glued word of its own counts.
_TICKER_MARK_JOIN = re.compile(r"[؟?!](?=[^\W\d_]{2})")
_TICKER_QUOTE_JOIN = re.compile(r"([^\W\d_]+)[“«]")
_PROCLITICS = re.compile(r"^(?:[وف]?[بلك]?|[وف]?(?:ال|بال|كال|لل))$")
# What running prose has and a ticker of headlines lacks: commas, semicolons, sentence stops.
_PROSE_SEPARATOR = re.compile(r"[،,؛;]|(?<![.\s][^\W\d_])(?<!\.)\.(?!\.)(?=\s)")
_TICKER_SPLIT = re.compile(
    r"(?<=[؟?!])(?=[^\W\d_“«\"])|(?<=[^\W\d_])(?=[“«])"
    # letters that only end words (ة, tanween + alef, a doubled alef) followed by a letter
    r"|(?<=ة)(?=[\u0621-\u064a])|(?<=\u064bا)(?=[\u0621-\u064a])|(?<=[\u0621-\u064a]ا)(?=ا[\u0621-\u064a])"
)
_SENTENCE_END = re.compile(r"[.؛;:،,]\s*$")
_ELLIPSIS = re.compile(r"\.{2,}|…")
_INNER_STOP = re.compile(r"[^\W\d_]{2}\.\s+\S")


# ----------------------------------------------------------------------------- lines
class _Line(NamedTuple):
    """One non-blank line with the derived forms every rule needs (folding is costly)."""

    text: str  # whitespace-normalised
    folded: str
    key: str
    words: int


def _line(raw: str) -> _Line:
    text = " ".join(raw.split())
    folded = fold(text)
    return _Line(text, folded, folded_key(folded), len(text.split()))


def _boilerplate(line: _Line) -> bool:
    return (
        line.key in _NAV_LINES
        or bool(_COUNT_LINE.match(line.key))
        or any(p.search(line.folded) for p in _BOILERPLATE)
        or (line.words <= BREADCRUMB_MAX_WORDS and bool(_BREADCRUMB.search(line.text)))
    )


def is_boilerplate(line: str) -> bool:
    """Navigation, comment/share prompts, copyright: never article text."""
    return _boilerplate(_line(line))


def _ticker_joins(line: str) -> int:
    quote_joins = sum(1 for m in _TICKER_QUOTE_JOIN.finditer(line)
                      if not m.group(1).endswith("\u0640") and not _PROCLITICS.match(m.group(1)))
    return len(_TICKER_MARK_JOIN.findall(line)) + quote_joins


def is_ticker(line: str) -> bool:
    """Several headlines glued into one line ("…القصة؟أحمد الشرع…").

    Two glued joins are needed, and more of them than the commas and full stops that
    running prose is made of: a paragraph quoting «الطيري» و«الغميضة» or with a stray "?"
    is not a ticker.
    """
    if len(line) < 120:
        return False
    joins = _ticker_joins(line)
    return joins >= 2 and joins > len(_PROSE_SEPARATOR.findall(line))


def split_ticker(line: str) -> list[str]:
    """Best-effort split of a ticker at the glued question marks and quotes."""
    return [part.strip() for part in _TICKER_SPLIT.split(line) if part.strip()]


def is_caption_credit(line: str) -> bool:
    """Photo caption ending in an agency credit, e.g. "… / RIA NOVOSTI"."""
    return words(line) <= 30 and bool(_CAPTION_CREDIT.search(line)) and not re.search(r"[.؟?!]\s*[/|]", line)


def source_of(line: str) -> str | None:
    """`المصدر: تاس` -> "تاس" (short values only, so a sentence is never a source)."""
    match = _SOURCE.match(line.strip())
    if not match:
        return None
    value = match.group("value").strip().strip(".،,:;-–— ").strip()
    return value if value and words(value) <= 6 else None


def is_headline(line: str, min_words: int = 3) -> bool:
    """Looks like a headline: a short single statement not ending like a paragraph.

    Dots in a headline join its parts ("البرازيل .. عطل في محرك النمو"), and a headline may
    ask ("خلافة عباس.. من؟ وكيف؟"): neither makes it two sentences. A full stop after a
    word of two letters or more followed by more text does ("د. النافع" is an abbreviation).
    """
    text = line.strip()
    n = words(text)
    if not (min_words <= n <= HEADLINE_MAX_WORDS) or len(text) > HEADLINE_MAX_CHARS:
        return False
    bare = _ELLIPSIS.sub(" ", text).rstrip()
    if _SENTENCE_END.search(bare):
        return False
    return not _INNER_STOP.search(bare)


def title_from_text(text: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """A title for an article without a headline: its first sentence, cut at a word boundary."""
    first_line = text.strip().split("\n", 1)[0]
    # ".." joins the parts of a phrase, it does not end it: mask it (same length) before splitting
    spans = sentences(_ELLIPSIS.sub(lambda m: "…" * len(m.group()), first_line))
    first = first_line[spans[0].start : spans[0].end] if spans else first_line
    first = " ".join(first.split())
    if len(first) <= max_chars:
        return first
    cut = first[: max_chars + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else first[:max_chars]
    return cut.rstrip(" ،,:;-–—") + "…"


# ----------------------------------------------------------------------------- page
@dataclass
class _State:
    title: str | None
    template: Collection[str]
    body: list[_Line]
    sidebar: list[str]
    published_at: str | None = None
    source: str | None = None
    after_source: bool = False  # the article's closing metadata has been seen
    sidebar_next: bool = False  # the previous line was a lone "اقرأ أيضاً"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t\u00a0"))


def _metadata(line: _Line, state: _State) -> bool:
    """Consume date, source and tag lines (recording what they say); True if consumed."""
    if line.words <= DATE_LINE_MAX_WORDS and _DATE_MARKER.match(line.folded) and (found := find_date(line.folded)):
        state.published_at = state.published_at or found.iso
        return True
    if (alone := standalone_date(line.folded)) is not None:
        state.published_at = state.published_at or alone
        return True
    if (src := source_of(line.text)) is not None:
        state.source = state.source or src
        state.after_source = True
        return True
    if _TAGS.match(line.folded):
        state.after_source = True
        return True
    return False


def clean_page(raw: str, title: str | None = None, template: Collection[str] = frozenset(),
               furniture: SiteFurniture | None = None) -> Cleaned:
    """Split scraped page text into headline, body, sidebar, date and source.

    `title` is the known headline (HTML <title>, a JSON field); when None the headline
    is detected in the text, and an article without one is titled by its first
    sentence. `template` holds `line_key`s of lines to drop (see `find_template_lines`);
    `furniture` is what the page's site prints on its other pages (`indexer.templates`).
    The body never contains the title, menus, prompts or repeated paragraphs; the
    sidebar holds the headlines of other stories the page carried.
    """
    raw_lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    raw_lines = strip_furniture(raw_lines, furniture)
    arabic_page = arabic_share(raw) >= 0.5
    raw_lines = [_strip_keeping_indent(ln, arabic_page) for ln in raw_lines]
    nonblank = [ln for ln in raw_lines if ln.strip()]
    base_indent = min((_indent(ln) for ln in nonblank), default=0)
    given = " ".join(title.split()) if title else ""
    state = _State(title=given or None, template=template, body=[], sidebar=[])
    lines = [(_indent(ln), _line(ln)) for ln in nonblank]
    i = _header(lines, base_indent, state, detect_title=not given, first_stands_alone=_first_stands_alone(raw_lines))
    _body([ln for _, ln in lines[i:]], state)
    seen: set[str] = {line_key(state.title)} if state.title else set()
    if state.title and state.body:
        state.body[0] = _without_title(state.body[0], state.title)
    body = unique_lines([ln.text for ln in state.body], seen, keys=[ln.key for ln in state.body])
    if not body:
        body = _fallback_body([ln for _, ln in lines], seen)
    sidebar = unique_lines(state.sidebar, seen)
    text = "\n".join(body)
    final_title = state.title or (title_from_text(text) if text else "")
    return Cleaned(final_title, text, sidebar, state.published_at, state.source)


def _without_title(line: _Line, title: str) -> _Line:
    """The first body line without the headline printed again at its start ("<headline> <lead…>")."""
    n = words(title)
    head = " ".join(line.text.split()[:n])
    if line.words >= n + PROSE_MIN_WORDS and line_key(head) == line_key(title):
        return _line(" ".join(line.text.split()[n:]))
    return line


def headline_first(title: str, body: str) -> str:
    """The text to index: the headline as its first paragraph, unless the body opens with it.

    Headlines carry facts ("… تضم 50 ألف كتاب") and are what evidence often points at; as the
    first paragraph of the text the headline is a passage that can be cited, and its figures
    are claims of the body with offsets into the text like any other. A title taken from the
    first sentence (cut with "…") is already there and is not repeated.
    """
    head = " ".join(title.split())
    stem = line_key(head.rstrip("…"))
    if not stem:
        return body
    first = body.lstrip().split("\n", 1)[0]
    return body if line_key(first).startswith(stem) else f"{head}\n{body}"


def _first_stands_alone(raw_lines: list[str]) -> bool:
    """The first non-blank line is followed by a blank one: "title, blank line, text"."""
    first = next((k for k, ln in enumerate(raw_lines) if ln.strip()), None)
    return first is not None and first + 1 < len(raw_lines) and not raw_lines[first + 1].strip()


def _strip_keeping_indent(raw_line: str, arabic_page: bool) -> str:
    """`strip_inline_chrome` on a raw line; its indentation (a menu signal) is kept."""
    if not raw_line.strip():
        return raw_line
    stripped = strip_inline_chrome(raw_line, arabic_page)
    return raw_line[: _indent(raw_line)] + stripped if stripped else ""


def _header(lines: list[tuple[int, _Line]], base_indent: int, state: _State, detect_title: bool,
            first_stands_alone: bool = False) -> int:
    """Skip the page header; return the index of the first body line (title consumed).

    A headline needs three words, except the file's first line set apart by a blank line
    (how a saved article is written: "title, blank line, text"), which may be one or two
    words ("البيروقراطيون الجدد!"); any other short line before the headline is navigation.
    """
    for i, (indent, line) in enumerate(lines):
        if (i == 0 and first_stands_alone and detect_title and is_headline(line.text, min_words=1)
                and not _boilerplate(line) and line.key not in state.template and _has_content_after(lines, 1)):
            state.title = strip_site_suffix(line.text)
            return 1
        if (_BULLET.match(line.text) or indent > base_indent + 1) and line.words <= MENU_MAX_WORDS:
            continue  # menu item
        if state.title and _dateline_before_article([ln for _, ln in lines], i):
            return i
        if _boilerplate(line) or line.key in state.template:
            continue
        if is_ticker(line.text):
            state.sidebar.extend(split_ticker(line.text))
            continue
        if _metadata(line, state):
            continue
        if (header := split_header_line(line.text)) is not None:
            head, rest = header
            state.title = state.title or strip_site_suffix(head)
            lines[i] = (indent, _line(rest))
            return i
        if not detect_title:
            return i
        if line.words < 3:
            continue  # a stray navigation word before the headline
        if is_headline(line.text) and _has_content_after(lines, i + 1):
            state.title = strip_site_suffix(line.text)
            return i + 1
        return i
    return len(lines)


def _fallback_body(lines: list[_Line], seen: set[str]) -> list[str]:
    """The article when the rules left nothing: every line of running text, as written.

    A rule that empties a whole page has misfired (a paragraph taken for a ticker, a
    story after a comments box); rejecting the article would lose it, keeping its
    sentences does not. Lines of navigation stay out, so a page that is nothing but
    chrome still comes out empty.
    """
    kept = [ln for ln in lines if ln.words >= PROSE_MIN_WORDS and not _boilerplate(ln)]
    return unique_lines([ln.text for ln in kept], seen, keys=[ln.key for ln in kept])


def _has_content_after(lines: list[tuple[int, _Line]], start: int) -> bool:
    return any(ln.words >= 3 and not _boilerplate(ln) for _, ln in lines[start:])


def _dateline_before_article(lines: list[_Line], i: int) -> bool:
    """Line i is a dateline or byline right before the article's first paragraph: kept, even
    when the paper prints the same one on many pages (a template line)."""
    return is_dateline(lines[i].text) and i + 1 < len(lines) and lines[i + 1].words >= PROSE_MIN_WORDS


def _body(lines: list[_Line], state: _State) -> None:
    in_sidebar = False
    for k, line in enumerate(lines):
        if line.key in _COMMENTS_HEADER or _COMMENT_PROMPT.match(line.folded):
            in_sidebar = True  # what follows the comments box is other stories
            continue
        if not state.body and not in_sidebar and _dateline_before_article(lines, k):
            state.body.append(line)
            continue
        if _boilerplate(line) or line.key in state.template or is_caption_credit(line.text):
            continue
        if _metadata(line, state):
            continue
        related = _RELATED.match(line.folded)
        if related:
            marker_words = len(related.group().replace(":", " ").replace("：", " ").split())
            rest = " ".join(line.text.split()[marker_words:]).lstrip(":： ").strip()
            if rest and is_prose(rest):
                state.body.append(_line(rest))  # a "read more" link label glued to a paragraph
            elif rest:
                state.sidebar.append(rest)  # inline "اقرأ أيضاً: <headline>"
            elif state.after_source:
                in_sidebar = True
            else:
                state.sidebar_next = True
            continue
        if is_ticker(line.text):
            state.sidebar.extend(split_ticker(line.text))
            continue
        if in_sidebar:
            state.sidebar.append(line.text)
            continue
        if state.sidebar_next:
            state.sidebar.append(line.text)
            state.sidebar_next = False
            continue
        if state.after_source and line.words <= 3 and not re.search(r"[\d.؟?!]", line.text):
            continue  # byline after "المصدر: …"
        state.body.append(line)
