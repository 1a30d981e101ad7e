"""Upload rules: which files are accepted (exactly what `indexer.readers` reads), how large, and where they wait.

Uploaded names are user input: they are never used as paths. Each file is written under a
fresh temporary folder with a sanitised name; documents show it as "upload:<name>" and reports
as "<name>", never where it was staged. Its id comes from its name and content
(`indexer.ids.upload_id`).
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

from indexer.pipeline import Upload
from indexer.readers import SUPPORTED

ALLOWED_SUFFIXES: frozenset[str] = frozenset(SUPPORTED)


class UploadRejected(ValueError):
    """An upload that cannot be indexed; `status` is the HTTP status that says why (422 type, 413 size)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def accepted(name: str) -> bool:
    """Is a file of this name one Khabar reads?"""
    return Path(name).suffix.lower() in ALLOWED_SUFFIXES


def accepted_types() -> str:
    """What the user is told when a file type is refused."""
    return f"only {', '.join(sorted(ALLOWED_SUFFIXES))} files are accepted"


def refusal(name: str) -> str:
    """Why a file of another type is refused (shown to the user)."""
    return f"{name}: {accepted_types()}"


def shown_name(filename: str | None, i: int) -> str:
    """The uploaded file's own name as the user knows it: its last path component (a client may send
    "C:\\x\\a.txt" or "../a.txt"), without control characters, at most 200 characters."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())[-200:].strip()
    return name or f"upload-{i}.txt"


@contextmanager
def staged_uploads(files: Sequence[tuple[str | None, BinaryIO]],
                   max_mb: int) -> Iterator[tuple[list[Path], dict[str, Upload]]]:
    """Write uploads to a temporary folder; yields (paths, {resolved path: Upload(name, sha256)}).

    Raises UploadRejected before anything is indexed when a file's type is not accepted or it is
    larger than `max_mb`.
    """
    limit = max_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="khabar-upload-") as tmp:
        paths: list[Path] = []
        staged: dict[str, Upload] = {}
        for i, (filename, stream) in enumerate(files):
            name = shown_name(filename, i)
            suffix = Path(name).suffix.lower()
            if not accepted(name):
                raise UploadRejected(refusal(name), 422)
            data = stream.read(limit + 1)
            if len(data) > limit:
                raise UploadRejected(f"{name}: larger than {max_mb} MB", 413)
            safe = re.sub(r"[^\w.\-]+", "_", name)[:120] or f"upload-{i}{suffix}"
            target = Path(tmp) / f"{i:03d}" / safe
            target.parent.mkdir()
            target.write_bytes(data)
            paths.append(target)
            staged[str(target.resolve())] = Upload(name, hashlib.sha256(data).hexdigest())
        yield paths, staged
