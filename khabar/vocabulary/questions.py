"""The question vocabulary: the names a question may use for an actor, place, counted thing or stance.

Ids are the gazetteer's (`Claim.actor_id`, `Claim.what`), so what a question names can be
looked up in the claim index. `question_vocab.json` holds question phrasing ("death toll",
"how many civilians") and the order in which "what" ids are preferred (civilians before
people, deaths before strikes); every actor and place of the gazetteer is added with its
Arabic variants and English aliases, so a new spelling edited into the gazetteer is also
understood in questions.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from khabar.arabic import fold
from khabar.vocabulary import gazetteer as gaz

VOCAB_PATH = Path(__file__).with_name("data") / "question_vocab.json"


@dataclass(frozen=True)
class Entry:
    """One name as questions use it: English phrases (lower-case) and Arabic variants (folded)."""

    id: str
    en: tuple[str, ...]
    ar: tuple[str, ...]  # folded
    name_en: str
    name_ar: str


@dataclass
class Vocabulary:
    actors: dict[str, Entry]
    places: dict[str, Entry]
    what: dict[str, Entry]
    stances: dict[str, Entry]
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def family(self, actor_id: str | None) -> set[str]:
        """The actor and the ids that speak for it (russia -> russian_mfa, zakharova, …)."""
        if not actor_id:
            return set()
        out = {actor_id} | set(self.families.get(actor_id, ()))
        return out

    @classmethod
    @lru_cache(maxsize=2)
    def load(cls, path: Path = VOCAB_PATH) -> "Vocabulary":
        """The question vocabulary in `path`, with the packaged gazetteer's actors and places merged in."""
        raw = json.loads(path.read_text(encoding="utf-8"))

        def section(name: str) -> dict[str, Entry]:
            out: dict[str, Entry] = {}
            for key, spec in raw[name].items():
                out[key] = Entry(key, tuple(e.lower() for e in spec.get("en", [])),
                                 tuple(fold(a) for a in spec.get("ar", [])),
                                 spec.get("name_en", key.replace("_", " ")), spec.get("name_ar", ""))
            return out

        vocab = cls(section("actors"), section("places"), section("what"), section("stances"),
                    {k: tuple(v) for k, v in raw.get("families", {}).items()})
        merge_gazetteer(vocab, gaz.Gazetteer.load())
        return vocab


def merge_gazetteer(vocab: Vocabulary, gazetteer: gaz.Gazetteer) -> None:
    """Add the gazetteer's actors and places (names, variants, aliases) to `vocab`, in place.

    Only actors and places: "what" ids and their phrasing stay in the question table, whose
    preference order matters. A name already in the question table keeps its wording.
    """
    for target, entries in ((vocab.actors, gazetteer.actors), (vocab.places, gazetteer.places)):
        for item in entries:
            old = target.get(item.id)
            aliases = [a for a in item.en_aliases if a.strip()]
            variants = [a for a in item.ar if a.strip()]
            en = tuple(dict.fromkeys((old.en if old else ()) + tuple(a.lower() for a in aliases)))
            ar = tuple(dict.fromkeys((old.ar if old else ()) + tuple(fold(a) for a in variants)))
            name_en = (old.name_en if old else None) or re.sub(r"\s*\(.*\)$", "", item.en if item.en.strip() else item.id)
            name_ar = (old.name_ar if old else None) or (variants[0] if variants else "")
            target[item.id] = Entry(item.id, en, ar, name_en, name_ar)
