"""Fast tests of the UI's HTML rendering: escaping, right-to-left blocks, figure marking, citations, charts."""
from __future__ import annotations

import re

import pytest

from ui import web_render as R
from ui.web_charts import claims_chart, figures_by_actor, pick_category

SCRIPT = "<script>alert('x')</script>"
AR_SENTENCE = "اعترف التحالف الدولي بمقتل 1257 مدنيا في سوريا والعراق منذ 2014."


def citation(**over):
    base = {"n": 1, "doc_id": "002_49235c3dde4d8611", "passage_id": None, "title": "التحالف الدولي يعترف بقتله 1257 مدنياً",
            "source": "Enab Baladi", "path": "samples/seeds/002.txt", "url": None, "published_at": "2019-01-31",
            "snippet": AR_SENTENCE, "highlight": R.esc(AR_SENTENCE), "start": 10, "end": 10 + len(AR_SENTENCE),
            "score": 0.9}
    base.update(over)
    return base


def claim(**over):
    base = {"actor": "التحالف", "actor_en": "Coalition", "stance": "admitted", "value": 1257, "qualifier": "exact",
            "what": "civilians_killed", "where": "سوريا", "when": "2019", "doc_id": "002_49235c3dde4d8611",
            "sentence": AR_SENTENCE}
    base.update(over)
    return base


def answer(**over):
    base = {"question": "what death toll did the coalition admit?", "language": "en",
            "answer": "The coalition admitted 1,257 civilian deaths [1].", "answerable": True, "confidence": 0.83,
            "claims": [claim()], "citations": [citation()], "related": [], "took_ms": 37.5}
    base.update(over)
    return base


def no_raw_script(html: str) -> bool:
    return "<script" not in html.lower()


# ----------------------------------------------------------------------------- escaping
def test_user_and_article_text_is_escaped_everywhere_in_an_answer():
    hostile = answer(question=SCRIPT, answer=f"It was {SCRIPT}", claims=[claim(actor=SCRIPT, where=SCRIPT)],
                     citations=[citation(title=SCRIPT, source=SCRIPT, snippet=SCRIPT, highlight=R.esc(SCRIPT),
                                         path=SCRIPT, doc_id=SCRIPT)])
    html = R.render_answer(SCRIPT, hostile, {R.context_key(hostile["citations"][0]): (SCRIPT, SCRIPT, SCRIPT)})
    assert no_raw_script(html)
    assert "&lt;script&gt;" in html
    # attributes too: a doc id with quotes cannot break out of data-doc-id
    html = R.render_answer("q", answer(citations=[citation(doc_id='x" onmouseover="alert(1)')]))
    assert 'onmouseover="alert' not in html


def test_search_cards_trust_only_the_prescaped_highlight():
    hit = {"doc_id": "d1", "title": SCRIPT, "source": SCRIPT, "published_at": None, "path": None, "url": None,
           "text": SCRIPT, "highlight": "كلمة <mark>التحالف</mark> &lt;b&gt;", "score": 0.5, "matched": ["lexical"]}
    html = R.render_hit(hit)
    assert no_raw_script(html)
    assert "<mark>التحالف</mark>" in html  # the search layer's markup survives
    assert "&lt;b&gt;" in html


def test_only_http_links_are_rendered_as_links():
    html = R.render_answer("q", answer(citations=[citation(url="javascript:alert(1)", path=None)]))
    assert "javascript:" not in html
    html = R.render_answer("q", answer(citations=[citation(url="https://example.org/a?b=1&c=2")]))
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    assert 'rel="noopener noreferrer"' in html


def test_ingest_report_escapes_rejection_reasons_and_counts_everything():
    html = R.render_report({"added": ["a"], "updated": [], "unchanged": ["b", "c"],
                            "duplicates": [{"doc_id": "d", "duplicate_of": "a"}],
                            "rejected": [{"source": "bad.pdf", "reason": SCRIPT}], "passages": 4, "claims": 2})
    assert no_raw_script(html)
    for fragment in ("<b>added</b> <bdi>1</bdi>", "<b>unchanged</b> <bdi>2</bdi>", "<b>duplicates skipped</b> <bdi>1</bdi>",
                     "<b>rejected</b> <bdi>1</bdi>", "bad.pdf", "&lt;script&gt;"):
        assert fragment in html


# ----------------------------------------------------------------------------- direction
def test_arabic_blocks_are_rtl_and_english_ltr():
    assert R.dir_attrs(AR_SENTENCE) == ' dir="rtl" lang="ar" class="khabar-ar"'
    assert R.dir_attrs("Kabul bombing kills 90") == ' dir="ltr"'
    html = R.render_answer("what death toll did the coalition admit?", answer())
    quote = re.search(r'<blockquote class="khabar-quote"([^>]*)>', html)
    assert quote and 'dir="rtl"' in quote.group(1) and 'lang="ar"' in quote.group(1)
    assert html.startswith('<div class="khabar-answer" dir="ltr" lang="en">')


def test_arabic_question_gets_arabic_chrome_and_rtl_answer():
    q = "كم عدد المدنيين الذين اعترف التحالف بقتلهم؟"
    html = R.render_answer(q, answer(question=q, language="ar", answer="اعترف التحالف بمقتل 1257 مدنيا [1]."))
    assert html.startswith('<div class="khabar-answer" dir="rtl" lang="ar">')
    assert "المصادر" in html  # "Sources"
    assert '<div class="khabar-direct" dir="rtl" lang="ar"' in html


def test_mixed_script_metadata_is_isolated_with_bdi():
    html = R.render_answer("q", answer(citations=[citation(source="Enab Baladi", published_at="2019-01-31")]))
    assert "<bdi>Enab Baladi</bdi>" in html
    assert "<bdi>2019-01-31</bdi>" in html
    assert "<bdi>التحالف الدولي يعترف بقتله 1257 مدنياً</bdi>" in html


def test_english_answer_quoting_arabic_keeps_the_quote_marks_and_marker_in_order():
    """«Arabic» [1] inside an English sentence: the closing mark and [1] must not join the Arabic run (read «[1] «..)."""
    quoted = "وحول التفجير الذي وقع اليوم في العاصمة الافغانية كابول اعربت زاخاروفا عن إدانة موسكو الشديدة للتفجير وقالت.."
    html = R.render_answer("Where did the Kabul bombing happen?",
                           answer(answer=f"The corpus says: «{quoted}» [1]", claims=[]))
    direct = re.search(r'<div class="khabar-direct"([^>]*)>(.*?)</div>', html)
    assert direct and 'dir="ltr"' in direct.group(1)  # the answer's language, not the majority script
    assert direct.group(2) == (f'The corpus says: «<bdi dir="rtl" lang="ar" class="khabar-ar">'
                               f'{quoted}</bdi>» <bdi dir="ltr" class="khabar-ref">[1]</bdi>')


def test_arabic_and_latin_runs_are_isolated_in_answers_of_the_other_language():
    en = R.answer_text("عام 2014 — The corpus says it [2].", "en")
    assert en.startswith('<bdi dir="rtl" lang="ar">عام 2014</bdi> — ')
    ar = R.answer_text("قالت Airwars &amp; CENTCOM إن 7595 مدنيا قتلوا [5].", "ar")
    assert '<bdi dir="ltr">Airwars &amp;amp; CENTCOM</bdi>' in ar  # text is escaped once, entities stay whole
    assert '<bdi dir="ltr" class="khabar-ref">[5]</bdi>' in ar
    assert no_raw_script(R.answer_text(f"«{SCRIPT}» [1]", "en"))


def test_paths_stay_left_to_right_inside_arabic_blocks():
    q = "كم عدد المدنيين الذين اعترف التحالف بقتلهم؟"
    html = R.render_answer(q, answer(question=q, language="ar", citations=[citation(path="/tmp/khabar/x.txt")]))
    assert '<code dir="ltr" class="khabar-path">/tmp/khabar/x.txt</code>' in html
    hit = {"doc_id": "d", "title": "عنوان", "text": "نص", "highlight": "نص", "score": 1, "matched": ["lexical"],
           "path": "/tmp/khabar/y.txt"}
    assert '<code dir="ltr" class="khabar-path">/tmp/khabar/y.txt</code>' in R.render_hit(hit, "ar")
    assert '<code dir="ltr" class="khabar-path">/data/khabar</code>' in R.render_stats({"data_dir": "/data/khabar"}, "ar")


@pytest.mark.parametrize("total, head", [
    (1, "مقطع واحد"), (2, "مقطعان"), (3, "3 مقاطع"), (10, "10 مقاطع"), (11, "11 مقطعًا"), (99, "99 مقطعًا"),
    (100, "100 مقطع"), (103, "103 مقاطع"), (1257, "1,257 مقطعًا")])
def test_arabic_result_counts_agree_with_the_number(total, head):
    hit = {"doc_id": "d", "title": "t", "text": "x", "highlight": "x", "score": 1, "matched": ["lexical"]}
    html = R.render_search({"query": "التحالف", "mode": "lexical", "language": "ar", "hits": [hit], "total": total,
                            "took_ms": 3}, 0, 10)
    first = re.search(r'<div class="khabar-meta khabar-results-head">([^·]*) ·', html)
    assert first and first.group(1).strip() == head
    assert "3 ملّي ثوانٍ" in html  # milliseconds agree too


def test_arabic_conflict_note_counts_times_with_the_right_noun():
    claims = [claim(value=1000), claim(actor="إيروورز", actor_en="Airwars", stance="estimated", value=3000)]
    assert "بفارق يصل إلى 3.0 أضعاف" in R.claims_table(claims, "ar")  # 3-10: plural
    claims[1]["value"] = 21600
    assert "بفارق يصل إلى 21.6 ضعف" in R.claims_table(claims, "ar")  # a fraction: CLDR "other"
    assert "up to 21.6× apart" in R.claims_table(claims, "en")


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize("written", ["1257", "1,257", "١٢٥٧"])
def test_the_answer_figure_is_marked_however_it_is_written(written):
    marked = R.mark_figures(R.esc(f"قتل {written} مدنيا و34 جريحا"), [1257])
    assert f'<mark class="khabar-fig">{written}</mark>' in marked
    assert '<mark class="khabar-fig">34</mark>' not in marked


def test_figure_marking_skips_entities_and_existing_tags():
    escaped = R.esc("it's 27 and 1257") + '<mark data-x="27">x</mark>'
    marked = R.mark_figures(escaped, [27])
    assert "&#x27;" in marked  # the apostrophe's entity is intact
    assert marked.count('<mark class="khabar-fig">27</mark>') == 1
    assert '<mark data-x="27">' in marked


def test_figures_written_in_words_are_marked_as_written():
    text = "قالت إيروورز إن حوالي 7 آلاف و595 مدنيا قتلوا"
    marked = R.mark_figures(R.esc(text), [7595], ["7 آلاف و595"])
    assert '<mark class="khabar-fig">7 آلاف و595</mark>' in marked


def test_citation_is_expandable_numbered_and_shows_context():
    c = citation()
    html = R.render_answer("q", answer(citations=[c]), {R.context_key(c): ("قبل الجملة. ", AR_SENTENCE, " بعد الجملة.")})
    assert "<details>" in html and "<summary><b>[1]</b>" in html
    assert 'data-doc-id="002_49235c3dde4d8611"' in html
    assert "قبل الجملة." in html and "بعد الجملة." in html
    assert html.count('<mark class="khabar-fig">1257</mark>') >= 2  # quote and context
    assert "samples/seeds/002.txt" in html  # no url: the path is shown


# ----------------------------------------------------------------------------- claims and abstention
def test_conflicting_figures_from_different_actors_are_side_by_side():
    claims = [claim(), claim(actor="إيروورز", actor_en="Airwars", stance="estimated", value=7595, qualifier="about")]
    html = R.render_answer("q", answer(claims=claims))
    table = re.search(r'<table class="khabar-claims">.*?</table>', html, re.S)
    assert table and "Coalition" in table.group(0) and "Airwars" in table.group(0)
    assert "1,257" in table.group(0) and "7,595" in table.group(0)
    assert "6.0×" in html  # 7595 / 1257
    assert R.figure_spread(claims) == ("6.0", [("Airwars", 7595), ("Coalition", 1257)])
    assert R.figure_spread([claim(), claim(value=1300)]) is None  # one actor: no conflict


def test_each_claim_row_points_at_the_citation_quoting_its_sentence():
    other = "وكان التحالف قد اعترف بقتل أكثر من 1190 مدنيا."
    cites = [citation(n=1, snippet=other, highlight=R.esc(other)), citation(n=2)]
    html = R.claims_table([claim(sentence=AR_SENTENCE), claim(value=1190, sentence=other)], "en", cites)
    rows = re.findall(r"<tr data-stance[^>]*>(.*?)</tr>", html)
    assert rows[0].endswith("<td>[2]</td>") and rows[1].endswith("<td>[1]</td>")
    # no matching sentence: the citation from the same document that shows the figure
    assert R.citation_for_claim(claim(sentence="", value=1190), cites) == 1


def test_claim_vocabulary_is_shown_in_the_question_language():
    html = R.claims_table([claim(qualifier="more_than", value=34000, what="air_strikes")], "ar")
    assert "اعترف" in html and "أكثر من" in html and "غارات جوية" in html and "34,000" in html
    html = R.claims_table([claim(qualifier="more_than")], "en")
    assert "admitted" in html and "more than" in html and "civilians killed" in html


def test_claims_tab_rows_show_names_not_codes_in_both_languages():
    from khabar.models import Claim
    from ui.web_handlers import claim_rows

    c = Claim(claim_id="c1", doc_id="d1", value=3100, what="people_killed", sentence="s", start=0, end=1,
              value_start=0, value_end=1, value_text="3100", stance="confirmed", qualifier="at_least",
              actor="إيروورز", actor_en="Airwars", section="sidebar")
    en, = claim_rows([c], {"d1": "Title"}, "en")
    assert en == ["إيروورز", "Airwars", "confirmed", 3100, "at least", "people killed", "", "", "sidebar headline", "Title"]
    ar, = claim_rows([c], {"d1": "Title"}, "ar")
    assert ar[2:6] == ["أكّد", 3100, "ما لا يقل عن", "قتلى"] and ar[8] == "عنوان جانبي"
    assert not any("_" in str(v) for v in en + ar)


def test_abstention_is_plain_and_lists_related_passages():
    related = [{"doc_id": "001_x", "title": "غارة", "text": "نص", "highlight": "<mark>نص</mark>", "score": 0.1,
                "matched": ["semantic"], "source": None, "path": None, "url": None, "published_at": None}]
    html = R.render_answer("who won the 1998 world cup?", answer(answerable=False, answer="", claims=[], citations=[],
                                                                  related=related, confidence=0.05))
    assert "khabar-abstained" in html
    assert R.LABELS["en"]["no_answer"] in html
    assert R.LABELS["en"]["related"] in html and 'data-doc-id="001_x"' in html


def test_latency_is_shown():
    assert "answered in 38 ms" in R.render_answer("q", answer(took_ms=37.5))


def test_search_empty_state_and_header():
    empty = R.render_search({"query": SCRIPT, "mode": "lexical", "language": "en", "hits": [], "total": 0,
                             "took_ms": 1}, 0, 10)
    assert "khabar-empty" in empty and no_raw_script(empty)
    hit = {"doc_id": "d", "title": "t", "text": "x", "highlight": "x", "score": 1, "matched": ["lexical", "semantic"]}
    html = R.render_search({"query": "x", "mode": "lexical", "language": "en", "hits": [hit], "total": 25,
                            "took_ms": 3.2}, 1, 10)
    assert "25 passages · keyword · page 2/3 · 3 ms" in html
    assert 'khabar-badge semantic' in html


# ----------------------------------------------------------------------------- chart
def chart_rows(html: str) -> list[tuple[str, str, int, float]]:
    """(label text, stance, value, width %) per bar, top to bottom."""
    rows = re.findall(r'<div class="khabar-bar-row" data-stance="([^"]*)" data-value="(\d+)">'
                      r'<div class="khabar-bar-label">(.*?)</div><div class="khabar-bar-track" data-width="([\d.]+)"', html)
    return [(re.sub(r"<[^>]+>", "", label), stance, int(value), float(width)) for stance, value, label, width in rows]


def test_chart_has_a_whole_title_human_names_and_a_log_scale_for_wide_spreads():
    claims = [claim(value=1257), claim(actor_en="Airwars", actor="إيروورز", stance="estimated", value=30000),
              claim(actor_en=None, actor_id=None, actor=None, value=5), claim(what="strikes", value=34000)]
    assert pick_category(claims) == "civilians_killed"
    data = figures_by_actor(claims, "civilians_killed")
    assert data == {"Coalition": {"admitted": 1257}, "Airwars": {"estimated": 30000}, "unattributed": {"admitted": 5}}
    html = claims_chart(claims)
    # the title is text in the page (it wraps; an image title was clipped at "…per actor and s")
    assert '<div class="khabar-chart-title">civilians killed: highest figure per actor</div>' in html
    rows = chart_rows(html)
    assert [(label, value) for label, _, value, _ in rows] == [
        ("Airwars estimated", 30000), ("Coalition admitted", 1257), ("unattributed admitted", 5)]
    assert 'data-scale="log"' in html and "log scale" in html
    widths = [w for *_, w in rows]
    assert widths[0] == 100 and widths == sorted(widths, reverse=True) and widths[-1] >= 10  # 5 stays visible
    linear = claims_chart([claim(value=1257), claim(actor_en="Airwars", stance="estimated", value=2514)])
    assert 'data-scale="linear"' in linear and [w for *_, w in chart_rows(linear)] == [100.0, 50.0]


def test_chart_speaks_the_interface_language_and_escapes_names():
    claims = [claim(actor_id="coalition", value=1257), claim(actor_en=SCRIPT, actor=SCRIPT, actor_id=None,
                                                             stance="estimated", value=7595)]
    html = claims_chart(claims, lang="ar")
    assert html.startswith('<div class="khabar-chart" dir="rtl" lang="ar"')
    assert "قتلى مدنيون: أعلى رقم لكل جهة" in html
    labels = [label for label, *_ in chart_rows(html)]
    assert "التحالف الدولي اعترف" in labels  # the gazetteer's Arabic name and the stance's Arabic name
    assert no_raw_script(html) and "&lt;script&gt;" in html


def test_chart_without_figures_says_so():
    assert "No figures to chart" in claims_chart([])
    assert "لا أرقام" in claims_chart([], lang="ar")


def test_gradio_queue_polls_quietly_when_idle():
    """Gradio's queue loops poll every 1 ms / 10 ms by default (~900 event-loop wake-ups a second
    when idle, which take cores from the query embedding); `quiet_queue` slows them down. This
    fails if a Gradio upgrade renames the fields, instead of silently losing the setting."""
    import gradio as gr

    from ui.web import PROGRESS_POLL_S, QUEUE_POLL_S, quiet_queue

    with gr.Blocks() as demo:
        gr.Markdown("x")
    demo.queue()
    quiet_queue(demo)
    assert demo._queue.sleep_when_free == QUEUE_POLL_S >= 0.01
    assert demo._queue.progress_update_sleep_when_free == PROGRESS_POLL_S >= 0.05


def test_the_short_answer_is_the_bold_lead_and_escaped() -> None:
    html = R.render_answer("Who is the spokesman?", answer(short_answer="<b>تركي المالكي</b>", claims=[]))
    assert "<b><bdi>&lt;b&gt;تركي المالكي&lt;/b&gt;</bdi></b> — The coalition" in html
    assert "<b><bdi>" not in R.render_answer("q", answer(short_answer=None))


def test_timeline_chart_orders_by_date_and_keeps_undated_figures_apart() -> None:
    from khabar.models import Claim, Document
    from khabar.service.claims import claims_timeline
    from ui.web_charts import timeline_chart

    def claim(cid: str, doc: str, value: int, when_norm: str | None) -> Claim:
        return Claim(cid, doc, value, "civilians_killed", f"اعترف التحالف بقتل {value} مدنيا", 0, 10, 0, 4, str(value),
                     stance="admitted", actor_id="coalition", actor_en="US-led coalition", when_norm=when_norm)

    docs = {"a": Document("a", "t", "x", "h", published_at="2017-11-30"), "b": Document("b", "t", "x", "h"),
            "c": Document("c", "t", "x", "h")}
    rows = claims_timeline([claim("1", "a", 1257, None), claim("2", "b", 1190, "2017-10-02"), claim("3", "c", 450, None)],
                           docs.get)
    assert [(r["value"], r["date"], r["date_source"]) for r in rows] == [
        (1190, "2017-10-02", "sentence"), (1257, "2017-11-30", "published"), (450, None, "unknown")]
    chart = timeline_chart(rows)
    assert chart.index("2017-10-02") < chart.index("2017-11-30") < chart.index("date not stated")
    assert "1,257" in chart and "(published)" in chart and "(stated)" in chart
    assert "التاريخ غير مذكور" in timeline_chart(rows, lang="ar")
    assert timeline_chart(rows[:1]) == ""  # one figure is not a timeline
