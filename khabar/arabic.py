"""Arabic text analysis shared by ingestion, every backend and every query.

One function, `analyze`, turns text into index terms; documents and queries both go
through it, so a backend never has to know Arabic. Steps, in the order that matters:

1. fold what never carries meaning for search: diacritics (tashkeel), tatweel,
   Arabic-Indic / Persian digits -> ASCII, compatibility presentation forms (NFKC);
2. tokenise on letters/digits;
3. strip a conjunction (و / ف) glued before the article (والغارات -> الغارات), which
   Snowball's Arabic stemmer does not handle, then the article itself, so that the rest
   is stemmed exactly as the bare word would be (الوزير and وزير meet);
4. stem with Snowball Arabic (PyStemmer) *before* folding hamza, since the stemmer uses
   hamza forms to recognise affixes;
5. fold the stem: alef/hamza variants -> ا, ى -> ي, ة -> ه, and a trailing nisba ي
   (so سوريا / سورية / سوريه and مدنيين / المدنيين meet).

`fold` (steps 1 plus the letter folds, no stemming) is what exact matching, the
gazetteer and the claim extractor use.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator, NamedTuple

import Stemmer

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LETTER_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
# Bidi controls and zero-width characters that scraped pages and hostile queries carry.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_CONJ_BEFORE_ARTICLE = re.compile("^[وف](?=(?:ال|بال|كال|لل))")
_ARTICLE = re.compile("^(?:ال|بال|كال|فال|وال|لل)(?=...)")

ARABIC_STOPWORDS = frozenset(
    """في من على الى إلى عن مع ان أن إن او أو ثم كما لا لم لن ما ماذا هل قد و ف ب ل ك ال هذا هذه ذلك تلك
    التي الذي الذين اللذين اللتين هو هي هم هن انه أنه إنه انها أنها إنها كان كانت يكون تكون بين حتى عند
    كل بعد قبل منذ خلال حول دون غير ايضا أيضا وقد وفي ومن وعلى وان وأن التى الذى""".split()
)
ENGLISH_STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or is are was were be been being do does did
    what which who whom whose when where why how many much this that these those it its as into
    than then there their they them he she his her i you we our your not no yes""".split()
)


class Token(NamedTuple):
    text: str  # surface form as written
    start: int
    end: int


_stemmer_local = None


def _stemmer() -> Stemmer.Stemmer:
    global _stemmer_local
    if _stemmer_local is None:
        _stemmer_local = Stemmer.Stemmer("arabic")
    return _stemmer_local


def clean(text: str) -> str:
    """Remove invisible/bidi-control characters and apply NFKC; keeps letters as written."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII digits ("١٢٥٧" -> "1257"); everything else as it is."""
    return text.translate(_DIGITS)


def fold(text: str) -> str:
    """Orthographic folding without stemming: diacritics, tatweel, digits, alef/hamza, ى, ة, case."""
    text = clean(text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    return text.translate(_DIGITS).translate(_LETTER_FOLD).lower()


def tokens(text: str) -> Iterator[Token]:
    """Word tokens with offsets into `text` (diacritics and tatweel stay inside a token)."""
    for match in re.finditer(r"[^\W_]+(?:[\u0640\u064b-\u065f\u0670][^\W_]*)*", text):
        yield Token(match.group(), match.start(), match.end())


@lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The index term for one surface word (see module docstring for the steps)."""
    word = _DIACRITICS.sub("", clean(word)).replace(_TATWEEL, "").translate(_DIGITS).lower()
    # NFKC can expand one ligature into words ("ﷺ" -> "صلى الله عليه وسلم"); a term must stay one
    # token, since backends index " ".join(terms) with a whitespace tokenizer.
    word = "".join(word.split())
    if not word:
        return ""
    if _is_arabic(word):
        word = _CONJ_BEFORE_ARTICLE.sub("", word)
        # Strip the article ourselves and stem what remains as a bare word: Snowball strips a
        # leading و/ف/ب from bare words (وزير -> زير) but not after the article (الوزير -> وزير),
        # so without this a query for وزير misses الوزير.
        word = _ARTICLE.sub("", word)
        stem = _stemmer().stemWord(word)
        stem = stem.translate(_LETTER_FOLD)
        if len(stem) > 3 and stem.endswith("ي"):
            stem = stem[:-1]
        return stem
    return word


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in word)


def analyze(text: str, drop_stopwords: bool = True) -> list[str]:
    """Text -> index terms. Used for documents and queries alike."""
    out: list[str] = []
    for tok in tokens(text):
        folded = fold(tok.text)
        if drop_stopwords and (folded in _FOLDED_AR_STOPWORDS or folded in ENGLISH_STOPWORDS):
            continue
        t = term(tok.text)
        if t:
            out.append(t)
    return out


_FOLDED_AR_STOPWORDS = frozenset(fold(w) for w in ARABIC_STOPWORDS)


def arabic_ratio(text: str) -> float:
    """Share of letters that are Arabic script: a robust language signal for short text."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _is_arabic(ch)) / len(letters)
