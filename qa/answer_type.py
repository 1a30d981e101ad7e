"""What kind of thing a question asks for: person, organisation, place, date, number, reason or other.

The question word alone is not enough: "which organisation counts …" wants an organisation,
"which city …" a place, "what date …" a date, "who is Maria Zakharova?" a description of a
person the question already names (so no name is a right short answer). The expected type
decides which spans may be shown as a short answer (`qa.entities`); "reason" and "other"
never get one, their answer is the cited sentence.

Rules, not a model: the head noun after which/what (أي / ما ال…) is looked up in small tables
of nouns per type; who/من default to a person.
"""
from __future__ import annotations

import re

from khabar.arabic import fold

PERSON, ORGANISATION, PLACE, DATE, NUMBER, REASON, OTHER = (
    "person", "organisation", "place", "date", "number", "reason", "other")
ANSWER_TYPES = (PERSON, ORGANISATION, PLACE, DATE, NUMBER, REASON, OTHER)

_HEADS_EN: dict[str, tuple[str, ...]] = {
    ORGANISATION: ("organisation", "organization", "organisations", "organizations", "group", "groups", "team",
                   "teams", "club", "clubs", "newspaper", "paper", "daily", "agency", "agencies", "company",
                   "companies", "firm", "bank", "banks", "university", "institute", "ministry", "party", "militia",
                   "faction", "channel", "network", "body", "authority", "council", "monitor", "charity", "ngo",
                   "side", "movement", "broadcaster", "airline", "court", "coalition", "alliance", "union"),
    PLACE: ("city", "country", "countries", "town", "village", "district", "province", "region", "area", "place",
            "street", "road", "stadium", "hospital", "mosque", "airport", "base", "neighbourhood", "neighborhood",
            "camp", "governorate", "state", "island", "port", "prison", "capital", "border", "location", "site"),
    DATE: ("year", "date", "day", "month", "century", "decade", "time"),
    PERSON: ("person", "man", "woman", "minister", "president", "leader", "commander", "spokesman",
             "spokeswoman", "spokesperson", "coach", "head", "chief", "governor", "ambassador", "envoy",
             "official", "king", "prince", "emir", "general", "officer", "academic", "researcher", "journalist",
             "player", "actor", "singer", "director", "secretary", "chairman", "mayor", "judge", "cleric"),
    NUMBER: ("number", "amount", "percentage", "share", "toll", "magnitude", "total", "figure", "value", "price",
             "level", "profit", "profits", "revenue", "revenues", "cost", "rate", "budget", "population", "age",
             "score", "salary"),
}
_HEADS_AR: dict[str, tuple[str, ...]] = {
    ORGANISATION: ("منظمة", "منظمات", "جماعة", "جماعات", "فريق", "نادي", "صحيفة", "جريدة", "وكالة", "شركة",
                   "بنك", "مصرف", "جامعة", "معهد", "وزارة", "حزب", "منتخب", "هيئة", "مجلس", "قناة", "تنظيم",
                   "جهة", "مؤسسة", "حركة", "فصيل", "ميليشيا", "محكمة", "اتحاد", "جمعية", "لجنة", "تحالف"),
    PLACE: ("مدينة", "دولة", "بلد", "بلدة", "قرية", "منطقة", "محافظة", "حي", "شارع", "ملعب", "مستشفى", "مسجد",
            "مطار", "قاعدة", "إقليم", "قضاء", "مخيم", "ولاية", "ميناء", "جزيرة", "سجن", "عاصمة", "مكان", "موقع"),
    DATE: ("عام", "سنة", "يوم", "شهر", "تاريخ", "قرن", "وقت", "ساعة"),
    PERSON: ("شخص", "رجل", "امرأة", "وزير", "رئيس", "قائد", "متحدث", "مدرب", "محافظ", "سفير", "مبعوث",
             "مسؤول", "ملك", "أمير", "لاعب", "ممثل", "مدير", "أمين"),
    NUMBER: ("عدد", "حصيلة", "نسبة", "قيمة", "كمية", "مبلغ", "قوة"),
}
_HEAD_EN = {w: t for t, words in _HEADS_EN.items() for w in words}
# The kind of place or organisation a head noun asks for, and the Arabic head nouns that name one:
# "which street" is answered by «شارع …», not by the country the street is in.
HEAD_KINDS: dict[str, tuple[str, ...]] = {
    "street": ("شارع", "طريق", "الخط"), "road": ("شارع", "طريق"), "stadium": ("ملعب", "استاد"),
    "hospital": ("مستشفى",), "mosque": ("مسجد", "جامع"), "airport": ("مطار",), "base": ("قاعدة", "معسكر"),
    "camp": ("مخيم", "معسكر"), "prison": ("سجن",), "village": ("قرية",), "town": ("بلدة", "مدينة"),
    "city": ("مدينة",), "district": ("حي", "قضاء", "منطقة", "ناحية"), "neighbourhood": ("حي",),
    "neighborhood": ("حي",), "province": ("محافظة", "إقليم", "ولاية", "منطقة"),
    "governorate": ("محافظة",), "region": ("منطقة", "إقليم"), "country": (), "countries": (),
    "newspaper": ("صحيفة", "جريدة"), "paper": ("صحيفة", "جريدة"), "daily": ("صحيفة", "جريدة"),
    "bank": ("بنك", "مصرف"), "banks": ("بنك", "مصرف"), "university": ("جامعة", "معهد"), "institute": ("معهد",),
    "team": ("فريق", "نادي", "منتخب"), "club": ("نادي", "فريق"), "company": ("شركة",), "firm": ("شركة",),
    "agency": ("وكالة",), "ministry": ("وزارة",), "party": ("حزب",), "channel": ("قناة",),
}
_KIND_OF_AR = {fold(a): k for k, heads in HEAD_KINDS.items() for a in heads if k not in ("road", "paper", "daily",
                                                                                          "banks", "neighborhood")}
_KIND_OF_AR.update({fold(w): "country" for w in ("دولة", "بلد")})
_HEAD_AR = {fold(w): t for t, words in _HEADS_AR.items() for w in words}
_REASON_EN = re.compile(r"^(?:why\b|for what reason\b|what (?:caused|led to|made|prompted)\b|what was the (?:reason|cause)\b|how come\b)")
_REASON_AR = {fold(w) for w in ("لماذا", "لم", "ولماذا", "سبب", "أسباب", "اسباب")}
_CAUSE_AR = {fold(w) for w in ("تسبب", "أدى", "ادى", "دفع", "سبب")}
_WHICH_EN = re.compile(r"(?:^|\b(?:in|at|from|to|for|with|by|on|into|against|of|under|over|through)\s+)(?:what|which)\s+(.*)$")
_NUMBER_EN = re.compile(r"^how (?:old|long|far|big|large|much|many|tall|high|deep)\b|^(?:what|which) (?:was|is|were|are) the (?:\w+ )?(?:value|price|level|profits?|revenues?|cost|rate|budget|population|age|score|magnitude|total)\b")
_AUX_EN = {"did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "will", "would", "can", "could"}
_WHO_IS_EN = re.compile(r"^who\s+(?:is|was|are|were)\s+(.+?)\??$")
_RELATIVE_AR = {fold(w) for w in ("الذي", "التي", "الذين", "اللذين", "اللتين", "اللواتي")}
_PREPS_AR = {"في", "الي", "من", "مع", "علي", "عن", "ل", "ب", "ضد", "بين", "لدي"}


def answer_type_en(text: str, qtype: str) -> str:
    """The expected answer type of an English question (lower-cased text, type from `qa.question`)."""
    lower = " ".join(text.lower().replace("?", " ").split())
    if qtype == "how_many" or _NUMBER_EN.search(lower):
        return NUMBER
    if qtype == "when":
        return DATE
    if _REASON_EN.search(lower):
        return REASON
    m = _WHICH_EN.search(lower)
    if m:
        head = _head_en(m.group(1).split())
        if head:
            return head
    if qtype == "where":
        return PLACE
    if qtype == "who":
        return OTHER if _describes_named(lower) else PERSON
    return OTHER


def _head_en(words: list[str]) -> str | None:
    """The type of the noun after which/what ("which Saudi bank" -> organisation); None when none is known."""
    found = _head_word_en(words)
    return found[0] if found else None


def _head_word_en(words: list[str]) -> tuple[str, str] | None:
    for w in words[:4]:
        if w in _AUX_EN:
            return None
        w = w.strip("'\",.")
        if w in ("type", "kind", "sort", "name"):
            return None if w == "name" else (OTHER, w)
        for form in (w, w[:-1] if w.endswith("s") else w):
            if form in _HEAD_EN:
                return _HEAD_EN[form], form
    return None


def answer_head_en(text: str) -> str | None:
    """The kind of place or organisation asked for ("which street" -> "street"), a key of HEAD_KINDS, or None."""
    lower = " ".join(text.lower().replace("?", " ").split())
    m = _WHICH_EN.search(lower)
    found = _head_word_en(m.group(1).split()) if m else None
    return found[1] if found and found[1] in HEAD_KINDS else None


def answer_head_ar(words: list[str]) -> str | None:
    """The same for an Arabic question: «أي صحيفة» -> "newspaper", «أي دولة» -> "country"."""
    for i, w in enumerate(words[:6]):
        if w in {"اي", "ايه", "باي", "لاي", "وباي"}:
            nxt = words[i + 1] if i + 1 < len(words) else ""
            return _KIND_OF_AR.get(nxt[2:] if nxt.startswith("ال") else nxt)
    if words and words[0] in {"ما", "ماهي", "ماهو"} and len(words) > 1:
        nxt = words[1]
        return _KIND_OF_AR.get(nxt[2:] if nxt.startswith("ال") else nxt)
    return None


def _describes_named(lower: str) -> bool:
    """"who is Maria Zakharova?": a short name after who-is with no role or clause asks for a description."""
    m = _WHO_IS_EN.match(lower)
    if not m:
        return False
    rest = m.group(1).split()
    if len(rest) > 4 or rest[0] in ("the", "a", "an") or any(w in ("who", "that", "which", "whose") for w in rest):
        return False
    return not any(w.strip("'s,") in _HEAD_EN for w in rest)


def answer_type_ar(words: list[str], qtype: str) -> str:
    """The expected answer type of an Arabic question, from its folded words."""
    if qtype == "how_many":
        return NUMBER
    if qtype == "when":
        return DATE
    if not words:
        return OTHER
    if words[0] in {"بكم", "وبكم", "كم"}:
        return NUMBER
    if words[0] in _REASON_AR or (words[0] == "ما" and len(words) > 1 and words[1] in _REASON_AR):
        return REASON
    if words[0] in {"ما", "ماذا"} and len(words) > 2 and words[1] == "الذي" and words[2] in _CAUSE_AR:
        return REASON
    for i, w in enumerate(words[:6]):  # "في أي مدينة", "بأي", "في مقابلة مع أي صحيفة"
        if w in {"اي", "ايه"} or (w in {"باي", "لاي", "وباي"}):
            head = _head_ar(words[i + 1:i + 2])
            if head:
                return head
            break
    if words[0] in {"ما", "ماهي", "ماهو"} and len(words) > 1:
        head = _head_ar(words[1:2])  # "ما الصنف", "ما قوة الزلزال"
        if head:
            return head
    if qtype == "where":
        return PLACE
    if qtype == "who":
        return OTHER if _describes_named_ar(words) else PERSON
    return OTHER


def _head_ar(words: list[str]) -> str | None:
    for w in words:
        base = w[2:] if w.startswith("ال") and len(w) > 3 else w
        if base in _HEAD_AR:
            return _HEAD_AR[base]
    return None


def _describes_named_ar(words: list[str]) -> bool:
    """"من هي ماريا زاخاروفا؟": who-is + a bare name (no title, no article, no relative clause)."""
    if len(words) < 3 or words[0] != "من" or words[1] not in {"هو", "هي", "هم"}:
        return False
    rest = words[2:]
    if len(rest) > 3 or any(w in _RELATIVE_AR for w in rest):
        return False
    return not any(w.startswith("ال") or w in _HEAD_AR for w in rest)
