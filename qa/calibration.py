"""When an extractive answer is confident enough to show: the calibrated thresholds and the score they apply to.

The thresholds are data (`qa/data/calibration.json`), written by the benchmark that tunes them
(`bench/qa_eval.py`); this module only reads them and turns a score into a confidence.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

CALIBRATION_PATH = Path(__file__).with_name("data") / "calibration.json"


@dataclass(frozen=True)
class Calibration:
    """Abstention thresholds on the retrieval score (see `retrieval_score`), per question language.

    Per language because cross-lingual cosines run lower: an English question about an
    Arabic passage scores below an Arabic one with the same evidence.
    """

    threshold_ar: float = 0.83
    threshold_en: float = 0.80
    scale: float = 0.02

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> "Calibration":
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        t = data["threshold"]
        return cls(float(t["ar"]), float(t["en"]), float(data.get("scale", cls.scale)))

    @classmethod
    def never_abstain(cls) -> "Calibration":
        """For calibration runs: every question yields its raw score."""
        return cls(-10.0, -10.0)

    def confidence(self, score: float, language: str) -> float:
        """0.5 at the language's threshold, rising with the score (a logistic of the margin)."""
        threshold = self.threshold_ar if language == "ar" else self.threshold_en
        z = max(-50.0, min(50.0, (score - threshold) / self.scale))
        return 1.0 / (1.0 + math.exp(-z))


def retrieval_score(passage_cosine: float, sentence_cosine: float, overlap: float) -> float:
    """How well the best evidence matches the question: mean of the two cosines plus word overlap."""
    return 0.5 * passage_cosine + 0.5 * sentence_cosine + 0.05 * overlap
