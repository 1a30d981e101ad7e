"""Which figures of a sentence can answer a how-many question no stored claim answers (`qa.answerer.answer_figures`)."""
from __future__ import annotations

from qa.answerer import answer_figures

SIEGE = "لقي 12 شخصا حتفهم في هجوم على فندق في مقديشو استمر 12 ساعة."
CENSUS = "بلغ عدد سكان المدينة 45 ألف نسمة في عام 2010."


def test_a_figure_the_question_gives_is_a_condition_not_the_answer() -> None:
    assert [n.value for n in answer_figures(SIEGE, "count", set())] == [12]  # the dead; "12 ساعة" is a duration
    assert answer_figures(SIEGE, "count", {"12"}) == []  # "the siege that lasted 12 hours"
    assert [n.value for n in answer_figures(CENSUS, "count", {"2010"})] == [45000]

