"""Latin names -> Arabic: the spellings (`khabar.transliteration`), their lookup in an index's terms
(`search.translation.names`), and which words of an English query are taken for names (`Lexicon.pieces`).

The index side is a small vocabulary of real Arabic news words analysed exactly as the index
analyses them, so a stem the analysis cuts (بوتين -> وتين) is met as the index would hold it.
"""
from __future__ import annotations

import pytest

from khabar.arabic import fold, term
from khabar.transliteration import arabic_skeleton, arabic_spellings, latin_parts, latin_skeleton
from search.translation.lexicon import Lexicon
from search.translation.names import MAX_TERMS, candidate_terms, match_names

# Names as English news writes them and as Arabic news spells them.
KNOWN = [
    ("Kermanshah", "كرمانشاه"), ("Zakharova", "زاخاروفا"), ("Putin", "بوتين"), ("Hmeimim", "حميميم"),
    ("Tikrit", "تكريت"), ("Afrin", "عفرين"), ("Tillerson", "تيلرسون"), ("McGurk", "ماكغورك"),
    ("Aramco", "أرامكو"), ("Jeddah", "جدة"), ("Houthi", "حوثي"), ("Sochi", "سوتشي"), ("Qatif", "القطيف"),
    ("Novartis", "نوفارتيس"), ("Neymar", "نيمار"), ("Jolani", "الجولاني"), ("Hama", "حماة"), ("Homs", "حمص"),
    ("Beirut", "بيروت"), ("Tanf", "التنف"), ("Kurdistan", "كردستان"), ("Elaraby", "العربي"),
]

# A news index's words (term counts are made up but ordered as in real news: Syria is everywhere).
INDEX_WORDS = {
    "سوريا": 19000, "الزور": 1400, "دير": 1500, "حمص": 675, "همس": 3, "كرمانشاه": 32, "كرمان": 40,
    "بوتين": 1100, "بيروت": 900, "عفرين": 630, "رمضان": 290, "فرنسا": 2000, "لبنان": 1800, "لندن": 700,
    "زاخاروفا": 60, "التنف": 45, "الميادين": 120, "عدد": 4400, "قتلى": 3000, "تكريت": 100,
}


def counts_of(words: dict[str, int]):
    held: dict[str, int] = {}
    for word, n in words.items():
        held[term(word)] = held.get(term(word), 0) + n
    calls: list[list[str]] = []

    def counts(terms):
        calls.append(list(terms))
        return {t: held[t] for t in terms if t in held}

    return counts, calls


@pytest.mark.parametrize("latin, arabic", KNOWN)
def test_the_usual_arabic_spelling_is_among_the_cheap_ones(latin, arabic):
    parts = latin_parts(latin)
    spellings = {fold(s) for s, cost in arabic_spellings(parts[0]) if cost <= 1.0}
    wanted = fold(arabic)
    assert wanted in spellings or wanted.removeprefix("ال") in spellings


@pytest.mark.parametrize("latin, arabic", KNOWN)
def test_a_known_name_lands_on_the_index_term_of_its_arabic_spelling(latin, arabic):
    word = latin_parts(latin)[0]
    assert term(arabic) in candidate_terms(word)


def test_spellings_are_cheapest_first_and_bounded():
    spellings = arabic_spellings("reghecampf", 1.5, 50)
    costs = [c for _, c in spellings]
    assert costs == sorted(costs) and len(spellings) <= 50 and max(costs) <= 1.5
    assert arabic_spellings("1234") == () and arabic_spellings("") == ()


def test_latin_parts_drop_the_article_and_split_hyphens():
    assert latin_parts("Deir ez-Zor") == ["deir", "zor"]
    assert latin_parts("al-Jolani") == ["jolani"]
    assert latin_parts("Abu Mohammad al-Jolani") == ["abu", "mohammad", "jolani"]


def test_names_match_their_own_index_terms():
    counts, calls = counts_of(INDEX_WORDS)
    found = match_names(["kermanshah", "zor", "homs", "putin", "beirut", "afrin", "tikrit"], counts)
    assert len(calls) == 1  # one index call for the whole query
    best = {w: [m.term for m in ms] for w, ms in found.items()}
    assert best["kermanshah"][0] == term("كرمانشاه")
    assert best["zor"] == [term("الزور")]
    assert best["homs"][0] == term("حمص")  # the spelling the news uses beats the rarer همس
    assert best["putin"] == [term("بوتين")]
    assert best["beirut"] == [term("بيروت")]
    assert best["afrin"] == [term("عفرين")]
    assert best["tikrit"] == [term("تكريت")]
    assert all(len(ms) <= MAX_TERMS for ms in found.values())


def test_names_that_must_not_match():
    counts, _ = counts_of(INDEX_WORDS)
    found = match_names(["zor", "kermanshah", "london", "prince", "smith", "zakharova", "homs"], counts)
    assert term("سوريا") not in [m.term for m in found["zor"]]  # z is not s: الزور, not Syria
    assert term("كرمان") not in [m.term for m in found["kermanshah"]]  # a shorter name is another place
    assert [m.term for m in found["london"]] == [term("لندن")]  # not لبنان
    assert found["prince"] == [] and found["smith"] == []  # برنس is stemmed like فرنسا: France must not answer
    only_syria, _ = counts_of({"سوريا": 19000, "زاخر": 50})
    assert match_names(["zakharova"], only_syria) == {"zakharova": []}  # absent names add nothing


def test_no_words_no_index_call():
    counts, calls = counts_of(INDEX_WORDS)
    assert match_names([], counts) == {}
    assert match_names(["of"], counts) == {"of": []}  # too short to spell
    assert calls == []


def test_skeletons_compare_names_across_scripts():
    assert latin_skeleton("Kermanshah") == arabic_skeleton("كرمانشاه") == "krmnS"
    assert latin_skeleton("Tikrit") == arabic_skeleton("تكريت")
    assert latin_skeleton("Zakharova") != arabic_skeleton("زاخر")


# ---------------------------------------------------------------------------- which words are names
def test_query_pieces_phrases_names_and_hyphens():
    lexicon = Lexicon({"deir ez-zor": ["دير الزور"], "islamic state": ["الدولة الإسلامية"], "according to": [],
                       "coalition": ["التحالف"], "shot down": ["أسقط"]},
                      {"led": ["مقاد"], "homs": ["من نفس الصنف"], "state": ["الحالة"], "according": ["التّوافق"],
                       "down": ["أسفل"], "shot": ["الطلقة"]})
    pieces = {p.english: p for p in lexicon.pieces(
        "Which Deir ez-Zor district did the Saudi-led coalition hit, according to HRW? Rebels shot down a jet "
        "near Homs in Islamic State's Kermanshah. They retaken it.")}
    assert pieces["deir ez zor"].arabic == ("دير الزور",)  # the phrase, though the query splits ez-Zor
    assert pieces["saudi"].name and pieces["led"].arabic == ("مقاد",)  # Saudi-led split
    assert pieces["according to"].arabic == () and not pieces["according to"].name  # consumed, no Arabic
    assert pieces["shot down"].arabic == ("أسقط",)
    assert pieces["islamic state"].arabic == ("الدولة الإسلامية",)  # possessive dropped
    assert pieces["homs"].name and pieces["homs"].arabic == ()  # the dictionary only explains it
    assert pieces["kermanshah"].name
    assert not pieces["hrw"].name  # a short abbreviation
    assert not pieces["retaken"].name  # lower case: an English word the dictionary lacks, not a name
    assert not pieces["which"].name and not pieces["they"].name


def test_translate_keeps_its_flat_list():
    lexicon = Lexicon({"air strike": ["غارة"]}, {"hospital": ["مستشفى"]})
    assert lexicon.translate("An air strike hit the hospital") == ["غارة", "مستشفى"]
