"""Query-time search over any backend: analysis, language-aware hybrid fusion, highlighting.

Why fusion is language-aware: on XQuAD (English question -> Arabic paragraph) plain RRF
of Arabic BM25 with multilingual embeddings drops R@1 from 0.75 to 0.21, because the
lexical side ranks noise for a query whose words cannot occur in the documents. So an
English query's lexical side only runs on Arabic words it can be translated to through
the bilingual lexicon (plus Latin names, which Arabic news often quotes), and at a lower
weight; an Arabic query gets full-weight RRF, which measurably beats either side alone.
"""
from __future__ import annotations

import html
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

from indexer.arabic import analyze, arabic_ratio, term, tokens
from search.backend import Backend, Filters, PassageRecord
from search.embedders import Embedder
from search.lexicon import Lexicon

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
MAX_QUERY_CHARS = 1000
MAX_K = 100
RRF_K = 60
QUERY_CACHE_SIZE = 512


@dataclass(frozen=True)
class FusionWeights:
    """RRF weights per side; tuned on the XQuAD dev split (bench/retrieval.py, docs/RETRIEVAL.md).

    Same language: the dev grid is flat for lexical weights 0.75-1.25 (R@1 0.921-0.924), so
    1:1 stays. Cross language: every lexical weight > 0 lowered dev R@1 (0.733 at 0, 0.695 at
    0.25, 0.641 at 1.0 with k=60): the lexicon covers news words, not Wikipedia questions,
    and English words rarely occur in Arabic text. So English queries are ranked by the
    embeddings alone until the lexical side has something real to add (raise it then, with
    a benchmark that shows it).
    """

    lexical_same_language: float = 1.0
    semantic_same_language: float = 1.0
    lexical_cross_language: float = 0.0
    semantic_cross_language: float = 1.0


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
        return asdict(self)


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hits"] = [h.to_dict() for h in self.hits]
        return data


class QueryError(ValueError):
    """The query cannot be run as given (empty, too long, bad mode or k)."""


def query_language(text: str) -> str:
    """'ar' when most letters are Arabic script, else 'en' (queries are short: script beats n-grams)."""
    return "ar" if arabic_ratio(text) >= 0.5 else "en"


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


def rrf(rankings: Sequence[tuple[list[str], float]], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal-rank fusion: sum of weight / (k + rank), ranks 1-based."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, pid in enumerate(ids, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
    return scores


class Searcher:
    """Runs lexical, semantic or hybrid search against one backend."""

    def __init__(self, backend: Backend, embedder: Embedder, lexicon: Lexicon | None = None,
                 weights: FusionWeights = FusionWeights()) -> None:
        self.backend = backend
        self.embedder = embedder
        self.lexicon = lexicon or Lexicon.load()
        self.weights = weights
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, remembered for the last few hundred queries.

        Embedding is ~70 % of a semantic query; paging through results, switching modes and
        asking after searching repeat the same text.
        """
        with self._cache_lock:  # the server searches from several threads
            vector = self._query_vectors.get(query)
            if vector is not None:
                self._query_vectors.move_to_end(query)
                return vector
        vector = self.embedder.embed_queries([query])[0]
        with self._cache_lock:
            self._query_vectors[query] = vector
            if len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def query_terms(self, query: str, language: str) -> list[str]:
        """Analysed lexical terms; for non-Arabic queries, Arabic translations plus Latin words."""
        own = analyze(query)
        if language == "ar":
            return own
        translated = analyze(" ".join(self.lexicon.translate(query)))
        return list(dict.fromkeys(translated + own))

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
        language = query_language(query)
        terms = self.query_terms(query, language)
        depth = max(50, (offset + k) * 3)
        lexical_scores: dict[str, float] = {}
        semantic_scores: dict[str, float] = {}
        if mode in ("lexical", "hybrid") and terms:
            lexical_scores = dict(self.backend.lexical(terms, depth, filters))
        if mode in ("semantic", "hybrid"):
            vector = query_vector if query_vector is not None else self.query_vector(query)
            semantic_scores = dict(self.backend.knn(vector, depth, filters))
        lexical, semantic = list(lexical_scores), list(semantic_scores)
        if mode == "lexical":
            scores, fusion = lexical_scores, "none (BM25 score)"
        elif mode == "semantic":
            scores, fusion = semantic_scores, "none (cosine similarity)"
        else:
            scores, fusion = self._fuse(language, lexical, semantic)
        ranked = sorted(scores, key=lambda pid: -scores[pid])
        page = ranked[offset : offset + k]
        records = self.backend.passages(page)
        lex_rank = {pid: i for i, pid in enumerate(lexical, start=1)}
        sem_rank = {pid: i for i, pid in enumerate(semantic, start=1)}
        term_set = set(terms)
        hits = [self._hit(r, scores[r.passage.passage_id], term_set, lex_rank, sem_rank) for r in records]
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query, mode, language, round(took, 2), len(ranked), hits, fusion, terms)

    def _fuse(self, language: str, lexical: list[str], semantic: list[str]) -> tuple[dict[str, float], str]:
        """Hybrid ranking: weighted RRF, weights chosen by the query's language."""
        w = self.weights
        if language == "ar":
            weights = (w.lexical_same_language, w.semantic_same_language)
        else:
            weights = (w.lexical_cross_language, w.semantic_cross_language)
        fusion = f"client-side weighted RRF (k={RRF_K}, lexical {weights[0]:g}, semantic {weights[1]:g})"
        return rrf([(lexical, weights[0]), (semantic, weights[1])]), fusion

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
