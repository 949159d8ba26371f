"""Whatever a client sends gets a coded answer (API.md: never a 500, never an unexpected
error): every query and mutation of the schema, called by three kinds of caller with
arguments drawn from edge values (seeded: a failure names its request and replays), on a
database of its own, since the admin's calls change what other tests rely on."""

from __future__ import annotations

import base64
import json
import os
import random
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from starlette.testclient import TestClient

from backend.api.schema import schema
from backend.app import create_app
from backend.config import Settings
from backend.db.engine import make_engine
from tests.conftest import CLOCK, SECRET, Api, small_database

# argument sets per field and caller, and the seed; more of both by hand:
#   FUZZ_TURNS=200 FUZZ_SEED=7 .venv/bin/python -m pytest tests/api/test_fuzz.py
TURNS = int(os.environ.get("FUZZ_TURNS", 10))
SEED = int(os.environ.get("FUZZ_SEED", 0))
CALLERS = ("admin", "agent", None)  # None: the public
NODE_TYPES = ("Event", "Grid", "Township", "Village", "Task", "User", "Household", "Resident",
              "ServiceRequest", "Visit", "InspectionTarget", "InspectionPlan", "Device")
CODES = {"BAD_INPUT", "NOT_FOUND", "INVALID_TRANSITION", "CONFLICT", "UNAUTHENTICATED",
         "FORBIDDEN", "BEHIND"}


def _id(kind: str, pk: object) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


# For each scalar, mostly values that pass coercion (so the call reaches the services), then
# edge ones. Positions fall inside the small district, on its edge and off the globe.
SCALARS: dict[str, list[Any]] = {
    "String": ["0101", "CGJ", "巡查", "370305001", "370305001001", "", " ", "x" * 5000, "\x00",
               "SATISFIED", "2026-11-23", "<b>", "admin"],
    "Int": [1, 0, 5, 50, -1, 2**31 - 1, -(2**31)],
    "Float": [118.305, 36.8225, 118.31, 36.83, 0.0, 10.0, -1.0, 181.0, -91.0, 1e308, 5e-324],
    "Boolean": [True, False],
    "ID": [_id(k, pk) for k in NODE_TYPES for pk in (1, 2)] +
          [_id("Event", 999999), _id("Event", "x"), _id("Event", -1), "abc", ""],
    "DateTime": ["2026-11-23T09:00:00+08:00", "2026-12-01T00:00:00Z", "0001-01-01T00:00:00Z",
                 "9999-12-31T23:59:59+14:00", "2026-11-23T09:00:00", "2026-02-30T00:00:00Z",
                 "soon"],
    "Date": ["2026-11-23", "2026-10-01", "0001-01-01", "9999-12-31", "2026-02-30", "today"],
    "UUID": ["uuid", "uuid", "not-a-uuid"],  # "uuid": a fresh one
    "JSON": [{}, {"input": {}}, {"position": {"lon": 118.305, "lat": 36.8225}}, [], "x", 1,
             None],
    "GeoJSON": [{"type": "Polygon", "coordinates": [[[118.30, 36.82], [118.31, 36.82],
                                                     [118.31, 36.83], [118.30, 36.82]]]},
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
                {"type": "Point", "coordinates": [118.3, 36.8]}, {"type": "Polygon"}, "x", {}],
    "Upload": ["photo.png", None],
}


class Values:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def of(self, t: Any, depth: int = 0) -> Any:
        if isinstance(t, GraphQLNonNull):
            v = self.of(t.of_type, depth)
            return v if v is not None else self.of(t.of_type, depth)  # usually not null
        if self.rng.random() < 0.05:
            return None
        if isinstance(t, GraphQLList):
            n = self.rng.choice((0, 1, 1, 2, 3, 150))
            return [self.of(t.of_type, depth + 1) for _ in range(n)]
        if isinstance(t, GraphQLEnumType):
            return self.rng.choice(list(t.values))
        if isinstance(t, GraphQLInputObjectType):
            if depth > 3:
                return None
            return {name: self.of(f.type, depth + 1) for name, f in t.fields.items()
                    if isinstance(f.type, GraphQLNonNull) or self.rng.random() < 0.6}
        assert isinstance(t, GraphQLScalarType), t
        pool = SCALARS[t.name]
        v = pool[0] if self.rng.random() < 0.35 else self.rng.choice(pool)
        return str(uuid.uuid4()) if v == "uuid" else v


def _selection(t: Any, depth: int = 0) -> str:
    """`__typename` and the leaf fields without required arguments, two levels deep."""
    named = get_named_type(t)
    if isinstance(named, GraphQLUnionType):
        return "{ __typename }"
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts = ["__typename"]
    for name, f in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in f.args.values()):
            continue
        inner = get_named_type(f.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth < 1 and not name.startswith("__"):
            parts.append(f"{name} {_selection(f.type, depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def _document(kind: str, name: str, field: Any) -> str:
    variables = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    arguments = ", ".join(f"{a}: ${a}" for a in field.args)
    return (f"{kind}{f'({variables})' if variables else ''} {{ {name}"
            f"{f'({arguments})' if arguments else ''} {_selection(field.type)} }}")


FIELDS = [("query", name, f) for name, f in schema._schema.query_type.fields.items()] + \
    [("mutation", name, f) for name, f in schema._schema.mutation_type.fields.items()]


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url, drop = small_database(tmp_path_factory.mktemp("fuzz"))
    engine = make_engine(url)
    settings = Settings(database_url=url, secret=SECRET, clock=CLOCK, sweep_interval_s=0,
                        media_dir=tmp_path_factory.mktemp("fuzz-media"))
    try:
        with TestClient(create_app(settings, engine), raise_server_exceptions=False) as c:
            yield Api(c)
    finally:
        engine.dispose()
        drop()


def _uncoded(body: dict) -> list[dict]:
    """Top-level errors and payload errors whose code is missing or INTERNAL."""
    bad = [e for e in body.get("errors") or []
           if (e.get("extensions") or {}).get("code") not in CODES]

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "errors" and isinstance(x, list):
                    bad.extend(e for e in x if isinstance(e, dict) and e.get("code") not in CODES)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(body.get("data"))
    return bad


@pytest.mark.parametrize(("kind", "name", "field"), FIELDS, ids=[f[1] for f in FIELDS])
def test_every_answer_has_a_code(fuzz_api: Api, kind: str, name: str, field: Any) -> None:
    document = _document(kind, name, field)
    values = Values(zlib.crc32(name.encode()) + SEED)
    failures = []
    for turn in range(TURNS):
        for caller in CALLERS:
            variables = {a: values.of(arg.type) for a, arg in field.args.items()}
            headers = {"Authorization": f"Bearer {fuzz_api.token(caller)}"} if caller else {}
            r = fuzz_api.client.post("/graphql", headers=headers,
                                     json={"query": document, "variables": variables})
            body = r.json() if r.headers.get("content-type", "").startswith(
                "application/json") else {"status": r.status_code, "text": r.text[:300]}
            bad = _uncoded(body) if r.status_code in (200, 400, 413) else [body]
            if bad:
                failures.append(f"turn {turn} as {caller}: {json.dumps(variables)[:600]}\n"
                                f"  -> {r.status_code} {json.dumps(bad, ensure_ascii=False)[:600]}")
    assert not failures, f"{document}\n" + "\n".join(failures[:5])


# The same over a websocket (graphql-transport-ws: queries and mutations run there too), a
# connection per field and caller, fewer turns (each is an operation on the socket).
WS_TURNS = max(1, TURNS // 5)


@pytest.mark.parametrize(("kind", "name", "field"), FIELDS, ids=[f[1] for f in FIELDS])
def test_every_answer_over_a_websocket_has_a_code(fuzz_api: Api, kind: str, name: str,
                                                  field: Any) -> None:
    document = _document(kind, name, field)
    values = Values(zlib.crc32(name.encode()) + SEED + 1)
    failures = []
    for caller in CALLERS:
        with fuzz_api.client.websocket_connect("/graphql",
                                               subprotocols=["graphql-transport-ws"]) as ws:
            auth = {"authorization": f"Bearer {fuzz_api.token(caller)}"} if caller else {}
            ws.send_json({"type": "connection_init", "payload": auth})
            assert ws.receive_json()["type"] == "connection_ack"
            for turn in range(WS_TURNS):
                variables = {a: values.of(arg.type) for a, arg in field.args.items()}
                ws.send_json({"id": str(turn), "type": "subscribe",
                              "payload": {"query": document, "variables": variables}})
                bad = []
                while (m := ws.receive_json())["type"] != "complete":
                    if m["type"] == "next":
                        bad += _uncoded(m["payload"])
                    elif m["type"] == "error":
                        bad += [e for e in m["payload"]
                                if (e.get("extensions") or {}).get("code") not in CODES]
                        break
                    else:
                        bad.append(m)
                        break
                if bad:
                    failures.append(f"turn {turn} as {caller}: {json.dumps(variables)[:600]}\n"
                                    f"  -> {json.dumps(bad, ensure_ascii=False)[:600]}")
    assert not failures, f"{document}\n" + "\n".join(failures[:5])


# Photos by the multipart request spec (reportEvent's media; syncBatch's ride in its JSON and
# have tests of their own): files of every kind where the values put a file (an image, a
# fake, nothing, one too big).
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
FILES = [("a.png", PNG, "image/png"), ("a.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg"),
         ("a.png", b"GIF89a not a png", "image/png"), ("a.txt", b"", "text/plain"),
         ("a.webp", b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 32, "image/webp"),
         ("big.png", PNG + b"\0" * (5 << 20), "image/png")]


def _file_paths(value: Any, path: str) -> Iterator[str]:
    """Where the values put a file ("photo.png"), as multipart map paths."""
    if value == "photo.png":
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _file_paths(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _file_paths(v, f"{path}.{i}")


def _without_files(value: Any) -> Any:
    if value == "photo.png":
        return None
    if isinstance(value, dict):
        return {k: _without_files(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_files(v) for v in value]
    return value


UPLOADS = [f for f in FIELDS if f[1] == "reportEvent"]


@pytest.mark.parametrize(("kind", "name", "field"), UPLOADS, ids=[f[1] for f in UPLOADS])
def test_every_multipart_answer_has_a_code(fuzz_api: Api, kind: str, name: str,
                                           field: Any) -> None:
    document = _document(kind, name, field)
    values = Values(zlib.crc32(name.encode()) + SEED + 2)
    rng = random.Random(SEED)
    failures = []
    for turn in range(TURNS * 3):
        for caller in CALLERS:
            variables = {a: values.of(arg.type) for a, arg in field.args.items()}
            paths = list(_file_paths(variables, "variables"))
            if not paths:
                continue
            # mostly real photos, sometimes the rest (the big one rarely: it costs 5 MiB)
            files = {str(k): (rng.choice(FILES[:2]) if rng.random() < 0.6
                              else rng.choice(FILES[2:] if rng.random() < 0.9 else FILES))
                     for k in range(len(paths))}
            headers = {"Authorization": f"Bearer {fuzz_api.token(caller)}"} if caller else {}
            r = fuzz_api.client.post("/graphql", headers=headers, files=files, data={
                "operations": json.dumps({"query": document,
                                          "variables": _without_files(variables)}),
                "map": json.dumps({str(k): [p] for k, p in enumerate(paths)})})
            body = r.json() if r.headers.get("content-type", "").startswith(
                "application/json") else {"status": r.status_code, "text": r.text[:300]}
            bad = _uncoded(body) if r.status_code in (200, 400, 413) else [body]
            if bad:
                failures.append(f"turn {turn} as {caller}: {paths} "
                                f"{[f[0] for f in files.values()]}\n"
                                f"  -> {r.status_code} {json.dumps(bad, ensure_ascii=False)[:600]}")
    assert not failures, f"{document}\n" + "\n".join(failures[:5])
