"""The per-answer embedding budget of `qa.extract.best_sentence`: bounded work, best candidates first."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.extract import best_sentence


@dataclass
class P:
    text: str
    start: int = 0


class RecordingEmbedder:
    """Embeds every text to the same unit vector and remembers what it was asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))


QV = np.array([1.0, 0.0], dtype=np.float32)
FIRST = P("قصف الطيران مدينة حلب يوم الاثنين. وقال المرصد إن عشرة قتلوا في حلب.")
SECOND = P("اجتمع مجلس الأمن في نيويورك. وناقش الأعضاء الوضع الإنساني في سوريا.")


def pick(budget: int | None, known: dict[str, float] | None = None, terms: tuple[str, ...] = ()):
    emb = RecordingEmbedder()
    result = best_sentence("كم قتيلا في حلب؟", "how_many", list(terms), QV, [FIRST, SECOND], emb,
                           [0.02, 0.01], known, budget_chars=budget)
    return result, emb.seen


def test_without_a_budget_every_sentence_is_embedded_once() -> None:
    _, seen = pick(None)
    assert len(seen) == 4 and len(set(seen)) == 4


def test_the_budget_takes_the_top_passage_first_and_stops() -> None:
    _, seen = pick(len("قصف الطيران مدينة حلب يوم الاثنين.") + 10)
    assert seen == ["قصف الطيران مدينة حلب يوم الاثنين."]


def test_word_overlap_orders_sentences_within_a_passage() -> None:
    from khabar.arabic import analyze

    _, seen = pick(45, terms=tuple(analyze("المرصد قتلوا")))
    assert seen == ["وقال المرصد إن عشرة قتلوا في حلب."]


def test_one_sentence_is_always_embedded_even_over_budget() -> None:
    result, seen = pick(1)
    assert len(seen) == 1 and result is not None and result.text == seen[0]


def test_known_cosines_cost_nothing_and_stay_candidates() -> None:
    known = {"اجتمع مجلس الأمن في نيويورك.": 1.5}
    result, seen = pick(1, known=known)
    assert "اجتمع مجلس الأمن في نيويورك." not in seen
    assert result is not None and result.text == "اجتمع مجلس الأمن في نيويورك."
