"""Find the numbers an Arabic news text states, and tell quantities from dates.

Over 400 lines for a reason: one table-driven parser whose lexicon of Arabic number words,
qualifiers and date cues is a third of it, and whose composition rules only make sense together.

Claims are built on figures ("أكثر من 1250 مدنياً", "حوالي 7 آلاف و595", "عشرين مدنيا"),
so this module turns every way Arabic news writes a number into an int with offsets
into the *original* text (for highlighting), plus the hedge in front of it
("أكثر من" -> more_than). Figures that are not counts — years, days of the month,
clock times, numeric dates, ordinals, percentages, decimals — are recognised too, so
that they are *excluded* from quantities rather than mistaken for them.

The parser is table driven: the lexicon below is the only place that knows Arabic
number words, and it is matched on `khabar.arabic.fold`-ed text so hamza and
ta-marbuta spellings (مئة / مائة, ثلاثة / ثلاثه) meet.

Decisions worth knowing:
- "1,257" and "1٬257" are thousands separators. "7.595" (dot + exactly three digits,
  no multiplier word after it) is read as 7595, as Arabic sites often write it; "1.5"
  is a decimal, and a decimal is only a quantity when a multiplier follows
  ("1.5 مليون" = 1500000). "٫" is always the decimal point.
- Vague plurals alone ("آلاف", "عشرات", "مئات", "ملايين") are not numbers.
- A 4-digit number from 1900 to 2100 is a year when a year cue or month name precedes
  it, or when no word follows it ("كأس أمم إفريقيا 2025"); "أكثر من 2000 مدني" stays a
  quantity.
- Numbers carrying the article ("الـ27", "العشرين") are ordinals, or days of the month
  when "من الشهر" / a month name follows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Callable, NamedTuple

from khabar.arabic import ARABIC_STOPWORDS, fold
from khabar.dates import ARABIC_MONTHS, HIJRI_MONTHS
from khabar.folding import folded, span_to_original

QUANTITY = "quantity"
PERCENT = "percent"
QUANTITY_KINDS = frozenset({QUANTITY, PERCENT})
NON_QUANTITY_KINDS = frozenset({"year", "hijri_year", "date", "time", "ordinal", "age", "duration", "phone", "name"})


@dataclass(frozen=True)
class NumberMention:
    """One number as written. Offsets index the original text passed to `find_numbers`.

    `kind` is "quantity" (a count, an amount of money or a measure: the noun after it decides),
    "percent", or one of NON_QUANTITY_KINDS; `qualifier` is exact / more_than / at_least /
    about / up_to / less_than. `value` is an int, or a float for decimals ("26.5 في المائة").
    """

    value: int | float
    start: int
    end: int
    text: str
    qualifier: str = "exact"
    kind: str = QUANTITY

    @property
    def is_quantity(self) -> bool:
        return self.kind in QUANTITY_KINDS


# --------------------------------------------------------------------------- lexicon

UNITS = {
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2,
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
}
TEEN_ONLY = {"احد": 1, "احدي": 1, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2}
TEN = {"عشر": 10, "عشره": 10}
TENS = {
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90,
}
_HUNDRED_FORMS = ("ميه", "مايه")
HUNDREDS: dict[str, int] = {"ميه": 100, "مايه": 100}
for _w in ("ميتان", "ميتين", "ميتا", "ميتي", "مايتان", "مايتين", "مايتا", "مايتي"):
    HUNDREDS[_w] = 200
for _unit, _v in (("ثلاث", 3), ("اربع", 4), ("خمس", 5), ("ست", 6), ("سبع", 7), ("ثمان", 8),
                  ("ثماني", 8), ("تسع", 9)):
    for _h in _HUNDRED_FORMS:
        HUNDREDS[_unit + _h] = _v * 100
# Multipliers: value, and whether the form may stand alone (singular/dual) or needs a
# number before it (plurals: "آلاف" alone is "thousands", not a figure).
MULTIPLIERS: dict[str, tuple[int, int, bool]] = {  # word -> (multiplier, alone value, may stand alone)
    "الف": (1000, 1000, True), "الفا": (1000, 1000, True), "الاف": (1000, 0, False),
    "الفين": (1000, 2000, True), "الفان": (1000, 2000, True), "الفي": (1000, 2000, True),
    "مليون": (10**6, 10**6, True), "مليونا": (10**6, 10**6, True), "ملايين": (10**6, 0, False),
    "مليونين": (10**6, 2 * 10**6, True), "مليونان": (10**6, 2 * 10**6, True), "مليوني": (10**6, 2 * 10**6, True),
    "مليار": (10**9, 10**9, True), "مليارا": (10**9, 10**9, True), "مليارات": (10**9, 0, False),
    "مليارين": (10**9, 2 * 10**9, True), "ملياران": (10**9, 2 * 10**9, True), "بليون": (10**9, 10**9, True),
}
FRACTIONS = {"نصف": Decimal("0.5"), "ربع": Decimal("0.25")}  # only before a multiplier: "نصف مليون"
ORDINALS = {
    "الحادي": 1, "الحاديه": 1, "حادي": 1, "الثاني": 2, "الثانيه": 2, "الثالث": 3, "الثالثه": 3,
    "الرابع": 4, "الرابعه": 4, "الخامس": 5, "الخامسه": 5, "السادس": 6, "السادسه": 6,
    "السابع": 7, "السابعه": 7, "الثامن": 8, "الثامنه": 8, "التاسع": 9, "التاسعه": 9,
}
YEAR_CUES = frozenset({"عام", "العام", "لعام", "بعام", "وعام", "سنه", "السنه", "لسنه", "منذ", "ومنذ", "عامي", "سنتي",
                       "مواليد", "موسم", "الموسم", "لموسم", "العامين", "حتي", "وحتي", "قبل", "بعد", "خلال"})
TIME_CUES = frozenset({"الساعه", "الساعة", "ساعه", "تمام"})
TIME_AFTER = frozenset({"تغ", "صباحا", "مساء", "مساءا", "ظهرا", "عصرا", "فجرا", "ليلا", "بتوقيت", "توقيت", "gmt"})
ERA_AFTER = frozenset({"م", "ميلادي", "ميلاديه", "ه", "هجري", "هجريه", "ق", "للميلاد", "للهجره"})
HIJRI_AFTER = frozenset({"ه", "هجري", "هجريه", "للهجره"})
# Units of time: a number before one is a duration ("منذ 20 عاما", "خلال 24 ساعة") or an age.
TIME_UNITS = frozenset(
    "سنه سنوات سنين سنتين عام اعوام عاما عامين شهر اشهر شهور شهرا شهرين اسبوع اسابيع اسبوعا اسبوعين يوم ايام يوما "
    "يومين ساعه ساعات ساعتين دقيقه دقايق دقيقتين ثانيه ثوان ثواني عقد عقود عقدا عقدين قرن قرون قرنا ليله ليال "
    "ليالي ليلتين".split())
AGE_CUES = frozenset({"العمر", "عمر", "عمره", "عمرها", "عمرهم", "بعمر", "سن", "بسن", "السن", "سنه", "البالغ",
                      "البالغه", "يبلغ", "تبلغ", "عمرا"})
# Words a number is part of a name after: "القرار 2254", "سوخوي 24", "إس 300", "أستانة 4".
NAME_CUES = frozenset(
    "قرار القرار المادة الماده ماده البند الفقره رقم الرقم برقم سوخوي سو ميغ ميج اس إس تو توبوليف جنيف استانه "
    "استانا كبلر امبراير بوينغ بوينج ايرباص ايرباس نوت جالاكسي غالاكسي ايفون فيفا بورز باتريوت تي ام اتش اف "
    "هاتف الهاتف الفاكس فاكس جوال الجوال واتساب تلفون ص ب".split())
PHONE_CUES = frozenset({"هاتف", "الهاتف", "الفاكس", "فاكس", "جوال", "الجوال", "واتساب", "تلفون", "ت", "للتواصل", "رقم"})
SCORE_CUES = frozenset({"فاز", "فوز", "بفوز", "تغلب", "هزم", "خسر", "تعادل", "بنتيجه", "نتيجه", "بنتيجة", "بهدف", "تقدم",
                        "يفوز", "تفوز", "بفوزه", "وفاز"})
RANGE_WORDS = frozenset({"و", "الي", "او", "حتي"})
# Qualifiers, as folded word sequences. The first word may carry و / ب / ل.
PRE_QUALIFIERS: list[tuple[tuple[str, ...], str]] = [
    (("ما", "لا", "يقل", "عن"), "at_least"), (("لا", "يقل", "عن"), "at_least"),
    (("لا", "تقل", "عن"), "at_least"), (("ما", "لا", "تقل", "عن"), "at_least"),
    (("علي", "الاقل"), "at_least"),
    (("ما", "يزيد", "علي"), "more_than"), (("ما", "يزيد", "عن"), "more_than"),
    (("يزيد", "علي"), "more_than"), (("يزيد", "عن"), "more_than"),
    (("تزيد", "علي"), "more_than"), (("تزيد", "عن"), "more_than"),
    (("ما", "يربو", "علي"), "more_than"), (("يربو", "علي"), "more_than"),
    (("ما", "يفوق"), "more_than"), (("يفوق",), "more_than"), (("اكثر", "من"), "more_than"),
    (("ازيد", "من"), "more_than"), (("فوق",), "more_than"),
    (("ما", "يقارب"), "about"), (("يقارب",), "about"), (("تقارب",), "about"),
    (("ما", "يناهز"), "about"), (("يناهز",), "about"), (("حوالي",), "about"), (("نحو",), "about"),
    (("قرابه",), "about"), (("زهاء",), "about"), (("تقريبا",), "about"),
    (("قد", "تصل", "الي"), "up_to"), (("قد", "يصل", "الي"), "up_to"), (("ما", "يصل", "الي"), "up_to"),
    (("تصل", "الي"), "up_to"), (("يصل", "الي"), "up_to"), (("لا", "يتجاوز"), "up_to"),
    (("لا", "تتجاوز"), "up_to"), (("اقل", "من"), "less_than"), (("ما", "دون"), "less_than"),
]
POST_QUALIFIERS: list[tuple[tuple[str, ...], str]] = [
    (("علي", "الاقل"), "at_least"), (("تقريبا",), "about"), (("او", "اكثر"), "at_least"),
    (("علي", "اقل", "تقدير"), "at_least"),
]
PERCENT_WORDS = (("في", "الميه"), ("في", "المايه"), ("بالميه",), ("بالمايه",))
PREFIX_LETTERS = "وفبلك"
CONJ = "و"
_MONTHS = {**ARABIC_MONTHS, **HIJRI_MONTHS}  # a day before either is a date
_FOLDED_STOPWORDS = frozenset(fold(w) for w in ARABIC_STOPWORDS)

# Tokens of folded text: times and numeric dates first, then digit groups, words, symbols.
# Scraped pages are tokenised ("1 . 76 مليار", "8 , 000", "02 : 37", "27 / 10 / 1436"): spaced separators
# join a number only where the layout is unambiguous (three digits after a spaced comma, one to three
# digits before a spaced point, three parts of a date).
_TOKEN = re.compile(
    r"(?P<time>\d{1,2} ?: ?\d{2}(?: ?: ?\d{2})?)(?!\d)"
    r"|(?P<date>\d{1,4} ?[-/.–] ?\d{1,2} ?[-/.–] ?\d{1,4})(?![\d.])"
    r"|(?P<num>(?<![\d.,])\d{1,3} \. \d+(?!\d| ?[.,] ?\d)|\d+(?: , \d{3}(?!\d))+|\d+(?:(?:[.,٬٫]|ر(?=\d))\d+)*)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<sym>[^\s\w])",
    re.UNICODE,
)


class _Tok(NamedTuple):
    kind: str  # time / date / num / word / sym
    text: str
    start: int  # offsets in folded text
    end: int


class _Atom(NamedTuple):
    """A number word or digit group: what the parser composes."""

    kind: str  # digits / unit / teen_only / ten / tens / hundred / mult
    value: Decimal
    conj: bool  # carried a leading و (or was preceded by a lone و)
    article: bool  # carried ال
    start: int  # folded offsets of the numeric part (prefixes excluded)
    end: int
    next_i: int  # token index after the atom
    grouped: bool = False  # digits written with a thousands-style separator
    decimal: bool = False


_LATIN = re.compile(r"[A-Za-z]")
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z])", re.IGNORECASE)
MAX_DIGITS = 15  # longer digit runs are identifiers (article ids, tracking codes), never quantities


def _tokens(ft: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(ft):
        kind = m.lastgroup or "sym"
        if kind == "num" and _is_code(ft, m.start(), m.end()):
            kind = "code"
        out.append(_Tok(kind, m.group(), m.start(), m.end()))
    return out


def _is_code(ft: str, start: int, end: int) -> bool:
    """Digits glued to Latin letters ("article1466…", "F16") or too long to be a quantity."""
    after = end < len(ft) and _LATIN.match(ft[end]) and not _ORDINAL_SUFFIX.match(ft, end)
    glued = (start > 0 and _LATIN.match(ft[start - 1])) or after
    return bool(glued) or sum(ch.isdigit() for ch in ft[start:end]) > MAX_DIGITS


def _parse_digits(raw: str, multiplier_follows: bool) -> tuple[Decimal, bool, bool] | None:
    """Digit group -> (value, grouped, decimal). See module docstring for the rules."""
    s = raw.replace("٬", ",").replace(" ", "")
    if "ر" in s:  # "5ر1": the Omani wire writes 1.5 with a reversed decimal sign
        whole, _, frac = s.partition("ر")
        s = f"{frac}.{whole}" if "ر" not in frac else s.replace("ر", "")
    if "٫" in s:
        s = s.replace(",", "").replace("٫", ".")
    elif "," in s and "." in s:
        s = s.replace(",", "")
    elif "," in s:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
            s = s.replace(",", "")
            try:
                return Decimal(s), True, False
            except InvalidOperation:
                return None
        if s.count(",") == 1:
            s = s.replace(",", ".")
        else:
            return None
    elif "." in s:
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", s) and (s.count(".") > 1 or not multiplier_follows):
            try:
                return Decimal(s.replace(".", "")), True, False
            except InvalidOperation:
                return None
        if s.count(".") > 1:
            return None
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    return value, False, value != value.to_integral_value()


def _strip_prefixes(word: str) -> list[tuple[str, bool, bool, int]]:
    """Readings of a word as (stem, has_conj, has_article, prefix_length), longest stem first."""
    readings = [(word, False, False, 0)]
    rest, conj, plen = word, False, 0
    if len(rest) > 2 and rest[0] in "وف":
        rest, conj, plen = rest[1:], True, 1
        readings.append((rest, conj, False, plen))
    if len(rest) > 2 and rest[0] in "بلك":
        if rest.startswith("لل") and len(rest) > 3:
            readings.append(("ال" + rest[2:], conj, True, plen + 2))
        rest, plen = rest[1:], plen + 1
        readings.append((rest, conj, False, plen))
    if len(rest) > 3 and rest.startswith("ال"):
        readings.append((rest[2:], conj, True, plen + 2))
    return readings


def _word_atom(word: str) -> tuple[str, Decimal, bool, bool, int] | None:
    for stem, conj, article, plen in _strip_prefixes(word):
        for table, kind in ((UNITS, "unit"), (TEEN_ONLY, "teen_only"), (TEN, "ten"), (TENS, "tens"),
                            (HUNDREDS, "hundred")):
            if stem in table:
                return kind, Decimal(table[stem]), conj, article, plen
        if stem in MULTIPLIERS:
            return "mult", Decimal(MULTIPLIERS[stem][0]), conj, article, plen
    return None


def _atom_at(toks: list[_Tok], i: int, ft: str) -> _Atom | None:
    """Read one number atom starting at token i (a lone و or glued prefix is allowed)."""
    if i >= len(toks):
        return None
    tok = toks[i]
    conj = False
    article = False
    if tok.kind == "word" and tok.text == CONJ and i + 1 < len(toks) and toks[i + 1].start - tok.end <= 1:
        inner = _atom_at(toks, i + 1, ft)
        if inner is None:
            return None
        return inner._replace(conj=True)
    if tok.kind == "word":
        # A bare prefix glued to digits ("و595", "ال27", "ب3681") or written "بـ 3681".
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.kind == "num" and _is_prefix_only(tok.text) and nxt.start - tok.end <= 1:
            inner = _atom_at(toks, i + 1, ft)
            if inner is None:
                return None
            return inner._replace(conj=tok.text[0] in "وف" or inner.conj, article=tok.text.endswith("ال"))
        hit = _word_atom(tok.text)
        if hit is None:
            return None
        kind, value, conj, article, plen = hit
        return _Atom(kind, value, conj, article, tok.start + plen, tok.end, i + 1)
    if tok.kind == "num":
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        mult_follows = nxt is not None and nxt.kind == "word" and (_word_atom(nxt.text) or ("",))[0] == "mult"
        parsed = _parse_digits(tok.text, mult_follows)
        if parsed is None:
            return None
        value, grouped, decimal = parsed
        return _Atom("digits", value, conj, article, tok.start, tok.end, i + 1, grouped, decimal)
    return None


def _is_prefix_only(word: str) -> bool:
    return word in {"و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "لل", "وب", "ول", "فال", "وبال", "كال"}


class _Parsed(NamedTuple):
    value: Decimal
    start: int  # folded offsets
    end: int
    next_i: int
    first: _Atom
    used_multiplier: bool
    word_based: bool


def _parse_expression(toks: list[_Tok], i: int, ft: str) -> _Parsed | None:
    """Compose atoms from token i into one number ("سبعة آلاف وخمسمئة", "7 آلاف و595")."""
    first = _atom_at(toks, i, ft)
    if first is None:
        fraction = _fraction_before_multiplier(toks, i, ft)
        if fraction is None:
            return None
        return fraction
    if first.kind == "teen_only":
        nxt = _atom_at(toks, first.next_i, ft)
        if nxt is None or nxt.kind != "ten" or nxt.conj:
            return None
        first = first._replace(kind="teen", value=first.value + 10, end=nxt.end, next_i=nxt.next_i)
    total = Decimal(0)
    cur = first.value
    last = first.kind  # digits / unit / teen / ten / tens / hundred / mult
    bound: Decimal | None = None  # after a multiplier, later groups must stay below it
    used_mult = False
    if first.kind == "mult":
        word = _strip_to_mult(toks[first.next_i - 1].text)
        if word is None or not MULTIPLIERS[word][2]:
            return None  # "آلاف" / "ملايين" alone are vague
        total, cur, bound, used_mult = Decimal(MULTIPLIERS[word][1]), Decimal(0), first.value, True
    end, j = first.end, first.next_i
    word_based = first.kind != "digits"
    digits_seen = first.kind == "digits"

    while True:
        atom = _atom_at(toks, j, ft)
        if atom is None:
            break
        # Teens written as two words: "خمسة عشر".
        if last == "unit" and atom.kind == "ten" and not atom.conj and cur < 10:
            cur += 10
            last, end, j = "teen", atom.end, atom.next_i
            continue
        if atom.kind == "mult" and not atom.conj:
            if bound is not None and atom.value >= bound:
                break
            if last == "mult":
                break
            total += cur * atom.value
            cur = Decimal(0)
            bound, last, end, j, used_mult = atom.value, "mult", atom.end, atom.next_i, True
            continue
        if atom.kind == "hundred" and not atom.conj and last == "unit" and atom.value == 100:
            cur = cur * 100  # "ثلاث مئة"
            last, end, j = "hundred", atom.end, atom.next_i
            continue
        if not atom.conj:
            break
        # Conjoined parts: "خمسة وعشرين", "مئة وعشرون", "ألف وخمسمئة", "7 آلاف و595".
        if atom.kind == "teen_only":
            nxt = _atom_at(toks, atom.next_i, ft)
            if nxt is None or nxt.kind != "ten" or nxt.conj:
                break
            atom = atom._replace(kind="teen", value=atom.value + 10, end=nxt.end, next_i=nxt.next_i)
        if last == "mult":
            if atom.value >= (bound or Decimal(0)) or atom.kind == "mult" or atom.decimal:
                break
            cur = atom.value
            last = "hundred" if atom.kind == "hundred" else ("unit" if atom.kind == "unit" else atom.kind)
        elif last == "unit" and not digits_seen and atom.kind == "tens":
            cur += atom.value
            last = "tens"
        elif last == "hundred" and not digits_seen and atom.value < 100 and atom.kind != "mult" and not atom.decimal:
            cur += atom.value
            last = "unit" if atom.kind == "unit" else atom.kind
            if last == "digits":
                digits_seen = True
        else:
            break
        word_based = word_based or atom.kind != "digits"
        end, j = atom.end, atom.next_i
    return _Parsed(total + cur, first.start, end, j, first, used_mult, word_based)


def _fraction_before_multiplier(toks: list[_Tok], i: int, ft: str) -> _Parsed | None:
    """"نصف مليون" = 500000, "ربع مليون" = 250000 (a fraction alone is not a count)."""
    tok = toks[i]
    if tok.kind != "word":
        return None
    stem = next((st for st, _c, _a, _p in _strip_prefixes(tok.text) if st in FRACTIONS), None)
    nxt = _atom_at(toks, i + 1, ft)
    if stem is None or nxt is None or nxt.kind != "mult" or nxt.conj:
        return None
    word = _strip_to_mult(toks[i + 1].text)
    if word is None or not MULTIPLIERS[word][2] or MULTIPLIERS[word][1] != MULTIPLIERS[word][0]:
        return None
    start = tok.start + (len(tok.text) - len(stem))
    first = _Atom("digits", FRACTIONS[stem], False, False, start, tok.end, i + 1)
    return _Parsed(FRACTIONS[stem] * nxt.value, start, nxt.end, nxt.next_i, first, True, True)


@lru_cache(maxsize=4096)
def _strip_to_mult(word: str) -> str | None:
    for stem, _c, _a, _p in _strip_prefixes(word):
        if stem in MULTIPLIERS:
            return stem
    return None


# --------------------------------------------------------------------------- context

def _word_seq(toks: list[_Tok], i: int, n: int) -> list[str]:
    """Up to n word texts starting at token i, stopping at any non-word token."""
    out = []
    while i < len(toks) and len(out) < n and toks[i].kind == "word":
        out.append(toks[i].text)
        i += 1
    return out


def _words_before(toks: list[_Tok], i: int, n: int) -> list[str]:
    """Up to n word texts before token i (nearest last), stopping at punctuation."""
    out: list[str] = []
    k = i - 1
    while k >= 0 and len(out) < n and toks[k].kind == "word":
        out.insert(0, toks[k].text)
        k -= 1
    return out


def _strip_conj(word: str) -> str:
    return word[1:] if len(word) > 2 and word[0] in "وبل" else word


def _pre_qualifier(before: list[str]) -> str:
    for pattern, label in PRE_QUALIFIERS:
        n = len(pattern)
        if len(before) < n:
            continue
        tail = before[-n:]
        if tail[1:] == list(pattern[1:]) and (tail[0] == pattern[0] or _strip_conj(tail[0]) == pattern[0]):
            return label
    return "exact"


def _post_qualifier(after: list[str]) -> str:
    # The qualifier may follow the counted noun: "3100 مدني على الأقل".
    for skip in (0, 1, 2):
        window = after[skip:]
        for pattern, label in POST_QUALIFIERS:
            if tuple(window[: len(pattern)]) == pattern:
                return label
    return "exact"


def _month_at(words: list[str]) -> int | None:
    """Month number if `words` start with a month name ("مارس", "كانون الثاني", "وشباط")."""
    if not words:
        return None
    if len(words) >= 2 and " ".join(words[:2]) in _MONTHS:
        return _MONTHS[" ".join(words[:2])]
    for cand in (words[0], _strip_conj(words[0])):
        if cand in _MONTHS and " " not in cand:
            return _MONTHS[cand]
    return None


def _is_month_word(word: str) -> bool:
    return word in _MONTHS or _strip_conj(word) in _MONTHS or any(word == m.split()[0] for m in _MONTHS if " " in m)


Counted = Callable[[str], bool]


def _looks_counted(word: str) -> bool:
    """Default test for a counted noun after a figure: an indefinite content word (تمييز is indefinite)."""
    stem = word[1:] if len(word) > 3 and word[0] in "وف" else word
    return (len(stem) >= 3 and not stem.startswith(("ال", "ل", "ب", "ي")) and stem not in _FOLDED_STOPWORDS
            and not _is_month_word(word) and stem not in TIME_UNITS and stem not in ERA_AFTER)


def _bare(word: str) -> str:
    """A word without a glued و / ف / ب / ل."""
    return word[1:] if len(word) > 2 and word[0] in "وفبل" else word


def _in(word: str, table: frozenset[str]) -> bool:
    """Is the word, or the word without its glued prefixes ("للمادة" -> "المادة", "ماده"), in `table`?"""
    return word in table or any(stem in table for stem, _c, _a, _p in _strip_prefixes(word))


def _after_range(toks: list[_Tok], i: int, ft: str) -> int:
    """Index after the second number of a range ("20 إلى 29 يوليو", "18 و 26 سنة"), else i."""
    if i >= len(toks):
        return i
    tok = toks[i]
    if (tok.kind == "word" and tok.text in RANGE_WORDS) or (tok.kind == "sym" and tok.text in "-–"):
        second = _atom_at(toks, i + 1, ft)
        if second is not None and second.kind != "mult":
            j = second.next_i
            while j < len(toks):  # "200 ألف" / "مليون" after the second number
                more = _atom_at(toks, j, ft)
                if more is None or more.kind != "mult" or more.conj:
                    break
                j = more.next_i
            return j
    return i


def _classify(toks: list[_Tok], p: _Parsed, ft: str, counted: Counted) -> str:
    """What kind of number a parsed figure is: a quantity, a percentage, or one of NON_QUANTITY_KINDS."""
    i0 = _first_token_index(toks, p)
    nxt = toks[p.next_i] if p.next_i < len(toks) else None
    nxt2 = toks[p.next_i + 1] if p.next_i + 1 < len(toks) else None
    prev = toks[i0 - 1] if i0 > 0 else None
    before = _words_before(toks, i0, 4)
    after_i = _after_range(toks, p.next_i, ft)
    if prev is not None and prev.text == "(" and after_i < len(toks) and toks[after_i].text == ")":
        before = _words_before(toks, i0 - 1, 4)  # "( 52 عاما )" stays as it is, "(18) سنة" reads through
        if not _word_seq(toks, after_i, 1):
            after_i += 1
    after = _word_seq(toks, after_i, 4)
    unit_tok = toks[after_i] if after_i < len(toks) else None
    value = p.value
    digits = p.first.kind == "digits" and not p.used_multiplier
    raw = ft[p.first.start:p.first.end]
    single_word = p.first.kind != "digits" and p.next_i == p.first.next_i
    # Percentages: "5%", "5 ٪", "5 في المئة", "( 49 . 6 % )", "10 إلى 15 في المئة".
    for t in (nxt, unit_tok):
        if t is not None and t.kind == "sym" and t.text in "%٪":
            return PERCENT
    for pattern in PERCENT_WORDS:
        if tuple(after[: len(pattern)]) == pattern or tuple(_word_seq(toks, p.next_i, 2)[: len(pattern)]) == pattern:
            return PERCENT
    # English ordinal suffix glued to digits: "8th".
    if nxt is not None and nxt.kind == "word" and nxt.start == p.end and nxt.text in ("st", "nd", "rd", "th"):
        return "ordinal"
    # List and chronology markers at the head of an item: "24 - داعش …", "3- ألا يقل", "( 1 ) - الموصل".
    if nxt is not None and nxt.kind == "sym" and nxt.text in "-–)." and (i0 == 0 or (prev is not None and prev.text == "(" and i0 == 1)):
        if nxt.text != "." or nxt2 is None or nxt2.kind != "num":
            return "ordinal"
    # Names with numbers: "الف - 16" (F-16), "تو-95", "كبلر-452", "S&P 500", "القرار 2254", "( 5+1 )", "1-صفر".
    if single_word and nxt is not None and nxt.kind == "sym" and nxt.text in "-–" and nxt2 is not None and nxt2.kind == "num":
        return "name"
    if prev is not None and prev.kind == "sym" and prev.text in "-–" and i0 >= 2:
        left = toks[i0 - 2]
        if left.kind == "word" and not _is_prefix_only(left.text) and _word_atom(left.text) is None \
                and left.text not in RANGE_WORDS and left.text not in TIME_UNITS:
            return "name"
        if left.kind == "word" and _word_atom(left.text) is not None and _word_atom(left.text)[0] == "mult" \
                and i0 >= 3 and toks[i0 - 3].kind != "num":
            return "name"
    if prev is not None and prev.kind == "word" and prev.text.isascii() and prev.text.isalpha() \
            and (len(prev.text) <= 4 or prev.text[:1].isupper()) and p.first.start - prev.end <= 2:
        return "name"
    if (nxt is not None and nxt.text == "+" and nxt2 is not None and nxt2.kind == "num") or \
            (prev is not None and prev.text == "+" and i0 >= 2 and toks[i0 - 2].kind == "num"):
        return "name"
    if nxt is not None and nxt.kind == "sym" and nxt.text in "-–" and nxt2 is not None and \
            (nxt2.text == "صفر" or (nxt2.kind == "num" and value <= 20)) and any(_bare(w) in SCORE_CUES or w in SCORE_CUES for w in before):
        return "name"
    if digits and prev is not None and prev.kind == "sym" and prev.text in "-–" and i0 >= 2 and toks[i0 - 2].kind == "num" \
            and any(_bare(w) in SCORE_CUES or w in SCORE_CUES for w in _words_before(toks, i0 - 2, 4)) and value <= 20:
        return "name"
    # Phone numbers: "02396546", "009647902409092", "الهاتف : 71238222".
    cue_words = before + ([toks[i0 - 2].text] if prev is not None and prev.kind == "sym" and i0 >= 2 else [])
    if digits and raw.isdigit() and (
            (raw.startswith("0") and len(raw) >= 6) or
            (len(raw) >= 7 and any(_bare(w) in PHONE_CUES or w in PHONE_CUES for w in cue_words[-3:]))):
        return "phone"
    if digits and before and _in(before[-1], NAME_CUES) and prev is not None and prev.kind == "word":
        return "name"
    if p.first.kind == "digits" and p.first.decimal and not p.used_multiplier and after[:1] and after[0] in TIME_AFTER:
        return "time"
    if before and before[-1] in TIME_CUES and value <= 24 and not p.used_multiplier:
        return "time"
    is_day = not p.used_multiplier and 1 <= value <= 31 and value == value.to_integral_value()
    if is_day:
        # "7 فبراير", "17 مارس", "الـ27 من الشهر الجاري", "16 من شهر آب", "20 إلى 29 يوليو", "2 ـ 4/6/1436هـ".
        if _month_at(after) is not None:
            return "date"
        if after[:1] == ["من"] and (len(after) > 1 and (after[1] in ("الشهر", "شهر", "هذا") or _month_at(after[1:]))):
            return "date"
        if nxt is not None and nxt.kind == "date":
            return "date"
        if unit_tok is not None and unit_tok.kind == "date" and after_i != p.next_i:
            return "date"
    # Units of time: ages and durations.
    unit = _bare(after[0]) if after else ""
    light_years = len(after) > 1 and after[1] == "ضوييه"
    if light_years:
        return QUANTITY  # "1400 سنة ضوئية" is a distance
    if after and (after[0] in TIME_UNITS or unit in TIME_UNITS) and not (p.first.article and digits) and not light_years:
        closing = toks[after_i + 1] if after_i + 1 < len(toks) else None
        if any(w in AGE_CUES or _bare(w) in AGE_CUES for w in before) or \
                (prev is not None and prev.text == "(" and closing is not None and closing.text == ")"):
            return "age"
        return "duration"
    if p.first.article and not p.used_multiplier:
        if p.first.kind == "unit" and value >= 3 and not (after[:1] and after[0] in ("الاواخر", "الاوايل", "الاولي")):
            return QUANTITY  # "الكتائب الثلاث", "الثلاثة": cardinals with the article
        if digits and after[:1] and counted(after[0]):
            return QUANTITY  # "ال7 ملفات"
        return "ordinal"
    is_year_shape = digits and not p.first.grouped and not p.first.decimal and len(raw) == 4
    if is_year_shape and (1900 <= value <= 2100 or 1300 <= value <= 1500):
        label = "hijri_year" if value <= 1500 else "year"
        glued = nxt is not None and nxt.kind == "word" and nxt.start == p.end and nxt.text in ERA_AFTER
        if (after[:1] and after[0] in HIJRI_AFTER) or (glued and nxt.text in HIJRI_AFTER):
            return "hijri_year"
        if (after[:1] and after[0] in ERA_AFTER) or glued:
            return label
        if before and (before[-1] in YEAR_CUES or _bare(before[-1]) in YEAR_CUES or _is_month_word(before[-1])):
            return label
        if len(before) >= 2 and _month_at(before[-2:]) is not None:
            return label
        if _pre_qualifier(before) != "exact":
            return QUANTITY
        if before and before[-1] in ("في", "وفي"):
            return label
        first_after = _word_seq(toks, p.next_i, 1)
        if first_after and (counted(first_after[0]) or _strip_to_mult(first_after[0])):
            return QUANTITY
        return label  # "في 2014 قتل", "2014 الذي", "1434": a year unless it counts something
    return QUANTITY


def _first_token_index(toks: list[_Tok], p: _Parsed) -> int:
    for k, t in enumerate(toks):
        if t.end > p.start:
            # Include a glued prefix token ("ال27", "بـ 3681") in "before" lookups.
            if k > 0 and _is_prefix_only(toks[k - 1].text) and toks[k - 1].kind == "word" and toks[k - 1].end >= t.start - 1:
                return k - 1
            return k
    return len(toks)


def find_numbers(text: str, include_all: bool = False, counted: Counted | None = None) -> list[NumberMention]:
    """Every number in `text`, in order.

    By default only quantities (counts, amounts, measures, percentages) are returned; with
    include_all=True dates, times, years, ages, durations, ordinals, phone numbers and numbers
    inside names come too, flagged by `kind`. `counted(word)` says whether a folded word is a
    noun a figure can count; it decides between a year and a count ("2000 مدني" / "2014 الذي").
    Never raises on arbitrary text; values are non-negative.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_numbers expects str, got {type(text).__name__}")
    counted = counted or _looks_counted
    ft, index = folded(text)
    toks = _tokens(ft)
    out: list[NumberMention] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind in ("time", "date"):
            if include_all:
                out.append(_mention(text, index, tok.start, tok.end, _leading_int(tok.text), "exact", tok.kind))
            i += 1
            continue
        if tok.kind == "word" and tok.text in ORDINALS:
            # "الحادي عشر": an ordinal, so its "عشر" must not count as ten.
            j, value = i + 1, ORDINALS[tok.text]
            if j < len(toks) and toks[j].text in TEN:
                value += 10
                j += 1
            if include_all:
                out.append(_mention(text, index, tok.start, toks[j - 1].end, value, "exact", "ordinal"))
            i = j
            continue
        parsed = _parse_expression(toks, i, ft)
        if parsed is None:
            i += 1
            continue
        kind = _classify(toks, parsed, ft, counted)
        qualifier = "exact"
        if kind in QUANTITY_KINDS:
            qualifier = _pre_qualifier(_words_before(toks, _first_token_index(toks, parsed), 4))
            if qualifier == "exact":
                qualifier = _post_qualifier(_word_seq(toks, parsed.next_i, 5))
        if kind in QUANTITY_KINDS or include_all:
            out.append(_mention(text, index, parsed.start, parsed.end, _number(parsed.value), qualifier, kind))
        i = max(parsed.next_i, i + 1)
    return out


def _number(value: Decimal) -> int | float:
    """An int when the value is whole, else a float (never negative)."""
    if value < 0:
        return 0
    return int(value) if value == value.to_integral_value() else float(value)


def _leading_int(s: str) -> int:
    m = re.match(r"\d+", s)
    return int(m.group()) if m else 0


def _mention(text: str, index: list[int], fstart: int, fend: int, value: int | float, qualifier: str, kind: str) -> NumberMention:
    start, end = span_to_original(index, fstart, fend, text)
    return NumberMention(value=value, start=start, end=end, text=text[start:end], qualifier=qualifier, kind=kind)
