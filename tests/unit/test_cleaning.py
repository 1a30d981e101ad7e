"""Page cleaning on the five real scraped seed pages (menus, tickers, prompts, sidebars)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cleaning import (
    clean_page,
    find_template_lines,
    is_headline,
    parse_date,
    source_of,
    split_ticker,
    title_from_text,
)
from indexer.dedup import line_key

SEEDS = Path(__file__).resolve().parents[2] / "samples" / "seeds"


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def cleaned():
    return {p: clean_page(seed(p)) for p in ("000", "001", "002", "003", "004")}


def body_lines(c) -> list[str]:
    return c.text.split("\n")


# --------------------------------------------------------------------------- titles
def test_titles_are_the_headlines(cleaned):
    assert cleaned["000"].title == "موسكو تعرب عن قلقها إزاء مقتل مدنيين في العراق بالقصف الأمريكي"
    assert cleaned["002"].title == "التحالف الدولي يعترف بقتله 1257 مدنياً عن طريق الخطأ في سورية والعراق"
    assert cleaned["003"].title == seed("003").splitlines()[0].strip()
    assert cleaned["004"].title == "موسكو: جميع خطواتنا في سوريا ترمي إلى المساهمة في التسوية السياسية بالبلاد"


def test_page_without_headline_is_titled_by_its_first_sentence(cleaned):
    title = cleaned["001"].title
    first_sentence = seed("001").split(".")[0]
    assert title.endswith("…")
    stem = title.rstrip("…")
    assert first_sentence.startswith(stem) and len(stem) <= 120
    # cut at a word boundary: the next character of the sentence is a space
    assert first_sentence[len(stem)] == " "
    # the paragraph itself stays in the body (it is not a headline)
    assert cleaned["001"].text.startswith("أكدت المتحدثة باسم وزارة الخارجية الروسية")


def test_title_is_not_repeated_in_body(cleaned):
    for key in ("000", "002", "003", "004"):
        c = cleaned[key]
        assert line_key(c.title) not in {line_key(line) for line in body_lines(c)}, key
    # 000 and 004 print the headline a second time below the lead paragraph
    assert seed("000").count(cleaned["000"].title) == 2


# --------------------------------------------------------------------------- menus, tickers, prompts
@pytest.mark.parametrize("junk", [
    "مباشر", "أين يمكنك متابعتنا", "أقسام مهمة", "Stories", "49 خبر", "25 خبر", "فيديوهات",
    "كأس أمم إفريقيا 2025", "90 دقيقة", "خطة ترامب لإنهاء الحرب في غزة", "التعليقات", "اترك تعليقاً",
    "زر الذهاب إلى الأعلى", "علي جعفر", "ترامب والناتو وامتحان غرينلاند",
])
def test_navigation_lines_never_reach_the_body(cleaned, junk):
    for key, c in cleaned.items():
        assert line_key(junk) not in {line_key(line) for line in body_lines(c)}, (key, junk)


@pytest.mark.parametrize("junk", [
    "•", "كأس أمم إفريقيا", "ويتكوف: متفائلون بشأن التوصل إلى تسوية للنزاع في أوكرانيا",
    "لن يتم نشر عنوان بريدك الإلكتروني", "تيلغرام", "كلمات دلالية", "المصدر:", "تاريخ النشر",
    "RIA NOVOSTI", "التطورات الميدانية شمال شرق سوريا",
])
def test_prompts_and_menu_text_never_reach_the_body(cleaned, junk):
    for key, c in cleaned.items():
        assert junk not in c.text, (key, junk)


def test_menu_items_are_dropped_not_moved_to_sidebar(cleaned):
    for key in ("000", "004"):
        assert not any("كأس أمم إفريقيا" in s or "90 دقيقة" in s for s in cleaned[key].sidebar)


def test_ticker_goes_to_sidebar_split_into_headlines(cleaned):
    c = cleaned["002"]
    assert "القصة؟أحمد" not in c.text and "شهراستقالة" not in c.text
    assert "طلاء جدران أحد السجون.. عمل ممنهج لطمس جرائم الأسد فماهي القصة؟" in c.sidebar
    assert "ما الذي جرى في ريف القرداحة؟" in c.sidebar
    assert "ارتفاع حاد في الرسوم الجمركية عبر المعابر السورية" in c.sidebar
    assert all("القصة؟أحمد" not in s for s in c.sidebar)


def test_split_ticker_uses_glued_question_marks_and_final_letters():
    parts = split_ticker("من هو؟ما الذي جرى في ريف القرداحة؟وزير النفط السوري يتحدث عن الثورةارتفاع الأسعار")
    assert parts == ["من هو؟", "ما الذي جرى في ريف القرداحة؟", "وزير النفط السوري يتحدث عن الثورة",
                     "ارتفاع الأسعار"]


# --------------------------------------------------------------------------- sidebars
def test_related_stories_after_comments_are_sidebar(cleaned):
    c = cleaned["000"]
    assert "الجيش السوري: تأمين سد تشرين وبدء الانتشار في منطقة الجزيرة السورية" in c.sidebar
    assert "سد الفرات" not in c.text
    assert len(c.sidebar) == 6
    c4 = cleaned["004"]
    assert c4.sidebar[0] == 'لماذا انهارت "قسد" بسرعة أمام الجيش السوري؟'
    assert "مجلس السلام" not in c4.text and len(c4.sidebar) == 10


def test_read_also_story_is_sidebar_not_body(cleaned):
    c = cleaned["003"]
    assert c.sidebar[0] == 'المقاومة العراقية تعلن مسؤوليتها عن استهداف أم الرشراش "ايلات" المحتلة'
    assert any(s.startswith("أعلنت المقاومة الإسلامية في العراق") for s in c.sidebar)
    assert "أم الرشراش" not in c.text and "13-11-2024" not in c.text
    assert body_lines(c)[-1].startswith("واتهمت واشنطن")


def test_body_keeps_the_article(cleaned):
    assert body_lines(cleaned["000"])[0].startswith("أعربت وزارة الخارجية الروسية عن قلقها العميق")
    assert body_lines(cleaned["000"])[-1].startswith("وجددت استعداد روسيا")
    assert "7 آلاف و595 مدنياً" in cleaned["002"].text
    assert body_lines(cleaned["002"])[-1].startswith("وكان التحالف الدولي")
    # 004's intertitles stay: they are part of the article
    assert "الخارجية الروسية: سلاح الجو الروسي يُستخدم في سوريا فقط لمحاربة الإرهابيين" in cleaned["004"].text
    assert len(body_lines(cleaned["000"])) == 7
    assert len(body_lines(cleaned["002"])) == 7
    assert len(body_lines(cleaned["004"])) == 14


def test_duplicated_paragraph_of_001_is_kept_once(cleaned):
    repeated = "وتابعت المتحدثة باسم الخارجية الروسية.. انه ورغم ذلك لا يزال الاقتراح الروسي"
    assert seed("001").count(repeated) == 2
    assert cleaned["001"].text.count(repeated) == 1
    assert len(body_lines(cleaned["001"])) == 10


def test_caption_with_agency_credit_is_dropped(cleaned):
    assert "ماريا زاخاروفا الناطقة باسم وزارة الخارجية الروسية / RIA NOVOSTI" in seed("004")
    assert "/ RIA" not in cleaned["004"].text


# --------------------------------------------------------------------------- dates and sources
def test_dates_and_sources(cleaned):
    assert cleaned["003"].published_at == "2024-02-08"
    assert cleaned["003"].source == "بوابة الوفد"
    assert cleaned["000"].source == "تاس"
    assert cleaned["004"].source == "وكالات"
    assert cleaned["002"].published_at is None  # "آب 2014" inside the text is not a publication date
    assert cleaned["001"].source is None  # "ونقلت وكالة تاس" is a sentence, not a source line


@pytest.mark.parametrize("text,iso", [
    ("تاريخ النشر: 8th, February 2024 GMT", "2024-02-08"),
    ("8 شباط 2024", "2024-02-08"),
    ("الأحد 21 / كانون الثاني / 2018", "2018-01-21"),
    ("3 تشرين الأول 2017", "2017-10-03"),
    ("١٢ أيار ٢٠١٧", "2017-05-12"),
    ("7 فبراير (شباط) 2024", "2024-02-07"),
    ("February 8, 2024", "2024-02-08"),
    ("2024-02-08T10:00:00Z", "2024-02-08"),
    ("13-11-2024", "2024-11-13"),
    ("02 / 12 / 2017", "2017-12-02"),
    ("5 جوان 2019", "2019-06-05"),
    ("31 شباط 2024", None),
    ("في 17 مارس الماضي", None),
    ("", None),
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


def test_date_lines_in_header_are_read_and_dropped():
    page = "الخميس 8 شباط 2024\nعنوان الخبر هنا بوضوح\nقال المتحدث إن 12 شخصا قتلوا في الغارة.\n"
    c = clean_page(page)
    assert c.published_at == "2024-02-08" and c.title == "عنوان الخبر هنا بوضوح"
    assert c.text == "قال المتحدث إن 12 شخصا قتلوا في الغارة."


def test_source_of():
    assert source_of("المصدر: تاس") == "تاس"
    assert source_of("المصدر : وكالات.") == "وكالات"
    assert source_of("المصدر: قال مسؤول في الوزارة إن الوفد سيصل غدا إلى العاصمة لبحث الملف") is None


# --------------------------------------------------------------------------- templates and given titles
def test_template_lines_recurring_across_pages_are_dropped():
    footer = "حقوق النشر لموقع المثال الإخباري"
    pages = [f"عنوان الخبر رقم {i} للتجربة\nنص الخبر {i} يتحدث عن الغارات في الرقة.\n{footer}" for i in range(3)]
    template = find_template_lines(pages, min_docs=3)
    assert line_key(footer) in template
    assert all(footer not in clean_page(p, template=template).text for p in pages)
    assert all(footer in clean_page(p).text for p in pages)  # without the template it would stay
    # the same page three times is one page, and prose sentences are never template
    assert find_template_lines([pages[0]] * 3, min_docs=3) == frozenset()
    wire = "وقال التحالف إن الدفاعات الجوية أسقطت الصاروخ الباليستي فوق المدينة."
    assert line_key(wire) not in find_template_lines([f"خبر {i}\n{wire}" for i in range(4)])


def test_given_title_is_used_and_removed_from_body():
    c = clean_page("عنوان مقدم من المصدر\nالفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر.",
                   title="عنوان مقدم من المصدر")
    assert c.title == "عنوان مقدم من المصدر"
    assert c.text == "الفقرة الأولى من الخبر.\nالفقرة الثانية من الخبر."


def test_headline_and_title_helpers():
    assert is_headline("موسكو: جميع خطواتنا في سوريا ترمي إلى المساهمة في التسوية السياسية بالبلاد")
    assert not is_headline("وجددت استعداد روسيا لمواصلة تقديم الدعم الفعال لبغداد.")
    assert not is_headline("مباشر")
    assert title_from_text("جملة قصيرة. ثم جملة ثانية.") == "جملة قصيرة."


def test_a_sentence_that_starts_with_a_date_is_body_not_metadata():
    sentence = "بتاريخ 15 شباط / فبراير 1999 ادعت السلطات الكينية بأن هناك طائرة في مطار العاصمة نيروبي سوف تنقل أوجلان."
    c = clean_page(f"عنوان الخبر عن أوجلان وكينيا\nتاريخ النشر: 2 / 12 / 2017\n{sentence}")
    assert c.published_at == "2017-12-02"
    assert c.text == sentence
