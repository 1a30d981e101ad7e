"""Question understanding: language (`khabar.language`), type, the quantity asked for, actor, stance, place.

Why rules and not a model: questions to a news archive are short and formulaic ("how many
civilians did the coalition admit killing", "كم مدنيا قتل في الميادين"), the claim index
is keyed by a small closed vocabulary (gazetteer actor ids, "what" categories, stances),
and a wrong guess must be explainable. Names come from `khabar.vocabulary` (the gazetteer's
ids, so they agree with `Claim.actor_id` / `Claim.what`, plus question phrasing).

An actor can play two roles: the *speaker* of a figure ("did the coalition admit …",
"according to Airwars") or the *perpetrator* ("Russian strikes", "الغارات الروسية").
They are kept apart because the claim index records who SAID a number, and answering
"how many did Russian strikes kill" with a figure Russia's spokeswoman gave about
coalition strikes would be wrong.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from khabar.arabic import analyze, fold, tokens
from khabar.language import query_language
from khabar.vocabulary import Entry, Vocabulary
from qa.answer_type import (NUMBER, ORGANISATION, OTHER, PLACE, answer_head_ar, answer_head_en, answer_type_ar,
                            answer_type_en)

TYPES = ("how_many", "who", "when", "where", "what", "yes_no")

# Words after which (or before which) a named actor is the one doing the killing.
_STRIKE_EN = r"(?:strikes?|airstrikes?|air strikes?|raids?|bombing|bombings|bombardment|shelling|planes?|jets?|aircraft|forces|troops|attacks?)"
_STRIKE_AR = {fold(w) for w in """غارة غارات الغارات ضربة ضربات الضربات قصف القصف طيران الطيران طائرات
    قوات هجوم الهجوم هجمات الهجمات مقاتلات""".split()}
_YES_NO_EN = re.compile(r"^(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would)\b")
_HOW_MANY_EN = re.compile(r"\bhow (?:many|much)\b|\bnumber of\b|\b(?:death|casualty) toll\b|\btoll\b|\bcount of\b")
_WHEN_EN = re.compile(r"^when\b|\b(?:what|which) (?:year|date|day|month|century|decade|time)\b|\bwhen\b")
_WHERE_EN = re.compile(r"^where\b|\b(?:what|which) (?:city|country|town|place|region|province|area|village)\b|\bwhere\b")
_WHO_EN = re.compile(r"^(?:who|whom|whose)\b|\bwho\b")


@dataclass
class Question:
    """What was asked, in the terms the claim index and the searcher use."""

    text: str
    language: str  # "en" / "ar"
    type: str  # one of TYPES
    what: list[str] = field(default_factory=list)  # gazetteer "what" ids, preferred first
    actor: str | None = None  # gazetteer actor id
    actor_role: str | None = None  # "speaker" / "perpetrator"
    stance: str | None = None
    place: str | None = None  # place id
    place_names: list[str] = field(default_factory=list)  # folded Arabic + lower-case English surface forms
    terms: list[str] = field(default_factory=list)  # analysed content terms of the question
    answer_type: str = "other"  # person / organisation / place / date / number / reason / other (qa.answer_type)
    answer_head: str | None = None  # the kind of place/organisation asked for ("street", "bank", "country")

    @property
    def numeric(self) -> bool:
        """True when the answer should be a figure from the claim index."""
        return self.type == "how_many" or (self.type == "yes_no" and bool(self.what))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- matching
def _en_positions(text: str, phrase: str) -> list[int]:
    """Word positions where an English phrase occurs in lower-case `text`."""
    return [m.start() for m in re.finditer(r"(?<![a-z\-])" + re.escape(phrase) + r"(?![a-z\-])", text)]


_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "وال", "بال", "لل", "فال", "كال")


def _ar_words(text: str) -> list[str]:
    return [fold(t.text) for t in tokens(text)]


def ar_match(words: list[str], variant: str) -> int:
    """Index of the first occurrence of a folded Arabic variant among folded words, -1 if none.

    A one- or two-letter proclitic (و ب ل ف ك, وال, بال, لل) may be glued to the first word,
    which is how Arabic writes "and the coalition" / "in Mayadin".
    """
    parts = variant.split()
    if not parts:
        return -1
    n = len(parts)
    for i in range(len(words) - n + 1):
        if words[i + 1 : i + n] != parts[1:]:
            continue
        first, want = words[i], parts[0]
        if first == want:
            return i
        for p in _PROCLITICS:
            if first.startswith(p) and (first[len(p):] == want or
                                        (want.startswith("ال") and p.endswith("ل") and first[len(p):] == want[2:])):
                return i
    return -1


def _find(entries: dict[str, Entry], lower: str, words: list[str]) -> list[tuple[int, int, str]]:
    """(position, -length, id) of every entry named in the question (English or Arabic)."""
    found: list[tuple[int, int, str]] = []
    for key, e in entries.items():
        best: tuple[int, int] | None = None
        for phrase in e.en:
            for pos in _en_positions(lower, phrase):
                cand = (pos, -len(phrase))
                best = min(best, cand) if best else cand
        for variant in e.ar:
            pos = ar_match(words, variant)
            if pos >= 0:
                cand = (10_000 + pos, -len(variant))
                best = min(best, cand) if best else cand
        if best:
            found.append((best[0], best[1], key))
    return sorted(found)


def _type_en(lower: str, has_what: bool) -> str:
    if _HOW_MANY_EN.search(lower):
        return "how_many"
    if _YES_NO_EN.match(lower):
        return "yes_no"
    if re.match(r"^when\b", lower) or re.search(r"\b(?:what|which|in what|in which) (?:year|date|day|month|century|decade)\b", lower):
        return "when"
    if re.match(r"^where\b", lower) or re.search(r"\b(?:what|which) (?:city|country|town|place|region|province|village)\b", lower):
        return "where"
    if _WHO_EN.search(lower):
        return "who"
    if _WHEN_EN.search(lower):
        return "when"
    if _WHERE_EN.search(lower):
        return "where"
    if has_what and re.search(r"\b(?:toll|figure|tally|casualties)\b", lower):
        return "how_many"
    return "what"


def _type_ar(words: list[str], has_what: bool) -> str:
    w = [x.lstrip("و") if len(x) > 2 and x.startswith("و") and x[1:] in {"كم", "هل", "متي", "اين", "من", "ما"} else x
         for x in words]
    if not w:
        return "what"
    head = w[:4]
    if "كم" in head or (w[0] in {"ما", "ماهي", "ماهو"} and len(w) > 1 and w[1] in {"عدد", "حصيله", "هي", "هو"}
                        and any(x in {"عدد", "حصيله"} for x in w[1:3])):
        return "how_many"
    if w[0] == "هل" or w[0] == "اهل":
        return "yes_no"
    if "متي" in head or (len(w) > 2 and w[0] == "في" and w[1] == "اي" and w[2] in {"عام", "سنه", "يوم", "شهر", "تاريخ", "قرن", "العام", "السنه"}):
        return "when"
    if "اين" in head or (len(w) > 2 and w[0] in {"في", "الي", "من"} and w[1] == "اي" and w[2] in {"مدينه", "بلد", "دوله", "منطقه", "مكان", "قريه", "محافظه", "بلده"}):
        return "where"
    if w[0] in {"من", "لمن", "بمن"} and (len(w) == 1 or w[1] not in {"اي", "خلال"}):
        return "who"
    if w[0] == "عدد" or (has_what and "حصيله" in w[:3]):
        return "how_many"
    return "what"


def _named_speaker(lower: str, words: list[str], actors: list[tuple[int, int, str]]) -> str | None:
    """The actor named right after "according to" / بحسب / حسب / وفقا: the source being asked about.

    "killed by the US strike according to the Iraqi government" names two actors; the one
    after "according to" is whose figure is wanted, whatever its position in the question.
    """
    marker = re.search(r"\baccording to\b", lower)
    if marker:
        after = [a for a in actors if marker.end() <= a[0] < 10_000]
        if after:
            return min(after)[2]
    for i, word in enumerate(words):
        if word in {"بحسب", "حسب", "وفقا", "وفق"}:
            after = [a for a in actors if a[0] >= 10_000 + i]
            if after:
                return min(after)[2]
    return None


def _perpetrator_en(lower: str, entry: Entry) -> bool:
    for phrase in entry.en:
        pattern = (r"(?<![a-z])" + re.escape(phrase) + r"(?:'s)?\s+(?:\w+\s+)?" + _STRIKE_EN + r"\b|\b" + _STRIKE_EN
                   + r"\s+(?:by|of|from)\s+(?:the\s+)?" + re.escape(phrase) + r"(?![a-z])")
        if re.search(pattern, lower):
            return True
        if re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])\s+(?:kill|killed|bomb|bombed|hit|struck|strike)\b", lower):
            return True
        if re.search(r"\b(?:did|has|have)\s+(?:the\s+)?" + re.escape(phrase) + r"\s+(?:kill|killed|bomb|bombed|hit|strike)\b", lower):
            return True
    return False


def perpetrator_in_words(words: list[str], variants: tuple[str, ...]) -> bool:
    """An actor named right after a strike word ("الغارات الروسية", "قصف التحالف") or as its subject."""
    for v in variants:
        i = ar_match(words, v)
        while i >= 0:
            window = words[max(0, i - 3) : i]
            if any(_strip_clitic(x) in _STRIKE_AR for x in window):
                return True
            nxt = ar_match(words[i + 1 :], v)
            i = i + 1 + nxt if nxt >= 0 else -1
    return False


def _strip_clitic(word: str) -> str:
    for p in ("وال", "بال", "فال", "و", "ب", "ف", "ل"):
        if word.startswith(p) and fold(word[len(p):]) in _STRIKE_AR:
            return word[len(p):]
    return word


def parse(text: str, vocab: Vocabulary | None = None) -> Question:
    """Understand one question (English or Arabic). Raises ValueError on empty input."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("question is empty")
    vocab = vocab or Vocabulary.load()
    text = " ".join(text.split())
    language = query_language(text)
    lower = text.lower()
    words = _ar_words(text)

    what_found = [k for _, _, k in _find(vocab.what, lower, words)]
    what = _order_what(what_found)
    stance_found = _find(vocab.stances, lower, words)
    stance = stance_found[0][2] if stance_found else None
    actors = _find(vocab.actors, lower, words)
    places = _find(vocab.places, lower, words)

    actor = role = None
    speaker = _named_speaker(lower, words, actors)
    if speaker:
        actor, role = speaker, "speaker"
    elif actors:
        actor = actors[0][2]
        entry = vocab.actors[actor]
        perpetrator = _perpetrator_en(lower, entry) or perpetrator_in_words(words, entry.ar)
        if stance or re.search(r"\baccording to\b", lower) or any(w in {"وفقا", "بحسب", "حسب"} for w in words):
            role = "speaker"
        elif perpetrator:
            role = "perpetrator"
        else:
            role = "perpetrator" if what else "speaker"
    # A place also listed as an actor-like country (Iraq) stays a place; prefer the most specific.
    place = None
    names: list[str] = []
    if places:
        specific = [p for p in places if p[2] not in {"syria", "iraq"}]
        place = (specific or places)[0][2]
        e = vocab.places[place]
        names = list(e.ar) + list(e.en)

    qtype = _type_en(lower, bool(what)) if language == "en" else _type_ar(words, bool(what))
    expected = answer_type_en(lower, qtype) if language == "en" else answer_type_ar(words, qtype)
    head = answer_head_en(lower) if language == "en" else answer_head_ar(words)
    if qtype == "what" and what and expected in (OTHER, NUMBER):
        # "what is the death toll", "ما حصيلة القتلى": the answer is a figure; "which organisation
        # counts civilian victims" names a count but asks for an organisation
        qtype, expected = "how_many", NUMBER
    return Question(text=text, language=language, type=qtype, what=what, actor=actor, actor_role=role,
                    stance=stance, place=place, place_names=names, terms=analyze(text), answer_type=expected,
                    answer_head=head if expected in (PLACE, ORGANISATION) else None)


def _order_what(found: list[str]) -> list[str]:
    """Which count is asked for, preferred first.

    "civilians" alone only narrows a count; "strikes" is context when a casualty word is
    present ("how many did Russian strikes kill" asks for deaths, not strikes).
    """
    found = list(dict.fromkeys(found))
    civilians = "civilians_killed" in found
    killed = "people_killed" in found
    out: list[str] = []
    if killed:
        out += ["civilians_killed", "people_killed"] if civilians else ["people_killed", "civilians_killed"]
    if "injured" in found:
        out += ["civilians_injured", "injured"] if civilians and not killed else ["injured", "civilians_injured"]
    if not out and civilians:
        out += ["civilians_killed", "people_killed"]
    if not out and "air_strikes" in found:
        out.append("air_strikes")
    out += [w for w in found if w not in out and w not in {"air_strikes", "civilians_killed", "people_killed"}]
    return out
