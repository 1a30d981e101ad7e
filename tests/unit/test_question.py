"""Question understanding (qa.question, khabar.language): language, type, quantity, actor and role, stance, place."""
from __future__ import annotations

import pytest

from khabar.language import query_language
from qa.question import ar_match, parse


@pytest.mark.parametrize("text, lang", [
    ("How many civilians died?", "en"),
    ("كم عدد القتلى؟", "ar"),
    ("Airwars?", "en"),
    ("كم غارة شنها التحالف on Raqqa?", "ar"),  # mixed script: the Arabic share decides
    ("ما هي تقديرات Airwars", "ar"),
])
def test_language_by_script(text: str, lang: str) -> None:
    assert query_language(text) == lang


@pytest.mark.parametrize("text, qtype", [
    ("How many civilians has the coalition admitted killing?", "how_many"),
    ("What is the death toll in Mayadin?", "how_many"),
    ("كم مدنيا قتل في الميادين؟", "how_many"),
    ("ما حصيلة القتلى في كابول؟", "how_many"),
    ("Who is Maria Zakharova?", "who"),
    ("من هي ماريا زاخاروفا؟", "who"),
    ("When did the air campaign begin?", "when"),
    ("متى بدأت الحملة الجوية؟", "when"),
    ("في أي عام بدأت الحملة؟", "when"),
    ("Where did the car bomb explode?", "where"),
    ("أين انفجرت السيارة المفخخة؟", "where"),
    ("Did the coalition admit killing civilians?", "yes_no"),
    ("هل اعترف التحالف بقتل مدنيين؟", "yes_no"),
    ("What does Zakharova condemn?", "what"),
])
def test_question_type(text: str, qtype: str) -> None:
    assert parse(text).type == qtype


def test_coalition_admission_english() -> None:
    q = parse("How many civilians has the US-led coalition admitted killing?")
    assert (q.actor, q.actor_role, q.stance) == ("coalition", "speaker", "admitted")
    assert q.what[0] == "civilians_killed" and "people_killed" in q.what
    assert q.numeric and q.language == "en"


def test_coalition_admission_arabic() -> None:
    q = parse("اعترف التحالف بقتل كم مدنيا؟")
    assert (q.actor, q.actor_role, q.stance) == ("coalition", "speaker", "admitted")
    assert q.what[0] == "civilians_killed"


def test_russian_strikes_make_russia_the_perpetrator_not_the_speaker() -> None:
    for text in ("How many civilians did Russian strikes kill?", "كم مدنيا قتلت الغارات الروسية؟"):
        q = parse(text)
        assert (q.actor, q.actor_role) == ("russia", "perpetrator"), text
        assert q.what[0] == "civilians_killed"


def test_according_to_makes_a_speaker() -> None:
    q = parse("According to Airwars, how many civilians were killed?")
    assert (q.actor, q.actor_role) == ("airwars", "speaker")
    q = parse("كم عدد القتلى المدنيين بحسب إيروورز؟")
    assert (q.actor, q.actor_role) == ("airwars", "speaker")


def test_quantities() -> None:
    assert parse("How many were injured in the Kabul bombing?").what[0] == "injured"
    assert parse("كم عدد الجرحى في تفجير كابول؟").what[0] == "injured"
    assert parse("How many air strikes has the coalition carried out?").what == ["air_strikes"]
    assert parse("كم غارة شنها التحالف الدولي؟").what == ["air_strikes"]
    # deaths are asked for even when strikes are mentioned
    assert parse("How many people did the strikes kill?").what[0] == "people_killed"
    killed_and_injured = parse("How many people were killed and injured in Kabul?").what
    assert "people_killed" in killed_and_injured and "injured" in killed_and_injured


def test_places_with_glued_prefixes() -> None:
    assert parse("كم قتيلا سقط بالميادين؟").place == "mayadin"
    assert parse("How many civilians died in the raid south of Raqqa?").place == "raqqa"
    assert parse("What's the weather in Cairo?").place == "cairo"
    assert parse("Who won the football match?").place is None


def test_us_led_is_not_the_us() -> None:
    assert parse("What did the US-led coalition admit?").actor == "coalition"


def test_ar_match_prefixes() -> None:
    assert ar_match(["وقال", "والتحالف"], "التحالف") == 1
    assert ar_match(["للتحالف"], "التحالف") == 0
    assert ar_match(["التحالفات"], "التحالف") == -1


def test_empty_question_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse("   ")


@pytest.mark.parametrize("question, speaker", [
    ("How many were killed and injured by the US strike according to the Iraqi government?", "iraqi_government"),
    ("According to Airwars, how many civilians did coalition strikes kill?", "airwars"),
    ("كم قتيلا سقط في القصف الأمريكي بحسب الحكومة العراقية؟", "iraqi_government"),
])
def test_the_actor_after_according_to_is_the_speaker(question, speaker):
    parsed = parse(question)
    assert (parsed.actor, parsed.actor_role) == (speaker, "speaker")
