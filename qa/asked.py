"""What a numeric question asks for, and about which event.

`asked(q, lexicon)` reads two things from a question that `qa.question.parse` leaves out:

* the **quantity**: the noun counted ("كم زائرا", "how many visitors" -> the gazetteer label
  `visitors`; "how many tonnes" -> `weight_t`; "كم مليون يورو" -> `money_eur`), or only its kind
  (money for "what were the profits", percent for "بكم نسبة", a change for "by how much did … fall");
* the **event**: the incident kinds it names (bombing, earthquake, fire …, gazetteer `incidents`),
  every place it names (gazetteer places), the date it pins (a year, a month, a day), and the
  remaining descriptive words ("bus", "mosque", "Eid al-Fitr") as Arabic analysed terms.

Claims are then kept only when they count the asked thing and their context names the asked
event (`qa.context`): a figure of another event is never an answer, however well it is worded.
English words are put into Arabic through the search lexicon (`search.translation`), place names
through the gazetteer; a capitalised English name that neither knows stays a Latin descriptor,
matched by its consonant skeleton (`latin_skeleton`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from khabar.arabic import analyze, fold, tokens
from khabar.dates import ALL_MONTHS, ARABIC_MONTHS
from khabar.transliteration import arabic_skeleton, latin_skeleton  # noqa: F401 (qa.context imports them from here)
from khabar.vocabulary import Vocabulary
from khabar.vocabulary.quantities import QuantityNames
from qa.question import Question, ar_match

# Words that only frame a numeric question: they say nothing about which event is meant.
_FRAME_EN = frozenset("""
how many much number total figure figures toll death deaths dead died die killed kill killing killings
people person persons casualties victims injured wounded hurt injuries according say said says report reported
reports count counted confirm confirmed confirmation admit admitted estimate estimated announce announced
give gave given put state stated claim claimed least more than about nearly around some total overall
was were is are be been did does do had has have will would could what which when where who whose
""".split())
_FRAME_AR = frozenset(fold(w) for w in """
كم عدد حصيلة حصيله ما ماهي ماهو هي هو هل بلغ بلغت يبلغ تبلغ كان كانت بحسب حسب وفق وفقا قال قالت
قتل قتلوا قتلت مقتل قتلى قتيل قتيلا ضحايا ضحية وفاة وفيات مات ماتوا لقي لقوا مصرع مصرعهم اصيب اصيبوا
اصابة اصابه جرحى جريح مصاب مصابين المصابين شخص شخصا اشخاص الاشخاص الناس اعلن اعلنت اعترف اعترفت
قدر قدرت اكد اكدت ذكر ذكرت افاد افادت اجمالي مجموع نحو اكثر اقل الذين التي الذي مدينة
""".split())
_VERBS_AFTER_KAM = frozenset(fold(w) for w in "بلغ بلغت يبلغ تبلغ كان كانت يكون تكون وصل وصلت".split())
_MULTIPLIERS = frozenset(fold(w) for w in "الف آلاف الاف ألف مليون ملايين مليار مليارات million millions billion billions thousand thousands".split())
_EN_STOP_AFTER_NOUN = frozenset("""were was did does do had has have are is will would could can of in on at by from for that which who
according during when since as with""".split())
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")


@dataclass
class Asked:
    """The quantity and event of a numeric question (see the module docstring)."""

    labels: list[str] = field(default_factory=list)  # gazetteer labels / unit ids / money_<iso>
    kinds: list[str] = field(default_factory=list)  # count / money / percent / measure, preferred first
    noun_terms: set[str] = field(default_factory=set)  # analysed Arabic terms of the counted noun
    people: bool = False  # the counted thing is people of some kind: a figure of "people" may answer
    change: bool = False  # "by how much did … fall": the figure is a change
    age: bool = False  # "how old": an age, which claims do not hold
    incidents: set[str] = field(default_factory=set)  # incident ids
    incident_terms: set[str] = field(default_factory=set)  # folded Arabic forms of the named incidents
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)  # place id -> folded Arabic variants
    date: tuple[int, int | None, int | None] | None = None  # (year, month, day) the question pins
    descriptors: list[set[str]] = field(default_factory=list)  # per descriptive word: its Arabic analysed terms
    probes: list[str | None] = field(default_factory=list)  # per descriptive word: the question's own Arabic word
    # (None for English words, whose Arabic is a dictionary guess): what `qa.context` may require when rare
    latin: list[str] = field(default_factory=list)  # capitalised English names with no Arabic form known

    @property
    def has_event(self) -> bool:
        return bool(self.incidents or self.places or self.date or self.descriptors or self.latin)

    def to_dict(self) -> dict[str, Any]:
        return {"labels": self.labels, "kinds": self.kinds, "noun_terms": sorted(self.noun_terms), "people": self.people,
                "change": self.change, "age": self.age, "incidents": sorted(self.incidents),
                "places": sorted(self.places), "date": self.date,
                "descriptors": [sorted(d) for d in self.descriptors], "latin": self.latin}


def asked(q: Question, vocab: Vocabulary, lexicon: Any | None = None, names: QuantityNames | None = None) -> Asked:
    """Read the quantity and the event of numeric question `q` (English or Arabic)."""
    names = names or QuantityNames.load()
    out = Asked()
    text = q.text
    lower = text.lower()
    words = [fold(t.text) for t in tokens(text)]
    used: set[str] = set()  # folded Arabic words / lower-case English words already explained

    # ---- places (every one the question names) and the actor's words
    for pid, entry in vocab.places.items():
        if any(ar_match(words, v) >= 0 for v in entry.ar) or any(_en_has(lower, e) for e in entry.en):
            out.places[pid] = entry.ar
            used.update(w for v in entry.ar for w in v.split())
            used.update(w for e in entry.en for w in e.split())
            used.update(f"{w}'s" for e in entry.en for w in e.split())
    broad = {"syria", "iraq"}
    if len(out.places) > 1:
        for b in broad & set(out.places):
            del out.places[b]
    if q.actor and q.actor in vocab.actors:
        a = vocab.actors[q.actor]
        used.update(w for v in a.ar for w in v.split())
        used.update(w for e in a.en for w in re.findall(r"[a-z]+", e))
        used.update(w for e in a.en for w in re.findall(r"[a-z][a-z'-]*", e))

    # ---- the words of the asked category and stance ("civilian deaths", "acknowledge"): not the event
    for table in (vocab.what, vocab.stances):
        for entry in table.values():
            for e in entry.en:
                if _en_has(lower, e):
                    used.update(e.split())
            for v in entry.ar:
                i = ar_match(words, v)
                if i >= 0:
                    used.update(words[i:i + len(v.split())])

    # ---- date
    out.date = _date(text, lower, words)
    used.update(_date_words(lower, words))

    # ---- incidents
    if q.language == "en":
        for phrase, iid in names.incident_en.items():
            if _en_has(lower, phrase):
                out.incidents.add(iid)
                used.update(phrase.split())
    for i in range(len(words)):
        for n in (2, 1):
            if i + n > len(words):
                continue
            form = " ".join(words[i:i + n])
            iid = _lookup_ar(names.incident_ar, form)
            if iid:
                out.incidents.add(iid)
                used.update(words[i:i + n])
    for form, iid in names.incident_ar.items():
        if iid in out.incidents:
            out.incident_terms.add(form)

    # ---- the quantity
    if q.language == "en":
        _quantity_en(out, lower, names, lexicon, used)
    else:
        _quantity_ar(out, words, names, used)
    if q.what and "count" not in out.kinds:
        out.kinds.insert(0, "count")
    out.people = out.people or bool(q.what) or any(label in names.people_labels for label in out.labels)

    # ---- descriptive words
    if q.language == "en":
        _descriptors_en(out, text, lower, used, lexicon)
    else:
        frame = _FRAME_AR | used
        for w in words:
            if w in frame or _strip(w) in frame or w.isdigit() or len(w) < 3:
                continue
            terms = (set(analyze(w)) | {_strip(w)}) - out.noun_terms
            if terms and not terms & {t for f in frame for t in analyze(f)}:
                out.descriptors.append(terms)
                out.probes.append(w)
    return out


# ----------------------------------------------------------------------------- quantity
def _quantity_en(out: Asked, lower: str, names: QuantityNames, lexicon: Any | None, used: set[str]) -> None:
    out.age = any(_en_has(lower, w) for w in names.age_en if w == "how old")
    out.change = bool(re.search(r"\bby how much\b", lower)) or (
        "how much" in lower and any(_en_has(lower, w) for w in names.change_en if " " not in w))
    m = re.search(r"\bhow (?:many|much)\s+(.*)", lower)
    nouns: list[str] = []
    if m:
        phrase = []
        for w in re.findall(r"[a-z0-9\-]+", m.group(1)):
            if w in _EN_STOP_AFTER_NOUN or (phrase and _verb_like(w)):
                break
            phrase.append(w)
        # "men and boys" -> both heads; "Islamic State fighters" -> the last word of each part
        for part in " ".join(phrase).split(" and "):
            ws = [w for w in part.split() if w not in _MULTIPLIERS]
            if ws:
                nouns.append(ws[-1])
                if len(ws) > 1:
                    nouns.append(" ".join(ws[-2:]))
    for noun in nouns:
        if noun in names.people_en:
            out.people = True
        label = names.label_en.get(noun) or names.label_en.get(noun.rstrip("s")) or names.label_en.get(noun + "s")
        if label:
            _add_label(out, label, names)
        used.update(noun.split())
        if lexicon is not None and " " not in noun and noun not in _FRAME_EN:
            arabic = lexicon.translate(noun)
            for a in arabic:
                label = _lookup_ar(names.label_ar, fold(a))
                if label:
                    _add_label(out, label, names)
                out.noun_terms.update(analyze(a))
    if any(_en_has(lower, w) for w in names.money_en):
        _add_kind(out, "money")
    if any(_en_has(lower, w) for w in names.percent_en) or "%" in lower:
        _add_kind(out, "percent")
    if out.change:
        for k in ("percent", "money", "measure"):
            _add_kind(out, k)


def _quantity_ar(out: Asked, words: list[str], names: QuantityNames, used: set[str]) -> None:
    out.age = any(w in names.age_ar for w in words[:4]) and any(w in {"كم", "بكم"} for w in words[:3])
    out.change = any(w in names.change_ar for w in words)
    start = next((i for i, w in enumerate(words) if w in {"كم", "بكم", "وكم"}), None)
    if start is None:
        start = next((i for i, w in enumerate(words) if w in {"عدد"}), None)
    nouns: list[str] = []
    if start is not None:
        i = start + 1
        while i < len(words) and (words[i] in {"عدد", "من"} or words[i] in _VERBS_AFTER_KAM or words[i] in _MULTIPLIERS):
            i += 1
        if i < len(words):
            nouns.append(words[i])
            if i + 1 < len(words) and words[i + 1].startswith("و") and len(words[i + 1]) > 3:
                nouns.append(words[i + 1][1:])  # "رجلا وصبيا"
            if i + 1 < len(words):
                nouns.append(words[i] + " " + words[i + 1])
    for noun in nouns:
        if _lookup_set(names.people_ar | names.generic_people_ar, noun):
            out.people = True
        label = _lookup_ar(names.label_ar, noun)
        if label:
            _add_label(out, label, names)
        if " " not in noun:
            used.add(noun)
            if _strip(noun) not in _FRAME_AR and noun not in _FRAME_AR:
                out.noun_terms.update(analyze(noun))
    money = any(_lookup_set(names.money_ar, w) for w in words)
    if money:
        _add_kind(out, "money")
    if any(_lookup_set(names.percent_ar, w) for w in words) or "%" in " ".join(words):
        _add_kind(out, "percent")
    if out.change and start is not None and words[start] == "بكم":
        for k in ("percent", "money", "measure"):
            _add_kind(out, k)


def _add_label(out: Asked, label: str, names: QuantityNames) -> None:
    if label not in out.labels:
        out.labels.append(label)
    _add_kind(out, names.label_kind.get(label, "count"))


def _add_kind(out: Asked, kind: str) -> None:
    if kind not in out.kinds:
        out.kinds.append(kind)


# ----------------------------------------------------------------------------- descriptors
def _descriptors_en(out: Asked, text: str, lower: str, used: set[str], lexicon: Any | None) -> None:
    capitalised = {w.lower() for i, w in enumerate(re.findall(r"[A-Za-z][A-Za-z']*", text))
                   if w[0].isupper() and i > 0}
    for w in dict.fromkeys(re.findall(r"[a-z][a-z']*", lower.replace("-", " "))):
        w = w[:-2] if w.endswith("'s") else w
        if w in used or w in _FRAME_EN or len(w) < 3 or w in _MONTHS_EN or w in {"al", "el"}:
            continue
        if _is_stop(lexicon, w) or (w not in capitalised and _verb_like(w)):
            continue
        arabic = lexicon.translate(w) if lexicon is not None else []
        if w in capitalised and any(len(a.split()) > 2 for a in arabic):
            arabic = []  # a name the dictionary reads as a phrase ("Homs" -> "من نفس الصنف")
        terms = {t for a in arabic for t in analyze(a)} - out.noun_terms
        if terms:
            out.descriptors.append(terms)
            out.probes.append(None)
        elif w in capitalised and len(latin_skeleton(w)) >= 3:
            out.latin.append(w)


_EN_VERBS = frozenset("""fell fall rise rose left leave remain remained still missing took take gave give get got made make
went go came come ran run won win lost lose hit struck say says said tell told told saw see held hold kept keep pass
passed through""".split())


def _verb_like(word: str) -> bool:
    """English verbs and participles carry no event of their own ("exploded", "attending", "were left")."""
    return word in _EN_VERBS or (len(word) > 4 and (word.endswith("ed") or word.endswith("ing")))


def _is_stop(lexicon: Any, word: str) -> bool:
    from search.translation.lexicon import STOPWORDS

    return word in STOPWORDS


# ----------------------------------------------------------------------------- dates
_MONTHS_EN = {k for k, v in ALL_MONTHS.items() if k.isascii()}


def _date(text: str, lower: str, words: list[str]) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) the question names; month/day None when not given. None without a year."""
    years = _YEAR.findall(text)
    if not years:
        return None
    year = int(years[-1])
    month = day = None
    m = re.search(r"(?:(\d{1,2})\s+)?\b(" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\b\.?(?:\s+(\d{1,2})\b)?",
                  lower)
    if m and m.group(2) != "may" or (m and re.search(r"\bmay\s+(?:\d|19|20)", lower)):
        month = ALL_MONTHS[m.group(2)]
        d = m.group(1) or m.group(3)
        day = int(d) if d else None
    else:
        for i, w in enumerate(words):
            for n in (2, 1):
                form = " ".join(words[i:i + n])
                if form in ARABIC_MONTHS or _strip(form) in ARABIC_MONTHS:
                    month = ARABIC_MONTHS.get(form) or ARABIC_MONTHS[_strip(form)]
                    if i > 0 and words[i - 1].isdigit() and int(words[i - 1]) <= 31:
                        day = int(words[i - 1])
                    break
            if month:
                break
    return (year, month, day)


def _date_words(lower: str, words: list[str]) -> set[str]:
    out = {w for w in words if w.isdigit() or w in ARABIC_MONTHS or _strip(w) in ARABIC_MONTHS}
    out |= {w for w in re.findall(r"[a-z]+", lower) if w in _MONTHS_EN}
    out |= {"كانون", "تشرين", "الاول", "الثاني", "عام", "العام", "سنة", "سنه", "year", "month"}
    return out


# ----------------------------------------------------------------------------- helpers
def _en_has(lower: str, phrase: str) -> bool:
    if not phrase:
        return False
    if not phrase[0].isalnum():
        return phrase in lower
    return re.search(r"(?<![a-z0-9\-])" + re.escape(phrase) + r"(?![a-z0-9\-])", lower) is not None


def _strip(word: str) -> str:
    """A folded word without one proclitic and the article (وال / بال / لل / ال / و / ب)."""
    for p in ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ف", "ل"):
        if word.startswith(p) and len(word) - len(p) >= 3:
            return word[len(p):]
    return word


def _lookup_ar(table: dict[str, str], form: str) -> str | None:
    if form in table:
        return table[form]
    stripped = " ".join(_strip(w) if i == 0 else w for i, w in enumerate(form.split()))
    if stripped in table:
        return table[stripped]
    return table.get("ال" + stripped)


def _lookup_set(table: Iterable[str], word: str) -> bool:
    s = set(table)
    return word in s or _strip(word) in s or ("ال" + _strip(word)) in s
