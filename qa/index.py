"""What answering needs from the engine: search, the query's vector, claims, documents and the embedder.

A Protocol, not the engine's class: `khabar.service.Engine` satisfies it and sits above qa, so
qa never imports the layer that uses it (and tests can hand in anything that answers these).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from khabar.models import Claim, Document
from search.backends import ClaimQuery, Filters
from search.embedding import Embedder
from search.searcher import SearchResponse


class Index(Protocol):
    embedder: Embedder

    def search(self, query: str, mode: str = "hybrid", k: int = 10, filters: Filters = Filters(),
               offset: int = 0, query_vector: np.ndarray | None = None) -> SearchResponse: ...

    def query_vector(self, query: str) -> np.ndarray: ...

    def claims(self, query: ClaimQuery) -> list[Claim]: ...

    def document(self, doc_id: str) -> Document | None: ...
