"""Claim queries as users write them: filters plus free text, analysed the way claims were indexed."""
from __future__ import annotations

from khabar.arabic import analyze
from search.backends import ClaimQuery


def claim_query(actor: str | None = None, what: str | None = None, stance: str | None = None,
                min_value: int | None = None, max_value: int | None = None, doc_id: str | None = None,
                section: str | None = None, q: str | None = None, limit: int = 100) -> ClaimQuery:
    """A `ClaimQuery`; `q` (words of the claim's sentence) becomes index terms through `khabar.arabic.analyze`."""
    return ClaimQuery(actor=actor, what=what, stance=stance, min_value=min_value, max_value=max_value,
                      doc_id=doc_id, section=section, terms=tuple(analyze(q)) if q else (), limit=limit)
