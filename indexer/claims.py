"""Claim extraction (being written; see issue 3). Interface: extract_claims(doc) -> list[Claim]."""
from __future__ import annotations

from indexer.models import Claim, Document


def extract_claims(doc: Document) -> list[Claim]:
    """Placeholder until the extractor lands: no claims."""
    return []
