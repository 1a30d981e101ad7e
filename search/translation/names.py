"""Latin-script names of an English query -> the Arabic index terms that spell them.

"Kermanshah", "Zakharova", "Hmeimim", "Deir ez-Zor": news questions are full of names no
dictionary holds. Each name word is spelt in Arabic every plausible way
(`khabar.transliteration.arabic_spellings`, cheapest first), each spelling is analysed like
any Arabic word (`khabar.arabic.term`: the index holds stems, and the stemmer may cut letters
of the name, بيروت -> يرو), and the index is asked which of those terms it holds
(`Backend.term_counts`, one call per query). A word keeps the terms of its cheapest spellings
that the index holds: at most `MAX_TERMS`, within `MARGIN` of the cheapest.

Why against the index and not a fixed list: the names that matter are the ones the user's
own news spells, and a spelling nobody wrote costs nothing to try. Why a cap and a margin:
short names have several real Arabic readings ("Hadi" -> هادي / حادي), and each extra term
is another BM25 clause that can pull in an unrelated passage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from khabar.arabic import term
from khabar.transliteration import arabic_spellings, latin_parts

MAX_TERMS = 2  # index terms kept per name word
MARGIN = 0.5  # spelling cost above the cheapest found that is still kept
MAX_COST = 1.5  # dearest spelling tried
MAX_SPELLINGS = 120  # per word, cheapest first: analysing a spelling costs ~0.1 ms, and long names have thousands
MAX_MATCH_COST = 1.0  # dearest match kept, letters cut by the analysis included ("Prince" -> برنس -> رنس, France: 1.5)
MIN_TERM_LETTERS = 3  # shorter stems (بن, حم) match too many unrelated words
MIN_WORD_LETTERS = 3
PLURAL_COST = 0.3  # "Houthis" -> also the spellings of "Houthi"
CUT_COST = 0.15  # per letter the stemmer cut from the end of the spelling: an intact spelling is surer evidence
PREFIX_CUT_COST = 0.3  # per letter cut from its start (بوتين -> وتين): the name's own first letter is gone
FREQUENCY_BONUS = 0.12  # per unit of ln(1 + passages): a name the news mentions is spelt the way the news spells it

Counts = Callable[[Sequence[str]], dict[str, int]]


@dataclass(frozen=True)
class NameMatch:
    """One index term a Latin name word was matched to."""

    word: str  # the Latin word, lower case
    term: str  # the analysed Arabic index term
    spelling: str  # the cheapest Arabic spelling that analyses to it
    cost: float  # that spelling's cost (0 = the usual rendering)
    passages: int  # passages of the index that hold the term


def candidate_terms(word: str) -> dict[str, tuple[str, float]]:
    """Index term -> (cheapest spelling, cost) for every spelling of one Latin word (no index needed)."""
    word = word.lower().removesuffix("'s").strip("'")
    out: dict[str, tuple[str, float]] = {}
    if len(word) < MIN_WORD_LETTERS:
        return out
    forms = [(word, 0.0)]
    if word.endswith("s") and not word.endswith("ss") and len(word) > MIN_WORD_LETTERS + 1:
        forms.append((word[:-1], PLURAL_COST))
    for form, extra in forms:
        for spelling, cost in arabic_spellings(form, MAX_COST, MAX_SPELLINGS):
            t = term(spelling)
            if len(t) < MIN_TERM_LETTERS or t == spelling[:0]:
                continue
            cost = round(cost + extra + _cut_cost(spelling, t), 3)
            if t not in out or cost < out[t][1]:
                out[t] = (spelling, cost)
    return out


def _cut_cost(spelling: str, stem: str) -> float:
    """The price of the letters the analysis cut from `spelling` to get `stem` (the article is free)."""
    body = spelling[2:] if spelling.startswith("ال") and len(spelling) > 4 else spelling
    start = body.find(stem[:2]) if stem else -1
    prefix = start if start > 0 else 0
    suffix = max(0, len(body) - prefix - len(stem))
    return PREFIX_CUT_COST * prefix + CUT_COST * suffix


def match_names(words: Iterable[str], counts: Counts) -> dict[str, list[NameMatch]]:
    """Per Latin word (lower case): the index terms it spells, best first (empty: none held by the index).

    `counts` is `Backend.term_counts`: called once, with the candidate terms of all the words.
    """
    words = list(dict.fromkeys(w.lower() for w in words))
    candidates = {w: candidate_terms(w) for w in words}
    asked = sorted({t for c in candidates.values() for t in c})
    held = {t: n for t, n in (counts(asked) if asked else {}).items() if n > 0}
    out: dict[str, list[NameMatch]] = {}
    for w in words:
        found = sorted((cost - FREQUENCY_BONUS * math.log1p(held[t]), t, spelling, cost)
                       for t, (spelling, cost) in candidates[w].items() if t in held and cost <= MAX_MATCH_COST)
        best = found[0][0] if found else 0.0
        out[w] = [NameMatch(w, t, spelling, cost, held[t]) for score, t, spelling, cost in found
                  if score <= best + MARGIN][:MAX_TERMS]
    return out


def name_words(name: str) -> list[str]:
    """The words of a Latin name worth transliterating (the Arabic article dropped)."""
    return [w for w in latin_parts(name) if len(w) >= MIN_WORD_LETTERS]
