"""Chrome glued inside a line, cut by its shape whatever the site.

Pages flattened to text glue the site's chrome onto article lines: the headline, the site
name and the menu before the lead, the copyright footer after the last sentence, Latin
menu runs and hit counters in Arabic lines. These rules need no other page of the site
(repetition across a site's pages is `indexer.templates`).
"""
from __future__ import annotations

import re

from khabar.arabic import fold

PROSE_MIN_WORDS = 6  # a line of running text has at least this many words


_PROSE_END = re.compile(r"[.؟?!؛][\"'”’»)\]]*\s*$")


DATELINE_MAX_WORDS = 12
_DATELINE_DASH = re.compile(r"^(?P<a>[^.؟?!:]+?)(?:\s+[-–—]\s*|\s*[-–—]\s+)(?P<b>[^.؟?!:،,]+)$")
_DATELINE_YEAR = re.compile(r"(?<!\d)(?:1[3-4]\d\d|19\d\d|20\d\d)(?!\d)")
_DATELINE_END = re.compile(r"[.؟?!؛]\s*$")


def is_dateline(line: str) -> bool:
    """A dateline or byline: "عين اليوم – الرياض", "سلوى المدني – عين اليوم", "الرياض 25 شوال
    1436 هـ الموافق 10 أغسطس 2015 م واس". Short, not a sentence, and either two short parts
    joined by a dash or a place followed by a date. Papers print the same ones on many
    pages, but printed right before the first paragraph they carry its place and author.
    """
    text = " ".join(line.split())
    if (not 2 <= words(text) <= DATELINE_MAX_WORDS or _DATELINE_END.search(text) or not text[0].isalpha()
            or ":" in text):  # "تاريخ النشر: …" is a label, read as the date
        return False
    dash = _DATELINE_DASH.match(text)
    if dash and words(dash.group("a")) <= 5 and words(dash.group("b")) <= 4:
        return True
    return bool(_DATELINE_YEAR.search(text))


def words(line: str) -> int:
    """Whitespace-separated words of a line."""
    return len(line.split())


def is_prose(line: str) -> bool:
    """A sentence of running text (ends like a sentence and is not a short label)."""
    return words(line) >= PROSE_MIN_WORDS and bool(_PROSE_END.search(line))


_FOOTER = re.compile(
    r"(?:جميع\s+)?حقوق\s+(?:النشر\s+|الطبع\s+|الملكية\s+)?محفوظ[ةه]|all rights reserved|copyright\b|©",
    re.IGNORECASE,
)
_SENTENCE_STOP = re.compile(r"[.؟?!][\"'”’»)\]]*(?=\s|$)")
# A run of Latin-script words in an Arabic line: "Main navigation Search", "Your browser does not
# support the video tag". Names and titles quoted in Latin are short or in brackets.
_LATIN_RUN = re.compile(r"(?<![(\w])(?:[A-Za-z][\w'’.@-]*[\s:|,.]+){3,}[A-Za-z][\w'’.@-]*(?![\w)])")
LATIN_RUN_MIN_WORDS = 4
_LATIN_COUNTER = re.compile(r"(?<![\w(])(?:[A-Za-z][A-Za-z']*(?: [A-Za-z][A-Za-z']*){0,2} ?: ?\d[\d,.]*(?!\w)\s*)+")
# "<headline> | <site>": a site name after the last bar of a headline line.
_SITE_SUFFIX = re.compile(r"\s+\|\s+(?P<site>[^|]+?)\s*$")
SITE_SUFFIX_MAX_WORDS = 4
HEADER_REPEAT_MIN_WORDS = 4  # a headline printed twice in one line is at least this many words
HEADER_REPEAT_SEARCH = 8  # ...and starts within this many words of the line start, after a separator
HEADER_GAP_MAX_COMMAS = 3  # a menu between the two copies has fewer commas than prose
_HEADER_SEPARATORS = frozenset("|-–—:»>")
_COMMA = re.compile(r"[،,]")
_PROSE_WORDS = frozenset({"ان", "انه", "انها", "التي", "الذي", "الذين"})  # folded: إن أن أنه … never in a menu


def arabic_share(text: str) -> float:
    """Share of the words that are written in Arabic script."""
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return sum(any("\u0600" <= ch <= "\u06ff" for ch in w) for w in words) / len(words) if words else 0.0


def cut_footer(text: str) -> str:
    """Text before a copyright footer glued to the line, back to its last full sentence.

    "… البيت الواحد ? مقالات أخرى للكاتب جميع الحقوق محفوظة …" keeps the sentence and drops
    the links between it and the footer; a line that is only footer becomes empty.
    """
    match = _FOOTER.search(text)
    if not match:
        return text
    before = text[: match.start()]
    stops = list(_SENTENCE_STOP.finditer(before))
    kept = before[: stops[-1].end()].strip() if stops else ""
    return kept if words(kept) >= PROSE_MIN_WORDS else ""


# A Latin name introduced by its kind is part of the sentence: "مجلة New York Magazine's Science of Us".
_NAME_KIND = re.compile(
    r"^(?:[وف]?(?:ب|ل|ك)?(?:ال)?|لل)(?:مجله|صحيفه|جريده|موقع|شركه|وكاله|قناه|برنامج|كتاب|فيلم|روايه|منظمه|"
    r"موسسه|جامعه|مجموعه|فرقه|تطبيق|منصه|حمله|مشروع|مركز|معهد|اغنيه|مسلسل|شبكه|صندوق|بنك|مبادره)$"
)


def cut_latin_runs(text: str, arabic_page: bool | None = None) -> str:
    """An Arabic line without its runs of four or more Latin-script words (site menus, widgets)
    and its Latin counters ("Hits : 5188", "Visit Today : 0").

    `arabic_page` says whether the page is written in Arabic; when None the line decides.
    Runs are cut only from lines that also hold Arabic words (chrome glued to the article):
    a line wholly in Latin script (a list of film titles, an English name) is left alone.
    """
    if not (arabic_page if arabic_page is not None else arabic_share(text) >= 0.5):
        return text
    text = " ".join(_LATIN_COUNTER.sub(" ", text).split())
    if not arabic_share(text):
        return text
    def cut(m: re.Match[str]) -> str:
        before = text[: m.start()].rstrip()
        bracketed = before.endswith(("(", "«", '"', "“")) or text[m.end():].lstrip().startswith(")")
        named = _NAME_KIND.match(fold(before.split()[-1])) if before.split() else None
        return m.group() if bracketed or named or len(m.group().split()) < LATIN_RUN_MIN_WORDS else " "

    return " ".join(_LATIN_RUN.sub(cut, text).split())


def split_header_line(text: str) -> tuple[str, str] | None:
    """(headline, rest) of a line that prints the headline twice with chrome in between.

    Scraped pages flatten "<headline> | <site> <menu> <date> <headline> <lead…>" into one
    line. A word sequence of at least HEADER_REPEAT_MIN_WORDS words starting near the line
    start and found again later is the headline; everything up to the end of its last copy
    is header. Running prose does not repeat itself this way within its first sentence.
    """
    toks = text.split()
    if len(toks) < 2 * HEADER_REPEAT_MIN_WORDS + PROSE_MIN_WORDS:
        return None
    best: tuple[int, int, int] | None = None  # (start word, length, end char of the last copy)
    for start in range(min(HEADER_REPEAT_SEARCH, len(toks))):
        length = HEADER_REPEAT_MIN_WORDS
        prefix = " ".join(toks[:start])
        head_at = len(prefix) + (1 if prefix else 0)
        normalised = " ".join(toks)
        while start + length <= len(toks):
            phrase = " ".join(toks[start:start + length])
            if _SENTENCE_STOP.search(phrase[:-1]):
                break  # a headline does not run over a full stop
            last = normalised.rfind(" " + phrase + " ", head_at + len(phrase))
            if last < 0 and normalised.endswith(" " + phrase):
                last = len(normalised) - len(phrase) - 1
            if last < 0:
                break
            end = last + 1 + len(phrase)
            if sum(any(ch.isalnum() for ch in w) for w in toks[start:start + length]) < HEADER_REPEAT_MIN_WORDS:
                length += 1
                continue  # quote marks and dashes are not words: «" الدولة الإسلامية "» is two
            if best is None or length > best[1]:
                best = (start, length, end)
            length += 1
        if best is not None:
            break
    if best is None:
        return None
    start, length, end = best
    if start and toks[start - 1] not in _HEADER_SEPARATORS:
        return None  # the phrase starts inside a sentence: a lead repeating its headline's words
    normalised = " ".join(toks)
    headline = " ".join(toks[start:start + length])
    first_end = len(" ".join(toks[:start + length]))
    gap = normalised[first_end:end - len(headline)]  # between the two copies
    if len(_COMMA.findall(gap)) >= HEADER_GAP_MAX_COMMAS or _PROSE_WORDS & set(fold(gap).split()):
        return None  # running prose between the copies ("… قالت قوات … إن …"), not a menu
    rest = normalised[end:].strip()
    if words(rest) < PROSE_MIN_WORDS:
        return None
    return headline, rest


def strip_inline_chrome(text: str, arabic_page: bool | None = None) -> str:
    """A line without the chrome that page flattening glued into it (footer, Latin menus)."""
    return cut_latin_runs(cut_footer(text), arabic_page)


def strip_site_suffix(headline: str) -> str:
    """"مظاهرات في إيران | الجزيرة مباشر" -> "مظاهرات في إيران" (a short name after the last bar)."""
    match = _SITE_SUFFIX.search(headline)
    if not match or words(match.group("site")) > SITE_SUFFIX_MAX_WORDS:
        return headline
    head = headline[: match.start()].strip()
    return head if words(head) >= 3 else headline

