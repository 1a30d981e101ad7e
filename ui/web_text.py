"""Every word the browser UI shows, in English and Arabic, and counts with Arabic number agreement.

Why one table: the interface-language toggle relabels the page from `TEXT`, the handlers'
messages and the rendered HTML take their words from it, so a string cannot exist in one
language only (tests/unit/test_web_text.py checks that every key has both).

Why babel for counts: an Arabic noun after a number changes form with the number - 1 مقطع
واحد, 2 مقطعان, 3-10 مقاطع (plural), 11-99 مقطعًا (singular accusative), 100 مقطع, and the
pattern repeats per hundred (103 مقاطع). Those are the CLDR plural categories zero / one /
two / few / many / other, which babel ships for every locale; `NOUNS` holds the noun form
for each category, so "3 مقطعًا" can no longer be produced.

Claim vocabulary (what was counted, stances) is named in khabar/vocabulary/gazetteer.json,
so the API, the tables and the chart all use one name per id; qualifiers and sections, which
the extractor defines, are named here.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from babel import Locale

from khabar.vocabulary import Gazetteer

LANGS = ("en", "ar")

# key -> (English, Arabic). Placeholders in braces are filled by `tr`.
TEXT: dict[str, tuple[str, str]] = {
    # header
    "subtitle": ("Search and cited answers over Arabic news", "بحث وإجابات موثّقة بالمصادر في الأخبار العربية"),
    "api_docs": ("API docs", "توثيق الواجهة البرمجية"),
    "interface": ("Interface", "لغة الواجهة"),
    # Ask
    "question": ("Question (English or Arabic)", "السؤال (بالعربية أو الإنجليزية)"),
    "question_ph": ("what death toll did the coalition admit?", "ما حصيلة القتلى التي اعترف بها التحالف؟"),
    "ask_btn": ("Ask", "اسأل"),
    "ask_empty": ("Type a question first — e.g. one of the examples.", "اكتب سؤالًا أولًا، مثل أحد الأمثلة."),
    "ask_unavailable": ("Question answering is not available in this server.",
                        "الإجابة عن الأسئلة غير متاحة في هذا الخادم."),
    "ask_failed": ("The index could not answer: {error}", "تعذّرت الإجابة من الفهرس: {error}"),
    # Search
    "query": ("Search query", "عبارة البحث"),
    "query_ph": ("e.g. التحالف or civilians killed", "مثلًا: التحالف أو civilians killed"),
    "mode": ("Mode", "طريقة البحث"),
    "mode_lexical": ("Keyword", "كلمات مفتاحية"),
    "mode_semantic": ("Semantic", "دلالي"),
    "mode_hybrid": ("Hybrid", "هجين"),
    "source": ("Source", "المصدر"),
    "all_sources": ("All sources", "كل المصادر"),
    "date_from": ("From (YYYY-MM-DD)", "من تاريخ (YYYY-MM-DD)"),
    "date_to": ("To (YYYY-MM-DD)", "إلى تاريخ (YYYY-MM-DD)"),
    "search_btn": ("Search", "ابحث"),
    "prev_btn": ("← Previous", "السابق"),
    "next_btn": ("Next →", "التالي"),
    "results_hint": ("Results appear here.", "تظهر النتائج هنا."),
    "search_empty": ("Type something to search for (Arabic or English).", "اكتب ما تبحث عنه (بالعربية أو الإنجليزية)."),
    "bad_date": ("{field} date must look like 2024-02-08, not “{value}”.",
                 "يجب أن يكون {field} بصيغة 2024-02-08، لا «{value}»."),
    "from_field": ("From", "تاريخ البداية"),
    "to_field": ("To", "تاريخ النهاية"),
    "date_field": ("The", "التاريخ"),
    "search_failed": ("Search failed: {error}", "تعذّر البحث: {error}"),
    # Claims
    "actor": ("Actor", "الجهة"),
    "all_actors": ("All actors", "كل الجهات"),
    "what": ("What", "ماذا"),
    "everything": ("Everything", "الكل"),
    "section": ("Section", "القسم"),
    "sec_article": ("Article (headline + body)", "المقال (العنوان والمتن)"),
    "sec_body": ("Body", "المتن"),
    "sec_title": ("Headline", "العنوان"),
    "sec_sidebar": ("Sidebar headlines", "عناوين جانبية"),
    "sec_all": ("All", "الكل"),
    "refresh": ("Refresh", "تحديث"),
    "chart": ("Figures by actor", "الأرقام حسب الجهة"),
    "chart_title": ("{what}: highest figure per actor", "{what}: أعلى رقم لكل جهة"),
    "chart_log": ("bar lengths on a log scale (figures differ by more than 20×)",
                  "أطوال الأعمدة بمقياس لوغاريتمي (تختلف الأرقام بأكثر من 20 ضعفًا)"),
    "timeline_title": ("{actor}: {what} over time", "{actor}: {what} عبر الزمن"),
    "timeline_stated": ("(stated)", "(مذكور في الخبر)"),
    "timeline_published": ("(published)", "(تاريخ النشر)"),
    "timeline_undated": ("date not stated", "التاريخ غير مذكور"),
    "chart_empty": ("No figures to chart for these filters.", "لا أرقام لعرضها بهذه المرشحات."),
    "claims_table": ("Claims", "الأرقام المذكورة"),
    "claims_capped": (" (showing the first 1000)", " (تُعرض أول 1000)"),
    "claims_none": ("No claims match these filters (index some articles in the Library tab).",
                    "لا أرقام تطابق هذه المرشحات (فهرس بعض المقالات في تبويب المكتبة)."),
    "claims_failed": ("Claims unavailable: {error}", "الأرقام غير متاحة: {error}"),
    "col_actor": ("actor", "الجهة"),
    "col_actor_en": ("actor (English)", "الجهة (بالإنجليزية)"),
    "col_stance": ("stance", "الموقف"),
    "col_value": ("figure", "الرقم"),
    "col_qualifier": ("qualifier", "الدقة"),
    "col_what": ("what", "ماذا"),
    "col_where": ("where", "أين"),
    "col_when": ("when", "متى"),
    "col_section": ("section", "القسم"),
    "col_doc": ("article", "المقال"),
    # Library
    "api_key": ("API key (KHABAR_API_KEY)", "مفتاح الواجهة البرمجية (KHABAR_API_KEY)"),
    "files": ("Upload .txt / .html / .jsonl", "ارفع ملفات \u200e.txt / .html / .jsonl"),
    "index_btn": ("Index files", "فهرسة الملفات"),
    "p_title": ("Title", "العنوان"),
    "p_text": ("Article text", "نص المقال"),
    "p_text_ph": ("Paste an article in Arabic or English", "الصق نص مقال بالعربية أو الإنجليزية"),
    "p_source": ("Source", "المصدر"),
    "p_url": ("URL", "الرابط"),
    "p_date": ("Date (YYYY-MM-DD)", "التاريخ (YYYY-MM-DD)"),
    "paste_btn": ("Index article", "فهرسة المقال"),
    "documents": ("Documents", "المقالات"),
    "col_doc_id": ("id", "المعرّف"),
    "col_title": ("title", "العنوان"),
    "col_source": ("source", "المصدر"),
    "col_published": ("published", "تاريخ النشر"),
    "col_passages": ("passages", "المقاطع"),
    "col_claims": ("figures", "الأرقام"),
    "delete_pick": ("Document", "المقال"),
    "delete_btn": ("Delete", "حذف"),
    "key_needed": ("This server has KHABAR_API_KEY set: enter the API key to change the index.",
                   "ضُبط KHABAR_API_KEY في هذا الخادم: أدخل مفتاح الواجهة البرمجية لتعديل الفهرس."),
    "files_missing": ("Choose one or more .txt, .html or .jsonl files first.",
                      "اختر أولًا ملفًا أو أكثر بصيغة ‎.txt أو ‎.html أو ‎.jsonl."),
    "index_failed": ("Indexing failed: {error}", "تعذّرت الفهرسة: {error}"),
    "not_indexed": ("Not indexed: {error}", "لم تُفهرَس: {error}"),
    "paste_missing": ("Paste the article text first (a title helps too).", "الصق نص المقال أولًا (والعنوان يفيد أيضًا)."),
    "pick_missing": ("Pick a document to delete.", "اختر مقالًا لحذفه."),
    "deleted": ("Deleted {doc}.", "حُذف {doc}."),
    "not_found": ("No document {doc} (already deleted?).", "لا يوجد مقال {doc} (ربما حُذف من قبل)."),
    "progress_read": ("reading and cleaning", "قراءة الملفات وتنظيفها"),
    "progress_paste": ("indexing article", "فهرسة المقال"),
    "stats_title": ("Index statistics", "إحصاءات الفهرس"),
    "st_documents": ("documents", "المقالات"),
    "st_passages": ("passages", "المقاطع"),
    "st_claims": ("figures", "الأرقام"),
    "st_passages_without_vectors": ("passages without vectors", "مقاطع بلا متجهات"),
    "st_embedder": ("embedder", "نموذج التضمين"),
    "st_dim": ("dimensions", "الأبعاد"),
    "st_backend": ("backend", "محرك التخزين"),
    "st_data_dir": ("data directory", "مجلد البيانات"),
    "rp_added": ("added", "أُضيف"),
    "rp_updated": ("updated", "حُدّث"),
    "rp_unchanged": ("unchanged", "دون تغيير"),
    "rp_duplicates": ("duplicates skipped", "مكرّرات متجاهلة"),
    "rp_rejected": ("rejected", "مرفوض"),
    "rp_warnings": ("warnings (indexed anyway)", "تنبيهات (فُهرِس رغم ذلك)"),
    "rp_passages": ("passages", "المقاطع"),
    "rp_claims": ("figures", "الأرقام"),
    "rp_embedded": ("embedded", "مضمّنة"),
    # answers and results (the chrome of an answer follows the question's language)
    "sources": ("Sources", "المصادر"),
    "no_answer": ("No confident answer in the indexed articles.", "لا توجد إجابة موثوقة في المقالات المفهرسة."),
    "related": ("Related passages", "مقاطع ذات صلة"),
    "claims": ("Figures reported", "الأرقام المذكورة"),
    "who": ("Who", "الجهة"),
    "stance": ("Stance", "الموقف"),
    "figure": ("Figure", "الرقم"),
    "where": ("Where", "أين"),
    "when": ("When", "متى"),
    "conflict": ("Figures differ between sources: up to {times} apart.",
                 "الأرقام تختلف بين المصادر: بفارق يصل إلى {times}."),
    "context": ("In context", "في السياق"),
    "highest": ("highest figure per source", "أعلى رقم لكل مصدر"),
    "open": ("open article", "فتح المقال"),
    "took": ("answered in {ms}", "أُجيب خلال {ms}"),
    "confidence": ("confidence", "الثقة"),
    "unknown_actor": ("unattributed", "غير منسوب"),
    "no_results": ("No passages match “{q}”.", "لا توجد مقاطع تطابق «{q}»."),
    "results": ("{total} · {mode} · page {page} · {ms}", "{total} · {mode} · صفحة {page} · {ms}"),
    "matched": ("matched by", "طابق عبر"),
    "score": ("score", "الدرجة"),
    "empty_conversation": ("Ask a question in English or Arabic — answers cite the articles they come from.",
                           "اطرح سؤالك بالعربية أو الإنجليزية، وتستشهد الإجابات بالمقالات التي جاءت منها."),
}

# Qualifiers and sections are the extractor's own codes (indexer/numbers.py, khabar/models.Claim).
QUALIFIERS: dict[str, tuple[str, str]] = {
    "exact": ("as stated", "كما ورد"), "more_than": ("more than", "أكثر من"), "at_least": ("at least", "ما لا يقل عن"),
    "about": ("about", "نحو"), "up_to": ("up to", "حتى"), "less_than": ("less than", "أقل من"),
}
SECTIONS: dict[str, tuple[str, str]] = {
    "body": ("article body", "متن المقال"), "title": ("headline", "العنوان"), "sidebar": ("sidebar headline", "عنوان جانبي"),
}

# Nouns after a number: English (singular, plural); Arabic one form per CLDR plural category.
NOUNS: dict[str, dict[str, Any]] = {
    "passage": {"en": ("passage", "passages"),
                "ar": {"zero": "{n} مقطع", "one": "مقطع واحد", "two": "مقطعان", "few": "{n} مقاطع",
                       "many": "{n} مقطعًا", "other": "{n} مقطع"}},
    "figure": {"en": ("figure", "figures"),
               "ar": {"zero": "{n} رقم", "one": "رقم واحد", "two": "رقمان", "few": "{n} أرقام",
                      "many": "{n} رقمًا", "other": "{n} رقم"}},
    "article": {"en": ("article", "articles"),
                "ar": {"zero": "{n} مقال", "one": "مقال واحد", "two": "مقالان", "few": "{n} مقالات",
                       "many": "{n} مقالًا", "other": "{n} مقال"}},
    "times": {"en": ("×", "×"),
              "ar": {"zero": "{n} ضعف", "one": "ضعف واحد", "two": "ضعفان", "few": "{n} أضعاف",
                     "many": "{n} ضعفًا", "other": "{n} ضعف"}},
    "ms": {"en": ("ms", "ms"),
           "ar": {"zero": "{n} ملّي ثانية", "one": "ملّي ثانية واحدة", "two": "ملّي ثانيتان", "few": "{n} ملّي ثوانٍ",
                  "many": "{n} ملّي ثانية", "other": "{n} ملّي ثانية"}},
}


def lang_of_ui(lang: str | None) -> str:
    """The interface language: "ar" or "en" (anything else)."""
    return "ar" if lang == "ar" else "en"


def tr(key: str, lang: str | None, **values: Any) -> str:
    """The string `key` in `lang`, placeholders filled."""
    text = TEXT[key][1 if lang_of_ui(lang) == "ar" else 0]
    return text.format(**values) if values else text


@lru_cache(maxsize=2)
def _plural_rule(lang: str) -> Callable[[float], str]:
    return Locale(lang).plural_form


def plural_category(n: float, lang: str) -> str:
    """CLDR plural category of `n` in `lang` (Arabic: zero/one/two/few/many/other; English: one/other)."""
    return _plural_rule(lang_of_ui(lang))(n)


def count(n: float, noun: str, lang: str | None, shown: str | None = None) -> str:
    """'3 passages' / '3 مقاطع', '11 مقطعًا', 'مقطعان'; `shown` is how the number is written (default: 1,257)."""
    lang = lang_of_ui(lang)
    number = shown if shown is not None else (f"{n:,}" if isinstance(n, int) else f"{n:,.1f}")
    if lang == "en":
        singular, plural = NOUNS[noun]["en"]
        word = singular if plural_category(n, "en") == "one" else plural
        return f"{number}{word}" if word == "×" else f"{number} {word}"
    return NOUNS[noun]["ar"][plural_category(n, "ar")].format(n=number)


def what_name(what: Any, lang: str | None) -> str:
    return Gazetteer.load().what_name(str(what or ""), lang_of_ui(lang))


def stance_name(stance: Any, lang: str | None) -> str:
    return Gazetteer.load().stance_name(str(stance or ""), lang_of_ui(lang))


def qualifier_name(qualifier: Any, lang: str | None) -> str:
    names = QUALIFIERS.get(str(qualifier))
    return names[1 if lang_of_ui(lang) == "ar" else 0] if names else str(qualifier or "").replace("_", " ")


def section_name(section: Any, lang: str | None) -> str:
    names = SECTIONS.get(str(section))
    return names[1 if lang_of_ui(lang) == "ar" else 0] if names else str(section or "")
