"""Site chrome learned from a site's other pages, and the headline as the first paragraph.

Synthetic pages of two invented sites: every page of a site prints its name, a login box and a
"latest news" list around a different article; the articles share phrases of their beat and,
on a few pages, a background paragraph. Nothing here is copied from a real page.
"""
from __future__ import annotations

import json

from indexer.chrome import split_header_line
from indexer.cleaning import clean_page, headline_first
from indexer.pipeline import prepare
from indexer.templates import learn_sites, site_of, strip_furniture

SITE_NAME = "شبكة الوادي الإخبارية الأولى في المنطقة"
LOGIN = [
    "تسجيل الدخول البريد الإلكتروني كلمة السر نسيت كلمة السر ? أنشئ حسابا جديدا الآن .",
    "لقد تم إرسال رابط استعادة الحساب إلى بريدك الإلكتروني , تحقق من صندوق الرسائل .",
]
LATEST = "آخر الأخبار : افتتاح معرض الكتاب في العاصمة وسط إقبال كبير من الزوار والعائلات"
BACKGROUND = ("ويشهد الإقليم منذ سنوات نزاعا مسلحا بين القوات الحكومية وفصائل معارضة أدى إلى نزوح "
              "مئات الآلاف من السكان نحو المخيمات الحدودية .")
TOWNS = ["البلدة الشمالية", "القرية الشرقية", "المدينة الساحلية", "الوادي الغربي", "السهل الجنوبي",
         "الهضبة الوسطى", "الجزيرة الصغيرة", "الميناء القديم"]
WHO = ["فرق الإغاثة", "وزارة الزراعة", "نقابة المعلمين", "إدارة المرور", "هيئة الكهرباء", "بلدية العاصمة",
       "جمعية الصيادين", "مديرية الصحة"]
DID = ["توزع الطحين على", "تفتتح سوقا جديدا في", "تعلن إضرابا مفتوحا في", "تغلق الطريق الرئيسي إلى",
       "تصلح الشبكة في", "تزرع الأشجار في", "تطالب بدعم الصيد في", "تطلق حملة تلقيح في"]
WHEN = ["صباح الأحد", "مساء الاثنين", "ظهر الثلاثاء", "فجر الأربعاء", "ليلة الخميس", "يوم الجمعة",
        "صباح السبت", "منتصف الأسبوع"]
SAID = ["قال مسؤول محلي إن", "أوضح بيان رسمي أن", "ذكر شهود عيان أن", "أكد متحدث باسم الجهة أن",
        "أفادت مصادر ميدانية بأن", "صرح رئيس اللجنة بأن", "كشف تقرير حديث أن", "أعلن مدير المشروع أن"]


def _article(k: int, background: bool) -> tuple[str, list[str]]:
    headline = f"{WHO[k]} {DID[k]} {TOWNS[k]}"
    body = [
        f"{headline} | {SITE_NAME} {SAID[k]} {k + 3} فرق عملت في {TOWNS[k]} {WHEN[k]} رغم سوء الأحوال .",
        f"{SAID[(k + 1) % 8]} العمل في {TOWNS[k]} سيستمر {k + 2} أيام أخرى بحسب {WHO[(k + 3) % 8]} .",
    ]
    if background:
        body.append(BACKGROUND)
    body.append(f"{SAID[(k + 5) % 8]} {10 * (k + 1)} عائلة استفادت من عمل {WHO[k]} حتى {WHEN[(k + 2) % 8]} .")
    return headline, body


def _page(k: int, background: bool = False) -> tuple[str, str]:
    headline, body = _article(k, background)
    return headline, "\n".join([*body, *LOGIN, LATEST])


def _site_pages(n: int = 8, background_on: tuple[int, ...] = (2, 4, 6)) -> list[tuple[str, str]]:
    return [_page(k, k in background_on) for k in range(n)]


def test_site_of_is_the_url_host_else_the_source():
    assert site_of("https://www.example.org/news/1") == "example.org"
    assert site_of(None, " Al Wadi  News ") == "al wadi news"
    assert site_of(None, None) is None


def test_site_chrome_is_removed_and_the_article_kept():
    pages = _site_pages()
    sites = learn_sites(("wadi.example", text) for _, text in pages)
    furniture = sites["wadi.example"]
    for k, (headline, text) in enumerate(pages):
        cleaned = clean_page(text, furniture=furniture)
        assert cleaned.title == headline
        for chrome in (*LOGIN, LATEST, SITE_NAME):
            assert chrome not in cleaned.text, (k, chrome)
        assert f"{SAID[k]} {k + 3} فرق عملت في {TOWNS[k]}" in cleaned.text
        assert f"سيستمر {k + 2} أيام أخرى" in cleaned.text
        assert f"{10 * (k + 1)} عائلة استفادت" in cleaned.text


def test_a_background_paragraph_a_few_articles_share_is_kept():
    pages = _site_pages()
    furniture = learn_sites(("wadi.example", text) for _, text in pages)["wadi.example"]
    for k in (2, 4, 6):
        assert BACKGROUND in clean_page(pages[k][1], furniture=furniture).text


def test_without_other_pages_of_the_site_nothing_is_learned():
    pages = _site_pages(2)
    assert learn_sites(("wadi.example", text) for _, text in pages) == {}
    assert learn_sites((None, text) for _, text in _site_pages()) == {}
    lines = pages[0][1].split("\n")
    assert strip_furniture(lines, None) == lines


def test_pipeline_learns_chrome_per_site_from_urls(tmp_path):
    path = tmp_path / "pages.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for k, (_, text) in enumerate(_site_pages()):
            f.write(json.dumps({"id": f"w{k}", "url": f"https://wadi.example/{k}", "text": text},
                               ensure_ascii=False) + "\n")
    result = prepare([path])
    assert result.rejected == [] and len(result.documents) == 8
    for doc in result.documents:
        assert "كلمة السر" not in doc.text and "آخر الأخبار" not in doc.text


def test_headline_printed_twice_is_split_even_when_it_says_inna():
    line = ("روسيا تقول إن الهدنة في المدينة صامدة - وكالة المثال 21 يناير مباشر : روسيا تقول إن الهدنة في "
            "المدينة صامدة قالت وزارة الدفاع الروسية اليوم إن الهدنة صامدة رغم خروقات محدودة .")
    head, rest = split_header_line(line)
    assert head == "روسيا تقول إن الهدنة في المدينة صامدة"
    assert rest.startswith("قالت وزارة الدفاع")


def test_a_quoted_name_repeated_in_the_lead_is_not_a_headline():
    line = ('" جيش الشمال " يستعيد السيطرة على نصف البلدة استعاد فصيل " جيش الشمال " السيطرة على '
            "نصف البلدة الحدودية من القوات الحكومية وحلفائها .")
    assert split_header_line(line) is None


def test_headline_is_the_first_paragraph_unless_the_body_opens_with_it():
    assert headline_first("عنوان الخبر هنا", "الفقرة الأولى.") == "عنوان الخبر هنا\nالفقرة الأولى."
    body = "قال مسؤول إن الخطة ستطبق مطلع العام المقبل في كل المناطق وفي المدن الكبرى أولا."
    assert headline_first("قال مسؤول إن الخطة ستطبق مطلع العام…", body) == body
    assert headline_first("", body) == body


def test_headline_figures_are_citable_body_claims(tmp_path):
    (tmp_path / "library.txt").write_text(
        "مقتل 12 مدنيا في غارة على سوق البلدة\n\nوقال الدفاع المدني إن فرق الإنقاذ ما زالت تبحث عن مفقودين تحت الأنقاض "
        "منذ الصباح.\n", encoding="utf-8")
    (doc,) = prepare([tmp_path]).documents
    assert doc.title == "مقتل 12 مدنيا في غارة على سوق البلدة"
    first = doc.passages[0]
    assert (first.text, first.start) == (doc.title, 0)
    headline_claims = [c for c in doc.claims if c.value == 12]
    assert len(headline_claims) == 1  # once, not as a title claim and a body claim
    (claim,) = headline_claims
    assert claim.section == "body" and claim.passage_id == first.passage_id


def _named_site(n: int = 8) -> list[tuple[str, str]]:
    """Pages whose first line is "<headline> | <site name> <lead>" and whose date line is alike."""
    pages = []
    for k in range(n):
        headline, body = _article(k, background=False)
        first = body[0].replace(f" | {SITE_NAME} ", " | صوت الوادي ")
        pages.append((headline, "\n".join(["تاريخ النشر : 21 يناير 2018", first, *body[1:], *LOGIN])))
    return pages


def test_the_site_name_beside_a_bar_is_cut_and_the_date_line_kept():
    pages = _named_site()
    furniture = learn_sites(("wadi.example", text) for _, text in pages)["wadi.example"]
    assert ("صوت", "الوادي") in furniture.names
    for k, (headline, text) in enumerate(pages):
        cleaned = clean_page(text, furniture=furniture)
        assert cleaned.title == headline
        assert "صوت الوادي" not in cleaned.text
        assert cleaned.text.startswith(f"{SAID[k]} {k + 3} فرق")
        assert cleaned.published_at == "2018-01-21"  # every page prints the same day: still the date


def test_the_closing_paragraph_of_a_formulaic_report_stays():
    """Weather reports end alike ("وأورد التقرير أن حركة الرياح …"): not a footer to cut."""
    pages = []
    for k in range(8):
        pages.append("\n".join([
            f"{WHO[k]} {DID[k]} {TOWNS[k]} {SAID[k]} {k + 3} فرق عملت {WHEN[k]} رغم سوء الأحوال .",
            f"وأورد التقرير أن حركة الرياح السطحية على البحر ستكون {['شمالية', 'غربية', 'جنوبية', 'شرقية'][k % 4]} "
            f"بسرعة {10 + k} إلى {30 + k} كم في الساعة وارتفاع الموج من نصف متر إلى متر .",
            *LOGIN,
        ]))
    furniture = learn_sites(("wadi.example", text) for text in pages)["wadi.example"]
    for text in pages:
        assert "وأورد التقرير أن حركة الرياح السطحية" in clean_page(text, furniture=furniture).text


def test_datelines_and_bylines_in_their_usual_shapes():
    from indexer.chrome import is_dateline

    for line in ("صحيفة الوادي – الرياض", "سالم الأحمد- صحيفة الوادي", "سالم الأحمد، خالد السالم – جدة",
                 "الرياض 25 شوال 1436 هـ الموافق 10 أغسطس 2015 م واس"):
        assert is_dateline(line), line
    for line in ("تاريخ النشر : 21 يناير 2018", "قال المتحدث إن الاجتماع انتهى دون اتفاق .", "الرياض"):
        assert not is_dateline(line), line
