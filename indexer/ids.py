"""Document ids: each names the article's source, so re-indexing a source replaces its article
and a different source never does.

* a file (.txt, .html): its readable stem, "-", and 8 hex digits of sha1(absolute path):
  `report-3f9a1c2b`. The same file indexed again (same path) keeps its id; `a/report.txt`
  and `b/report.txt` get two ids.
* an uploaded file: its stem, "-", and 8 hex digits of sha256(the bytes). A browser sends
  only the base name, which cannot tell two reports apart; the content can. The same file
  uploaded again is "unchanged"; another file of the same name is a new article.
* a JSON article (a .jsonl line, the API): its `id` when given (that is how one updates an
  article); else "url-" + 16 hex of sha1(url); else "h-" + 16 hex of sha1(title, text).

Ids given by the user must be usable everywhere an id goes (`/api/documents/<id>`, the CLI,
Elasticsearch's `_id`), so `id_problem` refuses the ones that are not (see its docstring).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

MAX_ID_CHARS = 200
MAX_ID_BYTES = 512  # Elasticsearch's limit for a document `_id`, in UTF-8 bytes
STEM_CHARS = 64  # readable part of a generated id
_SLUG_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def slug(text: str) -> str:
    """Readable, URL-safe id fragment (letters of any script, digits, . _ -), at most STEM_CHARS long."""
    return _SLUG_UNSAFE.sub("-", text.strip())[:STEM_CHARS].strip("-.") or "doc"


def _hex(algorithm: str, data: bytes, n: int) -> str:
    return hashlib.new(algorithm, data).hexdigest()[:n]


def file_id(path: str | Path) -> str:
    """Id of a file read from disk: stem + hash of its absolute path (`path` should be resolved)."""
    return f"{slug(Path(path).stem)}-{_hex('sha1', str(path).encode('utf-8'), 8)}"


def upload_id(name: str, digest: str) -> str:
    """Id of an uploaded file: stem of the name it was uploaded as + the start of sha256(content)."""
    return f"{slug(Path(name).stem)}-{digest[:8]}"


def url_id(url: str) -> str:
    return f"url-{_hex('sha1', url.encode('utf-8'), 16)}"


def content_id(title: str, text: str) -> str:
    """Id of a JSON article with neither id nor url: a hash of the title and text as received
    (not as cleaned, so a better cleaner does not give every such article a new id)."""
    given = " ".join(title.split()) + "\x1f" + text.strip()
    return f"h-{_hex('sha1', given.encode('utf-8'), 16)}"


def id_problem(doc_id: str) -> str | None:
    """Why `doc_id` cannot be an id, or None when it can.

    An id is 1-200 characters (at most 512 bytes in UTF-8), with no "/" or "\\" (an id is one
    segment of /api/documents/<id>, never a path), is not "." or "..", and has no control,
    formatting (e.g. bidi overrides), line-separator or unassigned characters, nor other
    white space than the plain space.
    """
    if not doc_id:
        return "is empty"
    if len(doc_id) > MAX_ID_CHARS or len(doc_id.encode("utf-8")) > MAX_ID_BYTES:
        return f"is longer than {MAX_ID_CHARS} characters"
    if "/" in doc_id or "\\" in doc_id:
        return "contains '/' or '\\' (an id names an article, it is not a path; give a URL as 'url')"
    if doc_id in (".", ".."):
        return "cannot be '.' or '..'"
    for ch in doc_id:
        category = unicodedata.category(ch)
        if category in _FORBIDDEN_CATEGORIES or (ch.isspace() and ch != " "):
            return f"contains the character U+{ord(ch):04X}, which an id cannot hold"
    return None


def legacy_file_ids(path: str | Path) -> tuple[str, ...]:
    """The ids a file could have been stored under when ids were the file stem alone (qualified by
    the folder name, then the extension, only on a clash within one run).

    An index built then still holds them; `khabar.service.Engine.ingest` replaces such a
    document by its current id when the stored one came from this very path.
    """
    path = Path(path)
    old_slug = _SLUG_UNSAFE.sub("-", path.stem.strip()).strip("-.") or "doc"
    qualified = f"{_SLUG_UNSAFE.sub('-', path.parent.name.strip()).strip('-.') or 'doc'}__{old_slug}"
    extension = _SLUG_UNSAFE.sub("-", path.suffix.lstrip(".").strip()).strip("-.") or "doc"
    return (old_slug, qualified, f"{qualified}-{extension}")
