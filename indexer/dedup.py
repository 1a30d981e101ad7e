"""Duplicate detection at two scales.

* Inside one article: scraped pages repeat paragraphs (a lazy-loaded block rendered
  twice, the headline printed again above the photo). `unique_lines` keeps the first
  copy, comparing lines after Arabic folding so that a copy differing only in
  diacritics, hamza forms or punctuation still counts as the same line.
* Across articles: the same wire story is republished by many sites with small edits.
  `fingerprint` is a MinHash signature over word 3-shingles of folded text, and
  `NearDuplicateIndex` (MinHash LSH) finds an earlier article whose estimated Jaccard
  similarity is above the threshold. Signatures are plain lists of ints so backends can
  store them as JSON and hand them back on the next run.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from khabar.arabic import fold

NUM_PERM = 64
SEED = 1  # fixed: signatures must be comparable across runs and machines
SCHEME = "affine32"
SHINGLE = 3
DEFAULT_THRESHOLD = 0.85

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def line_key(line: str) -> str:
    """Comparison key for one line: folded, punctuation and spacing ignored."""
    return folded_key(fold(line))


def folded_key(folded: str) -> str:
    """`line_key` of text that is already `fold`ed (folding is the expensive part)."""
    return " ".join(_NON_WORD.sub(" ", folded).split())


def unique_lines(lines: Iterable[str], seen: set[str] | None = None,
                 keys: Iterable[str] | None = None) -> list[str]:
    """The lines in order, without exact repeats (by `line_key`); empty-key lines dropped.

    `seen` can carry keys already used elsewhere (e.g. the title) and is updated in place;
    `keys` can supply precomputed keys, parallel to `lines`.
    """
    seen = set() if seen is None else seen
    out: list[str] = []
    lines = list(lines)
    key_list = list(keys) if keys is not None else [line_key(line) for line in lines]
    if len(key_list) != len(lines):
        raise ValueError("keys must be parallel to lines")
    for line, key in zip(lines, key_list):
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(line)
    return out


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    """Word n-grams of folded text; texts shorter than `size` words give one shingle."""
    words = _WORD.findall(fold(text))
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


_EMPTY = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)  # permutations are costly to draw: once


def _minhash(values: Sequence[int]) -> LeanMinHash:
    """A stored signature as a comparable MinHash (no permutations needed to compare)."""
    return LeanMinHash(seed=SEED, hashvalues=np.asarray(values, dtype=np.uint64), scheme=SCHEME)


def fingerprint(text: str) -> list[int]:
    """MinHash signature (64 ints) of `text`; identical for identical folded text."""
    mh = _EMPTY.copy()
    grams = shingles(text)
    if grams:
        mh.update_batch(sorted(grams))
    return [int(v) for v in mh.hashvalues]


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two fingerprints."""
    return _minhash(a).jaccard(_minhash(b))


class NearDuplicateIndex:
    """Which earlier document is (almost) the same article as this one?

    Preload it with the fingerprints already in the index, then ask
    `duplicate_of` for each new document and `add` the ones you keep. A document is
    never its own duplicate, so re-ingesting an edited file under the same id is an
    update, not a duplicate.
    """

    def __init__(self, existing: Mapping[str, Sequence[int]] | None = None,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, list[int]] = {}
        for doc_id, values in (existing or {}).items():
            if values and len(values) == NUM_PERM:  # older/foreign signatures cannot be compared
                self.add(doc_id, values)

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._signatures

    def add(self, doc_id: str, values: Sequence[int]) -> None:
        """Insert (or replace) the signature stored for `doc_id`."""
        if len(values) != NUM_PERM:
            raise ValueError(f"fingerprint of {doc_id!r} has {len(values)} values, expected {NUM_PERM}")
        if doc_id in self._signatures:
            self._lsh.remove(doc_id)
        self._signatures[doc_id] = list(values)
        self._lsh.insert(doc_id, _minhash(values))

    def remove(self, doc_id: str) -> None:
        if doc_id in self._signatures:
            self._lsh.remove(doc_id)
            del self._signatures[doc_id]

    def duplicate_of(self, doc_id: str, values: Sequence[int]) -> str | None:
        """The most similar other document at or above the threshold, or None.

        LSH gives candidates; each is verified against the estimated Jaccard so the
        answer does not depend on banding luck, and ties break on doc_id for determinism.
        """
        if len(values) != NUM_PERM:
            raise ValueError(f"fingerprint has {len(values)} values, expected {NUM_PERM}")
        query = _minhash(values)
        best: tuple[float, str] | None = None
        for candidate in self._lsh.query(query):
            if candidate == doc_id:
                continue
            score = query.jaccard(_minhash(self._signatures[candidate]))
            if score >= self.threshold and (best is None or (-score, candidate) < (-best[0], best[1])):
                best = (score, candidate)
        return best[1] if best else None
