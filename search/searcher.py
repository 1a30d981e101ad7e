"""Query-time search over any backend: query analysis, both sides, fusion, highlighting.

`Searcher.search` validates the query, decides its language (`khabar.language.query_language`),
analyses it (an English query also gets the Arabic words it translates to, `search.translation`,
plus its Latin names and numbers, which Arabic news often quotes), asks the backend for BM25
and kNN candidates (`candidate_depth` of each), fuses them by the language's weights and the
query's length in terms (`search.fusion`) and highlights the matched words. Why fusion is language-aware, why scores
and not ranks, and why latent terms for English queries, with the measurements:
docs/RETRIEVAL.md, "Why the fusion looks like this".
"""
from __future__ import annotations

import datetime
import html
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Generic, Literal, TypeVar

import numpy as np

from khabar.arabic import analyze, term, tokens
from khabar.language import query_language
from search.backends import Backend, Filters, PassageRecord, SparseVector
from search.fusion import (
    NORMALISATION_WINDOW,
    FusionWeights,
    ScoredIds,
    convex,
    sparse_dot,
    with_document_context,
    with_sparse,
)
from search.embedding.embedders import Embedder, supports_sparse
from search.translation.lexicon import Lexicon
from search.translation.names import match_names

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
MAX_QUERY_CHARS = 1000
MAX_K = 100
QUERY_CACHE_SIZE = 512



@dataclass
class Hit:
    doc_id: str
    passage_id: str
    title: str
    source: str | None
    path: str | None
    url: str | None
    published_at: str | None
    text: str
    highlight: str  # HTML-escaped passage text with <mark> around matched words
    score: float
    matched: list[str]  # which sides found it: "lexical", "semantic"
    start: int
    end: int
    lexical_rank: int | None = None
    semantic_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # flat values: no deep copy needed


@dataclass
class SearchResponse:
    query: str
    mode: str
    language: str
    took_ms: float
    total: int
    hits: list[Hit]
    fusion: str
    terms: list[str] = field(default_factory=list)
    # Raw kNN cosines (passage_id -> cosine, before document context) of the semantic side, for
    # callers that score evidence themselves (qa); not part of the API's JSON.
    cosines: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cosines"}
        data["hits"] = [h.to_dict() for h in self.hits]
        data["terms"] = list(self.terms)
        return data


class QueryError(ValueError):
    """The query cannot be run as given (empty, too long, bad mode or k)."""


def highlight(text: str, terms: set[str]) -> str:
    """Escape `text` for HTML and wrap words whose index term is in `terms` in <mark>."""
    out: list[str] = []
    pos = 0
    for tok in tokens(text):
        if term(tok.text) in terms:
            out.append(html.escape(text[pos : tok.start]))
            out.append(f"<mark>{html.escape(tok.text)}</mark>")
            pos = tok.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


T = TypeVar("T")


class _Remembered(Generic[T]):
    """The last `size` values computed per key (thread-safe: the server searches from several threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: str, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: embedding takes milliseconds
        self.put(key, value)
        return value


def candidate_depth(k: int, offset: int = 0) -> int:
    """How many candidates each side (BM25, kNN) returns for a page of `k` hits from `offset`:
    three per hit shown, and never fewer than the cosine normalisation window."""
    return max(NORMALISATION_WINDOW, (offset + k) * 3)


class Searcher:
    """Runs lexical, semantic or hybrid search against one backend."""

    def __init__(self, backend: Backend, embedder: Embedder, lexicon: Lexicon | None = None,
                 weights: FusionWeights | None = None, use_sparse: bool | None = None) -> None:
        self.backend = backend
        self.embedder = embedder
        self.lexicon = lexicon or Lexicon.load()
        self.weights = weights or FusionWeights.tuned()
        # latent terms need an embedder that has them; None = whenever it does
        self.use_sparse = supports_sparse(embedder) if use_sparse is None else use_sparse and supports_sparse(embedder)
        self._query_vectors: _Remembered[np.ndarray] = _Remembered(QUERY_CACHE_SIZE)
        self._query_sparse: _Remembered[SparseVector] = _Remembered(QUERY_CACHE_SIZE)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, remembered for the last few hundred queries.

        Embedding is ~70 % of a semantic query; paging through results, switching modes and
        asking after searching repeat the same text.
        """
        return self._query_vectors.get(query, lambda: self.embedder.embed_queries([query])[0])

    def query_sparse(self, query: str) -> SparseVector:
        """The query's latent terms (a second encoder pass), remembered like its vector."""
        return self._query_sparse.get(query, lambda: self.embedder.embed_sparse([query])[0])  # type: ignore[attr-defined]

    def query_terms(self, query: str, language: str) -> list[str]:
        """Analysed lexical terms; for non-Arabic queries, Arabic translations, the index terms that
        spell its names (`search.translation.names`: one `Backend.term_counts` call), plus Latin words."""
        own = analyze(query)
        if language == "ar":
            return own
        pieces = self.lexicon.pieces(query)
        translated = analyze(" ".join(a for p in pieces for a in p.arabic))
        names = [p.english for p in pieces if p.name]
        spelt = match_names(names, self.backend.term_counts) if names else {}
        # name terms are index terms already: analysing them again would stem them a second time
        return list(dict.fromkeys(translated + [m.term for w in names for m in spelt.get(w, [])] + own))

    def _encode_side_by_side(self, query: str, language: str) -> None:
        """A query that will mix in latent terms gets its vector and terms encoded at once, one core
        each (`embed_query_and_sparse`), when neither is remembered; both are then remembered."""
        pair = getattr(self.embedder, "embed_query_and_sparse", None)
        if (pair is None or not self.use_sparse or self.weights.sparse_for(language) <= 0
                or query in self._query_vectors or query in self._query_sparse):
            return
        vector, sparse = pair(query)
        self._query_vectors.put(query, vector)
        self._query_sparse.put(query, sparse)

    def search(self, query: str, mode: str = "hybrid", k: int = 10, filters: Filters = Filters(),
               offset: int = 0, query_vector: np.ndarray | None = None) -> SearchResponse:
        """`query_vector`, when the caller already embedded `query` (as a query), saves embedding it twice."""
        started = time.perf_counter()
        query = validate_query(query)
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}")
        if offset < 0 or offset > 1000:
            raise QueryError("offset must be between 0 and 1000")
        validate_filters(filters)
        language = query_language(query)
        terms = self.query_terms(query, language)
        depth = candidate_depth(k, offset)
        context_weight = self.weights.for_language(language)[1]
        lexical_hits: ScoredIds = []
        semantic_hits: ScoredIds = []
        cosines: dict[str, float] = {}
        sparse_used = False
        if mode in ("lexical", "hybrid") and terms:
            lexical_hits = self.backend.lexical(terms, depth, filters)
        if mode in ("semantic", "hybrid"):
            if query_vector is None:
                self._encode_side_by_side(query, language)
            vector = query_vector if query_vector is not None else self.query_vector(query)
            semantic_hits, sparse_used = self.semantic(vector, depth, filters, context_weight, cosines,
                                                       query=query, language=language)
        lexical, semantic = [pid for pid, _ in lexical_hits], [pid for pid, _ in semantic_hits]
        n_terms = len(set(terms))
        lexical_weight = self.weights.lexical_weight(language, n_terms, with_terms=sparse_used)
        if sparse_used:
            sparse_weight = self.weights.sparse_for(language)
            cosine = (f"min-max cosine similarity mixed with latent-term score {sparse_weight:g}"
                      f" over the top {NORMALISATION_WINDOW}")
        else:
            cosine = "cosine similarity" + (f" with document context {context_weight:g}" if context_weight > 0 else "")
        if mode == "lexical":
            scores, fusion = dict(lexical_hits), "none (BM25 score)"
        elif mode == "semantic":
            scores, fusion = dict(semantic_hits), f"none ({cosine})"
        else:
            scores = convex(lexical_hits, semantic_hits, lexical_weight, semantic_scaled=sparse_used)
            semantic_side = cosine if sparse_used else f"min-max {cosine} over the top {NORMALISATION_WINDOW}"
            fusion = (f"client-side convex combination (lexical {lexical_weight:.3g}: BM25/best BM25; "
                      f"semantic {1 - lexical_weight:.3g}: {semantic_side}; query of {n_terms} terms)")
        ranked = sorted(scores, key=lambda pid: -scores[pid])
        page = ranked[offset : offset + k]
        records = self.backend.passages(page)
        lex_rank = {pid: i for i, pid in enumerate(lexical, start=1)}
        sem_rank = {pid: i for i, pid in enumerate(semantic, start=1)}
        term_set = set(terms)
        hits = [self._hit(r, scores[r.passage.passage_id], term_set, lex_rank, sem_rank) for r in records]
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query, mode, language, round(took, 2), len(ranked), hits, fusion, terms, cosines)

    def semantic(self, vector: np.ndarray, depth: int, filters: Filters, context_weight: float,
                 raw_cosines: dict[str, float] | None = None, query: str = "",
                 language: str = "ar") -> tuple[ScoredIds, bool]:
        """kNN passages, re-scored; returns (hits, whether latent terms were mixed in).

        For a non-Arabic query with latent terms available (`with_sparse`), the kNN hits are
        re-scored with them; otherwise with their documents' other passages when
        `context_weight` > 0 (the two do not stack: docs/RETRIEVAL.md). An index without
        latent terms (built before them, or with KHABAR_SPARSE=0) falls back to the context.
        `raw_cosines`, if given, receives the kNN cosines before re-scoring.
        """
        hits = self.backend.knn(vector, depth, filters)
        if raw_cosines is not None:
            raw_cosines.update(hits)
        if not hits:
            return hits, False
        sparse_weight = self.weights.sparse_for(language) if self.use_sparse and query else 0.0
        if sparse_weight > 0:
            pids = [pid for pid, _ in hits[:NORMALISATION_WINDOW]]  # only the window is re-scored
            stored = self.backend.sparse_vectors(pids)
            if stored:
                return with_sparse(hits, sparse_dot(self.query_sparse(query), stored, pids), sparse_weight), True
        if context_weight <= 0:
            return hits, False
        siblings = self.backend.sibling_scores(vector, [pid for pid, _ in hits])
        return with_document_context(hits, siblings, context_weight), False

    @staticmethod
    def _hit(record: PassageRecord, score: float, terms: set[str], lex_rank: dict[str, int],
             sem_rank: dict[str, int]) -> Hit:
        p = record.passage
        matched = [side for side, ranks in (("lexical", lex_rank), ("semantic", sem_rank)) if p.passage_id in ranks]
        return Hit(
            doc_id=p.doc_id, passage_id=p.passage_id, title=record.title, source=record.source, path=record.path,
            url=record.url, published_at=record.published_at, text=p.text, highlight=highlight(p.text, terms),
            score=round(score, 6), matched=matched, start=p.start, end=p.end,
            lexical_rank=lex_rank.get(p.passage_id), semantic_rank=sem_rank.get(p.passage_id),
        )


def validate_filters(filters: Filters) -> Filters:
    """QueryError unless each date is a real calendar date (YYYY-MM-DD) and `date_from` is not after `date_to`.

    Why here: the API, the browser UI and the CLI all search through this class, so an impossible
    date ("2024-02-30") or a reversed range gets the same reason everywhere instead of no results.
    """
    dates = {}
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value is None:
            continue
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise QueryError(f"{name} must be a date written YYYY-MM-DD, not {value!r}")
        try:
            dates[name] = datetime.date.fromisoformat(value)
        except ValueError:
            raise QueryError(f"{name} {value} is not a calendar date") from None
    if len(dates) == 2 and dates["date_from"] > dates["date_to"]:
        raise QueryError(f"date_from {filters.date_from} is after date_to {filters.date_to}")
    return filters


def validate_query(query: str) -> str:
    """Strip control characters; reject empty or over-long queries with a clear message."""
    if not isinstance(query, str):
        raise QueryError("query must be text")
    cleaned = "".join(ch for ch in query if ch.isprintable() or ch in " \t").strip()
    if not cleaned:
        raise QueryError("query is empty")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"query is longer than {MAX_QUERY_CHARS} characters")
    return cleaned
