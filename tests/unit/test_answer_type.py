"""The expected answer type of a question (qa.answer_type) and typed spans in Arabic sentences (qa.entities)."""
from __future__ import annotations

import pytest

from qa.entities import find_spans
from qa.question import parse


@pytest.mark.parametrize("text, answer_type", [
    ("Who is Maria Zakharova?", "other"),
    ("من هي ماريا زاخاروفا؟", "other"),
    ("Who is the spokesman of the Syrian Democratic Forces who defected to Turkey?", "person"),
    ("من هو وزير الصحة الذي أمر بالتحقيق؟", "person"),
    ("Which organisation counts civilian victims of air strikes worldwide?", "organisation"),
    ("In an interview with which newspaper did the prince speak?", "organisation"),
    ("في أي مدينة أقيمت المباراة؟", "place"),
    ("Which country will represent Saudi interests in Iran?", "place"),
    ("On what date did Lebanon decide to hold elections?", "date"),
    ("متى وقع التفجير؟", "date"),
    ("Why did the UN blacklist the coalition?", "reason"),
    ("ما الذي تسبب في انقلاب السيارة؟", "reason"),
    ("How old was the actor when he died?", "number"),
    ("What did the plane carry?", "other"),
])
def test_expected_answer_type(text: str, answer_type: str) -> None:
    assert parse(text).answer_type == answer_type


def test_an_organisation_question_naming_a_count_is_not_numeric() -> None:
    q = parse("Which organisation counts civilian victims of air strikes worldwide?")
    assert not q.numeric and q.answer_type == "organisation"
    assert parse("What civilian death toll did the international coalition acknowledge?").numeric


def test_the_kind_of_place_asked_for() -> None:
    assert parse("Which street in Aden was named after the king?").answer_head == "street"
    assert parse("أي بنك سجل تراجعا في أرباحه؟").answer_head == "bank"


def _texts(sentence: str, answer_type: str, head: str | None = None) -> list[str]:
    return [s.text for s in find_spans(sentence, answer_type, head=head)]


def test_a_name_after_a_title_and_its_office() -> None:
    spans = _texts("وقال المتحدث باسم قوات التحالف العقيد تركي المالكي إن الصاروخ اعترض.", "person")
    assert "تركي المالكي" in spans and not any("قوات" in s for s in spans)


def test_a_kunya_name_pattern() -> None:
    assert "جواد أبو حطب" in _texts("وأعلن رئيس الحكومة المؤقتة جواد أبو حطب تشكيل الجيش.", "person")


def test_organisation_and_place_heads() -> None:
    assert "جامعة كارولينسكا الطبية" in " ".join(_texts("يعمل باحثا في جامعة كارولينسكا الطبية منذ سنوات.",
                                                         "organisation"))
    assert "قرية الخوجرة" in _texts("سقطت المقذوفات على قرية الخوجرة دون إصابات.", "place")


def test_the_kind_of_place_filters_spans() -> None:
    sentence = "أطلق الرئيس اسم الملك على شارع الكورنيش في مدينة عدن باليمن."
    assert _texts(sentence, "place", head="street") == ["شارع الكورنيش"]
    assert [(s.text, s.en) for s in find_spans(sentence, "place", head="country")] == [("اليمن", "Yemen")]


def test_dates_render_in_english() -> None:
    spans = find_spans("جرت الانتخابات في 6 مايو 2018 في جميع المحافظات.", "date")
    assert [(s.text, s.en) for s in spans] == [("6 مايو 2018", "6 May 2018")]


def test_reason_and_other_have_no_spans() -> None:
    assert find_spans("قال الوزير إن السبب هو انفجار الإطار.", "reason") == []
