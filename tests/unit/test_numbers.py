"""Table tests for the Arabic number parser: quantities, qualifiers, and what is *not* a count."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.numbers import NON_QUANTITY_KINDS, find_numbers

# (text, [(value, text as written, qualifier)]) — quantities only.
QUANTITIES = [
    # digits, separators, Arabic-Indic digits
    ("قتل 35 مدنيا", [(35, "35", "exact")]),
    ("قتل ١٢٥٧ مدنيا", [(1257, "١٢٥٧", "exact")]),
    ("قتل ٣٥ مدنيا", [(35, "٣٥", "exact")]),
    ("قتل 1,257 مدنيا", [(1257, "1,257", "exact")]),
    ("قتل 1٬257 مدنيا", [(1257, "1٬257", "exact")]),
    ("قتل 12,000,000 شخص", [(12000000, "12,000,000", "exact")]),
    ("قتل 7.595 مدنيا", [(7595, "7.595", "exact")]),
    ("نزح 1.5 مليون شخص", [(1500000, "1.5 مليون", "exact")]),
    ("نزح ١٫٥ مليون شخص", [(1500000, "١٫٥ مليون", "exact")]),
    ("رصد 2,5 مليار دولار", [(2500000000, "2,5 مليار", "exact")]),
    # multipliers after digits
    ("أكثر من 34 ألف غارة", [(34000, "34 ألف", "more_than")]),
    ("حوالي 7 آلاف و595 مدنياً", [(7595, "7 آلاف و595", "about")]),
    ("3 ملايين لاجئ", [(3000000, "3 ملايين", "exact")]),
    ("ثلاثة ملايين و200 ألف", [(3200000, "ثلاثة ملايين و200 ألف", "exact")]),
    ("ألفين و500 شخص", [(2500, "ألفين و500", "exact")]),
    ("10 آلاف غارة", [(10000, "10 آلاف", "exact")]),
    # number words
    ("قتل واحد وعشرون شخصا", [(21, "واحد وعشرون", "exact")]),
    ("أصيب ثلاثة أشخاص", [(3, "ثلاثة", "exact")]),
    ("أصيب ثلاثه أشخاص", [(3, "ثلاثه", "exact")]),
    ("مقتل عشرة جنود", [(10, "عشرة", "exact")]),
    ("مقتل أحد عشر شخصا", [(11, "أحد عشر", "exact")]),
    ("مقتل اثنا عشر شخصا", [(12, "اثنا عشر", "exact")]),
    ("مقتل خمسة عشر شخصا", [(15, "خمسة عشر", "exact")]),
    ("مقتل تسعة عشر شخصا", [(19, "تسعة عشر", "exact")]),
    ("أكثر من عشرين مدنيا", [(20, "عشرين", "more_than")]),
    ("مقتل عشرون شخصا", [(20, "عشرون", "exact")]),
    ("خمسة وعشرين شخصا", [(25, "خمسة وعشرين", "exact")]),
    ("ثلاثون جنديا", [(30, "ثلاثون", "exact")]),
    ("تسعين غارة", [(90, "تسعين", "exact")]),
    ("مئة شخص", [(100, "مئة", "exact")]),
    ("مائة شخص", [(100, "مائة", "exact")]),
    ("مئتين شخص", [(200, "مئتين", "exact")]),
    ("مئتا شخص", [(200, "مئتا", "exact")]),
    ("ثلاثمئة شخص", [(300, "ثلاثمئة", "exact")]),
    ("ثلاثمائة وخمسون مدنيا", [(350, "ثلاثمائة وخمسون", "exact")]),
    ("ثلاث مئة غارة", [(300, "ثلاث مئة", "exact")]),
    ("مئة وعشرون غارة", [(120, "مئة وعشرون", "exact")]),
    ("ألف شخص", [(1000, "ألف", "exact")]),
    ("ألفين شخص", [(2000, "ألفين", "exact")]),
    ("ثلاثة آلاف شخص", [(3000, "ثلاثة آلاف", "exact")]),
    ("ثلاثة آلاف وخمسمائة وعشرون", [(3520, "ثلاثة آلاف وخمسمائة وعشرون", "exact")]),
    ("مئة ألف نازح", [(100000, "مئة ألف", "exact")]),
    ("مليون نازح", [(1000000, "مليون", "exact")]),
    ("مليون ومئتا ألف نازح", [(1200000, "مليون ومئتا ألف", "exact")]),
    ("مليار دولار", [(1000000000, "مليار", "exact")]),
    ("أكثر من نصف مليون شخص", [(500000, "نصف مليون", "more_than")]),
    ("ربع مليون نازح", [(250000, "ربع مليون", "exact")]),
    ("نصف الضحايا", []),
    ("ملياري دولار", []),  # not in the lexicon: better nothing than a wrong figure
    ("بعشرين غارة", [(20, "عشرين", "exact")]),
    # prefixes glued to digits
    ("قدرت العدد بـ 3681 مدنيا على الاقل", [(3681, "3681", "at_least")]),
    ("قدرت العدد ب3681 مدنيا", [(3681, "3681", "exact")]),
    # qualifiers
    ("أكثر من 1250 مدنياً", [(1250, "1250", "more_than")]),
    ("اكثر من 80 شخصا", [(80, "80", "more_than")]),
    ("بأكثر من 450 مدنيا", [(450, "450", "more_than")]),
    ("ما يزيد على 300 غارة", [(300, "300", "more_than")]),
    ("ما يزيد عن 300 غارة", [(300, "300", "more_than")]),
    ("خلال فترة تزيد على 40 غارة", [(40, "40", "more_than")]),
    ("3100 مدني على الأقل", [(3100, "3100", "at_least")]),
    ("على الأقل 12 شخصا", [(12, "12", "at_least")]),
    ("ما لا يقل عن 12 شخصا", [(12, "12", "at_least")]),
    ("حوالي 50 شخصا", [(50, "50", "about")]),
    ("حوالى 50 شخصا", [(50, "50", "about")]),
    ("نحو 50 شخصا", [(50, "50", "about")]),
    ("بنحو 50 شخصا", [(50, "50", "about")]),
    ("قرابة 50 شخصا", [(50, "50", "about")]),
    ("ما يقارب 50 شخصا", [(50, "50", "about")]),
    ("50 شخصا تقريبا", [(50, "50", "about")]),
    ("قد تصل إلى 200 شخص", [(200, "200", "up_to")]),
    ("أقل من 10 أشخاص", [(10, "10", "less_than")]),
    ("200 شخص أو أكثر", [(200, "200", "at_least")]),
    # two numbers that must stay apart
    ("بين 10 و20 شخصا", [(10, "10", "exact"), (20, "20", "exact")]),
    ("مقتل 7 أشخاص وإصابة 20", [(7, "7", "exact"), (20, "20", "exact")]),
    ("مقتل 16 شخصًا وإصابة 25 آخرين", [(16, "16", "exact"), (25, "25", "exact")]),
    # vague plurals are not figures
    ("آلاف المدنيين", []),
    ("عشرات الغارات الجوية", []),
    ("ملايين اللاجئين", []),
    # years that are counts because a qualifier says so
    ("أكثر من 2000 مدني", [(2000, "2000", "more_than")]),
    # percentages and decimals are quantities (the claim says what of)
    ("ارتفعت بنسبة 25%", [(25, "25", "exact")]),
    ("ارتفعت بنسبة 25 ٪", [(25, "25", "exact")]),
    ("ارتفعت بنسبة 25 في المئة", [(25, "25", "exact")]),
    ("ارتفعت بنسبة 26.5 بالمائة", [(26.5, "26.5", "exact")]),
    ("بنسبة ( 49 . 6 % )", [(49.6, "49 . 6", "exact")]),
    ("مسافة 3.5 كيلومتر", [(3.5, "3.5", "exact")]),
    ("أغلق عند 17389.11 نقطة", [(17389.11, "17389.11", "exact")]),
    # scraper-split separators, mixed forms, glued prefixes
    ("مساعدات غذائية إلى 1 . 76 مليار لاجئ", [(1760000000, "1 . 76 مليار", "exact")]),
    ("وعبر القناة 8 , 000 من الجنود", [(8000, "8 , 000", "exact")]),
    ("لأكثر من 400 , 000 لاجئ", [(400000, "400 , 000", "more_than")]),
    ("أسماء 3 . 004 أشخاص قتلوا", [(3004, "3 . 004", "exact")]),
    ("بلغ 5ر1 مليون ريال", [(1500000, "5ر1 مليون", "exact")]),
    ("بلغ 7 آلاف و 354 زائرا", [(7354, "7 آلاف و 354", "exact")]),
    ("بلغ 14 مليارا و936 مليون ريال", [(14936000000, "14 مليارا و936 مليون", "exact")]),
    ("أطلق مئة وعشرين صاروخا", [(120, "مئة وعشرين", "exact")]),
    ("حصل على70 صوتا", [(70, "70", "exact")]),
    ("استبدالهم بـ3 آخرين", [(3, "3", "exact")]),
    ("انخراط الكتائب الثلاث في اللواء", [(3, "ثلاث", "exact")]),
    ("تعرف على ال7 ملفات", [(7, "7", "exact")]),
    ("يصل إلى 1400 لاجئ", [(1400, "1400", "up_to")]),
    ("", []),
    ("لا أرقام هنا", []),
]


@pytest.mark.parametrize("text,expected", QUANTITIES, ids=[t or "<empty>" for t, _ in QUANTITIES])
def test_quantities(text: str, expected: list[tuple[int, str, str]]) -> None:
    got = [(m.value, m.text, m.qualifier) for m in find_numbers(text)]
    assert got == expected


# (text, figure as written, kind) — must be recognised and NOT returned as quantities.
NOT_QUANTITIES = [
    ("في 7 فبراير الماضي", "7", "date"),
    ("في 17 مارس الماضي", "17", "date"),
    ("في الـ27 من الشهر الجاري", "27", "date"),
    ("فى ال16 من الشهر الجارى", "16", "date"),
    ("في الـ25 من الشهر نفسه", "25", "date"),
    ("في 3 كانون الثاني", "3", "date"),
    ("في 5 من شهر آب", "5", "date"),
    ("الساعة 9:30 مساء", "9:30", "time"),
    ("عند الساعة 9 صباحا", "9", "time"),
    ("مساء اليوم 13-11-2024 ، هدفاً", "13-11-2024", "date"),
    ("بتاريخ 13/11/2024", "13/11/2024", "date"),
    ("منذ عام 2014", "2014", "year"),
    ("في آب 2014 وحتى", "2014", "year"),
    ("كأس أمم إفريقيا 2025", "2025", "year"),
    ("في 2014 قتل", "2014", "year"),
    ("الحادي عشر من الشهر الفائت", "الحادي عشر", "ordinal"),
    ("الدورة الـ27 للمهرجان", "27", "ordinal"),
    ("القرن العشرين", "عشرين", "ordinal"),
    ("8th, February 2024", "8", "ordinal"),
    # years: Gregorian and Hijri, alone or before a word that counts nothing
    ("الذي يعود إلى 1434 هـ", "1434", "hijri_year"),
    ("للعام الجامعي 1436 - 1437هـ", "1436", "hijri_year"),
    ("للعام الجامعي 1436 - 1437هـ", "1437", "hijri_year"),
    ("مكتبة الحرم التي أسست عام 1434", "1434", "hijri_year"),
    ("مقارنة بما كانت عليه في 2014 الذي شهد تراجعا", "2014", "year"),
    ("2014 الذي شهد تراجعا في الإيرادات", "2014", "year"),
    ("وهو من مواليد 1968 في مدينة مسكنة", "1968", "year"),
    ("2018 يحقق المزيد من الانتصارات", "2018", "year"),
    ("لعام 2017 - 2018 في الجامعات", "2018", "year"),
    # dates in the layouts scraped pages and Saudi papers use
    ("في 10 - 7 - 1986 , تمت محاكمته", "10 - 7 - 1986", "date"),
    ("الموافق 27 / 10 / 1436 هـ", "27 / 10 / 1436", "date"),
    ("بتاريخ 4 – 9 - 1436هـ", "4 – 9 - 1436", "date"),
    ("خلال الفترة من 20 إلى 29 يوليو 2015م", "20", "date"),
    ("بين 7 و 14 أيلول 2005", "7", "date"),
    ("يوم 15 شوال 1436 هـ", "15", "date"),
    ("يوم 15 شوال 1436 هـ", "1436", "hijri_year"),
    ("24 - داعش يستهدف نقطة تفتيش", "24", "ordinal"),
    # times, ages, durations
    ("الساعة 02 : 37 بتوقيت مكة", "02 : 37", "time"),
    ("نحو 9 . 30 تغ", "9 . 30", "time"),
    ("جونز (23 عامًا) عن المباريات", "23", "age"),
    ("البالغ من العمر 18 عاما", "18", "age"),
    ("ألا يقل العمر عن (18) سنة", "18", "age"),
    ("حكم بالسجن لمدة أربع سنوات", "أربع", "duration"),
    ("منذ ست سنوات", "ست", "duration"),
    ("بدأ التحكيم قبل 22 عامًا", "22", "duration"),
    ("بعد توقف لـ3 عقود", "3", "duration"),
    ("في ٤ أشهر: الدولار يرتفع", "٤", "duration"),
    # names with numbers, phones
    ("بمقاتلاتها الف - 16 في الحلف", "16", "name"),
    ("بمقاتلاتها الف - 16 في الحلف", "الف", "name"),
    ("تسليم أنظمة إس 300 الصاروخية", "300", "name"),
    ("رحلات توبوليف تو-95 إليها", "95", "name"),
    ("الكوكب (كبلر-452 بي)", "452", "name"),
    ("تطبيق المادة 140 من الدستور", "140", "name"),
    ("تطبيق للمادة 140 من الدستور", "140", "name"),
    ("القرار 2254 لمجلس الأمن", "2254", "name"),
    ("في أستانة 4 برعاية", "4", "name"),
    ("دول مجموعة ( 5+1 ) وإيران", "5", "name"),
    ("فاز فيها يونايتد 1-صفر على ضيفه", "1", "name"),
    ("الهاتف : 71238222 الفاكس", "71238222", "phone"),
    ("هاتف + واتساب : 009647902409092", "009647902409092", "phone"),
    ("اتصل على 02396546", "02396546", "phone"),
]


@pytest.mark.parametrize("text,figure,kind", NOT_QUANTITIES, ids=[t for t, _, _ in NOT_QUANTITIES])
def test_non_quantities_are_flagged_and_excluded(text: str, figure: str, kind: str) -> None:
    assert find_numbers(text) == [] or all(m.text != figure for m in find_numbers(text))
    flagged = [m for m in find_numbers(text, include_all=True) if m.text == figure]
    assert flagged and flagged[0].kind == kind
    assert kind in NON_QUANTITY_KINDS


def test_date_and_count_in_one_sentence() -> None:
    text = "وارتكب مجزرة فى ال16 من الشهر الجارى ذهب ضحيتها أكثر من 31 شخصا"
    assert [(m.value, m.qualifier) for m in find_numbers(text)] == [(31, "more_than")]
    kinds = [(m.value, m.kind) for m in find_numbers(text, include_all=True)]
    assert kinds == [(16, "date"), (31, "quantity")]


def test_offsets_point_into_original_text_with_diacritics() -> None:
    text = "أُصِيبَ ثَلَاثَةُ أشخاص و قُتِلَ ١٢ شخصاً"
    mentions = find_numbers(text)
    assert [m.value for m in mentions] == [3, 12]
    for m in mentions:
        assert text[m.start:m.end] == m.text
    assert mentions[0].text == "ثَلَاثَةُ"


def test_tatweel_and_invisible_characters() -> None:
    text = "قتل\u200f 35 مدنيــا بـــ 40 غارة"
    assert [m.value for m in find_numbers(text)] == [35, 40]


def test_rejects_non_string() -> None:
    with pytest.raises(TypeError):
        find_numbers(None)  # type: ignore[arg-type]


ARABIC_ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئةىـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩0123456789.,٬٫،:-/%٪ \n()\"“”"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ARABIC_ALPHABET, max_size=80) | st.text(max_size=60))
def test_never_crashes_and_values_non_negative(text: str) -> None:
    for m in find_numbers(text, include_all=True):
        assert isinstance(m.value, (int, float)) and m.value >= 0
        assert 0 <= m.start <= m.end <= len(text)
        assert text[m.start:m.end] == m.text


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["شخصا", "مدنيا", "غارة", "دولار"]))
def test_any_written_integer_round_trips(value: int, noun: str) -> None:
    text = f"قتل {value} {noun}"
    got = find_numbers(text)
    if 1900 <= value <= 2100:
        got = got or find_numbers(f"أكثر من {value} {noun}")
    assert [m.value for m in got] == [value]


def test_digits_glued_to_latin_letters_or_too_long_are_identifiers_not_quantities() -> None:
    """Scraped pages carry article ids ("article1466061073482662500") and search-widget codes;
    read as counts they crashed the catalogue (beyond SQLite's integer range) and polluted claims."""
    text = "alkhaleejonline article1466061073482662500 مقتل 8 من عناصر cx = 010213902476384080420 % 3Avs"
    assert [n.value for n in find_numbers(text, include_all=True)] == [8]
    assert [n.value for n in find_numbers("رقم التتبع 1234567890123456789 وقتل 5 أشخاص")] == [5]
