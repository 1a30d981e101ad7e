"""End-to-end: the real server (API + UI on one port, seeds indexed) driven by headless Debian Chromium.

Run: `scripts/install-browser.sh` once, then `pytest -m browser tests/e2e/test_web_e2e.py`.
Without /usr/bin/chromium these tests FAIL with instructions (they never skip silently),
unless KHABAR_SKIP_BROWSER=1 says explicitly that this machine has no browser.
Screenshots of every tab are written to docs/screenshots/.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "samples" / "seeds"
SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 180_000  # generous: CI shares 2 cores, and a queued question can hold the Gradio queue
UNIQUE_WORD = "زمردستان"  # an invented place name: only the uploaded file contains it


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, chromium, serve_in_thread) -> Iterator[str]:
    """The product's own server (`ui.server.build_app`) on a free loopback port, seeds indexed."""
    from khabar.settings import Settings
    from ui.server import build_app

    settings = Settings(data_dir=str(tmp_path_factory.mktemp("web-e2e")), api_key=None)
    app = build_app(settings, [str(SEEDS)])
    with serve_in_thread(app) as url:
        assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
        yield url


@pytest.fixture(scope="module")
def browser(base_url: str, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(**chromium)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(base_url + "/", wait_until="load")  # not "networkidle": Gradio keeps an event stream open
    pg.wait_for_selector("#ask-question textarea")
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / name), full_page=True)


def _open_tab(pg, label: str) -> None:
    pg.get_by_role("tab", name=label).click()


def _ask(pg, question: str):
    before = pg.locator("#ask-answers .khabar-answer").count()
    pg.locator("#ask-question textarea").fill(question)
    pg.locator("#ask-button").click()
    pg.wait_for_function(f"document.querySelectorAll('#ask-answers .khabar-answer').length > {before}")
    return pg.locator("#ask-answers .khabar-answer").first  # newest first


# Visual positions of characters: (line top, left) of each occurrence's box, in document order.
_CHAR_BOXES_JS = """(el, chars) => {
  const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      if (!chars.includes(node.data[i])) continue;
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      out.push([node.data[i], Math.round(box.top), box.left]);
    }
  }
  return out;
}"""


def _reading_order(boxes: list[list]) -> list[str]:
    """The characters sorted as a left-to-right reader meets them: by line, then from the left."""
    lines: list[float] = []
    for _, top, _ in boxes:
        if not any(abs(top - t) < 6 for t in lines):
            lines.append(top)
    line_of = {top: min(range(len(lines)), key=lambda i: abs(lines[i] - top)) for _, top, _ in boxes}
    return [ch for ch, top, left in sorted(boxes, key=lambda b: (line_of[b[1]], b[2]))]


def _search(pg, query: str, mode_label: str):
    _open_tab(pg, "Search · بحث")
    pg.locator("#search-mode").get_by_text(mode_label, exact=True).click()
    pg.locator("#search-query textarea").fill(query)
    pg.locator("#search-results").evaluate("el => el.setAttribute('data-stale', '1')")
    pg.locator("#search-button").click()
    pg.wait_for_function("() => { const r = document.querySelector('#search-results');"
                         " return r && (r.querySelector('.khabar-card, .khabar-empty, .khabar-error'))"
                         " && !(r.querySelector('.khabar-empty') && r.innerText.includes('Results appear here')); }")
    return pg.locator("#search-results")


# ----------------------------------------------------------------------------- Ask
def test_ask_english_question_cites_the_coalition_admission(page):
    started = time.perf_counter()
    block = _ask(page, "what death toll did the coalition admit?")
    took = time.perf_counter() - started
    direct = block.locator(".khabar-direct").inner_text()
    assert "1,257" in direct or "1257" in direct, direct
    # the citation that carries the figure: from seed 002, with 1257 marked in the quoted Arabic sentence
    cite = block.locator('.khabar-cite[data-doc-id^="002"]', has=page.locator('mark.khabar-fig', has_text="1257"))
    assert cite.count() >= 1, block.inner_html()[:3000]
    cite.first.locator("summary").click()
    quote = cite.first.locator("blockquote.khabar-quote")
    assert quote.is_visible()
    assert quote.get_attribute("dir") == "rtl" and quote.get_attribute("lang") == "ar"
    assert block.locator(".khabar-latency").inner_text().startswith("answered in")
    print(f"ask (English) round trip in the browser: {took:.2f} s")
    _shot(page, "ask.png")


def test_english_answer_quoting_arabic_reads_quote_then_marker(page):
    """«Arabic» [1] in an English answer: the marks and [1] stay where they are written (not «[1] «..)."""
    block = _ask(page, "Where did the Kabul bombing happen?")
    direct = block.locator(".khabar-direct")
    text = direct.inner_text()
    assert "«" in text and "»" in text and "[1]" in text, text
    assert direct.get_attribute("dir") == "ltr"
    order = _reading_order(direct.evaluate(_CHAR_BOXES_JS, "«»[]"))
    assert order == ["«", "»", "[", "]"], order


def test_ask_arabic_question_answers_right_to_left(page):
    page.get_by_role("button", name="كم عدد المدنيين الذين اعترف التحالف بقتلهم؟").click()  # an example chip
    page.wait_for_selector("#ask-answers .khabar-answer")
    block = page.locator("#ask-answers .khabar-answer").first
    assert block.get_attribute("dir") == "rtl" and block.get_attribute("lang") == "ar"
    assert "كم عدد المدنيين" in block.locator(".khabar-q").inner_text()
    text = block.locator(".khabar-direct").inner_text()
    assert any(f in text for f in ("1257", "1,257", "١٢٥٧")), text
    cite = block.locator('.khabar-cite[data-doc-id^="002"]')
    assert cite.count() >= 1
    # a file path inside the right-to-left answer still reads left to right (not "tmp/…/x.txt/")
    cite.first.locator("summary").click()
    path = cite.first.locator("code").first
    written = path.inner_text()
    assert written.startswith("/") or ":" in written or "/" in written, written
    boxes = path.evaluate(_CHAR_BOXES_JS, written[0] + written[-1])
    first = [b for b in boxes if b[0] == written[0]][0]
    last = [b for b in boxes if b[0] == written[-1]][-1]
    assert first[1] == last[1] and first[2] < last[2], (written, boxes)


def test_interface_language_toggle_switches_labels_and_direction(page):
    page.locator("#ui-lang").get_by_text("العربية", exact=True).click()
    page.wait_for_function("document.querySelector('#ask-button').innerText.trim() === 'اسأل'")
    assert page.evaluate("document.querySelector('.gradio-container').getAttribute('dir')") == "rtl"
    # the header, the language radio's own label and the placeholders change too
    assert "بحث وإجابات" in page.locator("#header").inner_text()
    assert "لغة الواجهة" in page.locator("#ui-lang").inner_text() and "Interface" not in page.locator("#ui-lang").inner_text()
    assert page.locator("#ask-question textarea").get_attribute("placeholder") == "ما حصيلة القتلى التي اعترف بها التحالف؟"
    _open_tab(page, "Library · المكتبة")
    assert "الصق" in page.locator("#paste-text textarea").get_attribute("placeholder")
    page.wait_for_function("document.querySelector('#library-stats').innerText.includes('إحصاءات الفهرس')")
    _open_tab(page, "Claims · الأرقام")
    page.wait_for_function("(document.querySelector('#claims-chart .khabar-chart-title') || {innerText: ''})"
                           ".innerText.includes('أعلى رقم لكل جهة')")
    page.wait_for_function("document.querySelector('#claims-table').innerText.includes('الموقف')")
    table = page.locator("#claims-table").inner_text()
    assert "admitted" not in table and "civilians_killed" not in table and "اعترف" in table, table[:800]
    _shot(page, "claims-ar.png")
    page.locator("#ui-lang").get_by_text("English", exact=True).click()
    page.wait_for_function("document.querySelector('#ask-button').innerText.trim() === 'Ask'")
    assert page.evaluate("document.querySelector('.gradio-container').getAttribute('dir')") == "ltr"


# ----------------------------------------------------------------------------- Search
def test_keyword_search_highlights_terms_and_pages(page):
    results = _search(page, "التحالف", "Keyword")
    cards = results.locator(".khabar-card")
    assert cards.count() == 10
    assert cards.first.locator("mark").count() >= 1
    assert "lexical" in cards.first.locator(".khabar-badge").first.inner_text()
    assert "page 1/" in results.locator(".khabar-results-head").inner_text() or "صفحة 1/" in results.inner_text()
    first_page = cards.first.get_attribute("data-doc-id"), cards.first.inner_text()
    page.locator("#search-next").click()
    page.wait_for_function("document.querySelector('#search-results').innerText.match(/(page|صفحة) 2\\//)")
    assert (cards.first.get_attribute("data-doc-id"), cards.first.inner_text()) != first_page
    _shot(page, "search.png")


def test_semantic_search_finds_arabic_passages_for_an_english_query(page):
    results = _search(page, "civilians killed by coalition air strikes", "Semantic")
    cards = results.locator(".khabar-card")
    assert cards.count() >= 1
    assert all("semantic" in cards.nth(i).locator(".khabar-badge").inner_text() for i in range(cards.count()))
    assert cards.first.locator(".khabar-passage-text").get_attribute("dir") == "rtl"


def test_empty_query_gets_a_friendly_message(page):
    results = _search(page, "   ", "Hybrid")
    assert "Type something to search" in results.inner_text()


# ----------------------------------------------------------------------------- Library
def test_uploaded_arabic_file_becomes_searchable(page, tmp_path: Path):
    article = tmp_path / "zumurrud_report.txt"
    article.write_text(f"مهرجان الكتاب في {UNIQUE_WORD}\n\nافتتح في مدينة {UNIQUE_WORD} مهرجان للكتاب العربي "
                       "بمشاركة 120 دار نشر من عشرين بلدا، وقال المنظمون إن عدد الزوار تجاوز 45 ألف زائر "
                       "في اليوم الأول.\n" + "وشهد المهرجان ندوات وأمسيات شعرية وعروضا للأطفال طوال أيامه.\n" * 60,
                       encoding="utf-8")
    # Chosen right after the page opens, while its load chain is still filling the tabs, and sent
    # slowly (upload throttled to 2 kB/s, a few seconds for this file): the user then presses Index
    # at once. Index stays disabled until the upload has finished (with some Gradio versions a
    # click mid-upload sent no files), and the file is indexed.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 2000})
    _open_tab(page, "Library · المكتبة")
    page.locator("#library-files input[type=file]").set_input_files(str(article))
    assert not page.locator("#library-index").is_enabled()  # still uploading
    page.locator("#library-index").click()  # Playwright waits until the button is enabled
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.wait_for_selector("#library-report .khabar-report")
    report = page.locator("#library-report").inner_text()
    assert "added 1" in report, report
    page.wait_for_function(f"document.querySelector('#library-docs').innerText.includes('{UNIQUE_WORD}')")
    assert "documents" in page.locator("#library-stats").inner_text()
    _shot(page, "library.png")
    results = _search(page, UNIQUE_WORD, "Keyword")
    assert results.locator(".khabar-card").count() >= 1
    assert UNIQUE_WORD in results.locator(".khabar-card mark").first.inner_text()


# ----------------------------------------------------------------------------- Claims
def test_claims_tab_shows_table_and_chart(page):
    _open_tab(page, "Claims · الأرقام")
    page.wait_for_selector("#claims-chart .khabar-bar-row")
    page.wait_for_function("document.querySelectorAll('#claims-table tbody tr').length > 0")
    table = page.locator("#claims-table").inner_text()
    assert "1,257" in page.locator("#claims-chart").inner_text()
    # names, not codes
    assert "civilians killed" in table and "civilians_killed" not in table and "at_least" not in table, table[:1500]
    # the chart's title is shown whole (an image title was clipped at "…per actor and s")
    title = page.locator("#claims-chart .khabar-chart-title")
    assert title.inner_text() == "civilians killed: highest figure per actor"
    assert title.evaluate("el => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= "
                          "el.closest('#claims-chart').getBoundingClientRect().right")
    _shot(page, "claims.png")


# ----------------------------------------------------------------------------- XSS
def test_script_in_an_article_and_a_question_is_shown_as_text(page):
    payload = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
    _open_tab(page, "Library · المكتبة")
    page.locator("#paste-title textarea").fill(f"تقرير {payload}")
    page.locator("#paste-text textarea").fill(f"قالت مصادر محلية في بلدة كفرنبودة إن القصف أصاب السوق. {payload} "
                                              "وأضافت أن ثلاثة مبان تهدمت بالكامل.")
    page.locator("#paste-source textarea").fill("test <b>source</b>")
    page.locator("#paste-index").click()
    page.wait_for_selector("#library-report .khabar-report")
    assert "added 1" in page.locator("#library-report").inner_text()
    results = _search(page, "كفرنبودة", "Keyword")
    card = results.locator(".khabar-card").first
    assert "<script>" in card.inner_text()  # visible as text, not executed
    assert card.locator("script, img").count() == 0
    _open_tab(page, "Ask · اسأل")
    block = _ask(page, f"{payload} ماذا حدث في كفرنبودة؟")
    assert "<script>" in block.locator(".khabar-q").inner_text()
    assert page.locator("#ask-answers script, #ask-answers img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
