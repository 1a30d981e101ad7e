"""The Elasticsearch indices' mappings and how documents are written into them.

Three indices behind aliases (`{prefix}-passages`, `-documents`, `-claims`, each `-v{SCHEMA_VERSION}`),
so a schema change can be rebuilt beside the old one and switched atomically. The passages
mapping's `_meta` holds the index info (embedder id, dimension, schema version, analyser).
"""
from __future__ import annotations

import base64
from typing import Any

from search.backends.contract import IndexInfo, SparseVector, encode_sparse

SCHEMA_VERSION = 1
ANALYZER_NATIVE = "native arabic"
ANALYZER_KHABAR = "khabar pre-analysed"


def date_value(iso: str | None) -> str | None:
    """ISO date / year-month / year -> YYYY-MM-DD for the `date` field (None if unparsable).

    Mirrors the embedded backend: an unparsable date is kept as written in
    `published_at` but cannot match a date filter (rather than failing the document).
    """
    if not iso:
        return None
    parts = (iso.split("T")[0].split("-") + ["01", "01"])[:3]
    try:
        year, month, day = (int(p) for p in parts)
    except ValueError:
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31 and 0 < year < 10000):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def passages_body(info: IndexInfo, native_arabic: bool, replicas: int, vector_index: str = "hnsw") -> dict[str, Any]:
    """The passages index; `vector_index` is the dense_vector `index_options` type (KHABAR_ES_VECTOR_INDEX)."""
    text_analyzer = "arabic" if native_arabic else "standard"
    return {
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": replicas,
            # Keep vectors in _source: an upsert that keeps a passage re-writes it with the
            # vector it already had, and 9.x would otherwise leave vectors out of _source.
            "index.mapping.exclude_source_vectors": False,
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {
                "embedder_id": info.embedder_id,
                "dim": info.dim,
                "schema_version": info.schema_version,
                "analyzer": ANALYZER_NATIVE if native_arabic else ANALYZER_KHABAR,
            },
            "properties": {
                "passage_id": {"type": "keyword"},
                "doc_id": {"type": "keyword"},
                "ordinal": {"type": "integer"},
                "seq": {"type": "long"},
                "start": {"type": "integer", "index": False},
                "end": {"type": "integer", "index": False},
                "text": {
                    "type": "text",
                    "analyzer": text_analyzer,
                    "fields": {"exact": {"type": "text", "analyzer": "standard"}},
                },
                "terms": {"type": "text", "analyzer": "whitespace", "similarity": "BM25"},
                "title_terms": {"type": "text", "analyzer": "whitespace", "similarity": "BM25"},
                "title": {"type": "text", "analyzer": text_analyzer},
                "source": {"type": "keyword"},
                "published_at": {"type": "keyword", "ignore_above": 256},  # kept in _source whatever its length
                "date": {"type": "date", "format": "strict_date"},
                "path": {"type": "keyword", "index": False},
                "url": {"type": "keyword", "index": False},
                "language": {"type": "keyword"},
                "vector": {
                    "type": "dense_vector",
                    "dims": info.dim,
                    "similarity": "cosine",
                    "index": True,
                    # Always explicit: 9.x would otherwise pick quantised BBQ for dim >= 384 on its
                    # own. Float `hnsw` vs the quantised types at 1M: docs/BENCHMARKS.md.
                    "index_options": {"type": vector_index},
                },
                "has_vector": {"type": "boolean"},
                **SPARSE_FIELDS,
            },
        },
    }


def sparse_fields(vector: SparseVector) -> dict[str, Any]:
    return {"sparse": base64.b64encode(encode_sparse(vector)).decode("ascii"), "has_sparse": True}


# Sparse latent terms (search.backends.encode_sparse, base64 in _source): read back for re-scoring
# kNN hits, never searched, so not indexed. Added in place to indices created before them.
SPARSE_FIELDS: dict[str, Any] = {"sparse": {"type": "binary"}, "has_sparse": {"type": "boolean"}}
WITHOUT_SPARSE = {"bool": {"filter": [{"term": {"has_vector": True}}], "must_not": [{"term": {"has_sparse": True}}]}}


def docs_body(replicas: int) -> dict[str, Any]:
    return {
        "settings": {"number_of_shards": 1, "number_of_replicas": replicas},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "doc_id": {"type": "keyword"},
                "title": {"type": "text"},
                "content_hash": {"type": "keyword"},
                "source": {"type": "keyword"},
                "published_at": {"type": "keyword", "ignore_above": 256},  # kept in _source whatever its length
                "date": {"type": "date", "format": "strict_date"},
                "updated_at": {"type": "date"},
                "passages": {"type": "integer"},
                "claims": {"type": "integer"},
                # The full record (text, sidebar, fingerprint, ...) - stored, not searched.
                "body": {"type": "object", "enabled": False},
            },
        },
    }


# Claim fields added after the first schema: created with new indices, put into older ones on open.
CLAIM_FIELDS: dict[str, Any] = {
    "kind": {"type": "keyword"},
    "event": {"type": "keyword"},
    "actor_terms": {"type": "text", "analyzer": "whitespace"},
}


def claims_body(replicas: int) -> dict[str, Any]:
    return {
        "settings": {
            "number_of_shards": 1,
            "number_of_replicas": replicas,
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "claim_id": {"type": "keyword"},
                "doc_id": {"type": "keyword"},
                "actor_id": {"type": "keyword"},
                "actor": {"type": "keyword"},
                "what": {"type": "keyword"},
                "stance": {"type": "keyword"},
                "section": {"type": "keyword"},
                "value": {"type": "long"},
                "terms": {"type": "text", "analyzer": "whitespace"},
                "published_at": {"type": "keyword", "ignore_above": 256},  # kept in _source whatever its length
                "body": {"type": "object", "enabled": False},
                **CLAIM_FIELDS,
            },
        },
    }
