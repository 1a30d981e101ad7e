"""Claim extraction on the seed pages (hand-made expected list) and on focused sentences."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.claims import extract_claims
from khabar.vocabulary.gazetteer import Gazetteer
from khabar.models import Claim, Document
from indexer.pipeline import document_from_article, prepare

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "samples" / "seeds"
EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "claims" / "seeds_expected.json").read_text("utf-8"))["claims"]
FIELDS = ("value", "qualifier", "what", "actor_id", "stance", "where_en")


@pytest.fixture(scope="module")
def seed_docs() -> dict[str, Document]:
    prepared = prepare([SEEDS])
    docs = {d.doc_id[:3]: d for d in prepared.documents}
    assert sorted(docs) == ["000", "001", "002", "003", "004"]
    return docs


def _doc(text: str, sidebar: list[str] | None = None, published_at: str | None = None, title: str = "") -> Document:
    return Document(doc_id="t", title=title, text=text, content_hash="x", sidebar=sidebar or [],
                    published_at=published_at)


def _key(c: dict | Claim) -> tuple:
    get = c.get if isinstance(c, dict) else (lambda k: getattr(c, k))
    return (get("section"),) + tuple(get(f) for f in FIELDS)


# ----------------------------------------------------------------------------- seeds: recall and precision
@pytest.mark.parametrize("expected", EXPECTED, ids=[f"{e['seed']}-{e['section']}-{e['value']}-{e['what']}" for e in EXPECTED])
def test_seed_claim_found_with_right_fields(seed_docs: dict[str, Document], expected: dict) -> None:
    claims = seed_docs[expected["seed"]].claims
    same_value = [c for c in claims if c.value == expected["value"] and c.section == expected["section"]]
    assert same_value, f"no {expected['section']} claim with value {expected['value']}"
    assert _key(expected) in [_key(c) for c in same_value], [_key(c) for c in same_value]
    if "when" in expected:
        match = [c for c in same_value if _key(c) == _key(expected)]
        assert expected["when"] in [c.when for c in match]


def test_seed_extraction_has_no_extra_claims(seed_docs: dict[str, Document]) -> None:
    want = Counter((e["seed"],) + _key(e) for e in EXPECTED)
    got = Counter((seed,) + _key(c) for seed, doc in seed_docs.items() for c in doc.claims)
    extra = got - want
    missing = want - got
    assert not extra, f"claims not in the hand-made list: {sorted(extra)}"
    assert not missing, f"expected claims not produced: {sorted(missing)}"


def test_seed_offsets_point_at_the_figure_and_sentence(seed_docs: dict[str, Document]) -> None:
    for doc in seed_docs.values():
        passages = {p.passage_id: p for p in doc.passages}
        for c in doc.claims:
            source = {"body": doc.text, "title": doc.title}.get(c.section)
            if source is None:
                source = next(line for line in doc.sidebar if line == c.sentence)
            assert source[c.start:c.end] == c.sentence
            assert source[c.value_start:c.value_end] == c.value_text
            assert c.start <= c.value_start < c.value_end <= c.end
            if c.section == "body":
                p = passages[c.passage_id]
                assert p.start <= c.start and c.end <= p.end
            else:
                assert c.passage_id is None


def test_seed_value_texts_as_written(seed_docs: dict[str, Document]) -> None:
    texts = {(c.doc_id[:3], c.value): c.value_text for d in seed_docs.values() for c in d.claims}
    assert texts[("002", 7595)] == "7 آلاف و595"
    assert texts[("002", 34000)] == "34 ألف"
    assert texts[("001", 20)] == "عشرين"
    assert texts[("004", 1000000000)] == "مليار"


def test_claim_ids_stable_and_unique(seed_docs: dict[str, Document]) -> None:
    first = [c.claim_id for d in seed_docs.values() for c in d.claims]
    again = [c.claim_id for d in seed_docs.values() for c in extract_claims(d)]
    assert first == again
    assert len(set(first)) == len(first)


def test_claims_round_trip_through_dict(seed_docs: dict[str, Document]) -> None:
    for c in seed_docs["002"].claims:
        assert Claim.from_dict(c.to_dict()) == c


def test_raw_seed_text_without_pipeline() -> None:
    """The extractor itself must not depend on page cleaning: raw text of 002 still yields its figures."""
    raw = next(SEEDS.glob("002_*.txt")).read_text("utf-8")
    claims = extract_claims(_doc(raw))
    got = {(c.value, c.qualifier, c.what, c.actor_id, c.stance) for c in claims}
    assert (1257, "exact", "civilians_killed", "coalition", "admitted") in got
    assert (7595, "about", "civilians_killed", "airwars", "estimated") in got
    assert all(c.section == "body" for c in claims)


# ----------------------------------------------------------------------------- focused behaviour
def test_sidebar_lines_are_claims_with_line_offsets() -> None:
    line = "سوريا.. مقتل 7 أشخاص وإصابة 20 بحصيلة أولية لتفجير مستودع للذخيرة بريف الحسكة"
    claims = extract_claims(_doc("نص المقال بلا أرقام.", sidebar=["عنوان بلا أرقام", line]))
    assert [(c.section, c.value, c.what) for c in claims] == [("sidebar", 7, "people_killed"), ("sidebar", 20, "injured")]
    for c in claims:
        assert c.sentence == line and line[c.value_start:c.value_end] == c.value_text


def test_two_sources_in_one_sentence_keep_their_own_figures() -> None:
    text = ("وأقر التحالف الدولي رسميا بقتل أكثر من 450 مدنيا، فيما قدرت منظمة إيروورز عدد القتلى المدنيين "
            "بـ 3681 مدنيا على الاقل.")
    got = [(c.value, c.actor_id, c.stance, c.qualifier) for c in extract_claims(_doc(text))]
    assert got == [(450, "coalition", "admitted", "more_than"), (3681, "airwars", "estimated", "at_least")]


def test_strike_perpetrator_is_not_the_source() -> None:
    text = "وشككت الخارجية الروسية في البيانات الأمريكية عن الخسائر نتيجة قصف طائرات التحالف التي أعلنت وهي 352 قتيلا."
    (claim,) = extract_claims(_doc(text))
    assert (claim.actor_id, claim.stance) == ("us", "announced")


def test_continuation_sentence_inherits_speaker() -> None:
    text = "قال المرصد السوري لحقوق الإنسان إن القصف استمر.\nوأضاف أن 12 مدنيا قتلوا في إدلب."
    (claim,) = extract_claims(_doc(text))
    assert (claim.actor_id, claim.stance, claim.what, claim.where_en) == ("sohr", "stated", "civilians_killed", "Idlib")


def test_unknown_named_subject_is_not_replaced_by_a_known_actor() -> None:
    text = "وأعلنت إيران دعمها للحكومة السورية.\nوقال ناشطون إن المناطق تعرضت إلى أكثر من 70 غارة جوية."
    (claim,) = extract_claims(_doc(text))
    assert (claim.value, claim.what, claim.actor_id, claim.stance) == (70, "air_strikes", None, "stated")


def test_outlets_own_figure_has_no_actor() -> None:
    (claim,) = extract_claims(_doc("وارتكب طيران التحالف مجزرة استشهد خلالها 35 مدنيا في مدينة الميادين."))
    assert (claim.actor_id, claim.stance, claim.where_en) == (None, "reported", "Al-Mayadin")


def test_syrian_opposition_coalition_is_not_the_us_led_coalition() -> None:
    (claim,) = extract_claims(_doc("وأعلن الائتلاف الوطني لقوى الثورة والمعارضة السورية مقتل 40 مدنيا في حلب."))
    assert claim.actor_id == "syrian_national_coalition"
    assert Gazetteer.load().actor(claim.actor_id).en.startswith("National Coalition")


@pytest.mark.parametrize("text", [
    "خلال فترة تزيد على 4 سنوات.",
    "في 7 فبراير الساعة 9:30 مساءً شنت القوات ضربة.",
    "منذ عام 2014 وحتى آب 2015.",
    "وصل عدد الضحايا إلى ذروته خلال 90 دقيقة.",
    "وارتكبت القوات في الحادي عشر من الشهر الفائت مجزرة.",
    "الحصيلة أكبر بثماني مرات من تلك التي يعترف بها الأمريكيون.",
    "49 خبر",
    "شنت القوات ضربة من جانب واحد في العراق.",
    "عشرات الغارات الجوية وآلاف المدنيين.",
])
def test_non_claims(text: str) -> None:
    assert extract_claims(_doc(text)) == []


def test_when_norm_uses_publication_date() -> None:
    text = ("وقالت زاخاروفا إن أكثر من 100 مدني قتلوا في الموصل في 17 مارس الماضي.\n"
            "وأفادت مصادر بأن 20 مدنيا قتلوا في الرقة في الـ27 من الشهر الماضي، و35 مدنيا في الـ25 من الشهر نفسه.\n"
            "وقتل 12 شخصا في كابول يوم الخميس الماضي.\n"
            "وأعلنت الحكومة العراقية مقتل 16 شخصا اليوم.\n"
            "وقتل 30 مدنيا في آب 2014.")
    claims = extract_claims(_doc(text, published_at="2017-05-06"))  # a Saturday
    norm = {c.value: c.when_norm for c in claims}
    assert norm == {100: "2017-03-17", 20: "2017-04-27", 35: "2017-04-25", 12: "2017-05-04", 16: "2017-05-06", 30: "2014-08"}
    assert {c.value: c.when for c in claims}[20] == "في الـ27 من الشهر الماضي"


def test_when_norm_absent_without_publication_date() -> None:
    (claim,) = extract_claims(_doc("قتل أكثر من 100 مدني في الموصل في 17 مارس الماضي."))
    assert claim.when == "في 17 مارس الماضي" and claim.when_norm is None


def test_title_claims_unless_title_repeats_first_sentence() -> None:
    body = "اعترف التحالف الدولي بقتل 1257 مدنيا."
    assert [c.section for c in extract_claims(_doc(body, title="اعترف التحالف الدولي بقتل 1257…"))] == ["body"]
    claims = extract_claims(_doc("نص بلا أرقام.", title="التحالف يعترف بقتله 1257 مدنياً في سورية والعراق"))
    assert [(c.section, c.value, c.where_en) for c in claims] == [("title", 1257, "Syria, Iraq")]


def test_rejects_non_document() -> None:
    with pytest.raises(TypeError):
        extract_claims("نص")  # type: ignore[arg-type]


WORDS = ["قتل", "أكثر", "من", "مدنيا", "التحالف", "إيروورز", "قالت", "أعلنت", "في", "الموصل", "،", ".", "..",
         "35", "٣٥", "ألف", "آلاف", "و", "عام", "2014", "الـ", "بـ", "على", "الأقل", "شخصا", "إصابة", ":", "\n"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30), st.lists(st.text(max_size=40), max_size=2))
def test_never_crashes_on_arbitrary_text(words: list[str], sidebar: list[str]) -> None:
    doc = _doc(" ".join(words), sidebar=sidebar, published_at="2020-01-31")
    for c in extract_claims(doc):
        assert c.value >= 0
        source = doc.text if c.section == "body" else c.sentence
        assert source[c.value_start:c.value_end] == c.value_text


# ----------------------------------------------------------------------------- issue 15: claims that generalise
def test_yemen_war_coalition_is_the_saudi_led_coalition() -> None:
    text = ("أعلن التحالف العربي بقيادة السعودية أن 12 مسلحا حوثيا قتلوا في غارات على صعدة.\n"
            "وقالت قوات التحالف إن 7 صواريخ أطلقت من اليمن.\n"
            "وذكر تحالف دعم الشرعية أن 40 شاحنة إغاثة دخلت تعز.")
    claims = extract_claims(_doc(text))
    assert [(c.value, c.actor_id) for c in claims] == [(12, "saudi_coalition"), (7, "saudi_coalition"), (40, "saudi_coalition")]


def test_bare_coalition_in_a_syria_story_stays_the_us_led_coalition() -> None:
    text = "قال التحالف إن 30 مدنيا قتلوا في غارات على الرقة خلال الحملة على داعش."
    (claim,) = extract_claims(_doc(text))
    assert claim.actor_id == "coalition"


def test_actor_filter_coalition_names_both_coalitions() -> None:
    gaz = Gazetteer.load()
    assert {"coalition", "saudi_coalition"} <= set(gaz.resolve_actor("coalition"))
    assert {"coalition", "saudi_coalition"} <= set(gaz.resolve_actor("التحالف"))
    assert gaz.resolve_actor("US-led coalition") == ("coalition",)
    assert gaz.resolve_actor("التحالف العربي") == ("saudi_coalition",)


@pytest.mark.parametrize("text", [
    "وتضم مكتبة المسجد الحرام التي أسست عام 1434 هـ آلاف الكتب.",
    "وتضم المكتبة 1434 مخطوطة نادرة منذ 1434 هـ.",
])
def test_hijri_year_is_never_a_count(text: str) -> None:
    assert all(c.value != 1434 or c.what_ar == "مخطوطة" for c in extract_claims(_doc(text)))
    assert not [c for c in extract_claims(_doc(text)) if c.value == 1434 and c.value_start > text.index("منذ")]


def test_year_before_a_relative_pronoun_is_never_a_count() -> None:
    text = "وتراجعت إيرادات قطاع الاتصالات بنسبة 5 في المائة مقارنة بعام 2013 و2014 الذي شهد نموا."
    claims = extract_claims(_doc(text))
    assert [(c.value, c.kind, c.what) for c in claims] == [(5, "percent", "percent_change")]
    assert all(c.value != 2014 for c in extract_claims(_doc("2014 الذي شهد تراجع الإيرادات.")))


def test_range_word_is_not_a_figure_of_something() -> None:
    text = "وأطلقت المنظومة صواريخ على مدى خمسة كيلومترات، وقتل 4 مدنيين."
    claims = extract_claims(_doc(text))
    assert ("count", 4) in [(c.kind, c.value) for c in claims]
    assert all(c.what_ar != "مدى" and not (c.kind == "count" and c.value == 5) for c in claims)


def test_unknown_actor_is_kept_as_its_arabic_phrase() -> None:
    text = "وقال وزير الصحة ريكوت حمة رشيد للصحفيين إن اربعة اشخاص قضوا في بلدة دربندخان."
    (claim,) = extract_claims(_doc(text))
    assert claim.actor == "وزير الصحة ريكوت حمة رشيد" and claim.actor_id is None
    assert (claim.value, claim.what, claim.stance) == (4, "people_killed", "stated")


def test_unknown_actor_gets_an_english_label_when_every_word_is_known() -> None:
    (claim,) = extract_claims(_doc("قالت مصادر عسكرية مصرية إن القوات قتلت 6 مسلحين في سيناء."))
    assert (claim.actor, claim.actor_en) == ("مصادر عسكرية مصرية", "Egyptian military sources")


def test_according_to_and_continuation_carry_the_named_source() -> None:
    text = ("قتل 50 شخصا في تفجير انتحاري بمسجد في شمال شرق نيجيريا، حسبما قالت الشرطة.\n"
            "وأضاف أن 20 آخرين أصيبوا.")
    claims = extract_claims(_doc(text))
    assert [(c.value, c.actor, c.stance) for c in claims] == [(50, "الشرطة", "stated"), (20, "الشرطة", "stated")]
    assert claims[0].event == "bombing" and claims[0].event_ar == "تفجير"


def test_agentless_passive_has_no_actor() -> None:
    (claim,) = extract_claims(_doc("وأعلنت الشرطة حالة الطوارئ. أُعلن عن مقتل 3 أشخاص في الحادث."))
    assert (claim.actor, claim.stance, claim.event) == (None, "announced", "accident")


def test_headline_source_and_dateline() -> None:
    (claim,) = extract_claims(_doc("", title="وزارة الصحة: مقتل 3 فلسطينيين في مظاهرات غزة اليوم"))
    assert (claim.actor, claim.stance, claim.what) == ("وزارة الصحة", "reported", "people_killed")
    assert all(c.actor is None for c in extract_claims(_doc("", title="غزة: مقتل 11 فلسطينيا بقصف")))


@pytest.mark.parametrize("text,expected", [
    ("وبلغت قيمة الصفقة 14 مليارا و936 مليون ريال.", ("money", 14936000000, "money_sar", "SAR")),
    ("وأنفق النادي ما يقارب 77 مليون جنيه استرليني.", ("money", 77000000, "money_gbp", "GBP")),
    ("ارتفع الائتمان بنسبة 26.5 في المائة.", ("percent", 26.5, "percent_change", "%")),
    ("يشكل القطاع 11.4 في المائة من الإجمالي.", ("percent", 11.4, "percent_share", "%")),
    ("ويقع الكوكب على بعد 1400 سنة ضوئية.", ("measure", 1400, "distance_light_years", "light years")),
    ("وبلغ الطلب 100 مليون برميل يوميا.", ("measure", 100000000, "volume_barrels", "barrels")),
    ("أغلق المؤشر عند 7389.11 نقطة.", ("measure", 7389.11, "index_points", "points")),
    ("وفصلت الثورة عشرين ألف مدرس.", ("count", 20000, "teachers", None)),
    ("قدمت المفوضية مساعدات إلى 1 . 7 مليون لاجئ وساعدت 350 , 000 طفل.", ("count", 1700000, "displaced", None)),
])
def test_every_kind_of_quantity_is_a_claim(text: str, expected: tuple) -> None:
    claims = extract_claims(_doc(text))
    assert claims, text
    c = claims[0]
    assert (c.kind, c.value, c.what, c.unit) == expected


def test_counted_noun_as_written_with_english_label() -> None:
    (claim,) = extract_claims(_doc("وشارك في البطولة 73 دولة."))
    assert (claim.kind, claim.value, claim.what, claim.what_ar, claim.what_en) == ("count", 73, "countries", "دولة", "countries")


@pytest.mark.parametrize("text", [
    "وقتل الجنود في 10 - 7 - 1986 في المدينة.",
    "ويستمر القبول حتى يوم الأربعاء الموافق 27 / 10 / 1436 هـ.",
    "وتشارك الإمارات بمقاتلاتها الف - 16 في الحلف.",
    "لا يوجد ما يمنع تسليم أنظمة إس 300 الصاروخية.",
    "تطبيق القرار 2254 لمجلس الأمن.",
    "وأغار الطيران بطائرات سوخوي 24 على المدينة.",
    "اتصل على الهاتف : 71238222 الفاكس : 71766656",
    "ومن المتوقع أن يغيب جونز (23 عامًا) عن المباريات.",
    "وصدر بحقه حكم بالسجن لمدة أربع سنوات.",
    "24 - داعش يستهدف نقطة تفتيش أمنية.",
    "وكان من مواليد 1968 في مدينة مسكنة.",
    "وقع الحادث الساعة 9 . 30 تغ.",
])
def test_typed_numbers_never_become_claims(text: str) -> None:
    assert extract_claims(_doc(text)) == []


def test_page_debris_numbers_never_become_claims_and_the_document_can_be_stored(tmp_path) -> None:
    from search.backends.embedded import EmbeddedBackend

    text = ("مواضيع ذات صلة alkhaleejonline article1466061073482662500 مقتل 8 من عناصر حزب الله في سوريا.\n"
            "وقال المرصد إن 999999999999999999 مدنيا قتلوا.")
    doc = document_from_article("عنوان", text, doc_id="debris")
    assert all(abs(c.value) < 10**15 for c in doc.claims)
    backend = EmbeddedBackend(tmp_path / "index", "test-embedder", 4)
    try:
        backend.upsert([doc])
        assert backend.get_document("debris") is not None
    finally:
        backend.close()
