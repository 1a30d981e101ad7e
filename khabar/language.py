"""Which language is this text in? The one rule, for documents, queries and questions.

Arabic script is decisive: text at least half of whose letters are Arabic script
(`ARABIC_SHARE`) is Arabic. A query or a question is either Arabic or English
(`query_language`: that is all the searcher's fusion weights and the answer wording know),
so the share alone decides, and the search is fused for the language the answer is
worded in. A document may be in any language (`detect_language`), so above that:

langdetect is a character n-gram model: good on paragraphs, erratic on a headline or
a query of three words, and randomised unless seeded. So it is seeded once
(`DetectorFactory.seed = 0`) and backed by the share of Arabic-script letters
(`khabar.arabic.arabic_ratio`), which is decisive for short text and also keeps
Arabic news from being labelled Persian or Urdu because of a few shared n-grams.
"""
from __future__ import annotations

from langdetect import DetectorFactory, LangDetectException, detect_langs

from khabar.arabic import arabic_ratio

DetectorFactory.seed = 0

ARABIC_SHARE = 0.5  # share of Arabic-script letters from which text is Arabic
SHORT_TEXT_LETTERS = 40  # below this many letters the script ratio decides for Arabic
SAMPLE_CHARS = 2000  # langdetect on the first couple of thousand characters is enough and bounded
SCRIPT_SAMPLE_CHARS = 600  # the script ratio settles within a few sentences
_ARABIC_SCRIPT_LANGS = {"ar", "fa", "ur", "ps"}
_PERSIAN_LETTERS = set("پچژگکی")


def detect_language(text: str) -> str:
    """ISO 639-1 code ("ar", "en", ...) or "unknown" when there is nothing to go on."""
    sample = (text or "")[:SAMPLE_CHARS]
    head = sample[:SCRIPT_SAMPLE_CHARS]
    letters = [ch for ch in head if ch.isalpha()]
    if not letters:
        letters = [ch for ch in sample if ch.isalpha()]
        if not letters:
            return "unknown"
        head = sample
    ratio = arabic_ratio(head)
    persian_marks = sum(1 for ch in letters if ch in _PERSIAN_LETTERS)
    if ratio >= ARABIC_SHARE and (len(letters) < SHORT_TEXT_LETTERS or persian_marks == 0):
        # Arabic script without Persian/Urdu-only letters is Arabic; langdetect adds nothing.
        return "ar"
    try:
        guesses = detect_langs(sample)
    except LangDetectException:
        return "ar" if ratio >= ARABIC_SHARE else "unknown"
    best = guesses[0].lang if guesses else "unknown"
    if ratio >= ARABIC_SHARE and best not in _ARABIC_SCRIPT_LANGS:
        return "ar"
    if ratio < ARABIC_SHARE and best in _ARABIC_SCRIPT_LANGS:
        # Mostly Latin text with an Arabic name in it.
        latin = [g.lang for g in guesses if g.lang not in _ARABIC_SCRIPT_LANGS]
        return latin[0] if latin else "unknown"
    if len(letters) < SHORT_TEXT_LETTERS and guesses[0].prob < 0.8:
        return "unknown"
    return best.split("-")[0]


def query_language(text: str) -> str:
    """'ar' when at least half the letters are Arabic script, else 'en' (short text: script beats n-grams)."""
    return "ar" if arabic_ratio(text) >= ARABIC_SHARE else "en"
