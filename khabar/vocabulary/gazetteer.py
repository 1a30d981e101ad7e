"""Who, where and what: the hand-edited lexicon behind claims and question answering.

The data lives in `khabar/vocabulary/data/gazetteer.json` so that a new spelling of an actor or
a town is a one-line edit, not a code change. Arabic variants are compiled once into
regular expressions over `khabar.arabic.fold`-ed text (so إيروورز / ايروورز, سورية /
سوريه, الرقة / الرقه all meet), with the one-letter prefixes Arabic glues onto words
(و ف ب ل ك, and لل for ل + ال). The longest variant wins at any position, which is how
"المتحدثة باسم الخارجية الروسية" (Zakharova) beats "الخارجية الروسية" (the ministry) and
"الائتلاف الوطني …" (Syrian opposition) is never read as the US-led coalition.

Public API (used by claim extraction and, later, question answering):
    Gazetteer.load()              cached instance from the JSON file
    .find_actors(text)            -> list[Match] (kind "actor"), offsets into text
    .find_places(text)            -> list[Match] (kind "place")
    .find_what(text)              -> list[Match] (kind "what"), Arabic counted nouns
    .match_english(text)          -> list[Match] for English question words (actor/place/what)
    .actor(id) / .place(id) / .what(id)  -> Entry (KeyError for an unknown id)
    .what_name(id, lang) / .stance_name(stance, lang)  -> display names in English or Arabic
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from khabar.arabic import fold
from khabar.folding import folded, span_to_original

DATA_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.json"


class GazetteerError(ValueError):
    """The gazetteer file is malformed (duplicate id, missing field, bad JSON)."""


@dataclass(frozen=True)
class Entry:
    """One actor, place or 'what' category."""

    id: str
    kind: str  # "actor" / "place" / "what"
    en: str
    ar: tuple[str, ...] = ()
    en_aliases: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # actor kind, noun/event/broader…


@dataclass(frozen=True)
class Match:
    """A gazetteer hit. `start`/`end`/`surface` index the text that was searched."""

    kind: str  # "actor" / "place" / "what"
    id: str
    surface: str
    start: int
    end: int
    en: str


class _Matcher:
    """All variants of a set of entries, indexed by their first word.

    Matching walks the words of the folded text and only tries the variants whose
    first word equals the word (after glued prefixes): a dictionary probe per word
    instead of a several-hundred-way regex alternation at every position.
    """

    _WORDS = re.compile(r"[^\W_]+")

    def __init__(self, entries: Iterable[Entry], variants_of, kind: str):
        table: dict[str, Entry] = {}
        for entry in entries:
            for variant in variants_of(entry):
                key = " ".join(fold(variant).split())
                if not key:
                    continue
                if key in table and table[key].id != entry.id:
                    raise GazetteerError(f"{kind} variant {variant!r} belongs to both {table[key].id!r} and {entry.id!r}")
                table[key] = entry
        self._kind = kind
        self._table = table
        # first word -> [(key, regex for the words after the first)]
        self._by_first: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for key in table:
            words = key.split()
            rest = "".join(r"\s+" + re.escape(w) for w in words[1:])
            pattern = re.compile(rest + r"(?![^\W_])")
            self._by_first.setdefault(words[0], []).append((key, pattern))
            if words[0].startswith("ال") and len(words[0]) > 3:  # "للعراق": ل + العراق, alef dropped
                self._by_first.setdefault("\x00ل" + words[0][2:], []).append((key, pattern))

    def _candidates(self, word: str) -> list[tuple[int, str]]:
        """(prefix length, lookup word) readings of one folded word."""
        out = [(0, word)]
        if word.isascii():
            return out
        for plen in (1, 2):
            pre, rest = word[:plen], word[plen:]
            if len(rest) < 2:
                break
            if plen == 1 and pre in "وفبلك" or plen == 2 and pre[0] in "وف" and pre[1] in "بلك":
                out.append((plen, rest))
        for plen in (0, 1):  # "للعراق", "وللعراق"
            if word[plen:plen + 2] == "لل" and (plen == 0 or word[0] in "وف"):
                out.append((plen + 1, "\x00" + word[plen + 1:]))
        return out

    def find(self, text: str) -> list[Match]:
        if not text:
            return []
        ft, index = folded(text)
        spans = []
        for m in self._WORDS.finditer(ft):
            for plen, word in self._candidates(m.group()):
                for key, rest in self._by_first.get(word, ()):
                    tail = rest.match(ft, m.end())
                    if tail is not None:
                        start = m.start() + plen if not word.startswith("\x00") else m.start() + plen - 1
                        spans.append((start, tail.end(), key))
        out: list[Match] = []
        for fstart, fend, key in _longest_first(spans):
            entry = self._table[key]
            start, end = span_to_original(index, fstart, fend, text)
            out.append(Match(self._kind, entry.id, text[start:end], start, end, entry.en))
        return out


def _longest_first(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans, preferring longer ones; returned in text order."""
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


class Gazetteer:
    """Actors, places and counted categories, loaded from JSON and matched on folded text."""

    def __init__(self, data: dict[str, Any]):
        try:
            self._actors = self._entries(data["actors"], "actor")
            self._places = self._entries(data["places"], "place")
            self._whats = self._entries(data["what"], "what")
            self.counted_nouns: dict[str, dict[str, Any]] = {
                k: v for k, v in data["counted_nouns"].items() if not k.startswith("_")}
            self.events: dict[str, list[str]] = dict(data["events"])
            stances = {k: v for k, v in data["stances"].items() if not k.startswith("_")}
        except KeyError as exc:
            raise GazetteerError(f"gazetteer is missing section {exc}") from exc
        missing_ar = [e.id for e in self._whats.values() if not e.extra.get("name_ar")]
        if missing_ar:
            raise GazetteerError(f"'what' entries without name_ar: {missing_ar}")
        self.participles = frozenset(fold(w) for w in stances.pop("participles", []))
        self.continuation = frozenset(fold(w) for w in stances.pop("continuation", []))
        self.according = frozenset(fold(w) for w in stances.pop("according", []))
        self.agentless = frozenset(fold(w) for w in stances.pop("agentless", []))
        self._stance_names = self._names(data.get("stance_names", {}), stances.keys())  # stances only, not word lists
        self.units = _PhraseTable()
        for code, spec in _items(data.get("currencies", {})):
            self.units.add(spec["ar"], ("money", code, f"money_{code.lower()}", spec["en"]))
        for what_id, spec in _items(data.get("units", {})):
            self.units.add(spec["ar"], ("measure", spec["en"], what_id, spec["en"]))
        self.incidents = _PhraseTable()
        self.incident_en: dict[str, str] = {}
        for incident, spec in _items(data.get("incidents", {})):
            self.incidents.add(spec["ar"], incident)
            self.incident_en[incident] = spec["en"]
        self.count_nouns = _PhraseTable()
        for label, words in _items(data.get("count_nouns", {})):
            self.count_nouns.add(words, label)
        self._actor_words: dict[str, str] = {}
        for ar, en in _items(data.get("actor_words", {})):
            self._actor_words.setdefault(fold(ar), en)
        self.stance_of: dict[str, str] = {}
        for stance, words in stances.items():
            for w in words:
                self.stance_of.setdefault(fold(w), stance)
        self.noun_class: dict[str, str] = {}
        self.noun_implies: dict[str, str] = {}
        for cls, spec in self.counted_nouns.items():
            for w in spec["ar"]:
                self.noun_class.setdefault(fold(w), cls)
            if spec.get("implies"):
                self.noun_implies[cls] = spec["implies"]
        self.event_of: dict[str, str] = {}
        for event, words in self.events.items():
            for w in words:
                self.event_of.setdefault(fold(w), event)
        self.what_for: dict[tuple[str, str | None], str] = {}
        for entry in self._whats.values():
            self.what_for[(entry.extra["noun"], entry.extra.get("event"))] = entry.id
        self.groups: dict[str, dict[str, Any]] = {k: v for k, v in data.get("actor_groups", {}).items() if not k.startswith("_")}
        self._ambiguous: list[tuple[frozenset[str], dict[str, frozenset[str]]]] = []
        for spec in data.get("ambiguous_actors", []):
            if isinstance(spec, dict) and "ar" in spec:
                self._ambiguous.append((frozenset(" ".join(fold(v).split()) for v in spec["ar"]),
                                        {k: frozenset(fold(w) for w in words) for k, words in spec["candidates"].items()}))
        self._actor_matcher = _Matcher(self._actors.values(), lambda e: e.ar, "actor")
        self._place_matcher = _Matcher(self._places.values(), lambda e: e.ar, "place")
        self._english = self._english_regex()

    @staticmethod
    def _entries(items: list[dict[str, Any]], kind: str) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        for item in items:
            if "id" not in item or "en" not in item:
                raise GazetteerError(f"{kind} entry without id/en: {item!r}")
            if item["id"] in out:
                raise GazetteerError(f"duplicate {kind} id {item['id']!r}")
            extra = {k: v for k, v in item.items() if k not in ("id", "en", "ar", "en_aliases")}
            out[item["id"]] = Entry(item["id"], kind, item["en"], tuple(item.get("ar", ())),
                                    tuple(item.get("en_aliases", ())), extra)
        return out

    @staticmethod
    def _names(section: dict[str, Any], ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """{id: {"en": ..., "ar": ...}}, with every id named in both languages (the UI shows them)."""
        names = {k: v for k, v in section.items() if not k.startswith("_")}
        missing = sorted(i for i in ids if not (names.get(i, {}).get("en") and names.get(i, {}).get("ar")))
        if missing:
            raise GazetteerError(f"stance_names lacks an English or Arabic name for {missing}")
        return names

    @classmethod
    def from_file(cls, path: str | Path) -> "Gazetteer":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GazetteerError(f"{path}: not valid JSON: {exc}") from exc
        return cls(data)

    @classmethod
    def load(cls) -> "Gazetteer":
        """The packaged gazetteer, parsed and compiled once per process."""
        return _load_default()

    # ------------------------------------------------------------------ lookups
    def actor(self, actor_id: str) -> Entry:
        return self._actors[actor_id]

    def place(self, place_id: str) -> Entry:
        return self._places[place_id]

    def what(self, what_id: str) -> Entry:
        return self._whats[what_id]

    def what_name(self, what_id: str, lang: str) -> str:
        """'civilians killed' / 'قتلى مدنيون'; an unknown id is shown as itself, underscores as spaces."""
        entry = self._whats.get(what_id)
        if entry is None:
            return str(what_id or "").replace("_", " ")
        return entry.extra["name_ar"] if lang == "ar" else entry.en

    def stance_name(self, stance: str, lang: str) -> str:
        """'admitted' / 'اعترف'; an unknown stance is shown as itself."""
        names = self._stance_names.get(stance)
        return names["ar" if lang == "ar" else "en"] if names else str(stance or "")

    @property
    def actors(self) -> list[Entry]:
        return list(self._actors.values())

    @property
    def places(self) -> list[Entry]:
        return list(self._places.values())

    @property
    def whats(self) -> list[Entry]:
        return list(self._whats.values())

    def resolve_actor(self, text: str) -> tuple[str, ...]:
        """Actor ids a user's name for an actor stands for: a group ("coalition", "التحالف" -> the US-led
        and the Saudi-led coalitions), else the entry whose id, English alias or Arabic variant it is;
        () when the gazetteer does not know the name."""
        low = " ".join(text.lower().split())
        folded = " ".join(fold(text).split())
        for group_id, spec in self.groups.items():
            names = {group_id} | {a.lower() for a in spec.get("en_aliases", ())} | {" ".join(fold(a).split()) for a in spec.get("ar", ())}
            if low in names or folded in names:
                return tuple(spec["members"])
        if text.strip() in self._actors:
            return (text.strip(),)
        for entry in self._actors.values():
            if low in (a.lower() for a in entry.en_aliases) or low == entry.en.lower() \
                    or folded in (" ".join(fold(a).split()) for a in entry.ar):
                return (entry.id,)
        return ()

    def disambiguate(self, actor_id: str, surface: str, context: str) -> str:
        """The entry a bare, shared name ("التحالف", "قوات التحالف") means in a document: the candidate whose
        context words the document uses most (`context`: the document's folded text); `actor_id` on a tie."""
        words = " ".join(w for w in fold(surface).split())
        words = words[1:] if words[:1] in "وفبل" and words[1:] in {k for amb, _ in self._ambiguous for k in amb} else words
        for variants, candidates in self._ambiguous:
            if words in variants and actor_id in candidates:
                scores = {cand: sum(context.count(w) for w in cues) for cand, cues in candidates.items()}
                best = max(scores, key=lambda c: (scores[c], c == actor_id))
                return best
        return actor_id

    def broader(self, what_id: str) -> list[str]:
        """what_id and its broader categories: children_killed -> civilians_killed -> people_killed."""
        chain, cur = [], what_id
        while cur and cur not in chain and cur in self._whats:
            chain.append(cur)
            cur = self._whats[cur].extra.get("broader")
        return chain

    # ------------------------------------------------------------------ matching
    def find_actors(self, text: str) -> list[Match]:
        return self._actor_matcher.find(text)

    def find_places(self, text: str) -> list[Match]:
        return self._place_matcher.find(text)

    def find_what(self, text: str) -> list[Match]:
        """Arabic counted nouns / event words in text, mapped to a 'what' id where one fits."""
        out: list[Match] = []
        ft, index = folded(text)
        for m in re.finditer(r"[^\W\d_]+", ft):
            word = m.group()
            cls, event = self.classify_noun(word), self.classify_event(word)
            if cls is None and event is None:
                continue
            what_id = None
            if cls is not None:
                implied = self.noun_implies.get(cls)
                base = "person" if implied else cls
                what_id = self.what_for.get((base, implied)) or self.what_for.get((base, None))
            elif event is not None:
                what_id = self.what_for.get(("person", event))
            if what_id is None:
                continue
            start, end = span_to_original(index, m.start(), m.end(), text)
            out.append(Match("what", what_id, text[start:end], start, end, self._whats[what_id].en))
        return out

    def classify_noun(self, word: str) -> str | None:
        """Counted-noun class of one word (prefixes و ف ب ل ك ال stripped), or None."""
        return _lookup(fold(word), self.noun_class)

    def classify_event(self, word: str) -> str | None:
        return _lookup(fold(word), self.event_of)

    def classify_stance(self, word: str) -> str | None:
        """Stance of a reporting word; only و / ف may be glued to it ("النقل" is transport, not نقل)."""
        w = fold(word)
        if w in self.stance_of:
            return self.stance_of[w]
        if len(w) > 3 and w[0] in "وف" and w[1:] in self.stance_of:
            return self.stance_of[w[1:]]
        return None

    def is_participle(self, word: str) -> bool:
        """Participles (مشيرا, ومؤكدة) attach to the main clause's speaker."""
        w = fold(word)
        return w in self.participles or (len(w) > 2 and w[0] in "وف" and w[1:] in self.participles)

    def is_according(self, word: str) -> bool:
        """"بحسب / وفقا / نقلا …": the source is the phrase after the word, not a verb's subject."""
        w = fold(word)
        return w in self.according or (len(w) > 2 and w[0] in "وف" and w[1:] in self.according)

    def is_agentless(self, word: str) -> bool:
        """"يذكر أن", "يقدر ب": impersonal verbs that name no source."""
        w = fold(word)
        return w in self.agentless or (len(w) > 2 and w[0] in "وف" and w[1:] in self.agentless)

    def actor_word(self, word: str) -> str | None:
        """English gloss of one folded word of an actor phrase ("" for words that add nothing), or None."""
        if word in self._actor_words:
            return self._actor_words[word]
        for prefix in ("وال", "بال", "لل", "و", "ب", "ل"):
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                rest = word[len(prefix):] if prefix != "لل" else "ال" + word[2:]
                if rest in self._actor_words:
                    return self._actor_words[rest]
        return None

    def is_counted_word(self, word: str) -> bool:
        """Can a figure count this folded word? (a counted-noun class, a known count noun, a currency or unit)."""
        if _lookup(word, self.noun_class) is not None or self.units.lookup_word(word) or self.count_nouns.lookup_word(word):
            return True
        return False

    def _english_regex(self) -> tuple[re.Pattern[str], list[str], dict[str, Entry]]:
        table: dict[str, Entry] = {}
        for group in (self._whats, self._actors, self._places):  # what first: "civilians killed" is no actor
            for entry in group.values():
                for alias in entry.en_aliases:
                    table.setdefault(_norm_en(alias), entry)
        keys = sorted(table, key=len, reverse=True)
        alternatives = [f"(?P<g{i}>" + r"[\s-]+".join(re.escape(w) for w in k.split()) + ")" for i, k in enumerate(keys)]
        regex = re.compile(r"(?<![\w.])(?=(?:" + "|".join(alternatives) + r")(?![\w]))", re.IGNORECASE)
        return regex, keys, table

    def match_english(self, text: str) -> list[Match]:
        """English question words -> actor / place / what ids, longest alias first."""
        regex, keys, table = self._english
        spans = []
        for m in regex.finditer(text):
            if m.lastgroup is not None:
                spans.append((m.start(m.lastgroup), m.end(m.lastgroup), keys[int(m.lastgroup[1:])]))
        out: list[Match] = []
        for start, end, key in _longest_first(spans):
            entry = table[key]
            out.append(Match(entry.kind, entry.id, text[start:end], start, end, entry.en))
        return out


def _items(section: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in section.items() if not k.startswith("_")]


class _PhraseTable:
    """Folded word sequences -> a value, matched at a token position (longest first), the first word
    also without a glued و / ب / ل ("بـ 5 ملايين ريال", "وكيلومترا")."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Any]]] = {}

    def add(self, phrases: Iterable[str], value: Any) -> None:
        for phrase in phrases:
            words = tuple(fold(phrase).split()) or (phrase,)
            self._by_first.setdefault(words[0], []).append((words, value))
        for options in self._by_first.values():
            options.sort(key=lambda o: -len(o[0]))

    def match(self, words: list[str]) -> tuple[Any, int] | None:
        """(value, number of words) of the longest phrase that `words` start with."""
        if not words:
            return None
        for first in _readings(words[0]):
            for phrase, value in self._by_first.get(first, ()):
                if len(phrase) <= len(words) and tuple(words[1:len(phrase)]) == phrase[1:]:
                    return value, len(phrase)
        return None

    def lookup_word(self, word: str) -> Any:
        hit = self.match([word])
        return hit[0] if hit else None


def _readings(word: str) -> list[str]:
    out = [word]
    for prefix in ("و", "ف", "ب", "ل", "وب", "ول"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            out.append(word[len(prefix):])
    return out


def _norm_en(text: str) -> str:
    return " ".join(re.split(r"[\s-]+", text.lower().strip()))


_PREFIXES = ("وبال", "فبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


def _lookup(word: str, table: dict[str, str]) -> str | None:
    """Table value for a folded word, trying it bare and without glued prefixes."""
    if word in table:
        return table[word]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix):]
            if rest in table:
                return table[rest]
            if prefix.endswith("ل") and "ال" + rest in table:  # "للقتلى" -> "القتلى", "بالقتلى"
                return table["ال" + rest]
    return None


@lru_cache(maxsize=1)
def _load_default() -> Gazetteer:
    return Gazetteer.from_file(DATA_PATH)
