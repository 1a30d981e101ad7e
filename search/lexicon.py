"""A small English -> Arabic lexicon for the lexical side of English queries.

Kept as data (`search/data/lexicon_en_ar.tsv`) so that it is easy to extend. It is not
a translator: it only has to put a few right Arabic words on the lexical side so that
hybrid fusion can use BM25 for cross-language queries; meaning comes from embeddings.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("data") / "lexicon_en_ar.tsv"
_WORD = re.compile(r"[a-z][a-z\-']*")


class Lexicon:
    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries
        self.longest = max((len(k.split()) for k in entries), default=1)

    @classmethod
    @lru_cache(maxsize=4)
    def load(cls, path: Path = DEFAULT_PATH) -> "Lexicon":
        entries: dict[str, list[str]] = {}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                english, arabic = line.split("\t")
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: expected 'english<TAB>arabic|arabic'") from exc
            entries.setdefault(english.strip().lower(), []).extend(a.strip() for a in arabic.split("|") if a.strip())
        return cls(entries)

    def translate(self, text: str) -> list[str]:
        """Arabic equivalents of the English words and phrases in `text` (longest match first)."""
        words = _WORD.findall(text.lower())
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + size])
                found = self.entries.get(phrase) or (self.entries.get(phrase[:-1]) if size == 1 and phrase.endswith("s") else None)
                if found:
                    out.extend(found)
                    i += size
                    break
            else:
                i += 1
        return out
