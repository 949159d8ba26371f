"""The Starlette app: /graphql (GraphiQL in a browser) and /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
from datetime import UTC

import orjson
from cross_web import HTTPException  # what strawberry raises for a malformed request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from backend.api.context import Context, LiveContext
from backend.api.errors import with_codes
from backend.api.schema import schema
from backend.config import Settings, load_settings
from backend.db.engine import make_engine, make_sessionmaker, sweep_in_batches
from backend.errors import AppError
from backend.live import Hub
from backend.services import jobs as services_jobs

log = logging.getLogger("wangge")


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages go in text frames (clients such as graphql-ws refuse
    binary ones); encode_json gives bytes, for HTTP."""

    async def send_json(self, message):  # type: ignore[no-untyped-def,override]
        try:
            await self.ws.send_text(self.view.encode_json_string(message))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class _Operations(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with the operations limit answered as every refusal is: an
    `error` message whose error has a code (strawberry's own has none)."""

    async def handle_subscribe(self, message):  # type: ignore[no-untyped-def,override]
        if (self.connection_acknowledged and message["id"] not in self.operations
                and len(self.operations) >= MAX_SUBSCRIPTIONS):
            await self.send_message({"id": message["id"], "type": "error", "payload": [{
                "message": f"at most {MAX_SUBSCRIPTIONS} operations at once on one websocket: "
                           "complete one, or open another connection",
                "extensions": {"code": "BAD_INPUT"}}]})
            return
        await super().handle_subscribe(message)


class GraphQLApp(GraphQL):
    websocket_adapter_class = _TextFrames  # type: ignore[assignment]
    graphql_transport_ws_handler_class = _Operations  # type: ignore[assignment]

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        # subscriptions: graphql-transport-ws only (API.md), not the legacy graphql-ws
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True,
                         subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
        self.sessions = sessions
        self.settings = settings
        self.hub = Hub(sessions, settings.live_poll_s)

    async def get_context(self, request, response) -> Context:  # type: ignore[override]
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        if request.scope["type"] == "websocket":
            live = request.scope[_LIVE] = LiveContext(self.sessions, self.settings, token,
                                                      self.hub)
            return live
        return Context(session=self.sessions(), settings=self.settings, token=token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                response = await self.run(Request(scope, receive))
            except HTTPException as e:  # strawberry's own answer is plain text, with no code
                response = error_response(e.status_code, e.reason)
            return await response(scope, receive, send)
        try:
            await super().__call__(scope, receive, send)
        finally:  # the socket is gone: no session of its operations outlives it
            if (live := scope.get(_LIVE)) is not None:
                live.end_all()

    async def parse_multipart(self, request):  # type: ignore[no-untyped-def,override]
        try:
            return await super().parse_multipart(request)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError, RecursionError):
            # strawberry follows the map's paths as given: one that does not fit the
            # operations (or a map that is not {field: [path]}) fails in there
            raise HTTPException(400, "the multipart map does not fit the operations: "
                                     "{\"0\": [\"variables.input.media.0\"]}") from None

    def parse_json(self, data: str | bytes) -> object:
        """An HTTP body, or a multipart request's operations or map."""
        try:
            body = json.loads(data)
        except RecursionError:  # nested past the interpreter's limit: refused, not a 500
            raise HTTPException(400, "the request body nests too deeply") from None
        except json.JSONDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(body, dict | list):  # strawberry reads any other value as a dict
            raise HTTPException(400, "the request body is a JSON object: {\"query\": ...}")
        return body

    def decode_json(self, data: str | bytes) -> object:
        """A websocket message: one nested too deeply, or not an object (which strawberry
        would index as one), is no message of the protocol: closed with 4400."""
        try:
            message = json.loads(data)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None
        if not isinstance(message, dict):
            raise json.JSONDecodeError("a message is a JSON object", "", 0)
        return message

    async def on_ws_connect(self, context: LiveContext):  # type: ignore[override]
        """connection_init: a token that does not verify closes the socket (4403) with its
        code; no token is the public, whose subscriptions answer UNAUTHENTICATED."""
        context.use_connection_params()
        try:
            context.caller  # noqa: B018 (decoded now, and kept for the connection)
        except AppError as e:
            raise ConnectionRejectionError({"code": e.code, "message": e.message}) from None
        finally:
            context.end_task()

    def encode_json(self, data: object) -> bytes:
        # A few times faster than json for a page of 50 nodes. Bodies are still read by json:
        # orjson refuses NaN before the position checks could answer with a code.
        return orjson.dumps(data)

    async def process_result(self, request, result):  # type: ignore[no-untyped-def,override]
        return await super().process_result(request, with_codes(result))


def error_response(status: int, message: str, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    """A request refused before GraphQL could answer it, in the API's shape: an error whose
    code says what kind (404 NOT_FOUND, anything else the client sent BAD_INPUT)."""
    code = "NOT_FOUND" if status == 404 else "BAD_INPUT"
    return JSONResponse({"data": None, "errors": [{"message": message,
                                                   "extensions": {"code": code}}]},
                        status, headers=headers)


async def _http_error(_: Request, e: StarletteHTTPException) -> JSONResponse:
    """Starlette's own refusals (no such path, a method /graphql does not take), which it
    answers in plain text."""
    return error_response(e.status_code, e.detail, e.headers)


MAX_SUBSCRIPTIONS = 20  # operations at once on one websocket
_LIVE = "wangge.live_context"  # a websocket's context, in its scope


class BodyLimit:
    """Refuse request bodies over the limit before they are read (413, with a code); photo
    uploads (multipart) get a larger one."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app, self.max_bytes, self.max_upload_bytes = app, max_bytes, max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        limit = (self.max_upload_bytes
                 if headers.get(b"content-type", b"").startswith(b"multipart/form-data")
                 else self.max_bytes)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await self._too_large(scope, receive, send, limit)
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await error_response(413, f"request body over {limit} bytes")(scope, receive, send)


class _TooLarge(Exception):
    pass


SWEEP_BATCH = 200  # cases a transaction: a backlog must not hold SQLite's write lock for long


def sweep_once(sessions: sessionmaker[Session], settings: Settings) -> tuple[int, int]:
    """Escalate every overdue case, in short transactions."""
    from backend.events.service import sweep

    now = settings.clock().astimezone(UTC)
    return sweep_in_batches(sessions, lambda s: sweep(s, now, SWEEP_BATCH))


async def _sweep_forever(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Escalates overdue events while the server runs (see `wangge sweep`)."""
    while True:
        try:
            await run_in_threadpool(sweep_once, sessions, settings)
            await run_in_threadpool(services_jobs.periodic, sessions, settings)
        except Exception:  # a failed sweep is retried at the next tick, never kills serving
            log.exception("sweep failed")
        await asyncio.sleep(settings.sweep_interval_s)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> BodyLimit:
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    graphql = GraphQLApp(sessions, settings)

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette):  # type: ignore[no-untyped-def]
        sweeper = asyncio.create_task(_sweep_forever(sessions, settings))
        yield
        sweeper.cancel()

    app = Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"]),
                WebSocketRoute("/graphql", graphql),
                Route("/healthz", healthz),
                Mount("/media", StaticFiles(directory=settings.media_dir, check_dir=False))],
        lifespan=lifespan if settings.sweep_interval_s > 0 else None,
        exception_handlers={404: _http_error, 405: _http_error})
    limited = BodyLimit(app, settings.max_body_bytes, settings.max_upload_bytes)
    limited.engine = engine  # type: ignore[attr-defined]
    # What was built so far (schema, mappers, tables) lives as long as the process: out of
    # the collector's sight, a full collection no longer walks it.
    gc.collect()
    gc.freeze()
    return limited
