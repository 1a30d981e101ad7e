"""Read a dictd bilingual dictionary (FreeDict English–Arabic) into headword -> Arabic translations.

Why a dictionary at all: the embedding model alone ranks an English question's Arabic
paragraph first ~80 % of the time; word-by-word translations give BM25 something to match,
and the two sides fail on different questions (docs/RETRIEVAL.md, "English queries").

Why read it from the system instead of shipping it: FreeDict eng-ara (Arabeyes word list,
87k headwords) is GPL-2+, and Khabar is MIT. `scripts/dictionary.sh` installs it from the
Debian archive at set-up time (as `make run` / `make test` do); `KHABAR_DICTIONARY` points
elsewhere, or `off` disables it. Without it, English queries keep the small hand lexicon.

dictd format: `<name>.index` has one `headword<TAB>offset<TAB>length` line per entry, the
numbers in base 64; `<name>.dict.dz` is a gzip-compatible (dictzip) body. A FreeDict entry
is the headword line (with pronunciation) followed by one translation per line, numbered
when there are several.
"""
from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from khabar.settings import cache_home, read

DICTIONARY_ENV = "KHABAR_DICTIONARY"
NAME = "freedict-eng-ara"
# Where scripts/dictionary.sh puts it (apt package, or unpacked from it without root).
SEARCH_DIRS = (
    Path("/usr/share/dictd"),
    cache_home() / "khabar" / "dictionary" / "usr" / "share" / "dictd",
)
MAX_TRANSLATION_WORDS = 3  # longer "translations" are explanations ("the first letter of ..."), not words
MAX_TRANSLATIONS = 2  # per headword: most have one; more adds noise to BM25
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}
_NUMBERING = re.compile(r"^\s*\d+\.\s*")
_LATIN = re.compile(r"[A-Za-z]")
_SENSES = re.compile(r"[،,;؛]")


class DictionaryError(ValueError):
    """A configured dictionary that is missing or unreadable (said with the file and line)."""


def _b64_number(text: str, where: str) -> int:
    value = 0
    for char in text:
        if char not in _B64_VALUE:
            raise DictionaryError(f"{where}: {text!r} is not a dictd base-64 number")
        value = value * 64 + _B64_VALUE[char]
    return value


def find_dictionary(configured: str | None = None) -> Path | None:
    """The dictionary's base path (without `.index`), from `KHABAR_DICTIONARY` or the standard places.

    None when it is switched off (`KHABAR_DICTIONARY=off`) or not installed; a configured path
    that does not exist is an error, not a silent fallback.
    """
    configured = (read("dictionary") if configured is None else configured).strip()
    if configured.lower() in ("off", "none", "0"):
        return None
    if configured:
        base = Path(configured.removesuffix(".index"))
        if not base.with_name(base.name + ".index").is_file():
            raise DictionaryError(f"{DICTIONARY_ENV}={configured}: no {base.name}.index there "
                                  f"(run scripts/dictionary.sh, or set {DICTIONARY_ENV}=off)")
        return base
    for folder in SEARCH_DIRS:
        if (folder / f"{NAME}.index").is_file():
            return folder / NAME
    return None


def _translations(entry: str) -> list[str]:
    """The usable Arabic translations of one entry: short, Arabic only, explanations cut off."""
    out: list[str] = []
    for line in entry.strip().split("\n")[1:]:
        # one line may list several senses: "الحالة، الدولة، يقرّ" (state)
        for text in _SENSES.split(_NUMBERING.sub("", line).split(" - ")[0]):
            text = text.strip()
            if text and len(text.split()) <= MAX_TRANSLATION_WORDS and not _LATIN.search(text) and text not in out:
                out.append(text)
    return out[:MAX_TRANSLATIONS]


def read_dictd(base: Path) -> dict[str, list[str]]:
    """Lower-cased English headword -> Arabic translations. Raises DictionaryError on a bad file."""
    index = base.with_name(base.name + ".index")
    body_path = base.with_name(base.name + ".dict.dz")
    if not body_path.is_file():
        body_path = base.with_name(base.name + ".dict")
    try:
        raw = body_path.read_bytes()
        body = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        lines = index.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DictionaryError(f"{base}: unreadable dictd dictionary ({exc})") from exc
    entries: dict[str, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise DictionaryError(f"{index}:{number}: expected 'headword<TAB>offset<TAB>length'")
        head, offset, length = fields
        if head.startswith("00-database") or head.startswith("00database"):
            continue  # dictd's own metadata entries
        where = f"{index}:{number}"
        start = _b64_number(offset, where)
        end = start + _b64_number(length, where)
        if end > len(body):
            raise DictionaryError(f"{where}: entry runs past the end of {body_path.name}")
        found = _translations(body[start:end].decode("utf-8", errors="replace"))
        if found:
            kept = entries.setdefault(head.lower(), [])
            kept.extend(t for t in found if t not in kept)
    return entries
