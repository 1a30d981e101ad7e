"""Which language is this text in?

langdetect is a character n-gram model: good on paragraphs, erratic on a headline or
a query of three words, and randomised unless seeded. So it is seeded once
(`DetectorFactory.seed = 0`) and backed by the share of Arabic-script letters
(`indexer.arabic.arabic_ratio`), which is decisive for short text and also keeps
Arabic news from being labelled Persian or Urdu because of a few shared n-grams.
"""
from __future__ import annotations

from langdetect import DetectorFactory, LangDetectException, detect_langs

from indexer.arabic import arabic_ratio

DetectorFactory.seed = 0

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
    if ratio >= 0.5 and (len(letters) < SHORT_TEXT_LETTERS or persian_marks == 0):
        # Arabic script without Persian/Urdu-only letters is Arabic; langdetect adds nothing.
        return "ar"
    try:
        guesses = detect_langs(sample)
    except LangDetectException:
        return "ar" if ratio >= 0.5 else "unknown"
    best = guesses[0].lang if guesses else "unknown"
    if ratio >= 0.5 and best not in _ARABIC_SCRIPT_LANGS:
        return "ar"
    if ratio < 0.5 and best in _ARABIC_SCRIPT_LANGS:
        # Mostly Latin text with an Arabic name in it.
        latin = [g.lang for g in guesses if g.lang not in _ARABIC_SCRIPT_LANGS]
        return latin[0] if latin else "unknown"
    if len(letters) < SHORT_TEXT_LETTERS and guesses[0].prob < 0.8:
        return "unknown"
    return best.split("-")[0]
