"""The passages an embedding run still has to do, batch by batch: its shard's share of the pending set.

Why a feed rather than "give me the next pending passages": with `--shard i/n` most pending
passages belong to other processes, and asking again from the start for every batch would
re-read them each time. The feed walks the backend's cursor (`Backend.pending_ids`) once and
keeps the ids its shard owns. Passages stored behind the cursor while it walked (an ingest
running beside the embedder; on Elasticsearch, another machine's clock) are found by a second
sweep: a run ends only after a sweep that found nothing.
"""
from __future__ import annotations

from collections import deque

from khabar.models import Passage
from khabar.service.shards import ALL, Shard, shard_of
from search.backends import Backend

PAGE = 1000  # ids per cursor page (Elasticsearch answers up to 10,000)


class PendingFeed:
    """Batches of the passages in `shard` still missing `missing` ("vector" or "sparse")."""

    def __init__(self, backend: Backend, missing: str, shard: Shard = ALL, page: int = PAGE) -> None:
        self.backend, self.missing, self.shard, self.page = backend, missing, shard, page
        self._after: object = None
        self._buffer: deque[Passage] = deque()
        self._swept = False  # the cursor reached the end of the pending set
        self._found = 0  # passages handed out in this sweep

    def next_batch(self, size: int) -> list[Passage] | None:
        """Up to `size` passages, or None when this sweep has handed out everything it found."""
        while len(self._buffer) < size and not self._swept:
            ids, self._after = self.backend.pending_ids(self.missing, self._after, self.page)
            if not ids:
                self._swept = True
                break
            mine = [pid for pid in ids if self.shard.owns(pid)]
            if mine:  # a passage deleted since the id page was read is simply not returned
                self._buffer.extend(record.passage for record in self.backend.passages(mine))
        if not self._buffer:
            return None
        batch = [self._buffer.popleft() for _ in range(min(size, len(self._buffer)))]
        self._found += len(batch)
        return batch

    def sweep_again(self) -> bool:
        """Start a new sweep from the beginning if the one that just ended found anything.

        Call only once every handed-out batch is stored (or they would be found again); False
        means the last sweep found nothing: the shard is done.
        """
        if not self._swept or self._buffer:
            raise RuntimeError("sweep_again() before the current sweep has handed out everything")
        found, self._found = self._found, 0
        self._after, self._swept = None, False
        return found > 0


def pending_in_shards(backend: Backend, missing: str, count: int, page: int = 5000) -> list[int]:
    """How many passages missing `missing` each of `count` shards holds (one walk over the pending ids).

    For `khabar stats --shards n` and a sharded run's progress total; costs one cursor walk
    (about a second per million ids on the embedded backend, longer over a network).
    """
    counts = [0] * count
    after: object = None
    while True:
        ids, after = backend.pending_ids(missing, after, page)
        if not ids:
            return counts
        for pid in ids:
            counts[shard_of(pid, count)] += 1


def pending_total(backend: Backend, missing: str, shard: Shard = ALL) -> int:
    """Passages in `shard` still missing `missing` (from the statistics when the shard is everything)."""
    if shard.everything:
        stats = backend.stats()
        if missing == "vector":
            return stats.passages_without_vectors
        return int(stats.details.get("passages_without_sparse", 0))
    return pending_in_shards(backend, missing, shard.count)[shard.number - 1]
