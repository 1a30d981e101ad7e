"""English -> Arabic translation for the lexical side: the dictd reader, word forms, stopwords,
the hand lexicon's priority, and the real FreeDict dictionary that set-up installs."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from search.translation.dictionary import DICTIONARY_ENV, DictionaryError, find_dictionary, read_dictd
from search.translation.lexicon import Lexicon, read_hand_lexicon

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(number: int) -> str:
    digits = ""
    while True:
        digits = B64[number % 64] + digits
        number //= 64
        if not number:
            return digits


def write_dictd(folder: Path, entries: dict[str, str], name: str = "test-eng-ara", compress: bool = True) -> Path:
    """A dictd dictionary in FreeDict's layout: headword line, then translations."""
    body, index = b"", []
    for head, text in {"00-database-info": "metadata, not an entry\n", **entries}.items():
        chunk = text.encode("utf-8")
        index.append(f"{head}\t{b64(len(body))}\t{b64(len(chunk))}")
        body += chunk
    base = folder / name
    base.with_name(name + ".index").write_text("\n".join(index) + "\n", encoding="utf-8")
    if compress:
        base.with_name(name + ".dict.dz").write_bytes(gzip.compress(body))
    else:
        base.with_name(name + ".dict").write_bytes(body)
    return base


ENTRIES = {
    "river": "river /ɹˈɪvə/\nالنهر\n",
    "bank": "bank /bˈæŋk/\n1. المصرف\n2. البنك\n3. ضفة النهر\n",
    "a": "A /ˈeɪ/\nآي - الحرف الأول في اللغة الإنجليزية\n",
    "capital": "capital /kˈæpɪtəl/\nrasmal (Latin only)\n",
    "essay": "essay /ˈɛseɪ/\nمقالة قصيرة عن موضوع واحد في الأدب\n",
    "city": "city /sˈɪti/\nالمدينة\n",
    "which": "which /wˈɪtʃ/\nأيّ\n",
    "death": "death /dˈɛθ/\nالموت\n",
}


@pytest.mark.parametrize("compress", [True, False])
def test_read_dictd_keeps_short_arabic_translations(tmp_path, compress):
    entries = read_dictd(write_dictd(tmp_path, ENTRIES, compress=compress))
    assert entries["river"] == ["النهر"]
    assert entries["bank"] == ["المصرف", "البنك"]  # numbering removed, at most two kept
    assert entries["a"] == ["آي"]  # the explanation after " - " is cut off
    assert "capital" not in entries  # Latin "translation" dropped
    assert "essay" not in entries  # an explanation, not a word
    assert not any(head.startswith("00-") for head in entries)


def test_read_dictd_names_the_bad_line(tmp_path):
    base = write_dictd(tmp_path, ENTRIES)
    index = base.with_name(base.name + ".index")
    lines = index.read_text(encoding="utf-8").splitlines()
    index.write_text("\n".join(lines[:2] + ["broken line"] + lines[2:]) + "\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"\.index:3: expected"):
        read_dictd(base)
    index.write_text("river\tA\tZZZZ\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="past the end"):
        read_dictd(base)
    index.write_text("river\tA\tB!\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="base-64"):
        read_dictd(base)
    base.with_name(base.name + ".dict.dz").write_bytes(b"\x1f\x8bnot gzip at all")
    with pytest.raises(DictionaryError, match="unreadable"):
        read_dictd(base)


def test_find_dictionary_honours_the_setting(tmp_path, monkeypatch):
    base = write_dictd(tmp_path, ENTRIES)
    monkeypatch.setenv(DICTIONARY_ENV, str(base) + ".index")
    assert find_dictionary() == base
    monkeypatch.setenv(DICTIONARY_ENV, "off")
    assert find_dictionary() is None
    monkeypatch.setenv(DICTIONARY_ENV, str(tmp_path / "missing"))
    with pytest.raises(DictionaryError, match="scripts/dictionary.sh"):
        find_dictionary()


def test_translate_prefers_hand_phrases_and_skips_stopwords(tmp_path):
    hand = tmp_path / "hand.tsv"
    hand.write_text("# comment\ndeath toll\tحصيلة القتلى|حصيلة\n", encoding="utf-8")
    lexicon = Lexicon(read_hand_lexicon(hand), read_dictd(write_dictd(tmp_path, ENTRIES)))
    assert lexicon.translate("What was the death toll?") == ["حصيلة القتلى", "حصيلة"]  # not الموت
    assert lexicon.translate("Which death?") == ["الموت"]  # "which" carries no topic
    assert lexicon.translate("the rivers of the city's banks") == ["النهر", "المدينة", "المصرف", "البنك"]
    assert lexicon.translate("a a a") == []


def test_the_hand_lexicon_alone_still_translates(tmp_path, monkeypatch):
    monkeypatch.setenv(DICTIONARY_ENV, "off")
    lexicon = Lexicon.load()
    assert lexicon.dictionary == {} and lexicon.describe()["dictionary"] is None
    assert "حصيلة" in lexicon.translate("death toll in Aleppo")


def test_hand_lexicon_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("river\tالنهر\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:2"):
        read_hand_lexicon(bad)


def test_the_installed_freedict_dictionary_is_found_and_read():
    """Set-up (scripts/dictionary.sh, run by make run / make test) installs it; without it this fails."""
    lexicon = Lexicon.load()
    assert lexicon.dictionary_path is not None, "FreeDict eng-ara is not installed: run scripts/dictionary.sh"
    assert len(lexicon.dictionary) > 80_000
    words = lexicon.translate("What is the population of the largest city on the river?")
    assert {"السكان", "أكبر", "النهر"} <= set(words)


def test_a_wrong_dictionary_setting_is_a_one_line_error(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, DICTIONARY_ENV: str(tmp_path / "nowhere"), "KHABAR_DATA_DIR": str(tmp_path / "index")}
    run = subprocess.run([sys.executable, "-m", "ui.cli", "search", "river"], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith("khabar: KHABAR_DICTIONARY=") and "scripts/dictionary.sh" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_server_says_when_english_queries_lack_the_dictionary(tmp_path, monkeypatch, capsys):
    from khabar.settings import Settings
    from ui.server import build_app

    monkeypatch.setenv(DICTIONARY_ENV, "off")
    build_app(Settings(data_dir=str(tmp_path / "index")))
    assert "no FreeDict English-Arabic dictionary" in capsys.readouterr().err
    monkeypatch.delenv(DICTIONARY_ENV)
    build_app(Settings(data_dir=str(tmp_path / "index2")))
    assert "FreeDict" not in capsys.readouterr().err
