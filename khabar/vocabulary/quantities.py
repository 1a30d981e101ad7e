"""How a question names a quantity and an incident, in the gazetteer's ids.

A numeric question asks for a figure of some *thing* ("visitors", "tonnes", "riyals",
"people killed") about some *incident* ("the bus bombing", "the earthquake"). Claims carry
the same ids (`Claim.what` is a gazetteer "what" id, a count label, `money_<iso>` or a unit
id; `Claim.event` an incident id), so the question's words are mapped onto them here:

- Arabic forms come from the gazetteer (`count_nouns`, `units`, `currencies`, `incidents`,
  `counted_nouns`); a gazetteer without a section simply contributes nothing;
- English words come from the labels themselves ("visitors" is the label of زائر), the
  gazetteer's English unit and currency names, and `question_quantities.json` (incident
  words, money and percentage cues), which holds only what the gazetteer has no place for.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from khabar.arabic import fold
from khabar.vocabulary.gazetteer import DATA_PATH as GAZETTEER_PATH

QUANTITIES_PATH = Path(__file__).with_name("data") / "question_quantities.json"


@dataclass(frozen=True)
class QuantityNames:
    """Label and incident tables, folded Arabic and lower-case English."""

    label_ar: dict[str, str]  # folded Arabic form -> label ("زاير" -> "visitors", "طن" -> "weight_t")
    label_en: dict[str, str]  # English word or phrase -> label ("visitors", "tonnes", "euros" -> "money_eur")
    label_kind: dict[str, str]  # label -> count / money / measure
    incident_ar: dict[str, str]  # folded Arabic form -> incident id
    incident_en: dict[str, str]  # English word or phrase -> incident id
    incident_names: dict[str, str]  # incident id -> English name
    money_en: frozenset[str]
    money_ar: frozenset[str]
    percent_en: frozenset[str]
    percent_ar: frozenset[str]
    change_en: frozenset[str]
    change_ar: frozenset[str]
    age_en: frozenset[str]
    age_ar: frozenset[str]
    people_labels: frozenset[str] = frozenset()  # labels that count people ("visitors", "passengers")
    people_en: frozenset[str] = frozenset()  # English nouns for people ("travellers", "residents")
    generic_people_ar: frozenset[str] = frozenset()  # folded nouns counting anyone (شخص, مواطن)
    people_ar: frozenset[str] = frozenset()  # folded nouns counting people of some kind (gazetteer counted_nouns)

    @classmethod
    @lru_cache(maxsize=2)
    def load(cls, gazetteer: Path = GAZETTEER_PATH, path: Path = QUANTITIES_PATH) -> "QuantityNames":
        gaz = json.loads(gazetteer.read_text(encoding="utf-8"))
        raw = json.loads(path.read_text(encoding="utf-8"))
        label_ar: dict[str, str] = {}
        label_en: dict[str, str] = {}
        kind: dict[str, str] = {}

        def add(label: str, k: str, ar: list[str], en: list[str]) -> None:
            kind.setdefault(label, k)
            for a in ar:
                label_ar.setdefault(" ".join(fold(a).split()), label)
            for e in en:
                if e:
                    label_en.setdefault(e.lower(), label)

        for label, forms in _section(gaz, "count_nouns").items():
            if isinstance(forms, list):
                words = label.replace("_", " ")
                add(label, "count", forms, [words, words.rstrip("s")])
        for uid, spec in _section(gaz, "units").items():
            if isinstance(spec, dict):
                add(uid, "measure", spec.get("ar", []), [spec.get("en", "")])
        for code, spec in _section(gaz, "currencies").items():
            if isinstance(spec, dict):
                en = spec.get("en", "")
                add(f"money_{code.lower()}", "money", spec.get("ar", []), [en, en.split()[-1] if en else ""])
        incident_ar: dict[str, str] = {}
        incident_en: dict[str, str] = {}
        names: dict[str, str] = {}
        for iid, spec in _section(gaz, "incidents").items():
            if isinstance(spec, dict):
                names[iid] = spec.get("en", iid.replace("_", " "))
                for a in spec.get("ar", []):
                    incident_ar.setdefault(" ".join(fold(a).split()), iid)
        for iid, forms in raw.get("incidents_ar_extra", {}).items():
            names.setdefault(iid, iid.replace("_", " "))
            for a in forms:
                incident_ar.setdefault(" ".join(fold(a).split()), iid)
        for iid, words in raw.get("incidents_en", {}).items():
            names.setdefault(iid, iid.replace("_", " "))
            for w in words:
                incident_en.setdefault(w.lower(), iid)

        def words(key: str, arabic: bool = False) -> frozenset[str]:
            return frozenset(" ".join(fold(w).split()) if arabic else w.lower() for w in raw.get(key, []))

        people_classes = {"civilian", "child", "woman", "person", "soldier", "fighter", "journalist", "displaced",
                          "detainee", "person_killed", "person_injured"}
        people_ar = frozenset(" ".join(fold(a).split()) for k, spec in _section(gaz, "counted_nouns").items()
                              if k in people_classes and isinstance(spec, dict) for a in spec.get("ar", []))
        return cls(label_ar, label_en, kind, incident_ar, incident_en, names,
                   words("money_en"), words("money_ar", True), words("percent_en"), words("percent_ar", True),
                   words("change_en"), words("change_ar", True), words("age_en"), words("age_ar", True),
                   words("people_labels"), words("people_en"), words("generic_people_ar", True), people_ar)


def _section(data: dict, name: str) -> dict:
    value = data.get(name, {})
    return {k: v for k, v in value.items() if not k.startswith("_")} if isinstance(value, dict) else {}
