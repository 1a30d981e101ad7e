"""Files and folders -> raw articles (text still to be cleaned), or a reason why not.

Every input ends up either as a `RawArticle` or as a `Rejected` with a reason a user
can act on: nothing is skipped silently except hidden files inside folders (editor
swap files, .git). Folders are walked recursively in sorted order so that two runs
over the same tree produce the same documents in the same order.

Formats:
* .txt        scraped page text, cleaned later by `indexer.cleaning`;
* .html/.htm  main text, title and date extracted by trafilatura;
* .jsonl      one article per line: {"title"?, "text", "url"?, "source"?,
              "published_at"?, "id"?}, with the spellings common exports use (`FIELDS`); a
              broken line is rejected as "path:LINE" and the other lines are kept; fields
              Khabar does not read are named once per file (`RawArticle.ignored`).
Bytes are decoded as UTF-8 when valid, otherwise with charset-normalizer (so
Windows-1256 Arabic, still common on older Arab news sites, decodes correctly).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from charset_normalizer import from_bytes

from indexer.cleaning import parse_date
from indexer.ids import id_problem
from khabar import settings
from khabar.models import Rejected

SUPPORTED = (".txt", ".html", ".htm", ".jsonl")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")


class InputError(ValueError):
    """An input that cannot become an article; the message is the rejection reason."""


@dataclass
class RawArticle:
    """One article as read, before cleaning.

    `label` names it in reports ("path" or "path:LINE"); `record_id` is the id given
    in a JSON record, if any; `title` is None when it must be found in the text.
    """

    label: str
    text: str
    kind: str  # "txt" | "html" | "jsonl" | "record"
    path: str | None = None  # absolute path of the file it came from
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None  # ISO date, already validated
    record_id: str | None = None
    ignored: tuple[str, ...] = ()  # fields of a JSON record that Khabar does not read


# ----------------------------------------------------------------------------- limits
def max_file_bytes() -> int:
    """Per-file size cap from KHABAR_MAX_FILE_MB (default 50 MB)."""
    return int(settings.read("max_file_mb") * 1024 * 1024)


# ----------------------------------------------------------------------------- decoding
def decode_bytes(data: bytes, hint: str | None = None) -> str:
    """Bytes -> text: UTF-8 (with or without BOM), else `hint`, else detected.

    Raises InputError for binary content: NUL bytes outside a UTF-16 BOM file, or
    bytes no text encoding explains.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("binary file (invalid UTF-16)") from None
    if b"\x00" in data[:65536]:
        raise InputError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return _checked(text)
    if hint:
        try:
            return _checked(data.decode(hint))
        except (LookupError, UnicodeDecodeError, InputError):
            pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputError("binary or undecodable file: not UTF-8 and no text encoding detected")
    return _checked(str(best))


def _checked(text: str) -> str:
    """Reject 'text' that is mostly control characters (binary decoded by a lenient codec)."""
    if text and len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise InputError("binary file (control characters), not text")
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ----------------------------------------------------------------------------- walking
def iter_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Rejected]]:
    """Expand files and folders (recursively, sorted, hidden entries skipped)."""
    files: list[Path] = []
    rejected: list[Rejected] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith("."):
                        files.append(Path(root) / name)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            rejected.append(Rejected(str(path), "not a regular file or folder"))
        else:
            rejected.append(Rejected(str(path), "no such file or folder"))
    return files, rejected


# ----------------------------------------------------------------------------- records
# Each field Khabar reads from a JSON article, and the names exports give it, in order of
# precedence: the first one present is read, any other present is reported as ignored.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title", "headline"),
    "text": ("text", "content", "body"),
    "url": ("url", "link"),
    "source": ("source", "publisher"),
    "published_at": ("published_at", "date", "published", "publish_date", "publishedAt"),
}


def _pick(record: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """(the spelling found, its value) for field `name`; ("", None) when none is present."""
    for spelling in FIELDS[name]:
        if spelling in record and record[spelling] is not None:
            return spelling, record[spelling]
    return "", None


def _optional_str(record: Mapping[str, Any], name: str) -> str | None:
    spelling, value = _pick(record, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"field {spelling!r} must be a string, got {type(value).__name__}")
    return value.strip() or None


def _record_text(record: Mapping[str, Any]) -> str:
    spelling, text = _pick(record, "text")
    if text is None:
        raise InputError("missing 'text' (the article body; also read from 'content' or 'body')")
    if not isinstance(text, str):
        raise InputError(f"field {spelling!r} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"field {spelling!r} is empty")
    return text


def _record_id(record: Mapping[str, Any]) -> str | None:
    raw_id = record.get("id")
    if raw_id is None:
        return None
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise InputError(f"field 'id' must be a string or integer, got {type(raw_id).__name__}")
    record_id = str(raw_id).strip()
    problem = id_problem(record_id)
    if problem:
        raise InputError(f"field 'id' {problem}")
    return record_id


def ignored_fields(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Fields of `record` Khabar does not read: unknown names, and spellings a preferred one shadows."""
    used = {_pick(record, name)[0] for name in FIELDS}
    return tuple(sorted(str(k) for k in record
                        if k not in used and (k not in _SPELLINGS or record[k] is not None)))


_SPELLINGS = {spelling for spellings in FIELDS.values() for spelling in spellings}


def article_from_record(record: Any, label: str, path: str | None = None) -> RawArticle:
    """Validate one JSON article ({title?, text, url?, source?, published_at?, id?}, or `FIELDS`' other spellings).

    `text` is required; `title` may be omitted (it is then taken from the text);
    `published_at` must be a recognisable date; `id` may be a string or an integer and must
    pass `indexer.ids.id_problem`.
    """
    if not isinstance(record, Mapping):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    text = _record_text(record)
    record_id = _record_id(record)
    spelling, _ = _pick(record, "published_at")
    published_raw = _optional_str(record, "published_at")
    published = parse_date(published_raw) if published_raw else None
    if published_raw and published is None:
        raise InputError(f"{spelling} {published_raw!r} is not a date (use YYYY-MM-DD)")
    return RawArticle(
        label=label,
        text=_normalise_newlines(text),
        kind="jsonl" if path else "record",
        path=path,
        title=_optional_str(record, "title"),
        url=_optional_str(record, "url"),
        source=_optional_str(record, "source"),
        published_at=published,
        record_id=record_id,
        ignored=ignored_fields(record),
    )


def file_label(article: RawArticle) -> str:
    """What reports call the file `article` came from (a .jsonl line's label without ":LINE")."""
    return article.label.rsplit(":", 1)[0] if article.kind == "jsonl" else article.label


def ignored_note(fields: Iterable[str], first: str) -> str:
    """The one warning per file (or request) that names the fields Khabar did not read."""
    read = "; ".join("/".join(spellings) for spellings in FIELDS.values())
    return f"fields not read: {', '.join(sorted(fields))} (first in {first}); Khabar reads {read}"


# ----------------------------------------------------------------------------- formats
def _read_jsonl(text: str, path: Path, shown: str) -> tuple[list[RawArticle], list[Rejected]]:
    articles: list[RawArticle] = []
    rejected: list[Rejected] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        label = f"{shown}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejected(label, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        try:
            articles.append(article_from_record(record, label, str(path.resolve())))
        except InputError as exc:
            rejected.append(Rejected(label, str(exc)))
    if not articles and not rejected:
        rejected.append(Rejected(shown, "empty"))
    return articles, rejected


def _read_html(data: bytes, path: Path, shown: str) -> RawArticle:
    import trafilatura  # slow to import; only needed for HTML

    hint = _META_CHARSET.search(data[:4096])
    html = decode_bytes(data, hint.group(1).decode("ascii", "ignore") if hint else None)
    if not html.strip():
        raise InputError("empty")
    extracted = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, favor_recall=True
    )
    text = (getattr(extracted, "text", None) or "").strip() if extracted is not None else ""
    if not text:
        raise InputError("no article text found in HTML")
    return RawArticle(
        label=shown,
        text=_normalise_newlines(text),
        kind="html",
        path=str(path.resolve()),
        title=(getattr(extracted, "title", None) or None),
        url=getattr(extracted, "url", None) or None,
        source=getattr(extracted, "sitename", None) or None,
        published_at=parse_date(getattr(extracted, "date", None)),
    )


def read_file(path: str | Path, name: str | None = None) -> tuple[list[RawArticle], list[Rejected]]:
    """One file -> its articles (several for .jsonl) and rejections.

    `name` is what reports call the file (an upload's own name rather than where it was staged).
    """
    path = Path(path)
    shown = name or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        kind = suffix or "(no extension)"
        return [], [Rejected(shown, f"unsupported file type {kind}; expected one of {', '.join(SUPPORTED)}")]
    try:
        size = path.stat().st_size
        cap = max_file_bytes()
        if size > cap:
            return [], [Rejected(shown, f"file too large: {size / 1048576:.1f} MB > {cap / 1048576:g} MB "
                                            "(raise KHABAR_MAX_FILE_MB to allow it)")]
        if size == 0:
            return [], [Rejected(shown, "empty")]
        data = path.read_bytes()
    except OSError as exc:
        return [], [Rejected(shown, f"cannot read: {exc.strerror or exc}")]
    try:
        if suffix in (".html", ".htm"):
            return [_read_html(data, path, shown)], []
        text = _normalise_newlines(decode_bytes(data))
        if not text.strip():
            return [], [Rejected(shown, "empty")]
        if suffix == ".jsonl":
            return _read_jsonl(text, path, shown)
        return [RawArticle(label=shown, text=text, kind="txt", path=str(path.resolve()))], []
    except InputError as exc:
        return [], [Rejected(shown, str(exc))]


def read_paths(paths: Sequence[str | Path],
               names: Mapping[str, str] | None = None) -> tuple[list[RawArticle], list[Rejected]]:
    """All articles under `paths`, in deterministic order, plus every rejection.

    `names` maps a file's resolved path to what reports call it (see `read_file`).
    """
    files, rejected = iter_files(paths)
    articles: list[RawArticle] = []
    for path in files:
        got, bad = read_file(path, (names or {}).get(str(path.resolve())))
        articles.extend(got)
        rejected.extend(bad)
    return articles, rejected
