"""English -> Arabic word translations for the lexical side of English queries.

Two sources, looked up in this order:
1. a small hand lexicon of news phrasing (`search/translation/data/lexicon_en_ar.tsv`: "death toll",
   "air strike"), kept as data so that it is easy to extend;
2. the FreeDict English–Arabic dictionary (87k headwords, `search/translation/dictionary.py`), when it is
   installed (`scripts/dictionary.sh`; `make run` and `make test` do it).

It is not a translator: it only has to put some right Arabic words on the lexical side so
that hybrid fusion can use BM25 for cross-language queries; meaning comes from the
embeddings. With the dictionary, BM25 alone ranks an English XQuAD question's Arabic
paragraph first 54 % of the time (dev; 1 % with the hand lexicon alone), and hybrid en→ar
R@1 rises by ~4 points (docs/RETRIEVAL.md).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass
from typing import Any

from search.translation.dictionary import find_dictionary, read_dictd

DEFAULT_PATH = Path(__file__).with_name("data") / "lexicon_en_ar.tsv"
_WORD_CASED = re.compile(r"[A-Za-z][A-Za-z\-']*")
MAX_ACRONYM = 3  # an upper-case word this short is an abbreviation ("HRW", "YPG"), not a name to spell
MAX_PHRASE_WORDS = 3
# Words with no topic of their own: looking them up would add noise such as أيّ for "which".
STOPWORDS = frozenset("""
a an the of in on at to for from by with about as into like through after over between out against during
without before under around among upon within along across behind beyond near off per via than then so
is are was were be been being am do does did done have has had having get got
what which who whom whose when where why how that this these those there here
it its itself he she they them their theirs his her hers him we us our ours you your yours i me my mine
not no nor or and but if else also very just only more most much many some any each every all both either
neither one other another same own too such can could would should will shall may might must
s t don didn doesn isn wasn aren weren
name named called known
al el
""".split())


def _word_forms(word: str) -> list[str]:
    """The word, then crude singular / base forms (enough for dictionary headwords)."""
    word = word.removesuffix("'s").rstrip("'")  # possessives: "luther's", "panthers'"
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    return forms


def read_hand_lexicon(path: Path) -> dict[str, list[str]]:
    """`english<TAB>arabic|arabic` lines ("-": no Arabic); '#' comments. Raises ValueError naming the bad line."""
    entries: dict[str, list[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            english, arabic = line.split("\t")
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: expected 'english<TAB>arabic|arabic'") from exc
        # "-": the phrase has no Arabic of its own ("according to"); it is consumed, not looked up word by word
        entries.setdefault(english.strip().lower(), []).extend(
            a.strip() for a in arabic.split("|") if a.strip() and a.strip() != "-")
    return entries


class Lexicon:
    def __init__(self, entries: dict[str, list[str]], dictionary: dict[str, list[str]] | None = None,
                 dictionary_path: Path | None = None) -> None:
        # a hyphenated entry also matches its words split ("deir ez-zor" / "Deir ez Zor"): queries split unknown hyphenated words
        self.entries = {**{k.replace("-", " "): v for k, v in entries.items() if "-" in k}, **entries}
        self.dictionary = dictionary or {}
        self.dictionary_path = dictionary_path
        heads = list(self.entries) + [h for h in self.dictionary if " " in h]
        self.longest = min(MAX_PHRASE_WORDS, max((len(h.split()) for h in heads), default=1))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH, dictionary: str | None = None) -> "Lexicon":
        """The hand lexicon plus the installed dictionary (found anew each call, read once per path).

        `dictionary`: the KHABAR_DICTIONARY setting (None: read it now).
        """
        return _load(path, find_dictionary(dictionary))

    def describe(self) -> dict[str, Any]:
        """What English queries are translated with (shown by /api/health)."""
        return {"hand_entries": len(self.entries), "dictionary": str(self.dictionary_path) if self.dictionary_path else None,
                "dictionary_headwords": len(self.dictionary)}

    def _lookup(self, words: list[str]) -> tuple[list[str], bool] | None:
        """(translations, from the hand lexicon) of a word or phrase; None when neither source has it."""
        phrase = " ".join(words)
        if phrase in self.entries:
            return self.entries[phrase], True
        if len(words) == 1:
            word = words[0]
            if phrase.endswith("s") and phrase[:-1] in self.entries:
                return self.entries[phrase[:-1]], True
            if word in STOPWORDS:
                return None
            found = next((self.dictionary[f] for f in _word_forms(word) if f in self.dictionary), None)
            return (found, False) if found else None
        if all(w in STOPWORDS for w in words):
            return None
        found = self.dictionary.get(phrase)
        return (found, False) if found else None

    def _tokens(self, text: str) -> list[tuple[str, str]]:
        """(lower-case word, as written) pairs; a hyphenated word neither source knows is split
        ("Saudi-led" -> saudi, led; "al-Zahraa" -> al, zahraa), a possessive dropped ("State's" -> state)."""
        out: list[tuple[str, str]] = []
        for match in _WORD_CASED.finditer(text):
            written = match.group().strip("-'")
            written = written[:-2] if written.lower().endswith("'s") else written.rstrip("'")
            word = written.lower()
            if "-" in word and word not in self.entries and word not in self.dictionary:
                out += [(p.lower(), p) for p in written.split("-") if p]
            elif word:
                out.append((word, written))
        return out

    def pieces(self, text: str) -> list[Piece]:
        """The English words and phrases of `text` (longest match first) with their Arabic, and which are names.

        A name (`Piece.name`) is a word neither source translates, or a capitalised word the
        dictionary only explains in a phrase ("Homs" -> "من نفس الصنف"): its Arabic is left
        to `search.translation.names`, which looks for its spelling in the index.
        """
        words = self._tokens(text)
        out: list[Piece] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                found = self._lookup([w for w, _ in words[i : i + size]])
                if found:
                    arabic, hand = found
                    word, written = words[i]
                    if (size == 1 and written[:1].isupper() and not hand and _name_like(word, written)
                            and all(len(a.split()) > 2 for a in arabic)):
                        out.append(Piece(word, (), True))
                    else:
                        out.append(Piece(" ".join(w for w, _ in words[i : i + size]), tuple(arabic), False))
                    i += size
                    break
            else:
                word, written = words[i]
                # only a capitalised word is taken for a name: a lower-case word no source knows is
                # an English inflection the dictionary lacks ("retaken"), and its "spelling" would be noise
                out.append(Piece(word, (), written[:1].isupper() and _name_like(word, written) and word not in STOPWORDS))
                i += 1
        return out

    def translate(self, text: str) -> list[str]:
        """Arabic equivalents of the English words and phrases in `text` (longest match first)."""
        return [a for piece in self.pieces(text) for a in piece.arabic]


def _name_like(word: str, written: str) -> bool:
    """A word that may be a name to transliterate: letters only, three or more, not a short abbreviation."""
    return len(word) >= 3 and word.isalpha() and not (written.isupper() and len(written) <= MAX_ACRONYM)


@dataclass(frozen=True)
class Piece:
    """One English word or phrase of a query and its Arabic (empty for a name or an unknown word)."""

    english: str
    arabic: tuple[str, ...]
    name: bool  # worth looking for as a transliterated name


@lru_cache(maxsize=4)
def _load(path: Path, dictionary_path: Path | None) -> Lexicon:
    dictionary = read_dictd(dictionary_path) if dictionary_path else {}
    return Lexicon(read_hand_lexicon(path), dictionary, dictionary_path)
