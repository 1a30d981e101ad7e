"""The answer record returned by `Answerer.ask` (and served as JSON by the API and UI).

`to_dict()` has a fixed shape so that clients can rely on it:
{question, language, answer, short_answer, answerable, confidence, claims, citations, related, took_ms}.

`short_answer` is the bold lead a client shows before the answer text: a span of the asked
type taken from the first cited sentence (a name, a place, a date, a figure), or None when
none was found — then the answer is the cited sentence itself. For an English question it is
in English where a rendering is known (gazetteer, country and place names, dates, digits),
else the Arabic as written.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ClaimView:
    """One figure used in the answer, as the claim index recorded it."""

    actor: str | None
    actor_en: str | None
    stance: str
    value: int
    qualifier: str
    what: str
    where: str | None
    when: str | None
    doc_id: str
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Citation:
    """A numbered pointer from the answer text ([n]) to a sentence of a stored document.

    `snippet` is the Arabic sentence as written; `highlight` is the same text HTML-escaped
    with <mark> around the figure or answer span; `start`/`end` index into the document text.
    """

    n: int
    doc_id: str
    passage_id: str | None
    title: str
    source: str | None
    path: str | None
    url: str | None
    published_at: str | None
    snippet: str
    highlight: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    question: str
    language: str
    answer: str
    answerable: bool
    confidence: float
    claims: list[ClaimView] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)
    took_ms: float = 0.0
    short_answer: str | None = None
    # Not serialised: the bare answer span (for extractive-QA evaluation) and the parse.
    span: str = ""
    debug: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "answerable": self.answerable,
            "confidence": round(float(self.confidence), 4),
            "claims": [c.to_dict() for c in self.claims],
            "citations": [c.to_dict() for c in self.citations],
            "related": list(self.related),
            "took_ms": round(float(self.took_ms), 2),
        }
