"""The `khabar` command: index, embed, search, ask, claims, stats, serve, delete, reset."""
from __future__ import annotations

import argparse
import json
import sys
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
    engine = _engine(settings)
    report = engine.ingest(args.paths, embed=not args.no_embed, progress=not args.quiet)
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
    return 0


def cmd_embed(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings)
    without_terms = lambda: int(engine.stats().details.get("passages_without_sparse", 0))  # noqa: E731
    before = without_terms() if engine.sparse else 0
    done = engine.embed_pending(progress=not args.quiet, limit=args.limit)
    print(f"embedded {done} passages")
    if engine.sparse and before:  # an index from before latent terms gets them in a second pass
        print(f"added latent terms to {before - without_terms()} passages embedded earlier without them")
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
    stats = _engine(settings).stats().to_dict()
    if args.json:
        _print_json(stats)
    else:
        for key, value in stats.items():
            for name, shown in (value.items() if isinstance(value, dict) else [("", value)]):
                print(f"{key + ('.' + name if name else ''):28} {shown}")  # nested: vector_index.kind, ...
    return 0


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    docs = _engine(settings).documents(limit=args.limit)
    if args.json:
        _print_json(docs)
    else:
        for d in docs:
            print(f"{d['doc_id']:32} {d['passages']:4} passages {d['claims']:3} claims  {d['title'][:70]}")
    return 0


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
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("documents", help="list indexed documents")
    p.add_argument("--limit", type=int, default=100)
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
