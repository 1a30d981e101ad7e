"""Latin-script names and their Arabic spellings: the one transliteration both search and qa use.

News in English writes Arabic, Persian, Kurdish, Russian … names in Latin letters ("Kermanshah",
"Zakharova", "Deir ez-Zor", "Hmeimim") that no dictionary holds, while the Arabic text spells
them in Arabic letters. Two tools, one job each:

* `latin_skeleton` / `arabic_skeleton`: the consonant classes of a name in either script, for
  deciding whether a text *holds* a name (qa: "does the claim's context name Kermanshah?").
  Coarse on purpose: vowels, h and ain vanish, z and s meet.
* `arabic_spellings`: the plausible Arabic spellings of a Latin word, cheapest first, for
  *finding* the name in an index. Search cannot use the skeleton of an index term for that:
  index terms are stems (`khabar.arabic.term`), and the stemmer cuts letters that belong to
  the name (بيروت -> يرو, بوتين -> وتين, فرنسا -> رنس). A spelling is instead analysed like
  any Arabic word, so it lands on the index term its Arabic surface form has
  (`search.translation.names` keeps those the index holds).

A spelling's cost adds one price per choice: 0 for the usual rendering (k -> ك, sh -> ش, a
vowel in the middle of a word left unwritten or written long), more for rarer ones (k -> ق,
s -> ص, an initial vowel as ع). The prices are Arabic press conventions for foreign and Arabic
names, not fitted to any benchmark.
"""
from __future__ import annotations

import heapq
import re
from functools import lru_cache

__all__ = ["arabic_skeleton", "arabic_spellings", "latin_parts", "latin_skeleton"]


def latin_skeleton(word: str) -> str:
    """Consonant classes of a Latin-script name, comparable with `arabic_skeleton` ("Kermanshah" -> "krmnS")."""
    w = word.lower()
    for a, b in (("sh", "S"), ("kh", "x"), ("gh", "g"), ("th", "t"), ("dh", "d"), ("ph", "f"), ("ch", "S"),
                 ("ou", "w"), ("q", "k"), ("c", "k"), ("z", "s"), ("j", "g"), ("v", "f"), ("p", "b"), ("e", ""),
                 ("a", ""), ("i", ""), ("o", ""), ("u", ""), ("y", ""), ("w", ""), ("'", ""), ("-", "")):
        w = w.replace(a, b)
    w = w.replace("h", "")
    return re.sub(r"(.)\1+", r"\1", w)


_AR_CLASSES = {"ب": "b", "ت": "t", "ث": "t", "ج": "g", "ح": "", "خ": "x", "د": "d", "ذ": "d", "ر": "r", "ز": "s",
               "س": "s", "ش": "S", "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "ع": "", "غ": "g", "ف": "f", "ق": "k",
               "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "", "ة": "", "و": "", "ي": "", "ى": "", "ا": "", "ء": "",
               "گ": "g", "پ": "b", "چ": "S", "ڤ": "f"}


def arabic_skeleton(word: str) -> str:
    """Consonant classes of a folded Arabic word, without the article ("كرمانشاه" -> "krmnS")."""
    w = word[2:] if word.startswith("ال") and len(word) > 4 else word
    return re.sub(r"(.)\1+", r"\1", "".join(_AR_CLASSES.get(ch, "") for ch in w))


# ----------------------------------------------------------------------------- spellings
# Consonant units, longest first when read: Latin letters -> (Arabic, cost) choices.
_CONSONANTS: dict[str, tuple[tuple[str, float], ...]] = {
    "tch": (("تش", 0.0),), "sch": (("ش", 0.0),), "mc": (("ماك", 0.0), ("مك", 0.3)),
    "sh": (("ش", 0.0),), "kh": (("خ", 0.0),), "gh": (("غ", 0.0), ("ق", 0.8)), "th": (("ث", 0.0), ("ت", 0.4)),
    "dh": (("ذ", 0.0), ("ض", 0.5), ("ظ", 0.5), ("د", 0.8)), "ch": (("ش", 0.3), ("تش", 0.3), ("ك", 1.0)),
    "ph": (("ف", 0.0),), "ck": (("ك", 0.0),), "dj": (("ج", 0.0),), "zh": (("ج", 0.3), ("ز", 0.5)),
    "ts": (("تس", 0.0),),
    "b": (("ب", 0.0),), "p": (("ب", 0.0),), "t": (("ت", 0.0), ("ط", 0.5)), "j": (("ج", 0.0),),
    "g": (("غ", 0.2), ("ج", 0.2), ("ق", 0.8)), "h": (("ه", 0.0), ("ح", 0.0), ("", 0.8)), "d": (("د", 0.0), ("ض", 0.5)),
    "r": (("ر", 0.0),), "z": (("ز", 0.0), ("ظ", 0.7), ("ذ", 0.7)), "s": (("س", 0.0), ("ص", 0.5), ("ز", 1.0)),
    "f": (("ف", 0.0),), "v": (("ف", 0.0),), "q": (("ق", 0.0), ("ك", 0.7)), "k": (("ك", 0.0), ("ق", 0.5)),
    "c": (("ك", 0.0), ("س", 0.7), ("ق", 0.7)), "x": (("كس", 0.0),), "l": (("ل", 0.0),), "m": (("م", 0.0),),
    "n": (("ن", 0.0),), "w": (("و", 0.0),), "y": (("ي", 0.0),), "'": (("ع", 0.0), ("ء", 0.5), ("", 0.3)),
}
_CONSONANT_KEYS = sorted(_CONSONANTS, key=len, reverse=True)

# Vowel runs by position. Middle: a short vowel is unwritten, a long one written; Latin cannot
# tell them apart, so both are cheap. Initial: Arabic writes an alef (or ain) before it. Final:
# a written vowel (or ة for -a/-ah).
_V_MID: dict[str, tuple[tuple[str, float], ...]] = {
    "a": (("", 0.0), ("ا", 0.0), ("ع", 1.2)), "e": (("", 0.0), ("ي", 0.5), ("ا", 0.9)),
    "i": (("ي", 0.0), ("", 0.3)), "o": (("و", 0.0), ("", 0.3), ("ا", 1.0)), "u": (("و", 0.0), ("", 0.3)),
    "y": (("ي", 0.0), ("", 0.5)), "aa": (("ا", 0.0), ("اء", 0.8), ("اع", 0.8)),
    "ee": (("ي", 0.0),), "ei": (("ي", 0.0), ("اي", 0.5)), "ey": (("ي", 0.0), ("اي", 0.5)),
    "ai": (("ي", 0.0), ("اي", 0.0), ("ائ", 0.5)), "ay": (("اي", 0.0), ("ي", 0.3)), "ie": (("ي", 0.0),),
    "ii": (("ي", 0.0),), "ou": (("و", 0.0),), "oo": (("و", 0.0),), "uu": (("و", 0.0),),
    "au": (("او", 0.0), ("و", 0.3), ("عو", 0.6)), "aw": (("او", 0.0),), "oi": (("وي", 0.0),),
    "ue": (("و", 0.0), ("وي", 0.5)), "ua": (("وا", 0.0), ("وع", 0.8)), "ia": (("يا", 0.0), ("ي", 0.3)),
    "io": (("يو", 0.0),), "ea": (("يا", 0.3), ("ي", 0.3)), "eo": (("يو", 0.3),), "iu": (("يو", 0.0),),
}
_V_INITIAL: dict[str, tuple[tuple[str, float], ...]] = {
    "a": (("ا", 0.0), ("ع", 0.5)), "e": (("ا", 0.0), ("ع", 0.5), ("اي", 0.7)), "i": (("ا", 0.0), ("اي", 0.3), ("ع", 0.6)),
    "o": (("او", 0.0), ("ا", 0.3), ("ع", 0.6)), "u": (("او", 0.0), ("ا", 0.3), ("ع", 0.6)),
    "aa": (("ا", 0.0), ("عا", 0.3)), "ee": (("اي", 0.0),), "ei": (("عي", 0.3), ("اي", 0.3)),
    "ai": (("اي", 0.0), ("عي", 0.3)), "ou": (("او", 0.0), ("عو", 0.5)), "oo": (("او", 0.0),),
    "au": (("او", 0.0),), "ia": (("ايا", 0.3),), "io": (("ايو", 0.3),),
}
_V_FINAL: dict[str, tuple[tuple[str, float], ...]] = {
    "a": (("ا", 0.0), ("ة", 0.0), ("اة", 0.4), ("ه", 0.5), ("", 0.8)), "e": (("", 0.2), ("ي", 0.5), ("ة", 0.5)),
    "i": (("ي", 0.0),), "o": (("و", 0.0), ("ا", 1.0)), "u": (("و", 0.0),), "y": (("ي", 0.0),),
    "ah": (("ة", 0.0), ("اه", 0.3), ("ا", 0.3)), "eh": (("ه", 0.2), ("ة", 0.2)),
    "aa": (("ا", 0.0), ("اء", 0.3)), "ee": (("ي", 0.0),), "ey": (("ي", 0.0),), "ei": (("ي", 0.0),),
    "ai": (("اي", 0.0), ("ي", 0.3)), "ay": (("اي", 0.0),), "ie": (("ي", 0.0),), "ou": (("و", 0.0),),
    "oo": (("و", 0.0),), "au": (("او", 0.0),), "ia": (("يا", 0.0), ("ية", 0.0)), "iya": (("ية", 0.0), ("يا", 0.0)),
    "ya": (("يا", 0.0), ("ية", 0.0)), "ua": (("وا", 0.0),), "io": (("يو", 0.0),), "oe": (("و", 0.3),),
}
_ARTICLES = frozenset("al el ad ed an en ar er as es ash esh at et az ez ath adh".split())
ARTICLE_COST = 0.2  # reading "al"/"el" at the start of a word as the article
_LATIN_WORD = re.compile(r"^[a-z']+$")


def latin_parts(name: str) -> list[str]:
    """The words of a Latin name without the Arabic article ("al-Jolani" -> ["jolani"], "Deir ez-Zor" -> ["deir", "zor"]).

    A name written with the article attached ("Elaraby", "Alarabiya") keeps it: the spelling
    then begins with ال, which the analysis strips like any article.
    """
    parts = [p for p in re.split(r"[\s\-‐–]+", name.lower().replace("’", "'")) if p]
    kept = [p for p in parts if p not in _ARTICLES]
    return kept if kept else parts


def _is_vowel(word: str, i: int) -> bool:
    """a e i o u, and y unless it starts a syllable (before a vowel: "Yassin", "Maya")."""
    ch = word[i]
    if ch == "y":
        return not (i + 1 < len(word) and word[i + 1] in "aeiou")
    return ch in "aeiou"


def _units(word: str) -> list[tuple[str, str]] | None:
    """(kind, letters) units of a lower-case Latin word: 'c' consonant, 'v' vowel run; None if not Latin."""
    if not _LATIN_WORD.match(word):
        return None
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(word):
        if _is_vowel(word, i):
            j = i
            while j < len(word) and _is_vowel(word, j):
                j += 1
            out.append(("v", word[i:j]))
            i = j
            continue
        for key in _CONSONANT_KEYS:
            if word.startswith(key, i):
                if not (out and out[-1] == ("c", key)):  # doubled consonants: Arabic writes one (shadda)
                    out.append(("c", key))
                i += len(key)
                break
        else:
            i += 1  # a letter with no Arabic counterpart here
    return out


def _choices(units: list[tuple[str, str]], index: int) -> tuple[tuple[str, float], ...]:
    kind, letters = units[index]
    if kind == "c":
        if letters == "h" and index > 0 and units[index - 1][0] == "v" and index == len(units) - 1:
            return (("ه", 0.0), ("", 0.0), ("ح", 0.3))  # final -ah / -eh: a ة the analysis folds to ه
        return _CONSONANTS[letters]
    table = _V_INITIAL if index == 0 else _V_FINAL if index == len(units) - 1 else _V_MID
    if letters in table:
        return table[letters]
    # a longer run: its first letter decides, the rest is unwritten
    first = table.get(letters[0]) or _V_MID.get(letters[0], (("", 0.5),))
    return tuple((ar, cost + 0.3) for ar, cost in first)


@lru_cache(maxsize=4096)
def arabic_spellings(word: str, max_cost: float = 1.5, limit: int = 400) -> tuple[tuple[str, float], ...]:
    """Plausible Arabic spellings of one Latin word, cheapest first: ((spelling, cost), …).

    At most `limit` spellings whose cost is at most `max_cost` (see the module docstring for the
    prices). Empty for a word with no Latin letters. Best-first, so a long name costs `limit`
    steps, not every combination.
    """
    word = word.lower()
    units = _units(word)
    if not units:
        return ()
    if len(word) > 4 and word[:2] in ("al", "el"):
        # the article written into the word ("Elaraby", "Alarabiya"): ال + the rest as a word
        rest = word[2:].lstrip("'")
        found = dict(_spellings(units, max_cost, limit))
        for spelling, cost in _spellings(_units(rest) or [], max_cost - ARTICLE_COST, limit):
            key, cost = "ال" + spelling, round(cost + ARTICLE_COST, 3)
            found[key] = min(cost, found.get(key, cost))
        return tuple(sorted(found.items(), key=lambda kv: kv[1])[:limit])
    return _spellings(units, max_cost, limit)


def _spellings(units: list[tuple[str, str]], max_cost: float, limit: int) -> tuple[tuple[str, float], ...]:
    if not units:
        return ()
    # final "-ah"/"-eh": one unit, so that the vowel and the h are priced together
    if len(units) >= 2 and units[-1] == ("c", "h") and units[-2][0] == "v" and units[-2][1] + "h" in _V_FINAL:
        units = units[:-2] + [("v", units[-2][1] + "h")]
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    heap: list[tuple[float, int, str]] = [(0.0, 0, "")]
    while heap and len(out) < limit:
        cost, index, text = heapq.heappop(heap)
        if index == len(units):
            if text and text not in seen:
                seen.add(text)
                out.append((text, round(cost, 3)))
            continue
        for arabic, price in _choices(units, index):
            if cost + price <= max_cost:
                heapq.heappush(heap, (cost + price, index + 1, text + arabic))
    return tuple(out)
