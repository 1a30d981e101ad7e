"""Can the API tests fail? Break the code behind each route once and see whether a test notices.

    .venv/bin/python scripts/mutate_api.py [--only NAME ...] [--tests PATH ...]

Each mutation below is one plausible bug in `ui/api.py` (a check removed, a parameter not passed
on, a status code changed). For each, a copy of the repository gets that one change and the
API tests run against it (`-x`: the first failure kills the mutant). A mutant that survives is
a bug the suite would let through. Why hand-chosen rather than mutmut: mutmut 3 forks its
workers from a test session that already runs threads (tantivy, faiss/OpenMP, uvicorn), and
those forked workers hang; one deliberate mutation per route also reads better in a report.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = "ui/api.py"
TESTS = ["tests/contract/test_api.py", "tests/contract/test_security.py", "tests/unit/test_properties.py"]


@dataclass(frozen=True)
class Mutation:
    name: str
    old: str
    new: str


MUTATIONS = [
    Mutation("health: statistics only (no status, lexicon, engine)",
             "return engine.health()", "return engine.stats().to_dict()"),
    Mutation("health: an unreachable index answers 200",
             'return JSONResponse(status_code=503, content={"status": "unavailable"',
             'return JSONResponse(status_code=200, content={"status": "unavailable"'),
    Mutation("stats: empty", "return engine.stats().to_dict()\n", "return {}\n"),
    Mutation("search: offset not passed on", "filters=filters, offset=offset)", "filters=filters)"),
    Mutation("search: date_to ignored", "date_from=date_from, date_to=date_to)", "date_from=date_from)"),
    Mutation("search: source ignored", "Filters(source=source,", "Filters(source=None,"),
    Mutation("ask: unknown fields accepted", 'unknown = set(payload) - {"question"}', "unknown = set()"),
    Mutation("ask: no answerer answers 200", 'raise HTTPException(503, "question answering',
             'return FastJSON({}) or HTTPException(503, "question answering'),
    Mutation("claims: q ignored", "section=section, q=q, limit=limit", "section=section, q=None, limit=limit"),
    Mutation("claims: min_value ignored", "min_value=min_value,\n", "min_value=None,\n"),
    Mutation("claims: total counts nothing", '"total": len(found)', '"total": 0'),
    Mutation("documents: offset ignored", "engine.documents(limit=limit, offset=offset)",
             "engine.documents(limit=limit, offset=0)"),
    Mutation("documents: total is the page size", '"total": engine.stats().documents', '"total": len(docs)'),
    Mutation("document: fingerprint leaks", 'data.pop("fingerprint", None)', "pass"),
    Mutation("document: unknown id answers 200", "    if doc is None:\n        raise HTTPException(404",
             "    if doc is None:\n        return {}\n        raise HTTPException(404"),
    Mutation("delete: unknown id answers 200", "    if not engine.delete(doc_id):\n        raise HTTPException(404",
             "    if not engine.delete(doc_id):\n        return {}\n        raise HTTPException(404"),
    Mutation("add: batch size unchecked", "if len(records) > MAX_BATCH:", "if False:"),
    Mutation("add: {\"articles\": [...]} not unwrapped", 'if isinstance(payload, dict) and "articles" in payload:',
             "if False:"),
    Mutation("add: empty list accepted", "    if not records:\n        raise", "    if False:\n        raise"),
    Mutation("upload: a refused file becomes a 500", "except UploadRejected as exc:", "except KeyError as exc:"),
    Mutation("key: every key accepted", "if not key_accepted(", "if False and not key_accepted("),
    Mutation("unknown query parameters accepted", "    if unknown:\n        raise HTTPException(422, f\"unknown parameter",
             "    if False:\n        raise HTTPException(422, f\"unknown parameter"),
    Mutation("query errors become 500", "app.add_exception_handler(QueryError, query_error)", "pass"),
    Mutation("backend unreachable becomes 500", "app.add_exception_handler(BackendUnavailable, unavailable)", "pass"),
    Mutation("docs from the CDN", "app = FastAPIOffline(", "app = FastAPI("),
]


def run(mutation: Mutation, tests: list[str]) -> tuple[str, float, str]:
    """('killed' | 'survived', seconds, the first failing test) for one mutant."""
    with tempfile.TemporaryDirectory(prefix="khabar-mutant-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".git", ".venv", "khabar-data", "__pycache__",
                                                                  "*.egg-info", "mutants", "node_modules"))
        source = (work / TARGET).read_text(encoding="utf-8")
        if source.count(mutation.old) != 1:
            raise SystemExit(f"{mutation.name}: the text to change is found {source.count(mutation.old)} times")
        (work / TARGET).write_text(source.replace(mutation.old, mutation.new), encoding="utf-8")
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "-m", "not elasticsearch and not browser", *tests],
                              cwd=work, capture_output=True, text=True)
        took = time.monotonic() - started
    failed = next((line.split(" - ")[0] for line in done.stdout.splitlines() if line.startswith("FAILED")), "")
    return ("killed" if done.returncode else "survived"), took, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="run the mutations whose name contains one of these")
    parser.add_argument("--tests", nargs="*", default=TESTS)
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(o in m.name for o in args.only)]
    print("| mutation | result | first failing test | s |\n|---|---|---|---|")
    survived = 0
    for mutation in chosen:
        result, took, failed = run(mutation, args.tests)
        survived += result == "survived"
        print(f"| {mutation.name} | {result} | {failed.replace('FAILED ', '')} | {took:.0f} |", flush=True)
    print(f"\n{len(chosen) - survived} killed, {survived} survived of {len(chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
