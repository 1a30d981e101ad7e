"""The embedded backend's text index: tantivy (BM25) over Khabar's own terms, with the checks tantivy skips.

tantivy indexes the terms `khabar.arabic.analyze` produced, on whitespace fields, so every
backend and the query side agree on what a word is. It checks segment checksums only on
request (the Python binding cannot ask), so they are checked here on open: a damaged index is
reported with the rebuild command instead of silently missing hits.
"""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import tantivy

from search.backends.contract import REBUILD_HINT, Filters, IndexCorrupt
from search.backends.embedded.catalog import date_key


def text_schema() -> tantivy.Schema:
    """Pre-analysed terms on whitespace fields (Khabar's analysis, not tantivy's), ids and filters."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("passage_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("doc_id", stored=False, tokenizer_name="raw")
    builder.add_text_field("terms", stored=False, tokenizer_name="whitespace")
    builder.add_text_field("title", stored=False, tokenizer_name="whitespace")
    builder.add_text_field("source", stored=False, tokenizer_name="raw")
    builder.add_integer_field("date", stored=False, indexed=True, fast=True)
    return builder.build()


def _segments(path: Path) -> set[str]:
    """Ids (as in file names) of the segments of the last tantivy commit; empty if none."""
    if not (path / "meta.json").exists():
        return set()
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    return {s["segment_id"].replace("-", "") for s in meta.get("segments", [])}


def has_segments(path: Path) -> bool:
    try:
        return bool(_segments(path))
    except (OSError, ValueError, KeyError, TypeError):
        return True  # an unreadable meta.json is data too, not an empty folder


def damaged_files(path: Path) -> list[str]:
    """Segment files of the committed index whose tantivy footer CRC does not match.

    tantivy ends every managed file with [json {"crc": ...}][u32 len][u32 1337] where crc is
    the CRC-32 of the bytes before the footer, but only checks it on request (the Python
    binding cannot ask), so a garbled posting list would otherwise give silently wrong hits.
    Reads the whole index once per open: ~1 s per GB.
    """
    try:
        segments = _segments(path)
    except (OSError, ValueError, KeyError, TypeError):
        return ["meta.json"]
    damaged: list[str] = []
    for file in sorted(path.iterdir()):
        if file.name.split(".")[0] not in segments:
            continue
        try:
            data = file.read_bytes()
        except FileNotFoundError:  # a writer in another process merged it away since meta.json was read
            continue
        try:
            footer_len, magic = struct.unpack("<II", data[-8:])
            crc = json.loads(data[-8 - footer_len : -8])["crc"]
            ok = magic == 1337 and zlib.crc32(data[: -8 - footer_len]) == crc
        except (struct.error, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            damaged.append(file.name)
    return damaged


def open_text_index(path: Path, schema: tantivy.Schema, has_docs: bool) -> tantivy.Index:
    """The tantivy index at `path`, checked: IndexCorrupt if it is missing while the catalog has documents,
    cannot be opened, or a segment's checksum does not match."""
    path.mkdir(exist_ok=True)
    if has_docs and not (path / "meta.json").exists():
        # tantivy would silently create an empty index: every keyword search would miss.
        raise IndexCorrupt(f"the text index {path} is missing (no meta.json) but the catalog holds "
                           f"documents; {REBUILD_HINT}")
    try:
        index = tantivy.Index(schema, path=str(path), reuse=True)
    except Exception as exc:  # tantivy raises ValueError with the underlying cause
        raise IndexCorrupt(f"the text index {path} cannot be opened ({exc}); {REBUILD_HINT}") from exc
    damaged = damaged_files(path)
    if damaged:
        raise IndexCorrupt(f"the text index {path} is damaged (checksum mismatch in {', '.join(damaged[:3])}); "
                           f"{REBUILD_HINT}")
    return index


def lexical_query(schema: tantivy.Schema, terms: list[str], filters: Filters) -> tantivy.Query:
    """BM25 over the passage terms, title terms at 0.3, the filters as unscored conditions."""
    should = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", t)) for t in terms]
    should += [
        (tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(schema, "title", t), 0.3))
        for t in terms
    ]
    query = tantivy.Query.boolean_query(should)
    must = _filter_clauses(schema, filters)
    if must:
        # Filters select, they do not score (as in Elasticsearch's bool filter): scored,
        # a source term added its own BM25 to every hit's score.
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in must]
        )
    return query


def _filter_clauses(schema: tantivy.Schema, filters: Filters) -> list[tantivy.Query]:
    clauses: list[tantivy.Query] = []
    if filters.source:
        clauses.append(tantivy.Query.term_query(schema, "source", filters.source))
    if filters.doc_id:
        clauses.append(tantivy.Query.term_query(schema, "doc_id", filters.doc_id))
    if filters.date_from or filters.date_to:
        clauses.append(
            tantivy.Query.range_query(
                schema, "date", tantivy.FieldType.Integer, date_key(filters.date_from), date_key(filters.date_to)
            )
        )
    return clauses
