"""Claim queries as users write them: filters plus free text, analysed the way claims were indexed."""
from __future__ import annotations

from typing import Any, Callable

from khabar.arabic import analyze
from khabar.models import Claim, Document
from qa.context import figure_date
from khabar.vocabulary.gazetteer import Gazetteer
from search.backends import ClaimQuery


def claim_query(actor: str | None = None, what: str | None = None, stance: str | None = None,
                min_value: int | None = None, max_value: int | None = None, doc_id: str | None = None,
                section: str | None = None, q: str | None = None, limit: int = 100,
                kind: str | None = None, event: str | None = None) -> ClaimQuery:
    """A `ClaimQuery`; `q` (words of the claim's sentence) becomes index terms through `khabar.arabic.analyze`.

    `actor` is resolved through the gazetteer (`Gazetteer.resolve_actor`): a group name ("coalition",
    "التحالف") selects all its members, an id / English alias / Arabic variant its entry; anything
    else matches the words of the stored actor phrase ("وزارة الصحة" finds "وزارة الصحة السعودية").
    """
    ids: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    if actor and actor.strip():
        ids = Gazetteer.load().resolve_actor(actor)
        if not ids:
            terms = tuple(analyze(actor))
            if not terms:
                terms = (actor.strip(),)
    return ClaimQuery(actor_ids=ids, actor_terms=terms, what=what, stance=stance, min_value=min_value,
                      max_value=max_value, doc_id=doc_id, section=section, terms=tuple(analyze(q)) if q else (),
                      limit=limit, kind=kind, event=event)


def claims_timeline(claims: list[Claim], document: Callable[[str], Document | None]) -> list[dict[str, Any]]:
    """Claims as a timeline: each with `date` (the date its sentence states, else its article's publication
    date, else null: never guessed) and `date_source` ("sentence" / "published" / "unknown"), oldest first,
    undated ones last."""
    published: dict[str, str | None] = {}
    rows = []
    for c in claims:
        if c.doc_id not in published:
            doc = document(c.doc_id)
            published[c.doc_id] = doc.published_at if doc else None
        day, source = figure_date(c, published[c.doc_id])
        rows.append({**c.to_dict(), "date": day, "date_source": source})
    rows.sort(key=lambda r: (r["date"] is None, r["date"] or ""))
    return rows
