"""Owns the default backend: tantivy (BM25) + faiss (vectors) + SQLite (the records), in one folder."""
from search.backends.embedded.backend import EmbeddedBackend
from search.backends.embedded.catalog import catalog_snapshot, stored_vectors

__all__ = ["EmbeddedBackend", "catalog_snapshot", "stored_vectors"]
