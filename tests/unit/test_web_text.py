"""The UI's words: every string in both languages, Arabic number agreement, and a language switch that reaches every label."""
from __future__ import annotations

import re
import string

import pytest

from khabar.vocabulary import Gazetteer
from ui import web_text as T

ARABIC = re.compile(r"[\u0600-\u06FF]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_string_exists_in_both_languages_with_the_same_placeholders():
    for key, (en, ar) in T.TEXT.items():
        assert en.strip() and ar.strip(), key
        assert fields(en) == fields(ar), key
        assert ARABIC.search(ar), f"{key}: the Arabic string has no Arabic in it: {ar!r}"


def test_every_counted_category_and_stance_has_an_english_and_arabic_name():
    gaz = Gazetteer.load()
    for entry in gaz.whats:
        assert gaz.what_name(entry.id, "en") == entry.en
        assert ARABIC.search(gaz.what_name(entry.id, "ar")), entry.id
    for stance in ("admitted", "estimated", "confirmed", "announced", "denied", "stated", "reported"):
        assert gaz.stance_name(stance, "en") == stance
        assert ARABIC.search(gaz.stance_name(stance, "ar")), stance
    assert gaz.what_name("no_such_thing", "en") == "no such thing"  # unknown ids stay readable


@pytest.mark.parametrize("n, noun, expected", [
    (0, "article", "0 مقال"), (1, "article", "مقال واحد"), (2, "article", "مقالان"), (3, "article", "3 مقالات"),
    (10, "figure", "10 أرقام"), (11, "figure", "11 رقمًا"), (99, "figure", "99 رقمًا"), (100, "figure", "100 رقم"),
    (102, "figure", "102 رقم"), (103, "figure", "103 أرقام"), (111, "figure", "111 رقمًا"), (1000, "passage", "1,000 مقطع"),
])
def test_arabic_nouns_take_the_form_the_number_asks_for(n, noun, expected):
    assert T.count(n, noun, "ar") == expected


def test_english_counts_are_singular_only_for_one():
    assert T.count(1, "passage", "en") == "1 passage"
    assert T.count(0, "passage", "en") == "0 passages"
    assert T.count(1257, "figure", "en") == "1,257 figures"


def test_the_language_switch_relabels_every_visible_string_of_the_page():
    """Every labelled component the layout builds is in CHROME, and in Arabic each of its words is Arabic."""
    import gradio as gr

    from ui import web

    c: dict[str, object] = {}
    with gr.Blocks():
        web._header(c)
        web._ask_tab(c)
        web._search_tab(c)
        web._claims_tab(c)
        web._library_tab(c, key_needed=True)
    labelled = {name for name, comp in c.items()
                if isinstance(comp, (gr.Textbox, gr.Button, gr.Radio, gr.Dropdown, gr.File, gr.Dataframe, gr.HTML))
                and (getattr(comp, "label", None) or isinstance(comp, gr.Button))}
    assert labelled - set(web.CHROME) == set(), "components whose words the language switch does not reach"
    updates = web.relabel("ar")
    assert updates[0]["value"] == web.render_header("ar") and ARABIC.search(web.render_header("ar"))
    assert "Search and cited answers" not in updates[0]["value"]
    for name, update in zip(web.CHROME, updates[1:]):
        for prop in ("label", "placeholder", "value"):
            if prop in update:
                assert ARABIC.search(update[prop]), (name, prop, update[prop])
        for label, _ in update.get("choices", []):
            assert ARABIC.search(label), (name, label)
