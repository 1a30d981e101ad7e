"""Shares of the embedding work (`khabar embed --shard i/n`) and the feed that walks a shard's pending passages."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from khabar.models import Passage
from khabar.service.pending import PendingFeed, pending_in_shards
from khabar.service.shards import ALL, Shard, shard_of
from search.backends import PassageRecord

IDS = [f"doc-{d}:{h:016x}" for d in range(60) for h in range(0, 50 * 7919, 7919)]  # 3,000 ids


@pytest.mark.parametrize("text, number, count", [("1/1", 1, 1), ("2/3", 2, 3), (" 3 / 3 ", 3, 3), ("12/16", 12, 16)])
def test_shard_specs_parse(text, number, count):
    assert Shard.parse(text) == Shard(number, count)
    assert str(Shard.parse(text)) == f"{number}/{count}"


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "3", "a/b", "", "-1/2", "1/2/3"])
def test_bad_shard_specs_are_clear_errors(text):
    with pytest.raises(ValueError, match="i/n"):
        Shard.parse(text)


@pytest.mark.parametrize("count", [2, 3, 7])
def test_every_passage_belongs_to_exactly_one_shard_and_shares_are_even(count):
    shards = [Shard(i, count) for i in range(1, count + 1)]
    owners = [[s for s in shards if s.owns(pid)] for pid in IDS]
    assert all(len(o) == 1 for o in owners)
    sizes = Counter(o[0].number for o in owners)
    assert set(sizes) == set(range(1, count + 1))
    expected = len(IDS) / count
    assert all(abs(n - expected) < 0.15 * expected for n in sizes.values()), sizes
    assert all(ALL.owns(pid) for pid in IDS)


def test_the_hash_is_the_same_in_every_process_and_pinned():
    # Machines must agree whatever their Python hash seed; and the function must not change between
    # Khabar versions, or machines running two versions would split the work differently.
    here = [shard_of(pid, 5) for pid in IDS[:200]]
    code = ("import sys; from khabar.service.shards import shard_of; "
            "print(','.join(str(shard_of(l.strip(), 5)) for l in sys.stdin))")
    for seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], input="\n".join(IDS[:200]), capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout.strip()
        assert [int(x) for x in out.split(",")] == here
    # `printf '%s' ID | sha1sum`: the first 16 hex digits are 86f7e437faa5a7fc, 9c275975a8efed62, f97bee510a6b7657;
    # modulo 16 that is their last digit
    assert [shard_of(pid, 16) for pid in ("a", "doc:0123456789abcdef", "عربي:1")] == [12, 2, 7]


class _Pending:
    """A pending set in memory, with the contract's cursor (position in ingest order); `arrive` adds
    passages as an ingest beside the embedder would (Elasticsearch: possibly behind the cursor)."""

    def __init__(self, ids: list[str]) -> None:
        self.order = list(ids)
        self.pending = set(ids)

    def pending_ids(self, missing: str, after: object, limit: int) -> tuple[list[str], object]:
        start = 0 if after is None else int(after)  # type: ignore[arg-type]
        rows = [(i, pid) for i, pid in enumerate(self.order) if i >= start and pid in self.pending][:limit]
        return [pid for _, pid in rows], (rows[-1][0] + 1 if rows else after)

    def passages(self, ids: list[str]) -> list[PassageRecord]:
        return [PassageRecord(Passage(pid, pid.split(":")[0], 0, "text", 0, 4), "", None, None, None, None, "ar")
                for pid in ids if pid in self.pending]

    def arrive(self, pid: str, at: int) -> None:
        self.order.insert(at, pid)
        self.pending.add(pid)


def test_a_sharded_feed_hands_out_its_own_passages_once_and_sweeps_again_for_late_arrivals():
    store = _Pending(IDS[:400])
    shard = Shard(2, 3)
    feed = PendingFeed(store, "vector", shard, page=50)  # type: ignore[arg-type]
    handed: list[str] = []
    late = next(pid for pid in IDS[400:] if shard.owns(pid))
    while True:
        batch = feed.next_batch(16)
        if batch is None:
            if not feed.sweep_again():
                break
            continue
        assert len(batch) <= 16
        handed += [p.passage_id for p in batch]
        store.pending -= {p.passage_id for p in batch}  # stored
        if len(handed) == 32:
            store.arrive(late, 0)  # behind the cursor
    assert late in handed
    assert len(handed) == len(set(handed))
    assert set(handed) == {pid for pid in IDS[:400] if shard.owns(pid)} | {late}
    assert pending_in_shards(store, "vector", 3) == [  # type: ignore[arg-type]
        sum(1 for pid in store.pending if shard_of(pid, 3) == i) for i in range(3)]
    assert pending_in_shards(store, "vector", 3)[1] == 0  # type: ignore[arg-type]


def test_sweep_again_refuses_while_a_sweep_is_running():
    feed = PendingFeed(_Pending(IDS[:40]), "vector", page=10)  # type: ignore[arg-type]
    assert feed.next_batch(5) is not None
    with pytest.raises(RuntimeError):
        feed.sweep_again()
