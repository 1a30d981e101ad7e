"""The `khabar` command: index, embed, search, ask, claims, stats, serve, delete, reset."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from khabar.settings import Settings
from search.backends import BackendError, Filters
from search.searcher import MODES, QueryError

if TYPE_CHECKING:
    from khabar.service import Engine
    from qa import Answerer


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _engine(settings: Settings) -> Engine:  # imported lazily: `khabar --help` stays instant
    from khabar.service import Engine

    return Engine(settings)


def _answerer(engine: Engine) -> Answerer:
    from khabar.service import answerer_for

    return answerer_for(engine)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:  # before loading anything: a mistyped path is the likeliest mistake
        print(f"khabar: no such file or folder: {', '.join(missing)} (nothing indexed)", file=sys.stderr)
        return 1
    engine = _engine(settings)
    report = engine.ingest(args.paths, embed=not args.no_embed, progress=not args.quiet)
    in_index = len(report.added) + len(report.updated) + len(report.unchanged) + len(report.duplicates)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
              f"near-duplicates skipped {len(report.duplicates)}, rejected {len(report.rejected)}; "
              f"{report.passages} passages, {report.claims} claims indexed, {report.embedded} passages embedded")
        for dup, original in report.duplicates:
            print(f"  duplicate: {dup} (near-duplicate of {original})")
        for rejected in report.rejected:
            print(f"  rejected: {rejected.source}: {rejected.reason}")
        for warning in report.warnings:
            print(f"  warning: {warning.source}: {warning.reason}")
        pending = engine.stats().passages_without_vectors
        if pending:
            print(f"{pending} passages still lack vectors (keyword search works now); run: khabar embed")
    if not in_index:  # exit 1 when the run stored nothing; a partly rejected run still exits 0
        why = (f"all {len(report.rejected)} input(s) rejected" if report.rejected
               else "no .txt, .html or .jsonl files found")
        print(f"khabar: nothing indexed: {why}", file=sys.stderr)
        return 1
    return 0


def cmd_embed(args: argparse.Namespace, settings: Settings) -> int:
    from khabar.service.shards import ALL, Shard

    shard = Shard.parse(args.shard) if args.shard else ALL
    if args.threads is not None and not args.workers:
        raise ValueError("--threads sets the threads of each worker process: give --workers too")
    if args.workers:
        from khabar.service.embed_workers import EmbedWorkerError, embed_with_workers

        try:
            run = embed_with_workers(settings, args.workers, args.threads, shard, args.limit, progress=not args.quiet)
        except EmbedWorkerError as exc:
            print(f"khabar: {exc}", file=sys.stderr)
            return 1
        print(f"embedded {run.embedded} passages" + ("" if shard.everything else f" (shard {shard})"))
        if run.sparse_added:
            print(f"added latent terms to {run.sparse_added} passages embedded earlier without them")
        if run.restarts:
            print(f"{run.restarts} embedding worker(s) died and were replaced; nothing they held was lost")
        remaining = run.remaining
    else:
        engine = _engine(settings)
        without_terms = lambda: int(engine.stats().details.get("passages_without_sparse", 0))  # noqa: E731
        before = without_terms() if engine.sparse else 0
        done = engine.embed_pending(progress=not args.quiet, limit=args.limit, shard=shard)
        print(f"embedded {done} passages" + ("" if shard.everything else f" (shard {shard})"))
        if engine.sparse and before:  # an index from before latent terms gets them in a second pass
            print(f"added latent terms to {before - without_terms()} passages embedded earlier without them")
        remaining = engine.stats().passages_without_vectors
    if remaining:
        where = f"; see `khabar stats --shards {shard.count}`" if not shard.everything else ""
        print(f"{remaining} passages in the index still lack vectors{where}")
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    filters = Filters(source=args.source, date_from=args.date_from, date_to=args.date_to)
    response = engine.search(" ".join(args.query), mode=args.mode, k=args.k, filters=filters)
    if args.json:
        _print_json(response.to_dict())
        return 0
    print(f"{response.total} candidates, {response.mode} ({response.fusion}), {response.took_ms:.1f} ms")
    for n, hit in enumerate(response.hits, start=1):
        print(f"\n[{n}] {hit.title}  ({hit.doc_id}, {hit.source or 'unknown source'}, {hit.published_at or 'no date'})")
        print(f"    score {hit.score:.4f}, matched: {', '.join(hit.matched)}")
        print(f"    {hit.text}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    answer = _answerer(_engine(settings)).ask(" ".join(args.question))
    data = answer.to_dict()
    if args.json:
        _print_json(data)
        return 0
    print(f"{data['short_answer']} — {data['answer']}" if data.get("short_answer") else data["answer"])
    for citation in data["citations"]:
        print(f"  [{citation['n']}] {citation['title']} ({citation['doc_id']}): {citation['snippet']}")
    if not data["answerable"]:
        for hit in data.get("related", [])[:3]:
            print(f"  related: {hit['title']} ({hit['doc_id']}): {hit['text'][:160]}")
    return 0


def cmd_claims(args: argparse.Namespace, settings: Settings) -> int:
    from khabar.service import claim_query

    if args.refresh:
        done = _engine(settings).refresh_claims(progress=not args.json, force=True)
        print(f"re-extracted the claims of {done} documents")
        return 0
    query = claim_query(actor=args.actor, what=args.what, stance=args.stance, min_value=args.min_value,
                        max_value=args.max_value, doc_id=args.doc_id, section=args.section, q=args.q,
                        limit=args.limit, kind=args.kind, event=args.event)
    found = _engine(settings).claims(query)
    if args.json:
        _print_json([c.to_dict() for c in found])
        return 0
    for c in found:
        qualifier = "" if c.qualifier == "exact" else f"{c.qualifier} "
        print(f"{c.doc_id}  {c.actor_en or c.actor or '-'} {c.stance} {qualifier}{c.value:,} {c.what_ar or c.what}"
              f"{' in ' + (c.where_en or c.where) if (c.where_en or c.where) else ''}"
              f"{' [sidebar]' if c.section == 'sidebar' else ''}")
    print(f"{len(found)} claims")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    stats = engine.stats().to_dict()
    if args.shards is not None:
        from khabar.service.pending import pending_in_shards

        if args.shards < 1:
            raise ValueError(f"--shards must be at least 1, got {args.shards}")
        counts = pending_in_shards(engine.backend, "vector", args.shards)
        stats["passages_without_vectors_by_shard"] = {f"{i + 1}/{args.shards}": n for i, n in enumerate(counts)}
    if args.json:
        _print_json(stats)
        return 0
    for key, value in stats.items():
        if key == "passages_without_vectors_by_shard":
            for shard, n in value.items():
                print(f"{'  shard ' + shard:28} {n} without vectors (khabar embed --shard {shard})")
        else:
            for name, shown in (value.items() if isinstance(value, dict) else [("", value)]):
                print(f"{key + ('.' + name if name else ''):28} {shown}")  # nested: vector_index.kind, ...
    if stats["passages_without_vectors"]:
        print(f"{stats['passages_without_vectors']} passages still lack vectors (keyword search finds them now): "
              "run `khabar embed` (several processes: --workers N; several machines: --shard i/n)")
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    docs = engine.documents(limit=args.limit, offset=args.offset)
    total = engine.stats().documents
    if args.json:
        _print_json({"documents": docs, "total": total, "offset": args.offset, "limit": args.limit})
        return 0
    for d in docs:
        print(f"{d['doc_id']:32} {d.get('published_at') or 'no date':10} {d['passages']:4} passages "
              f"{d['claims']:3} claims  {d['title'][:70]}")
    print(page_note(args.offset, len(docs), total))
    return 0


def page_note(offset: int, shown: int, total: int) -> str:
    """'showing 1-100 of 197 documents, newest first; next: --offset 100' (what a listing leaves out)."""
    if not shown:
        return f"no documents at offset {offset:,} ({total:,} in the index)"
    note = f"showing {offset + 1:,}-{offset + shown:,} of {total:,} documents, newest first"
    if offset + shown < total:
        note += f"; next page: khabar documents --offset {offset + shown}"
    return note


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    if _engine(settings).delete(args.doc_id):
        print(f"deleted {args.doc_id}")
        return 0
    print(f"no document {args.doc_id}", file=sys.stderr)
    return 1


def cmd_reset(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        print(f"this deletes the index in {settings.data_dir}; run again with --yes", file=sys.stderr)
        return 2
    from khabar.service import reset_index

    reset_index(settings)
    print("index deleted")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.server import serve

    return serve(settings, host=args.host, port=args.port, index_paths=args.index)


def _count(text: str) -> int:
    """A claim value bound: a non-negative integer that fits the index (SQLite / Elasticsearch long)."""
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 .. 2^63-1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khabar", description="Search and cited answers over Arabic news.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index files or folders (.txt, .html, .jsonl)")
    p.add_argument("paths", nargs="+")
    p.add_argument("--no-embed", action="store_true", help="keyword-index only; embed later with `khabar embed`")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("embed", help="embed passages that still lack vectors (resumable)")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--workers", type=int, default=None,
                   help="embed in N worker processes (this process stores what they compute)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads per worker process (default: the cores divided among the workers)")
    p.add_argument("--shard", default=None,
                   help="embed only the passages whose id hashes into share i of n (e.g. 2/3): one share per "
                        "machine embedding into the same Elasticsearch index")
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("search", help="search passages")
    p.add_argument("query", nargs="+")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--source")
    p.add_argument("--date-from")
    p.add_argument("--date-to")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations (English or Arabic)")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("claims", help="list extracted claims")
    for name in ("actor", "what", "stance", "doc-id", "q"):
        p.add_argument(f"--{name}")
    p.add_argument("--section", choices=("body", "title", "sidebar"))
    p.add_argument("--kind", choices=("count", "money", "percent", "measure"))
    p.add_argument("--event", help="incident kind: air_strike, bombing, shelling, clashes, earthquake, …")
    p.add_argument("--refresh", action="store_true",
                   help="re-extract the claims of every stored document (done by `khabar index` when the extractor changed)")
    p.add_argument("--min-value", type=_count)
    p.add_argument("--max-value", type=_count)
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("stats", help="index statistics")
    p.add_argument("--json", action="store_true")
    p.add_argument("--shards", type=int, default=None,
                   help="also count the passages without vectors in each of N shares (khabar embed --shard i/N)")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("documents", help="list indexed documents, newest first, a page at a time")
    p.add_argument("--limit", type=int, default=100, help="documents per page (default 100)")
    p.add_argument("--offset", type=int, default=0, help="skip this many (the next page starts at offset + limit)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("delete", help="delete a document")
    p.add_argument("doc_id")
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("reset", help="delete the whole index")
    p.add_argument("--yes", action="store_true")
    p.set_defaults(func=cmd_reset)

    p = sub.add_parser("serve", help="serve the web UI and HTTP API")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--index", nargs="*", default=[], help="index these paths before serving")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args, Settings()))
    except (QueryError, ValueError) as exc:
        print(f"khabar: {exc}", file=sys.stderr)
        return 2
    except BackendError as exc:
        print(f"khabar: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
