"""Owns storage: the contract every backend implements (`contract.py`) and the two backends, embedded and elastic.

Import a backend from its own package (`search.backends.embedded`, `search.backends.elastic`):
each pulls in its engine's client library, which the contract does not need.
"""
from search.backends.contract import (
    REBUILD_HINT,
    Backend,
    BackendError,
    BackendUnavailable,
    ClaimQuery,
    Filters,
    IndexCorrupt,
    IndexInfo,
    IndexMismatch,
    PassageRecord,
    SparseVector,
    Stats,
    check_sparse_count,
    checked_query_vector,
    decode_sparse,
    encode_sparse,
)

__all__ = ["REBUILD_HINT", "Backend", "BackendError", "BackendUnavailable", "ClaimQuery", "Filters", "IndexCorrupt",
           "IndexInfo", "IndexMismatch", "PassageRecord", "SparseVector", "Stats", "check_sparse_count",
           "checked_query_vector", "decode_sparse", "encode_sparse"]
