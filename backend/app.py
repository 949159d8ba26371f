"""The Starlette app: /graphql (GraphiQL in a browser) and /healthz."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from backend.api.context import Context
from backend.api.errors import with_codes
from backend.api.schema import schema
from backend.config import Settings, load_settings
from backend.db.engine import make_engine, make_sessionmaker


class GraphQLApp(GraphQL):
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.sessions = sessions
        self.settings = settings

    async def get_context(self, request, response) -> Context:  # type: ignore[override]
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        return Context(session=self.sessions(), settings=self.settings, token=token)

    async def process_result(self, request, result):  # type: ignore[no-untyped-def,override]
        return await super().process_result(request, with_codes(result))


class BodyLimit:
    """Refuse request bodies over the limit before they are read (413, with a code)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._too_large(scope, receive, send)
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {"errors": [{"message": f"request body over {self.max_bytes} bytes",
                            "extensions": {"code": "BAD_INPUT"}}]}
        await JSONResponse(body, status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> BodyLimit:
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url)
    graphql = GraphQLApp(make_sessionmaker(engine), settings)

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"]),
                            Route("/healthz", healthz)])
    limited = BodyLimit(app, settings.max_body_bytes)
    limited.engine = engine  # type: ignore[attr-defined]
    return limited
