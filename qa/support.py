"""Does the evidence support what the question is specific about? One check for both answer paths.

A retrieved sentence can be close to a question in meaning and still be about something else:
another year ("who won the 2022 World Cup" over a text about 2018), another relation (who
*hosted* it), another city's blast, another person. So an answer is shown only when the
question's specific **constraints** are supported by the cited sentence or its document context
(the passage around it, the headline, the publication date):

* `place` and `actor`: gazetteer places and actors the question names (their Arabic variants);
* `name`: other names — an Arabic word no dictionary holds, an English capitalised word (its
  dictionary or gazetteer rendering, else its consonant skeleton against Arabic words,
  `qa.asked.latin_skeleton`);
* `year` and `day`: a year the question names (supported by the text or the publication year, or
  by the article elsewhere unless the sentence gives other years; *contradicted* when the sentence
  gives other years and the article never names it), a day of
  the month next to a month name (the text, or a publication date within two days after it);
* `number`: another figure of the question ("12 hours", "1,000 fighters");
* `word`: every other content word, weighted by its rarity in the index (IDF); a word in at most
  `RARE_SHARE` of the passages (a name-like word: أرامكو, كرمانشاه) is required;
* `relation`: the relation asked about when it is one of a few that change the answer (won vs
  hosted, died, appointed, succeeded, coached … `qa/data/relations.json`): its key word must be
  in the sentence or its passage, and not open another relation's phrase ("فازت بحق استضافة",
  won the right to host, is not a win).

`question_constraints` reads them once per question; `Evidence` is one candidate's text read
once (cached per text); `check` gives a `Verdict`: which constraints are supported (in the
sentence or only in the context), missing or contradicted, and coverage shares that the
calibration weighs. `Verdict.ok` is false when a required constraint is missing or any is
contradicted: the answer then abstains and offers the passages as related. The numeric path
(`qa.context`) applies the same check to a claim's sentence, paragraph and headline.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from khabar.arabic import ARABIC_STOPWORDS, analyze, ascii_digits, fold, tokens
from khabar.dates import ALL_MONTHS, ARABIC_MONTHS
from khabar.vocabulary import Vocabulary
from qa.asked import arabic_skeleton, latin_skeleton, _strip
from qa.question import Question, ar_match

RELATIONS_PATH = Path(__file__).with_name("data") / "relations.json"
# A question word in at most this share of the index's passages is a name-like word the evidence must
# hold (dev-tuned on the news questions over ~100k passages: Aramco is in ~85, Kermanshah ~39; common
# words run into the hundreds). A share, so that in a small index no word counts as rare.
RARE_SHARE = 0.0015
RARE_PROBE = 100  # k of the lexical probe (the search returns up to ~3k candidates)
# A name (a word no dictionary holds, an English capitalised word) is required when it is in at most this
# share of the passages; a name as common as "Saudi" or "Syrian" is context, weighed but not required.
NAME_SHARE = 0.01
DEEP_OFFSET = 1000  # the deeper probe's page offset (the searcher's limit): counts up to ~3,300 passages
BROAD_PLACES = {"syria", "iraq"}  # dropped when the question also names a place inside them
KINDS = ("place", "actor", "name", "year", "day", "number", "word", "relation")
_YEAR = re.compile(r"(?<!\d)(19\d\d|20[0-4]\d|14[0-4]\d)(?!\d)")  # Gregorian 1900-2049, Hijri 1400-1449
_NUMBER = re.compile(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?(?![\d])")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")

# Words that frame a question without saying what it is about.
_FRAME_AR = frozenset(fold(w) for w in """
من ما ماذا متى أين اين كيف لماذا لم هل كم أي اي أيّ بأي بأية بماذا لأي ماهي ماهو هو هي هم الذي التي الذين اللذين اللتين اللتان
اسم الاسم نوع طراز شكل سبب بسبب يوم تاريخ عام العام سنة السنة شهر مدينة بلد دولة مكان منطقة الحقيقي
قال قالت يقول تقول قالوا أعلن أعلنت أكد أكدت ذكر ذكرت بحسب حسب وفق وفقا كان كانت يكون تكون تم يتم
""".split()) | frozenset(fold(w) for w in ARABIC_STOPWORDS)
_FRAME_EN = frozenset("""
a an the of in on at to for from by with and or is are was were be been being do does did what which who whom whose
when where why how this that these those it its as into than then there their they them he she his her him not no
after before during about according said say says tell told name named called known type kind day date year month
time city country place one ones first last new has have had will would could should can may might also its
""".split())
_MONTH_WORDS = {fold(k) for k in ALL_MONTHS} | set(ARABIC_MONTHS)
_WEEKDAYS_EN = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_WEEKDAYS_AR = frozenset(fold(w) for w in "السبت الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة".split())


# ----------------------------------------------------------------------------- constraints
@dataclass(frozen=True)
class Constraint:
    """One thing the question is specific about, and the Arabic forms that support it in evidence."""

    kind: str  # one of KINDS
    text: str  # as the question writes it
    terms: frozenset[str] = frozenset()  # analysed Arabic terms, any one supports it
    forms: tuple[str, ...] = ()  # folded Arabic words / phrases (gazetteer variants), any one supports it
    skeletons: tuple[str, ...] = ()  # consonant skeletons of Latin names (matched against Arabic words)
    value: str = ""  # a year / day / number as digits
    weight: float = 1.0  # IDF in the index (rarer words weigh more)
    required: bool = True  # missing from the evidence -> not supported

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "required": self.required, "weight": round(self.weight, 2)}


@dataclass
class Constraints:
    """The constraints of one question (and the month it names, for its day)."""

    items: list[Constraint] = field(default_factory=list)
    month: int | None = None

    def of(self, *kinds: str) -> list[Constraint]:
        return [c for c in self.items if c.kind in kinds]

    def to_dict(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.items]


class Rarity:
    """Document frequency of an analysed term in the index (a lexical probe, remembered): rare words are names."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._df: dict[str, int] = {}
        self._passages: int | None = None

    @property
    def passages(self) -> int:
        if self._passages is None:
            stats = getattr(self.engine, "stats", None)  # not part of qa.index.Index: without it no word is rare
            self._passages = int(getattr(stats(), "passages", 0) or 0) if callable(stats) else 0
        return self._passages

    def df(self, term: str) -> int:
        """Passages holding `term`, counted up to the search's candidate depth (~300, then ~3,300 when saturated)."""
        if term not in self._df:
            try:
                first = self.engine.search(term, mode="lexical", k=RARE_PROBE)
                n = first.total
                if n >= 3 * RARE_PROBE:  # saturated: look deeper (a page far down reports the deeper count)
                    n = self.engine.search(term, mode="lexical", k=RARE_PROBE, offset=DEEP_OFFSET).total
            except (ValueError, TypeError):  # a term the analyser drops; an index without paging
                n = RARE_PROBE
            self._df[term] = n
        return self._df[term]

    def rare(self, word: str, share: float = RARE_SHARE) -> bool:
        """`word` (as written: the search analyses it once) is in at most `share` of the passages, and in some."""
        n = self.passages
        return 0 < self.df(word) <= share * n

    def idf(self, terms: Iterable[str]) -> float:
        """log(N / df) of the most common reading among `terms` (words as written; 1.0 when the index size is
        unknown). A reading no passage holds (a mis-stemmed form) says nothing and is skipped."""
        n = self.passages
        if not n:
            return 1.0
        dfs = [d for d in (self.df(t) for t in terms) if d > 0] or [1]
        return max(0.5, math.log(n / max(dfs)))


@dataclass(frozen=True)
class Relation:
    name: str
    en: tuple[str, ...]  # words of an English question that name it
    asked: frozenset[str]  # folded Arabic question words that name it
    terms: frozenset[str]  # analysed Arabic terms that support it in evidence
    forms: tuple[str, ...]  # folded Arabic words that support it in evidence
    contrasts: tuple[str, ...] = ()  # relations whose words in the sentence mean another event


@lru_cache(maxsize=1)
def relations() -> tuple[Relation, ...]:
    """The relations of `qa/data/relations.json`."""
    raw = json.loads(RELATIONS_PATH.read_text(encoding="utf-8"))["relations"]
    out = []
    for name, spec in raw.items():
        forms = tuple(dict.fromkeys(fold(a) for a in spec["ar"]))
        terms = frozenset(t for a in spec["ar"] for t in analyze(a)) | frozenset(_strip(f) for f in forms)
        out.append(Relation(name, tuple(spec["en"]), frozenset(fold(a) for a in spec["ar_question"]), terms, forms,
                            tuple(spec.get("contrasts", ()))))
    return tuple(out)


def question_constraints(q: Question, vocab: Vocabulary, lexicon: Any | None = None,
                         rarity: Rarity | None = None, with_relations: bool = True) -> Constraints:
    """Everything `q` is specific about (see the module docstring), English or Arabic."""
    out = Constraints()
    text = ascii_digits(q.text)
    lower = text.lower()
    words = [fold(t.text) for t in tokens(text)]
    used: set[str] = set()  # folded Arabic words / lower-case English words already explained

    # ---- places and actors of the gazetteer
    places: list[tuple[str, Any]] = []
    for pid, entry in vocab.places.items():
        if any(ar_match(words, v) >= 0 for v in entry.ar) or any(_en_has(lower, e) for e in entry.en):
            places.append((pid, entry))
    if len(places) > 1:
        places = [p for p in places if p[0] not in BROAD_PLACES] or places
    for pid, entry in places:
        out.items.append(Constraint("place", entry.name_en or pid, forms=entry.ar,
                                    terms=frozenset(t for v in entry.ar for t in analyze(v))))
    for pid, entry in vocab.places.items():  # a broad place dropped above still explains its words
        if any(ar_match(words, v) >= 0 for v in entry.ar) or any(_en_has(lower, e) for e in entry.en):
            _use(used, entry)
    for aid, entry in vocab.actors.items():
        if any(ar_match(words, v) >= 0 for v in entry.ar) or any(_en_has(lower, e) for e in entry.en):
            _use(used, entry)
            forms = tuple(dict.fromkeys(entry.ar + tuple(fold(a) for a in _family_names(vocab, aid))))
            out.items.append(Constraint("actor", entry.name_en or aid, forms=forms,
                                        terms=frozenset(t for v in forms for t in analyze(v))))

    # ---- years, days, numbers
    years = _YEAR.findall(text)
    for y in dict.fromkeys(years):
        out.items.append(Constraint("year", y, value=y))
        used.add(y)
    month, day = _month_day(lower, words)
    out.month = month
    if day is not None and month is not None:
        out.items.append(Constraint("day", str(day), value=str(day), required=False))
        used.add(str(day))
    for m in _NUMBER.finditer(text):
        digits = m.group().replace(",", "")
        if digits in used or m.group() in years or len(digits) == 0:
            continue
        used.add(digits)
        out.items.append(Constraint("number", m.group(), value=digits.rstrip(".")))

    # ---- relations
    if with_relations:
        for rel in relations():
            if q.language == "en":
                hit = [w for w in rel.en if _en_has(lower, w)]
            else:
                hit = [w for w in words if w in rel.asked or _strip(w) in rel.asked]
            if hit:
                out.items.append(Constraint("relation", rel.name, terms=rel.terms, forms=rel.forms))
                used.update(w for h in hit for w in h.split())

    # ---- names and words
    if q.language == "en":
        _words_en(out, text, lower, used, lexicon, rarity)
    else:
        _words_ar(out, words, used, rarity)
    return out


def _use(used: set[str], entry: Any) -> None:
    used.update(w for v in entry.ar for w in v.split())
    used.update(w for e in entry.en for w in re.findall(r"[a-z][a-z'\-]*", e))


def _family_names(vocab: Vocabulary, actor_id: str) -> list[str]:
    out: list[str] = []
    for member in vocab.family(actor_id):
        entry = vocab.actors.get(member)
        if entry is not None:
            out.extend(entry.ar)
    return out


def _words_ar(out: Constraints, words: list[str], used: set[str], rarity: Rarity | None) -> None:
    """Arabic content words: each weighs by its IDF; a name-like one (no dictionary holds it, in at most
    `RARE_SHARE` of the passages, not an inflected verb) is required and also matched by its consonant
    skeleton (ماكغورك / مكغورك)."""
    from qa.entities import is_name_word

    for w in dict.fromkeys(words):
        if w in used or _strip(w) in used or w in _FRAME_AR or _strip(w) in _FRAME_AR or w.isdigit() or len(w) < 3:
            continue
        if w in _MONTH_WORDS or _strip(w) in _MONTH_WORDS or w in _WEEKDAYS_AR or _strip(w) in _WEEKDAYS_AR:
            continue
        stems = analyze(w)
        terms = frozenset(set(stems) | {_strip(w)})
        if not terms:
            continue
        weight = rarity.idf([w, _strip(w)]) if rarity else 1.0
        name = is_name_word(w) and not _verb_form(w, is_name_word)
        rare = name and bool(rarity and (rarity.rare(w) or rarity.rare(_strip(w))))
        skeleton = arabic_skeleton(_strip(w)) if name else ""
        out.items.append(Constraint("name" if name else "word", w, terms=terms, forms=(w,),
                                    skeletons=(skeleton,) if len(skeleton) >= 3 else (), weight=weight, required=rare))


_FUTURE = ("ست", "سي", "سن", "سا")
_OBJECT = ("هما", "هم", "ها", "اه")


def _verb_form(word: str, is_name: Callable[[str], bool]) -> bool:
    """An inflected verb or a word with an attached pronoun (ستنهي, التقاه, حلفائها), not a name."""
    if word.startswith(_FUTURE) and len(word) >= 5:
        return True
    for suffix in _OBJECT:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)] + ("ي" if suffix == "اه" else "")
            if not is_name(base) or word.startswith("ال") and suffix == "اه":
                return True
    return False


def _words_en(out: Constraints, text: str, lower: str, used: set[str], lexicon: Any | None,
              rarity: Rarity | None) -> None:
    """English content words (soft, through the dictionary) and names: runs of capitalised words.

    A name run ("Ayatollah Mahmoud Hashemi Shahroudi", "Marise Payne") is one constraint, supported
    when one of its distinctive words is found — a word no dictionary renders (by its consonant
    skeleton) or a rare rendering; a run of common capitalised words ("Saudi", "National Army") weighs
    as context but is not required.
    """
    from search.translation.lexicon import STOPWORDS

    found = [(m.start(), part) for m in _LATIN_WORD.finditer(text) for part in m.group().split("-")]
    months = {k for k in ALL_MONTHS if k.isascii()}
    run: list[tuple[str, frozenset[str], str, bool, list[str]]] = []  # (word, terms, skeleton, distinctive, arabic)

    def flush() -> None:
        if not run:
            return
        distinctive = [r for r in run if r[3]]
        parts = distinctive or run
        terms = frozenset(t for r in parts for t in r[1])
        skeletons = tuple(r[2] for r in parts if r[2])
        weight = max((rarity.idf(r[4]) if (rarity and r[4]) else 3.0) for r in parts)
        out.items.append(Constraint("name", " ".join(r[0] for r in run), terms=terms, skeletons=skeletons,
                                    weight=weight, required=bool(distinctive)))
        run.clear()

    previous_end = -1
    for i, (start, raw) in enumerate(found):
        raw = raw.strip("'")
        raw = raw[:-2] if raw.lower().endswith("'s") else raw
        w = raw.lower()
        capital = raw[:1].isupper() and i > 0 and not _sentence_start(text, start)
        if not capital or (previous_end >= 0 and re.search(r"[^\s\-]", text[previous_end:start])):
            flush()
        previous_end = start + len(raw)
        if len(w) < 3 or w in used or w in _FRAME_EN or w in STOPWORDS or w in months or w in _WEEKDAYS_EN:
            flush()
            continue
        arabic = _translate(lexicon, w)
        if capital and any(len(a.split()) > 2 for a in arabic):
            arabic = []  # a name the dictionary reads as a phrase ("Homs" -> "من نفس الصنف")
        terms = frozenset(t for a in arabic for t in analyze(a))
        if capital:
            skeleton = latin_skeleton(w) if len(latin_skeleton(w)) >= 3 else ""
            if not terms and not skeleton:
                continue  # nothing to look for in Arabic text
            distinctive = not terms or bool(rarity and any(rarity.rare(a, NAME_SHARE) for a in arabic))
            run.append((raw, terms, skeleton, distinctive, arabic))
        elif terms:
            weight = rarity.idf(arabic) if rarity else 1.0
            # a dictionary's Arabic for an English word is a guess: it weighs, it is not required
            out.items.append(Constraint("word", w, terms=terms, weight=weight, required=False))
    flush()


def _translate(lexicon: Any | None, word: str) -> list[str]:
    """The dictionary's Arabic for an English word, trying the American spelling of a British one."""
    if lexicon is None:
        return []
    arabic = lexicon.translate(word)
    if not arabic:
        for a, b in (("isation", "ization"), ("ise", "ize"), ("our", "or"), ("tre", "ter"), ("ence", "ense")):
            if a in word:
                arabic = lexicon.translate(word.replace(a, b))
                if arabic:
                    break
    return arabic


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip()
    return not before or before[-1] in ".?!:;\"(«"


def _month_day(lower: str, words: list[str]) -> tuple[int | None, int | None]:
    """The month the question names and the day of the month next to it (either may be None)."""
    en = sorted((k for k in ALL_MONTHS if k.isascii()), key=len, reverse=True)
    m = re.search(r"(?:(\d{1,2})\s+)?\b(" + "|".join(en) + r")\b\.?(?:\s+(\d{1,2})\b)?", lower)
    if m and (m.group(2) != "may" or m.group(1) or m.group(3)):
        d = m.group(1) or m.group(3)
        return ALL_MONTHS[m.group(2)], int(d) if d and 1 <= int(d) <= 31 else None
    for i, w in enumerate(words):
        for form in (w, _strip(w)):
            if form in ARABIC_MONTHS:
                day = int(words[i - 1]) if i > 0 and words[i - 1].isdigit() and 1 <= int(words[i - 1]) <= 31 else None
                return ARABIC_MONTHS[form], day
    return None, None


def _en_has(lower: str, phrase: str) -> bool:
    if not phrase:
        return False
    return re.search(r"(?<![a-z0-9\-])" + re.escape(phrase) + r"(?![a-z0-9\-])", lower) is not None


# ----------------------------------------------------------------------------- evidence
@dataclass
class Reading:
    """One text read once: folded words, analysed terms, consonant skeletons, years, numbers."""

    words: list[str]
    wordset: set[str]
    terms: set[str]
    skeletons: set[str]
    years: set[str]
    numbers: set[str]


def read(text: str, cache: dict[str, Reading] | None = None) -> Reading:
    """Read `text` (remembered in `cache`: the same passages and headlines come back for many candidates)."""
    if cache is not None and text in cache:
        return cache[text]
    plain = ascii_digits(text or "")
    words = [fold(t.text) for t in tokens(plain)]
    wordset = set(words)
    terms = set(analyze(plain)) | {_strip(w) for w in wordset}
    skeletons = {s for s in (arabic_skeleton(w) for w in wordset) if len(s) >= 3}
    numbers = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(plain)}
    r = Reading(words, wordset, terms, skeletons, set(_YEAR.findall(plain)), numbers)
    if cache is not None:
        cache[text] = r
    return r


def _years_only(text: str, cache: dict[str, Reading] | None) -> Reading:
    """A reading of a long text that holds only its years (analysing a whole article is not needed)."""
    key = "\x00years\x00" + text
    if cache is not None and key in cache:
        return cache[key]
    r = Reading([], set(), set(), set(), set(_YEAR.findall(ascii_digits(text))), set())
    if cache is not None:
        cache[key] = r
    return r


@dataclass
class Evidence:
    """A candidate answer's sentence and its document context (passage or paragraph, headline, publication date)."""

    sentence: Reading
    context: list[Reading]
    published: date | None = None
    document: Reading | None = None  # the whole document, read only for the years it names

    @classmethod
    def of(cls, sentence: str, context: Sequence[str], published: date | None = None,
           cache: dict[str, Reading] | None = None, document: str | None = None) -> "Evidence":
        return cls(read(sentence, cache), [read(t, cache) for t in context if t], published,
                   _years_only(document, cache) if document else None)

    def where(self, test: Callable[[Reading], bool]) -> str | None:
        """"sentence" / "context" / None: where a test first holds."""
        if test(self.sentence):
            return "sentence"
        return "context" if any(test(r) for r in self.context) else None


@dataclass
class Verdict:
    """What the evidence says about each constraint of the question."""

    in_sentence: list[Constraint] = field(default_factory=list)
    in_context: list[Constraint] = field(default_factory=list)
    missing: list[Constraint] = field(default_factory=list)
    contradicted: list[tuple[Constraint, str]] = field(default_factory=list)
    unknown: list[Constraint] = field(default_factory=list)  # the evidence cannot say (an undated document)

    @property
    def ok(self) -> bool:
        return not self.contradicted and not any(c.required for c in self.missing)

    @property
    def reason(self) -> str | None:
        if self.contradicted:
            c, why = self.contradicted[0]
            return f"{c.kind} {c.text}: {why}"
        gone = [c for c in self.missing if c.required]
        return f"{gone[0].kind} {gone[0].text} not in the evidence" if gone else None

    def coverage(self, kinds: Sequence[str] | None = None, sentence_only: bool = False, weighted: bool = True) -> float:
        """Share (IDF-weighted) of the constraints of `kinds` supported (1.0 when there are none)."""
        supported = self.in_sentence if sentence_only else self.in_sentence + self.in_context
        every = self.in_sentence + self.in_context + self.missing + self.unknown + [c for c, _ in self.contradicted]
        if kinds is not None:
            supported = [c for c in supported if c.kind in kinds]
            every = [c for c in every if c.kind in kinds]
        if not every:
            return 1.0
        w = (lambda c: c.weight) if weighted else (lambda c: 1.0)
        return sum(w(c) for c in supported) / sum(w(c) for c in every)

    def features(self) -> dict[str, float]:
        """Interpretable evidence features for the calibration (`qa.calibration`)."""
        every = self.in_sentence + self.in_context + self.missing + [c for c, _ in self.contradicted]
        required = [c for c in every if c.required]
        return {
            "support": round(self.coverage(), 4),
            "support_sentence": round(self.coverage(sentence_only=True), 4),
            "required_missing": float(sum(1 for c in self.missing if c.required)),
            "contradicted": float(len(self.contradicted)),
            "entities": round(self.coverage(("place", "actor", "name")), 4),
            "dates": round(self.coverage(("year", "day", "number")), 4),
            "words": round(self.coverage(("word",)), 4),
            "relation": round(self.coverage(("relation",), sentence_only=False), 4),
            "required": float(len(required)),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": [c.text for c in self.in_sentence], "context": [c.text for c in self.in_context],
                "missing": [c.text for c in self.missing],
                "contradicted": [f"{c.text}: {why}" for c, why in self.contradicted], "ok": self.ok}


def check(constraints: Constraints, ev: Evidence, kinds: Sequence[str] = KINDS) -> Verdict:
    """Which of the question's constraints (of `kinds`) the evidence supports, lacks or contradicts."""
    v = Verdict()
    for c in constraints.items:
        if c.kind not in kinds:
            continue
        where, contradiction = _supported(c, ev, constraints)
        if contradiction:
            v.contradicted.append((c, contradiction))
        elif where == "sentence":
            v.in_sentence.append(c)
        elif where in ("context", "document"):
            v.in_context.append(c)
        elif where == "unknown":
            v.unknown.append(c)
        else:
            v.missing.append(c)
    return v


def _supported(c: Constraint, ev: Evidence, cs: Constraints) -> tuple[str | None, str | None]:
    """(where the evidence supports `c`, or None; why it contradicts `c`, or None)."""
    if c.kind == "year":
        where = ev.where(lambda r: c.value in r.years)
        if where:
            return where, None
        if ev.published is not None and str(ev.published.year) == c.value:
            return "context", None
        others = ev.sentence.years - {c.value}
        if ev.document is not None and c.value in ev.document.years:
            # the article names the year (a dateline, an earlier paragraph); a sentence dated to other years is
            # about them, and the year elsewhere in the page (a copyright line, a sidebar) does not make it so
            return (None if others else "document"), None
        if others:
            return None, f"the sentence gives {', '.join(sorted(others))} and the document never names it"
        if ev.published is None and not (ev.document is not None and ev.document.years):
            return "unknown", None  # an undated document naming no year: nothing to hold the year against
        return None, None
    if c.kind == "day":
        where = ev.where(lambda r: c.value in r.numbers)
        if where:
            return where, None
        p = ev.published
        if p is not None and cs.month is not None and p.month == cs.month and 0 <= p.day - int(c.value) <= 2:
            return "context", None  # "yesterday" in a report published the next day
        return None, None
    if c.kind == "number":
        return ev.where(lambda r: c.value in r.numbers or c.text in r.numbers), None
    if c.kind == "relation":
        # the relation is stated in the sentence or its passage, by a word that is not the start of another
        # relation's phrase ("فازت بحق استضافة": won the right to host is not won) unless that one is asked too
        asked = {x.text for x in cs.items if x.kind == "relation"}
        rel = next((r for r in relations() if r.name == c.text), None)
        if rel is None:
            return ev.where(lambda r: bool(c.terms & r.terms) or any(f in r.wordset for f in c.forms)), None
        others = [r for r in relations() if r.name in rel.contrasts and r.name not in asked]
        return ev.where(lambda r: _states(rel, r, others)), None
    return ev.where(lambda r: _names(c, r)), None


CONTRAST_WINDOW = 3  # words after a relation's word in which another relation's word makes it that one's phrase


def _says(rel: Relation, word: str) -> bool:
    """Does one folded word name `rel` (a listed form, or an analysed term of one)?"""
    return word in rel.forms or _strip(word) in rel.terms or any(t in rel.terms for t in analyze(word))


def _states(rel: Relation, r: Reading, contrasts: Sequence[Relation]) -> bool:
    """`r` names `rel` by at least one word that does not open a contrasting relation's phrase."""
    if not (rel.terms & r.terms or any(f in r.wordset for f in rel.forms)):
        return False
    if not contrasts or not any(o.terms & r.terms or any(f in r.wordset for f in o.forms) for o in contrasts):
        return True
    for i, w in enumerate(r.words):
        if _says(rel, w):
            after = r.words[i + 1:i + 1 + CONTRAST_WINDOW]
            if not any(_says(o, a) for o in contrasts for a in after):
                return True
    return False


def _names(c: Constraint, r: Reading) -> bool:
    """Does reading `r` name the constraint (an analysed term, a gazetteer variant, or a Latin name's skeleton)?"""
    if c.terms & r.terms:
        return True
    for form in c.forms:
        if " " in form:
            if ar_match(r.words, form) >= 0:
                return True
        elif form in r.wordset or _strip(form) in r.terms:
            return True
    return any(sk in r.skeletons for sk in c.skeletons)
