"""The shared evidence check (`qa.support`): each abstention rule on sentences written for these tests.

A question's constraints (places, names, years, days, numbers, the asked relation) must be held by the
cited sentence or its context; one the evidence lacks or contradicts makes the answer abstain. The
index is a small stand-in that only counts passages per word (what `Rarity` asks of it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from khabar.vocabulary import Vocabulary
from qa.question import parse
from qa.support import Evidence, Rarity, check, question_constraints


@dataclass
class _Response:
    total: int


@dataclass
class _Stats:
    passages: int


class CountingIndex:
    """Passage counts per word: rare words (names) in 1-5 passages of 100,000, ordinary ones in 5,000."""

    def __init__(self, rare: set[str]) -> None:
        self.rare = rare

    def search(self, query: str, mode: str = "lexical", k: int = 10, offset: int = 0) -> _Response:
        return _Response(3 if query in self.rare or query.removeprefix("ال") in self.rare else 3300)

    def stats(self) -> _Stats:
        return _Stats(100_000)


VOCAB = Vocabulary.load()


class _Lexicon:
    """A few dictionary entries (the real one is installed system-wide; these tests must not depend on it)."""

    words = {"world": ["العالم"], "cup": ["كأس"], "talks": ["المحادثات"], "hours": ["ساعات"],
             "siege": ["حصار"], "hotel": ["فندق"], "earthquake": ["الزلزال"]}

    def translate(self, word: str) -> list[str]:
        return self.words.get(word.lower(), [])


def verdict(question: str, sentence: str, context: tuple[str, ...] = (), published: date | None = None,
            document: str | None = None, rare: set[str] = frozenset()):  # type: ignore[assignment]
    q = parse(question, VOCAB)
    cs = question_constraints(q, VOCAB, _Lexicon(), Rarity(CountingIndex(set(rare))))
    return check(cs, Evidence.of(sentence, context, published, document=document))


CUP_2018 = "استضافت روسيا بطولة كأس العالم لكرة القدم عام 2018 في إحدى عشرة مدينة."
CUP_WON = "فازت فرنسا بكأس العالم لكرة القدم عام 2018 بعد فوزها على كرواتيا في النهائي."


@pytest.mark.parametrize("question", ["Who won the 2022 FIFA World Cup?", "من فاز بكأس العالم لكرة القدم 2022؟"])
def test_another_year_in_the_sentence_contradicts_the_asked_year(question: str) -> None:
    v = verdict(question, CUP_WON, document=CUP_WON)
    assert not v.ok and v.contradicted and v.contradicted[0][0].kind == "year"
    # the same sentence in an article that does name the asked year is not a contradiction
    assert not verdict(question, CUP_WON, document=CUP_WON + " وتستضيف قطر نسخة 2022.").contradicted


@pytest.mark.parametrize("question", ["Who won the 2018 FIFA World Cup?", "من فاز بكأس العالم لكرة القدم 2018؟"])
def test_the_asked_relation_must_be_stated(question: str) -> None:
    hosted = verdict(question, CUP_2018, document=CUP_2018)
    assert not hosted.ok and "relation" in (hosted.reason or "")  # who hosted is not who won
    assert verdict(question, CUP_WON, document=CUP_WON).ok


@pytest.mark.parametrize("question", ["Where did the talks between the government and the rebels in Homs take place?",
                                      "أين جرت المحادثات بين الحكومة والمعارضة في حمص؟"])
def test_a_place_the_question_names_must_be_in_the_evidence(question: str) -> None:
    aleppo = verdict(question, "جرت المحادثات بين الحكومة والمعارضة في فندق بمدينة حلب.")
    assert not aleppo.ok and (aleppo.reason or "").startswith("place")
    # the place may stand in the passage or the headline rather than the sentence
    assert verdict(question, "جرت المحادثات بين الحكومة والمعارضة في فندق وسط المدينة.",
                   context=("محادثات في حمص",)).ok


def test_an_english_name_no_dictionary_knows_is_matched_by_its_consonants() -> None:
    question = "How many people died in the earthquake in Kermanshah?"
    assert verdict(question, "قتل 328 شخصا في الزلزال الذي ضرب إقليم كرمانشاه غرب إيران.").ok
    missing = verdict(question, "قتل 328 شخصا في الزلزال الذي ضرب إقليم أذربيجان غرب إيران.")
    assert not missing.ok and "Kermanshah" in (missing.reason or "")


def test_a_rare_arabic_name_is_required_an_ordinary_word_only_weighs() -> None:
    question = "من قاد حصار فندق في مقديشو؟"
    other_city = verdict(question, "قاد مسلحون حصار فندق في العاصمة لساعات.", rare={"مقديشو"})
    assert not other_city.ok and "مقديشو" in (other_city.reason or "")
    # "فندق" is an ordinary word: a sentence saying "نزل" instead is weighed lower, not refused
    paraphrase = verdict(question, "قاد مسلحون حصار نزل في مقديشو لساعات.", rare={"مقديشو"})
    assert paraphrase.ok and paraphrase.coverage() < 1.0


def test_a_number_the_question_gives_must_be_in_the_evidence() -> None:
    question = "How many people were killed in the hotel siege that lasted 12 hours?"
    assert not verdict(question, "قتل 14 شخصا في حصار فندق استمر ست ساعات.").ok
    assert verdict(question, "قتل 14 شخصا في حصار فندق استمر 12 ساعة.").ok


def test_a_day_is_supported_by_a_report_published_the_next_day() -> None:
    question = "What did the Houthis fire at Riyadh on 19 December 2017?"
    sentence = "أطلق الحوثيون أمس صاروخا باليستيا على الرياض."
    v = verdict(question, sentence, published=date(2017, 12, 20))
    assert v.ok and not v.missing
    assert [c.kind for c in verdict(question, sentence, published=date(2017, 12, 28)).missing] == ["day"]


def test_an_undated_document_naming_no_year_neither_supports_nor_refuses_a_year() -> None:
    question = "To which city did the cleric travel in September 2017?"
    v = verdict(question, "توجه رجل الدين إلى مدينة النجف.", document="توجه رجل الدين إلى مدينة النجف.")
    assert v.ok and [c.kind for c in v.unknown] == ["year"]
    dated = verdict(question, "توجه رجل الدين إلى مدينة النجف.", published=date(2015, 3, 1))
    assert not dated.ok  # a document of another year that never names 2017


@pytest.mark.parametrize("question", ["Who won the 2022 FIFA World Cup?", "من فاز بكأس العالم لكرة القدم 2022؟"])
def test_winning_the_right_to_host_is_not_winning(question: str) -> None:
    bid = verdict(question, "فازت قطر بحق استضافة بطولة كأس العالم لكرة القدم 2022.")
    assert not bid.ok and "relation" in (bid.reason or "")
    # a win whose sentence also names the host is still a win
    won = "فازت الأرجنتين بكأس العالم لكرة القدم 2022 التي استضافتها قطر."
    assert verdict(question, won).ok


@pytest.mark.parametrize("question", ["Who won the 2018 FIFA World Cup?", "من فاز بكأس العالم لكرة القدم 2018؟"])
def test_a_sentence_dated_to_other_years_is_not_supported_by_the_year_elsewhere_in_the_page(question: str) -> None:
    final_1938 = "فازت إيطاليا بكأس العالم لكرة القدم عام 1938 بعد فوزها على المجر في النهائي."
    page = final_1938 + " حق الملكية 1994 - 2018"
    assert not verdict(question, final_1938, document=page).ok  # the copyright line's 2018 is not the final's
    # a sentence with no year of its own takes the year from its article
    assert verdict(question, "فازت فرنسا بكأس العالم لكرة القدم بعد فوزها على كرواتيا.", document="نهائي 2018").ok


def test_holding_a_title_is_not_winning_the_asked_one() -> None:
    question = "أي فريق فاز بكأس السوبر الأوروبي 2015؟"
    holder = "غاب نيمار مهاجم برشلونة حامل اللقب عن مباراة كأس السوبر الأوروبي 2015."
    assert not verdict(question, holder).ok
    assert verdict(question, "فاز برشلونة بكأس السوبر الأوروبي 2015 على إشبيلية.").ok


def test_a_named_holiday_must_be_in_the_evidence() -> None:
    """Eid al-Adha is not Eid al-Fitr: the hand lexicon (no dictionary) renders the holiday's name."""
    from search.translation.lexicon import DEFAULT_PATH, Lexicon, read_hand_lexicon

    q = parse("How many visitors attended the Eid al-Adha celebrations in Riyadh?", VOCAB)
    cs = question_constraints(q, VOCAB, Lexicon(read_hand_lexicon(DEFAULT_PATH)), Rarity(CountingIndex({"الأضحى"})))
    fitr = "زار أكثر من 350 ألف شخص احتفالات عيد الفطر في الرياض."
    assert not check(cs, Evidence.of(fitr, ())).ok
    assert check(cs, Evidence.of(fitr.replace("الفطر", "الأضحى"), ())).ok
