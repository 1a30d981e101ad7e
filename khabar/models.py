"""The records that flow through Khabar: Document -> Passage / Claim.

Everything downstream (backends, search, answers, UI) speaks these types, so they
are plain dataclasses with JSON-friendly fields and no behaviour beyond (de)serialising.
Offsets (`start`, `end`) always index into `Document.text`, the cleaned article body,
so any hit or claim can be shown in context.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Passage:
    """One to three consecutive sentences of an article; the unit of retrieval."""

    passage_id: str
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Claim:
    """Who said what number about what, lifted from one sentence.

    `section` is "body" for the article itself, "title" for its headline (offsets then
    index into `Document.title`) and "sidebar" for headlines of unrelated stories that
    scraped pages carry (kept, but never mixed with the article's claims).
    """

    claim_id: str
    doc_id: str
    value: int | float  # a float only for decimals ("26.5" في المائة)
    what: str  # normalised category: a gazetteer id ("civilians_killed"), money_<iso>, percent_change/_share, <dimension>_<unit>, an English count label ("students") or "count"
    sentence: str
    start: int  # sentence offsets into Document.text (or into the sidebar line)
    end: int
    value_start: int  # offsets of the figure as written, inside Document.text
    value_end: int
    value_text: str  # the figure as written ("7 آلاف و595")
    stance: str = "reported"  # admitted / estimated / reported / announced / denied / stated
    qualifier: str = "exact"  # exact / more_than / at_least / about / up_to / less_than
    actor: str | None = None  # Arabic surface form as written
    actor_id: str | None = None  # gazetteer id, e.g. "coalition"
    actor_en: str | None = None
    what_ar: str | None = None  # the counted noun as written ("مدنيا")
    where: str | None = None
    where_en: str | None = None
    when: str | None = None  # as written
    when_norm: str | None = None  # ISO date or year-month where it can be resolved
    passage_id: str | None = None
    section: str = "body"
    kind: str = "count"  # count / money / percent / measure
    unit: str | None = None  # ISO currency ("SAR"), "%", or the measure's unit ("km", "tonnes"); None for counts
    what_en: str | None = None  # English for what was counted ("civilians killed", "students"), when known
    event: str | None = None  # kind of incident the figure belongs to (air_strike, bombing, earthquake, …; gazetteer "incidents")
    event_ar: str | None = None  # the incident word as written ("بتفجير")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Claim":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Document:
    """A cleaned article with its passages and claims, ready to index."""

    doc_id: str
    title: str
    text: str  # the cleaned article; from the pipeline its first paragraph is the headline
    content_hash: str
    source: str | None = None
    url: str | None = None
    path: str | None = None
    published_at: str | None = None  # ISO date (YYYY-MM-DD) when known
    language: str = "ar"
    passages: list[Passage] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    sidebar: list[str] = field(default_factory=list)  # headlines of unrelated stories on the page
    fingerprint: list[int] = field(default_factory=list)  # MinHash signature for near-duplicate detection

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Document":
        names = cls.__dataclass_fields__.keys()
        values = {k: v for k, v in data.items() if k in names}
        values["passages"] = [Passage(**p) for p in data.get("passages", [])]
        values["claims"] = [Claim.from_dict(c) for c in data.get("claims", [])]
        return cls(**values)


@dataclass
class Rejected:
    """An input that could not be ingested, and why (nothing is dropped silently)."""

    source: str  # path, path:line, or "request[i]"
    reason: str


@dataclass
class IngestReport:
    """What one ingest run did; printed by the CLI and returned by the API."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (new doc, doc it duplicates)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)  # indexed, but something was off (e.g. no claims)
    passages: int = 0
    claims: int = 0
    embedded: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": [{"doc_id": a, "duplicate_of": b} for a, b in self.duplicates],
            "rejected": [asdict(r) for r in self.rejected],
            "warnings": [asdict(r) for r in self.warnings],
            "passages": self.passages,
            "claims": self.claims,
            "embedded": self.embedded,
        }
