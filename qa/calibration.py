"""When an extractive answer is confident enough to show: a small logistic model over explainable features.

A retrieval score alone does not transfer from a 120-paragraph Wikipedia index (XQuAD) to
5,000 news articles: at scale some passage is always close to any question. So confidence
also asks whether the evidence holds what the question is about:

* `score`: the retrieval score (`retrieval_score`: passage and sentence cosines, word overlap);
* `coverage`: the share of the question's content words found in the cited passage (an English
  word counts when one of its Arabic translations is there);
* `key`: the share of the question's key content — its numbers and years, and its names (words
  no dictionary holds) — found anywhere in the cited document;
* `conflict`: the question names a year that the cited document never mentions while the cited
  sentence gives another one ("the 2022 World Cup" against a text about 2018);
* `untyped`: the question asks for a person, organisation, place, date or number and the cited
  sentence holds none that the question does not already name.

confidence = logistic(bias[language] + Σ weight · feature). Weights and biases are data
(`qa/data/calibration.json`), fitted on dev questions by `bench/qa_calibrate.py` (XQuAD dev and
the annotated news dev split); without that file a threshold on the score alone is used.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

CALIBRATION_PATH = Path(__file__).with_name("data") / "calibration.json"
FEATURES = ("score", "coverage", "key", "conflict", "untyped")


@dataclass(frozen=True)
class Calibration:
    """Per-language abstention model: logistic over FEATURES, or a threshold on the score alone.

    Per language because cross-lingual cosines run lower: an English question about an
    Arabic passage scores below an Arabic one with the same evidence.
    """

    threshold_ar: float = 0.83
    threshold_en: float = 0.80
    scale: float = 0.02
    weights: dict[str, float] = field(default_factory=dict)
    bias: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> "Calibration":
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        t = data.get("threshold", {})
        model = data.get("model") or {}
        return cls(float(t.get("ar", cls.threshold_ar)), float(t.get("en", cls.threshold_en)),
                   float(data.get("scale", cls.scale)), {k: float(v) for k, v in model.get("weights", {}).items()},
                   {k: float(v) for k, v in model.get("bias", {}).items()})

    @classmethod
    def never_abstain(cls) -> "Calibration":
        """For calibration runs: every question yields its raw score."""
        return cls(-10.0, -10.0)

    @property
    def is_model(self) -> bool:
        return bool(self.weights) and bool(self.bias)

    def confidence(self, score: float, language: str) -> float:
        """0.5 at the language's threshold on the score alone, rising with the score (a logistic of the margin)."""
        threshold = self.threshold_ar if language == "ar" else self.threshold_en
        return _logistic((score - threshold) / self.scale)

    def confidence_of(self, features: dict[str, float], language: str) -> float:
        """The model's confidence for these evidence features (the score-only logistic without a model)."""
        if not self.is_model:
            return self.confidence(features["score"], language)
        z = self.bias.get(language, self.bias.get("ar", 0.0))
        z += sum(w * float(features.get(name, 0.0)) for name, w in self.weights.items())
        return _logistic(z)


def _logistic(z: float) -> float:
    z = max(-50.0, min(50.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def retrieval_score(passage_cosine: float, sentence_cosine: float, overlap: float) -> float:
    """How well the best evidence matches the question: mean of the two cosines plus word overlap."""
    return 0.5 * passage_cosine + 0.5 * sentence_cosine + 0.05 * overlap
