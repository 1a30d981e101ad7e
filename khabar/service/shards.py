"""Which share of the embedding work a process owns: `--shard i/n`, by a stable hash of the passage id.

Why a hash partition rather than leases: several machines embedding into one Elasticsearch
index need to split the passages so that none is embedded twice and none is forgotten. A
fixed partition by a hash of the passage id needs no coordination at all: no lease records
to write before each batch, no clocks to agree on, no optimistic-concurrency retries, and it
works the same on the embedded backend. Each machine walks the pending passages once with the
backend's cursor (`Backend.pending_ids`) and keeps those whose hash falls in its shard. What a
killed machine leaves behind stays pending in its shard until `khabar embed --shard i/n` (on
any machine) or a plain `khabar embed` runs again; `khabar stats --shards n` shows how much.
The price is static balance: a slow machine finishes its shard last (docs/ELASTICSEARCH.md).

The hash is SHA-1 of the UTF-8 id (not Python's `hash`, which changes per process), so every
machine and every Python version puts a passage in the same shard.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(passage_id: str, count: int) -> int:
    """The 0-based shard of `passage_id` among `count` shards (the same on every machine)."""
    digest = hashlib.sha1(passage_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard `number` (1-based, as users write it: 1/3, 2/3, 3/3) of `count`."""

    number: int = 1
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.number <= self.count:
            raise ValueError(f"shard {self.number}/{self.count}: write i/n with 1 <= i <= n (e.g. 1/3, 2/3, 3/3)")

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """`"2/3"` -> Shard(2, 3); ValueError with the expected form otherwise."""
        found = _SPEC.match(text or "")
        if not found:
            raise ValueError(f"--shard {text!r}: write i/n with 1 <= i <= n (e.g. 1/3, 2/3, 3/3)")
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def everything(self) -> bool:
        return self.count == 1

    def owns(self, passage_id: str) -> bool:
        return self.everything or shard_of(passage_id, self.count) == self.number - 1

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


ALL = Shard(1, 1)
