"""Who a figure is attributed to, and how: reporting cues, their subjects, and the stance they give.

    tokens(text, start, end)           -> the words of one attribution unit, folded, with offsets
    find_cues(toks, text, gaz)         -> reporting verbs / "according to" words with the actor of each
    attribute(figure, toks, cues, carried) -> (actor or None, stance)

Why a module of its own: news attributes a figure in many ways — the subject of a reporting
verb in verb-subject order («قال وزير الصحة ريكوت حمة رشيد للصحفيين إن …»), «بحسب/وفق/نقلا
عن X», a headline «X: …», a continuation «وأضاف أن …» that takes the previous speaker — and
most speakers are not in any gazetteer. So the actor is first the *phrase* that the sentence
names (cut at the complementizer, an addressee «للصحفيين», a time word, punctuation), kept as
written without its glued preposition; the gazetteer only canonicalises it (`id`, English)
when an entry is written inside the phrase. An English label for an unknown phrase is derived
word by word from the gazetteer's `actor_words` only when every word is known.

Rules that keep the doer apart from the source: a verb with no written subject followed by
«عن» is the agentless passive «أُعلن عن» (no actor); the object of a strike («قصف طائرات
التحالف») is never the subject of a later verb; wire credits at the head of an item
(«أ ش أ», «بي بي سي :») are not actors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from khabar.arabic import ARABIC_STOPWORDS, fold
from khabar.folding import folded, span_to_original
from khabar.vocabulary.gazetteer import Gazetteer, Match

CUE_ACTOR_WINDOW = 6  # tokens between a reporting verb and a gazetteer subject that follows it
SUBJECT_BEFORE_WINDOW = 16  # tokens between a subject and its later verb ("إيروورز … التي أكدت")
MAX_PHRASE = 12  # tokens of a written actor phrase
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_COMPLEMENTIZERS = frozenset("ان انه انها انهم بان بانه بانها بانهم الي علي في عن".split())
_PHRASE_STOPS = frozenset(
    "ان انه انها انهم انهن بان بانه بانها بانهم لان عن الي علي اليوم امس يوم صباح مساء صباحا مساء ظهر "
    "السبت الاحد الاثنين الثلاثاء الاربعاء الخميس الجمعه خلال اثناء عقب بعد قبل منذ حتي مع ايضا كذلك "
    "بدوره بدورها جانبه جانبها رسميا امام اليها عليه عليها له لها لهم الذي التي الذين والذي والتي "
    "فيه فيها ذلك هذا هذه حيث كما بينما فيما وقد قد لقد انه".split())
_FOLLOWED_BY_NOT_SUBJECT = frozenset("بيان تصريح تصريحات حديث مؤتمر مقابله لقاء تقرير كلمه رساله تغريده "
                                     "بيانه تصريحه حديثه كلمته".split())
_ADDRESSEES = frozenset("الصحفيين الصحافيين الصحافه وكاله صحيفه الصحيفه قناه موقع اذاعه تلفزيون التلفزيون "
                        "الجزيره العربيه رويترز فرانس الاناضول سبق عكاظ الوطن الرياض نا ها هم الاعلام "
                        "وسايل مراسل".split())
_QUOTE_HEADS = frozenset("شبكه منظمه موقع صحيفه وكاله حركه جماعه قناه جمعيه هيئه مركز مجموعه مرصد حمله "
                         "تجمع اتحاد لجنه تنسيقيه فصيل لواء كتايب جيش".split())
_PERPETRATOR_NOUNS = frozenset(
    "قصف طايرات طيران غارات غاره ضربات ضربه مقاتلات قوات قذايف صواريخ هجمات هجوم عمليات".split())
_WIRE_CREDITS = frozenset({"ا ش ا", "بي بي سي", "رويترز", "فرانس برس", "ا ف ب", "د ب ا", "واس", "سبق", "قنا", "وام"})
_STOPWORDS = frozenset(fold(w) for w in ARABIC_STOPWORDS)
_TITLES_ABBREVIATED = frozenset({"د", "م", "أ", "ا", "ل"})
_NOT_SUBJECTS = frozenset("ارتفاع انخفاض زياده تراجع نمو هبوط استجابه وصول بلوغ تسجيل وجود عدم ضروره اهميه "
                          "لي لنا له لها لهم فقلت قلت ويضيف ويقول وتقول وتضيف يضيف تضيف ويتابع يتابع وقال وقالت قال قالت "
                          "ويوضح يوضح ويشير يشير وتشير تشير".split())
_RELATIVES = frozenset({"التي", "الذي", "الذين", "اللتي", "والتي", "والذي", "والذين", "اللذين", "اللواتي"})
# Unnamed sources ("بعض التقارير", "مصادر", "أنباء"): a named speaker who cites them stays the actor.
_VAGUE_HEADS = frozenset({"بعض", "تقارير", "انباء", "معلومات", "مصادر", "تقديرات", "احصاءات", "ارقام", "اخبار",
                          "الانباء", "المعلومات", "الاخبار", "التقديرات", "الارقام", "روايات", "شهود"})
# "بحسب آخر حصيلة للمرصد", "وفق بيان لوحدات …": the document's holder (the ل- word) is the source.
_DOCUMENT_HEADS = frozenset("اخر حصيله احصاييه احصاءات ارقام تقديرات بيان بيانات تقرير معطيات دراسه مسح "
                            "الحصيله الاحصاييه البيان التقرير الدراسه احدث".split())
# "بحسب نوعه", "وفقا لمتوسط الترتيب", "وفق القانون": according to a measure or a rule, not a source.
_NOT_SOURCES = frozenset("متوسط نوع حجم طبيعه خطه الخطه قانون القانون قرار القرار اتفاق الاتفاق نظام النظام "
                         "معايير المعايير شروط الشروط لايحه اللايحه برنامج البرنامج جدول الجدول ترتيب الترتيب "
                         "مرسوم المرسوم توجيهات التوجيهات تعليمات التعليمات درجه الحاجه الظروف ظروف الموقع "
                         "المصدر نفسه نفس التوقيت توقيت سعر اسعار الاسعار الطلب حاله الحاله مكان المكان".split())
_LIST_LABELS = frozenset("ملخص الثاني الثالث الاول الرابع الخامس اولا ثانيا ثالثا رابعا خامسا سادسا سابعا ملاحظه تنويه "
                         "عاجل شاهد فيديو صور بالصور بالفيديو اقرا المصدر السوال الجواب س ج نص تحديث خاص تقرير رابط "
                         "البريد بريد كلمه شارك تصوير قصه عنوان المعلومات الاتصال الانتباه النظر etiquetas tags "
                         "الكاتب بقلم كتب اعداد ترجمه".split())
# Religious formulae quote scripture, not a source of figures.
_SCRIPTURE = frozenset({"تعالي", "سبحانه", "صلي", "عز", "وجل"})


class Tok(NamedTuple):
    f: str  # folded form
    start: int  # offsets into the text the unit was cut from
    end: int


@dataclass(frozen=True)
class Actor:
    """Who a figure is attributed to: the phrase as written (glued preposition dropped), its
    gazetteer id and English name when an entry is written inside it."""

    surface: str
    start: int
    end: int
    id: str | None = None
    en: str | None = None


@dataclass
class Cue:
    tok: int
    start: int
    end: int
    stance: str
    participle: bool
    actor: Actor | None = None
    implicit: bool = False  # no subject written: "وأضاف أن …", "وتابعت: …" (the speaker before)
    passive: bool = False  # "أُعلن عن": no agent at all
    preposition: bool = False  # "بحسب / وفق / نقلا عن X"


def tokens(text: str, start: int, end: int) -> list[Tok]:
    """The words of text[start:end], folded, with offsets into `text`."""
    unit = text[start:end]
    ft, index = folded(unit)
    out = []
    for m in _WORD.finditer(ft):
        a, b = span_to_original(index, m.start(), m.end(), unit)
        out.append(Tok(m.group(), a + start, b + start))
    return out


def tok_index(toks: list[Tok], offset: int) -> int:
    """Index of the first token ending after `offset` (len(toks) if none)."""
    for i, t in enumerate(toks):
        if t.end > offset:
            return i
    return len(toks)


def from_match(m: Match) -> Actor:
    return Actor(m.surface, m.start, m.end, m.id, m.en)


# ----------------------------------------------------------------------------- phrases
def _strip_preposition(word: str) -> int:
    """Letters of a glued preposition to drop from an actor's first word ("للتقرير" -> 1, "لوكالة" -> 1)."""
    if len(word) > 4 and word.startswith("لل"):
        return 1
    if len(word) > 3 and word[0] in "بل" and not word.startswith(("لبنان", "ليبيا", "بريطان", "بلد", "بي")):
        return 1
    return 0


def _is_addressee(word: str) -> bool:
    """"للصحفيين", "لوكالة", "لـ«الشرق الأوسط»": whom a speaker told, not who spoke."""
    if not word.startswith("ل") or len(word) < 2:
        return False
    rest = word[1:]
    return rest in _ADDRESSEES or ("ال" + rest[1:]) in _ADDRESSEES or (rest.startswith("ل") and "ال" + rest[1:] in _ADDRESSEES) \
        or word == "ل"


def phrase_after(toks: list[Tok], i: int, text: str, gaz: Gazetteer, actors: list[Match],
                 object_ok: bool = False) -> Actor | None:
    """The actor phrase starting at token i (a reporting verb's subject, X of «بحسب X»), or None.

    `object_ok`: the phrase may carry a glued preposition ("وفقا للتقرير"), which is then dropped.
    """
    if i >= len(toks):
        return None
    first = toks[i]
    bare = first.f[1:] if len(first.f) > 2 and first.f[0] in "وف" else first.f
    if (first.f in _STOPWORDS or bare in _STOPWORDS or first.f in _PHRASE_STOPS or first.f in _NOT_SUBJECTS
            or gaz.classify_stance(first.f)
            or gaz.classify_event(first.f) or first.f.isdigit() or _is_addressee(first.f)):
        return None
    if not object_ok and _strip_preposition(first.f) and not any(a.start <= first.start + 2 and a.end > first.end for a in actors):
        return None  # "يعترف بقتله", "اعترف بداية الشهر": a verb's subject carries no preposition
    if re.search(r"[:،,؛;.!?\"«»“”()\[\]\n-]", text[toks[i - 1].end if i > 0 else first.start:first.start]) and i > 0:
        return None  # "قال: …", "قالت - …": the subject is not written
    j = i
    end = first.end
    in_quote = False
    while j < len(toks) and j - i < MAX_PHRASE:
        t = toks[j]
        if j > i:
            gap = text[toks[j - 1].end:t.start]
            opens = any(q in gap for q in '"«“')
            closes = any(q in gap for q in '"»”')
            if in_quote and closes:
                in_quote = False
                break
            if opens and not in_quote and toks[j - 1].f in _QUOTE_HEADS or (opens and not in_quote and _quote_head(toks, i, j)):
                in_quote = True
            elif toks[j - 1].f in _TITLES_ABBREVIATED and gap.strip() == ".":
                pass  # "د. محمد", "م. أحمد"
            elif re.search(r"[:،,؛;.!?()\[\]\n]|\s-\s|\s–\s", gap) or (not in_quote and (opens or closes)):
                break
            if not in_quote and (t.f in _PHRASE_STOPS or t.f in _STOPWORDS and t.f not in ("في", "من", "باسم")):
                break
            if not in_quote and (t.f == "في" or t.f == "من") and j + 1 < len(toks) and toks[j + 1].f in _FOLLOWED_BY_NOT_SUBJECT:
                break
            if not in_quote and (_is_addressee(t.f) or gaz.classify_stance(t.f) or gaz.classify_event(t.f)):
                break
            if not in_quote and t.f.isdigit():
                break
        end = t.end
        j += 1
    if in_quote:  # an unclosed quote: keep only the words before it
        pass
    # Trailing particles ("مسؤول في", "عدد من") are not part of the name.
    while j - 1 > i and toks[j - 1].f in ("في", "من", "باسم", "و", "عن", "ل"):
        j -= 1
        end = toks[j - 1].end
    for a in actors:  # a gazetteer name that starts inside the phrase is taken whole
        if first.start <= a.start < end < a.end:
            end = a.end
    k = _strip_preposition(first.f)
    start = first.start + k if k and text[first.start:first.start + 1] in "لب" else first.start
    surface = text[start:end].strip(" \"«»“”'")
    if not surface or any(t.f in _SCRIPTURE for t in toks[i:j]) or first.f in ("الله", "رسول"):
        return None
    return _canonical(surface, start, end, actors, gaz)


def _source_after(toks: list[Tok], i: int, text: str, gaz: Gazetteer, actors: list[Match]) -> Actor | None:
    """X of «بحسب / وفق / نقلا عن / جاء في X»: the phrase, its holder when it names a document
    («آخر حصيلة للمرصد» -> المرصد), None when it names a rule or a measure («بحسب نوعه»)."""
    if i >= len(toks):
        return None
    word = toks[i].f
    if _bare(word) in _NOT_SOURCES or word in _NOT_SOURCES or (word.endswith(("ه", "ها", "هم")) and not word.startswith("ال")
                                                              and not any(a.start <= toks[i].start < a.end for a in actors)):
        return None
    k = i
    while k < len(toks) and k - i < 3 and (toks[k].f in _DOCUMENT_HEADS or _bare(toks[k].f) in _DOCUMENT_HEADS):
        k += 1
    if k > i and k < len(toks) and toks[k].f.startswith("ل") and not re.search(r"[،,:.]", text[toks[k - 1].end:toks[k].start]):
        holder = phrase_after(toks, k, text, gaz, actors, object_ok=True)
        if holder is not None:
            return holder
    return phrase_after(toks, i, text, gaz, actors, object_ok=True)


def _quote_head(toks: list[Tok], i: int, j: int) -> bool:
    return j - 1 >= i and _bare(toks[j - 1].f) in _QUOTE_HEADS


def _bare(word: str) -> str:
    for p in ("وال", "بال", "لل", "ال", "و", "ب", "ل"):
        if word.startswith(p) and len(word) - len(p) >= 3:
            return word[len(p):] if p != "لل" else word[2:]
    return word


def _canonical(surface: str, start: int, end: int, actors: list[Match], gaz: Gazetteer) -> Actor:
    """The phrase with the id and English name of the gazetteer actor written inside it, if any."""
    inside = [a for a in actors if a.start >= start - 2 and a.start < end and a.end <= end + 1]
    if inside:
        best = max(inside, key=lambda a: (a.end - a.start, -a.start))
        return Actor(surface, start, end, best.id, best.en)
    return Actor(surface, start, end, None, english_label(surface, gaz))


def english_label(surface: str, gaz: Gazetteer) -> str | None:
    """A word-by-word English label ("مصادر عسكرية مصرية" -> "Egyptian military sources"), only when
    every word is in the gazetteer's `actor_words` (Arabic puts the head first: the glosses are reversed)."""
    words = [w for w in _WORD.findall(fold(surface))]
    if not words or len(words) > 5:
        return None
    glosses = []
    for w in words:
        g = gaz.actor_word(w)
        if g is None:
            return None
        if g:
            glosses.append(g)
    if not glosses:
        return None
    label = " ".join(reversed(glosses))
    return label[:1].upper() + label[1:]


# ----------------------------------------------------------------------------- cues
def find_cues(toks: list[Tok], text: str, gaz: Gazetteer, actors: list[Match]) -> list[Cue]:
    """Reporting verbs, nouns and "according to" words, each with the actor it introduces (None when none)."""
    cues: list[Cue] = []
    for i, t in enumerate(toks):
        stance = gaz.classify_stance(t.f)
        if stance is None:
            continue
        cue = Cue(i, t.start, t.end, stance, gaz.is_participle(t.f), preposition=gaz.is_according(t.f))
        cues.append(cue)
    _headline_cue(toks, text, gaz, actors, cues)
    main: Actor | None = None
    for c in cues:
        if c.actor is not None:
            main = c.actor
            continue
        if c.participle:
            c.actor = main
            continue
        c.actor = _subject(c, toks, text, gaz, actors)
        if c.preposition and c.actor is not None and main is not None and c.actor.id is None \
                and _WORD.findall(fold(c.actor.surface))[:1] and _WORD.findall(fold(c.actor.surface))[0] in _VAGUE_HEADS:
            c.actor = main  # "قالت زاخاروفا إن الحصيلة، وفقا لبعض التقارير، …": Zakharova, citing
        if c.actor is None and not c.passive:
            c.implicit = _implicit_subject(toks, c, text)
            if c.implicit and main is not None:
                c.actor, c.implicit = main, False  # "قالت الشبكة إنها وثقت": the same speaker
        if c.actor is not None:
            main = c.actor
    return cues


def _headline_cue(toks: list[Tok], text: str, gaz: Gazetteer, actors: list[Match], cues: list[Cue]) -> None:
    """Headline attribution "X: …" ("بوتين: روسيا مستعدة …", "وزارة الصحة: مقتل 3 فلسطينيين")."""
    if not toks:
        return
    colon = None
    for k in range(1, min(len(toks), 7)):
        gap = text[toks[k - 1].end:toks[k].start]
        if ":" in gap:
            colon = k
            break
        if re.search(r"[،,.؛;!?\n\"«»()]", gap):
            return
    if colon is None:
        return
    head = " ".join(t.f for t in toks[:colon])
    if toks[0].f in _LIST_LABELS or re.search(r"[-–/|]", text[toks[0].start:toks[colon - 1].end]):
        return  # "ملخص :", "الثاني :", a byline "قاسم الخبراني- سبق- جازان:"
    if head in _WIRE_CREDITS or any(a.start <= toks[0].start + 1 and a.end >= toks[colon - 1].end - 1
                                    and gaz.actor(a.id).extra.get("kind") == "media" for a in actors):
        return
    if any(gaz.classify_stance(t.f) or t.f.isdigit() for t in toks[:colon]) or toks[0].f in _STOPWORDS:
        return
    places = gaz.find_places(text[toks[0].start:toks[colon - 1].end])
    if places and places[0].start == 0 and places[-1].end >= toks[colon - 1].end - toks[0].start:
        return  # "غزة: مقتل 11 …" is a dateline, not a speaker
    start, end = toks[0].start, toks[colon - 1].end
    actor = _canonical(text[start:end], start, end, actors, gaz)
    # A person's words in a headline are a quote ("بوتين: …"); an institution's are its report.
    person = actor.id is not None and gaz.actor(actor.id).extra.get("kind") == "person"
    cues.insert(0, Cue(0, start, end + 1, "stated" if person else "reported", False, actor))


def _subject(c: Cue, toks: list[Tok], text: str, gaz: Gazetteer, actors: list[Match]) -> Actor | None:
    """The subject of a reporting verb: the phrase after it (verb-subject order), a gazetteer actor
    just after it, or a gazetteer actor before it that is not the object of a strike."""
    i = c.tok + 1
    if c.preposition:
        # "وفقا ل X", "نقلا عن X", "حسبما قالت X" (the verb after حسبما is its own cue)
        while i < len(toks) and toks[i].f in ("ل", "عن", "ما", "لما"):
            i += 1
        return _source_after(toks, i, text, gaz, actors)
    if toks[c.tok].f in ("جاء", "وجاء", "ورد", "وورد") and i < len(toks) and toks[i].f == "في":
        return _source_after(toks, i + 1, text, gaz, actors)  # "وجاء في التقرير أن …"
    if c.tok >= 2 and toks[c.tok - 1].f == "قد":
        for k in range(c.tok - 2, max(-1, c.tok - 10), -1):  # "وكان عماد الدين مجاهد قد أفاد …"
            if toks[k].f in ("كان", "وكان", "كانت", "وكانت"):
                phrase = phrase_after(toks, k + 1, text, gaz, actors)
                if phrase is not None and phrase.end <= toks[c.tok - 1].start:
                    return phrase
                break
    if i < len(toks) and toks[i].f == "عن" and text[toks[c.tok].end:toks[i].start].strip() == "":
        c.passive = True  # "أُعلن عن مقتل …"
        return None
    if gaz.is_agentless(toks[c.tok].f) and (i >= len(toks) or toks[i].f in _COMPLEMENTIZERS or toks[i].f.isdigit()
                                             or toks[i].f.startswith("ب")):
        c.passive = True  # "يذكر أن …", "يقدر بنحو …": no source named
        return None
    relative = c.tok > 0 and toks[c.tok - 1].f in _RELATIVES
    phrase = None if relative else phrase_after(toks, i, text, gaz, actors)
    if phrase is not None:
        return phrase
    after = [a for a in actors if a.start >= c.end and tok_index(toks, a.start) - c.tok <= CUE_ACTOR_WINDOW]
    if after and not _implicit_subject(toks, c, text):
        return from_match(after[0])
    before = [a for a in actors if a.end <= c.start and not _object_of_strike(a, toks)
              and c.tok - tok_index(toks, a.end - 1) <= SUBJECT_BEFORE_WINDOW]
    return from_match(before[-1]) if before else None


def _implicit_subject(toks: list[Tok], cue: Cue, text: str) -> bool:
    """True when the verb is followed by "أن/إن", a quote or a colon rather than a named subject."""
    nxt = cue.tok + 1
    if nxt >= len(toks):
        return True
    gap = text[cue.end:toks[nxt].start]
    return toks[nxt].f in _COMPLEMENTIZERS or any(ch in gap for ch in ':"“«.')


def _object_of_strike(actor: Match, toks: list[Tok]) -> bool:
    k = tok_index(toks, actor.start) - 1
    if k < 0:
        return False
    word = toks[k].f
    return word in _PERPETRATOR_NOUNS or (len(word) > 3 and word[0] in "وبل" and word[1:] in _PERPETRATOR_NOUNS)


# ----------------------------------------------------------------------------- one figure
def attribute(start: int, end: int, cues: list[Cue], carried: Actor | None) -> tuple[Actor | None, str]:
    """(actor, stance) of the figure at text[start:end]: the nearest cue before it, else an
    "according to" cue after it; no cue means the outlet's own figure (None, "reported")."""
    before = [c for c in cues if c.end <= start]
    if before:
        cue = before[-1]
        actor = cue.actor if cue.actor is None or cue.actor.start < start else None
        if actor is None and not cue.passive:
            earlier = [c.actor for c in before if c.actor is not None and c.actor.start < start]
            if cue.participle and earlier:
                actor = earlier[-1]
            elif cue.participle or cue.implicit:
                actor = carried
        return actor, cue.stance
    for k, c in enumerate(cues):  # "مقتل 16 شخصا بحسب المرصد السوري", "… حسبما قالت الشرطة"
        if c.start < end or not c.preposition:
            continue
        if c.actor is not None and c.actor.start > c.start:
            return c.actor, c.stance
        nxt = cues[k + 1] if k + 1 < len(cues) else None
        if nxt is not None and nxt.tok == c.tok + 1 and nxt.actor is not None and nxt.actor.start > nxt.start:
            return nxt.actor, nxt.stance
    return None, "reported"


def speaker(cues: list[Cue]) -> Actor | None:
    """The unit's main speaker, carried to a following "وأضاف …"."""
    return next((c.actor for c in reversed(cues) if c.actor is not None and not c.participle), None)
