"""Cleaning on news the seed rules were not written for: keep the article, drop the site's chrome.

The fixtures are short synthetic Arabic texts shaped like the failures seen on SaudiNewsNet and
the fact-check corpus (quoted names after a proclitic, a long single-paragraph article, headlines
joined with "..", site names, menus and counters glued into lines).
"""
from __future__ import annotations

from pathlib import Path

from indexer.cleaning import (
    clean_page,
    cut_footer,
    cut_latin_runs,
    is_ticker,
    split_header_line,
    strip_site_suffix,
)
from indexer.pipeline import prepare

QUOTED_NAMES = ("وتعد «المزمار» و«العرضة» و«الخطوة» من أشهر الفنون الشعبية التي تقدمها الفرق في مهرجان "
                "الجنادرية، حيث يتابعها آلاف الزوار كل مساء في الساحة الرئيسية.")


def _long_article() -> str:
    """One paragraph of about 9 KB, quoting names the way Saudi papers do (بـ«…», و«…»)."""
    parts = []
    for k in range(40):
        parts.append(f"وأوضح المتحدث أن الفريق رقم {k + 1} زار مواقع «الدرعية» و«العلا» خلال الأسبوع، "
                     f"وأن الزيارات شملت {k + 12} مدرسة بالتعاون مع لـ«الهيئة العامة للسياحة» في المنطقة.")
    return " ".join(parts)


def test_paragraph_quoting_two_names_after_a_conjunction_is_kept():
    assert not is_ticker(QUOTED_NAMES)
    page = f"عنوان الخبر عن الفنون الشعبية\n{QUOTED_NAMES}\nوقال المنظمون إن الحضور تجاوز التوقعات هذا العام."
    cleaned = clean_page(page)
    assert QUOTED_NAMES in cleaned.text
    assert QUOTED_NAMES not in cleaned.sidebar


def test_headlines_glued_without_spaces_are_still_a_ticker():
    ticker = ("طلاء جدران أحد السجون.. عمل ممنهج فماهي القصة؟أحمد يلتقي رجل أعمال سوري.. من هو؟"
              "ما الذي جرى في ريف القرداحة؟ارتفاع حاد في الرسوم الجمركية عبر المعابر السورية")
    assert is_ticker(ticker)


def test_plain_long_article_is_not_rejected(tmp_path):
    article = _long_article()
    assert len(article.encode("utf-8")) > 9000
    (tmp_path / "long.txt").write_text(f"زيارات ميدانية لمدارس المنطقة\n\n{article}\n", encoding="utf-8")
    result = prepare([tmp_path])
    assert result.rejected == []
    (doc,) = result.documents
    assert doc.title == "زيارات ميدانية لمدارس المنطقة"
    assert doc.text == f"{doc.title}\n{article}"  # the headline is the first paragraph


def test_article_after_a_comments_header_is_kept_rather_than_rejected(tmp_path):
    body = "وقال المتحدث باسم الدفاع المدني إن فرق الإنقاذ انتشلت 12 شخصا من تحت الأنقاض صباح اليوم."
    (tmp_path / "odd.txt").write_text(f"حصيلة جديدة لضحايا الزلزال\nالتعليقات\n{body}\n", encoding="utf-8")
    result = prepare([tmp_path])
    assert result.rejected == []
    assert body in result.documents[0].text


def test_page_of_nothing_but_chrome_is_rejected_with_a_reason():
    assert clean_page("مباشر\nأين يمكنك متابعتنا\nشارك\nHits : 5188\n").text == ""


def test_headline_with_dots_is_kept_whole():
    for headline in ("البرازيل .. عطل في محرك النمو اللاتيني", "خلافة عباس.. من؟ وكيف؟",
                     "د. النافع: الشعب مدرك لأبعاد المؤامرات", "البيروقراطيون الجدد!"):
        page = f"{headline}\n\nقال مسؤول في الوزارة إن الخطة الجديدة ستطبق مطلع العام المقبل في كل المناطق."
        assert clean_page(page).title == headline, headline


def test_title_cut_from_a_first_sentence_does_not_stop_at_dots():
    page = "مهرجان الجنادرية.. عروض شعبية كل مساء في الساحة وحضور كبير من الزوار والعائلات\nفقرة ثانية من الخبر."
    assert clean_page(page).title.startswith("مهرجان الجنادرية.. عروض شعبية")


def test_site_name_after_a_bar_is_not_part_of_the_headline():
    assert strip_site_suffix("مظاهرات في إيران ضد قرار ترمب بشأن القدس | الجزيرة مباشر") == \
        "مظاهرات في إيران ضد قرار ترمب بشأن القدس"
    page = "مظاهرات في إيران ضد قرار ترمب بشأن القدس | الجزيرة مباشر\nذكر التلفزيون الرسمي أن المئات شاركوا في مظاهرات."
    cleaned = clean_page(page)
    assert cleaned.title == "مظاهرات في إيران ضد قرار ترمب بشأن القدس"
    assert "الجزيرة مباشر" not in cleaned.text


def test_header_line_with_the_headline_twice_keeps_only_the_lead():
    line = ("تركيا تبدأ عملية كبيرة في إدلب | الجزيرة مباشر Main navigation Search Main navigation Search "
            "السبت 7 أكتوبر 2017 15 : 27 تركيا تبدأ عملية كبيرة في إدلب قالت تركيا السبت إنها ستبدأ عملية "
            "عسكرية في إدلب بدعم من فصائل المعارضة .")
    head, rest = split_header_line(line)
    assert head == "تركيا تبدأ عملية كبيرة في إدلب"
    assert rest.startswith("قالت تركيا السبت")
    cleaned = clean_page(line + "\nوأضاف أن العملية ستستمر حتى تحقيق أهدافها .")
    assert cleaned.title == "تركيا تبدأ عملية كبيرة في إدلب | الجزيرة مباشر".split(" |")[0]
    assert cleaned.text.startswith("قالت تركيا السبت")
    assert "Main navigation" not in cleaned.text and "الجزيرة مباشر" not in cleaned.text


def test_lead_repeating_words_of_its_headline_is_not_cut():
    line = ("قسد : الرقة ستكون جزءا من سوريا الاتحادية قالت قوات سوريا الديمقراطية أمس إن مدينة الرقة ستكون "
            "جزءا من سوريا لا مركزية اتحادية , لتربط بذلك مستقبل المدينة بخطط الإدارة الذاتية .")
    assert split_header_line(line) is None


def test_menu_search_counter_and_share_bar_are_removed():
    page = ("قصف على ريف إدلب يوقع قتلى\n"
            "الرئيسية Main navigation Search Main navigation Search\n"
            "قال الدفاع المدني إن 7 مدنيين قتلوا في غارات على ريف إدلب الجنوبي صباح اليوم .\n"
            "Hits : 5188\n"
            "مشاركة Facebook Twitter WhatsApp Telegram\n"
            "وأضاف أن فرق الإنقاذ ما زالت تبحث عن مفقودين تحت الأنقاض .\n")
    cleaned = clean_page(page)
    assert cleaned.text.split("\n") == [
        "قال الدفاع المدني إن 7 مدنيين قتلوا في غارات على ريف إدلب الجنوبي صباح اليوم .",
        "وأضاف أن فرق الإنقاذ ما زالت تبحث عن مفقودين تحت الأنقاض .",
    ]


def test_latin_names_and_titles_in_an_arabic_sentence_stay():
    line = "وشاركت شركة ( Airbus Defence and Space ) في المعرض إلى جانب مجلة Time الأمريكية ."
    assert cut_latin_runs(line, arabic_page=True) == line
    film = "1 - The Wild Bunch | Sam Peckinpah (1969)"  # a line of a list in an Arabic article
    assert cut_latin_runs(film, arabic_page=True) == film


def test_copyright_footer_glued_to_the_last_sentence_is_cut():
    line = ("فهل ستستجيب الهيئة لمطالب المعارضين وتوقف حملتها الأمنية ? مقالات أخرى للكاتب "
            "جميع الحقوق محفوظة لموقع المثال 2018")
    assert cut_footer(line) == "فهل ستستجيب الهيئة لمطالب المعارضين وتوقف حملتها الأمنية ?"
    assert cut_footer("جميع الحقوق محفوظة 2017 مؤسسة المثال للإعلام") == ""


def test_bulleted_paragraphs_under_a_known_headline_are_kept():
    """Opinion columns list their points with bullets; only a short bulleted line is a menu item."""
    points = ["• المدن الكبرى تحتاج إلى شبكة نقل عام حديثة تربط الأحياء البعيدة بمراكز العمل كل يوم .",
              "• والبلديات مطالبة بنشر خططها للسنوات الخمس المقبلة حتى يعرف السكان ما ينتظرهم ."]
    cleaned = clean_page("\n".join(["• الرئيسية", *points, "وفي الختام لا بد من مشاركة السكان في القرار ."]),
                         title="مدننا والنقل العام")
    assert cleaned.text.split("\n")[:2] == points
    assert "الرئيسية" not in cleaned.text


def test_a_latin_name_introduced_by_its_kind_stays_in_the_sentence():
    line = "ونشرت مجلة Modern Farming Weekly Review على موقعها تقريرا عن أسعار القمح في الأسواق ."
    assert cut_latin_runs(line, arabic_page=True) == line
    assert "Main navigation" not in cut_latin_runs("عنوان الخبر Main navigation Search Main menu نص الخبر", True)


def test_a_dateline_before_the_first_paragraph_is_kept_though_the_paper_repeats_it(tmp_path):
    """A paper prints "<paper> – <city>" on many pages (a template line), but it carries the place."""
    leads = ["افتتح أمير المنطقة مساء أمس معرضا للكتاب يضم أكثر من مئتي دار نشر عربية .",
             "أعلنت الجامعة عن برنامج جديد لتدريب الخريجين على مهارات سوق العمل هذا العام .",
             "قررت البلدية إغلاق الشارع الرئيسي أسبوعين لأعمال الصيانة وتوسعة الأرصفة ."]
    for k, lead in enumerate(leads):
        (tmp_path / f"a{k}.txt").write_text(f"خبر رقم {k} من المدينة\n\nصحيفة الوادي – الرياض\n{lead}\n",
                                            encoding="utf-8")
    docs = {Path(d.path).stem: d for d in prepare([tmp_path]).documents}
    for k, lead in enumerate(leads):
        assert docs[f"a{k}"].text.split("\n")[1:] == ["صحيفة الوادي – الرياض", lead]
