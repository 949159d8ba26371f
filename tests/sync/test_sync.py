"""syncBatch replays a phone's offline queue: each operation as its mutation, in order, each
once; a batch sent again is answered from the first run and changes nothing."""

import json
import uuid

from tests.conftest import Api, codes
from tests.events.helpers import pick, report

SYNC = """mutation($ops: [SyncOpInput!]!) { syncBatch(ops: $ops) {
  clientId operation ok id replayed errors { field code message } } }"""
HISTORY = "query($id: ID!) { node(id: $id) { ... on Event { status history { action } } } }"
INSIDE = (118.305, 36.8225)


def op(operation: str, **arguments: object) -> dict:
    return {"clientId": str(uuid.uuid4()), "operation": operation, "arguments": arguments}


def sync(api: Api, user: str | None, ops: list[dict]) -> list[dict]:
    r = api.post(SYNC, {"ops": ops}, as_user=user)
    assert "errors" not in r, r
    return r["data"]["syncBatch"]


def test_a_queue_is_replayed_in_order_and_once(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    case = report(api, "agent", cat["code"], *INSIDE, acknowledgeDuplicate=True)["event"]
    assert case["status"] == "DISPATCHED" and case["assignee"]["username"] == "agent"
    queued = {"clientId": str(uuid.uuid4()), "categoryCode": cat["code"],
              "description": "离线上报", "location": {"lon": INSIDE[0], "lat": INSIDE[1]},
              "acknowledgeDuplicate": True}
    ops = [op("TRANSITION_EVENT", id=case["id"], action="ACCEPT"),
           op("PING_LOCATION", position={"lon": INSIDE[0], "lat": INSIDE[1]}),
           op("TRANSITION_EVENT", id=case["id"], action="START", note="到场"),
           {"clientId": queued["clientId"], "operation": "REPORT_EVENT",
            "arguments": {"input": queued}, "at": "2026-06-01T08:00:00+08:00"}]
    first = sync(api, "agent", ops)
    assert [r["ok"] for r in first] == [True] * 4, first
    assert [r["clientId"] for r in first] == [o["clientId"] for o in ops]
    assert first[0]["id"] == first[2]["id"] == case["id"] and first[1]["id"] is None
    assert first[3]["id"] and not any(r["replayed"] for r in first)
    again = sync(api, "agent", ops)  # the answer was lost: the phone sends the batch again
    assert [(r["ok"], r["id"], r["replayed"]) for r in again] == \
        [(True, r["id"], True) for r in first]
    e = api.post(HISTORY, {"id": case["id"]}, as_user="agent")["data"]["node"]
    assert e["status"] == "IN_PROGRESS"
    assert [h["action"] for h in e["history"]].count("ACCEPT") == 1


def test_failures_do_not_stop_the_queue_and_are_tried_again(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    case = report(api, "agent", cat["code"], *INSIDE, acknowledgeDuplicate=True)["event"]
    early = op("TRANSITION_EVENT", id=case["id"], action="SUBMIT_RESULT", note="done")
    ops = [early, op("TRANSITION_EVENT", id=case["id"], action="ACCEPT"),
           op("TRANSITION_EVENT", id="RXZlbnQ6OTk5OTk5OQ==", action="ACCEPT"),
           op("PING_LOCATION", position={"lon": 200, "lat": 36.8})]
    r = sync(api, "agent", ops)
    assert [x["ok"] for x in r] == [False, True, False, False]
    assert r[0]["errors"][0]["code"] == "INVALID_TRANSITION"
    assert r[2]["errors"][0]["code"] == "NOT_FOUND"
    assert r[3]["errors"][0]["code"] == "BAD_INPUT"
    # a failed operation wrote nothing and was not kept: sent again, it runs again
    start = op("TRANSITION_EVENT", id=case["id"], action="START")
    r = sync(api, "agent", [start, early])
    assert [x["ok"] for x in r] == [True, True] and not r[1]["replayed"]


def test_a_client_id_with_other_content_is_a_conflict(api: Api) -> None:
    ping = op("PING_LOCATION", position={"lon": INSIDE[0], "lat": INSIDE[1]})
    assert sync(api, "agent", [ping])[0]["ok"]
    other = {**ping, "arguments": {"position": {"lon": INSIDE[0] + 0.01, "lat": INSIDE[1]}}}
    r = sync(api, "agent", [other])[0]
    assert not r["ok"] and r["errors"][0]["code"] == "CONFLICT"
    r = sync(api, "agent2", [ping])[0]  # someone else's clientId
    assert not r["ok"] and r["errors"][0]["code"] == "CONFLICT"


def test_bad_operations_get_codes(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    given = str(uuid.uuid4())
    bad = [op("PING_LOCATION", point={"lon": 1, "lat": 2}),  # not an argument of it
           op("PING_LOCATION", position={"lon": "east", "lat": 36.8}),  # wrong type
           op("REPORT_EVENT"),  # no input
           {**op("REPORT_EVENT", input={"clientId": given, "categoryCode": cat["code"],
                                          "description": "x", "location": {"lon": INSIDE[0],
                                                                           "lat": INSIDE[1]}})},
           op("PING_LOCATION", position={"lon": INSIDE[0], "lat": INSIDE[1]})]
    r = sync(api, "dispatcher", bad)
    assert [x["ok"] for x in r] == [False] * 5
    assert [x["errors"][0]["code"] for x in r] == ["BAD_INPUT", "BAD_INPUT", "BAD_INPUT",
                                                   "BAD_INPUT", "FORBIDDEN"]
    assert "differ" in r[3]["errors"][0]["message"]
    ops = [op("PING_LOCATION", position={"lon": INSIDE[0], "lat": INSIDE[1]})] * 101
    assert codes(api.post(SYNC, {"ops": ops}, as_user="agent")) == ["BAD_INPUT"]
    assert codes(api.post(SYNC, {"ops": ops[:1]})) == ["UNAUTHENTICATED"]
    unknown = api.post(SYNC, {"ops": [{**ops[0], "operation": "DROP_TABLE"}]}, as_user="agent")
    assert codes(unknown) == ["BAD_INPUT"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
MEDIA = "query($id: ID!) { node(id: $id) { ... on Event { media { url contentType size } } } }"


def queued_report(api: Api, photos: int) -> dict:
    cat = pick(api, self_handleable=True)
    i = {"clientId": str(uuid.uuid4()), "categoryCode": cat["code"], "description": "离线带图",
         "location": {"lon": INSIDE[0], "lat": INSIDE[1]}, "acknowledgeDuplicate": True,
         "media": [None] * photos}
    return {"clientId": i["clientId"], "operation": "REPORT_EVENT", "arguments": {"input": i}}


def sync_files(api: Api, ops: list[dict], files: dict[str, list[tuple[str, bytes]]]) -> dict:
    """syncBatch by the multipart request spec: files by operation index, into its
    input.media."""
    mapping, parts = {}, {}
    for n, photos in files.items():
        for k, (name, data) in enumerate(photos):
            mapping[f"{n}.{k}"] = [f"variables.ops.{n}.arguments.input.media.{k}"]
            parts[f"{n}.{k}"] = (name, data, "image/png")
    r = api.client.post("/graphql", files=parts, headers={
        "Authorization": f"Bearer {api.token('agent')}"}, data={
        "operations": json.dumps({"query": SYNC, "variables": {"ops": ops}}),
        "map": json.dumps(mapping)})
    body = r.json()
    assert "errors" not in body, body
    return body["data"]["syncBatch"]


def test_a_queued_report_carries_its_photos(api: Api) -> None:
    one, two = queued_report(api, 1), queued_report(api, 2)
    other = PNG + b"other"
    files = {"0": [("a.png", PNG)], "1": [("b.png", PNG), ("c.png", other)]}
    first = sync_files(api, [one, two], files)
    assert [r["ok"] for r in first] == [True, True], first
    media = [api.post(MEDIA, {"id": r["id"]}, as_user="agent")["data"]["node"]["media"]
             for r in first]
    assert [[m["size"] for m in ms] for ms in media] == [[len(PNG)], [len(PNG), len(other)]]
    assert api.client.get(media[1][1]["url"]).content == other
    again = sync_files(api, [one, two], files)  # the answer was lost
    assert [(r["ok"], r["id"], r["replayed"]) for r in again] == \
        [(True, r["id"], True) for r in first]
    assert api.post(MEDIA, {"id": first[1]["id"]}, as_user="agent")["data"]["node"]["media"] \
        == media[1]
    swapped = sync_files(api, [one], {"0": [("a.png", other)]})[0]  # same clientId, other photo
    assert not swapped["ok"] and swapped["errors"][0]["code"] == "CONFLICT"


def test_a_queued_report_with_bad_photos_writes_nothing(api: Api) -> None:
    count = "{ events(first: 0) { totalCount } }"
    before = api.post(count, as_user="admin")["data"]["events"]["totalCount"]
    fake, unmapped, text = queued_report(api, 1), queued_report(api, 2), queued_report(api, 0)
    text["arguments"]["input"]["media"] = ["a photo"]  # JSON where a file belongs
    r = sync_files(api, [fake, unmapped, text], {"0": [("a.png", b"GIF89a")],
                                                 "1": [("b.png", PNG)]})
    assert [x["ok"] for x in r] == [False] * 3
    assert [x["errors"][0]["code"] for x in r] == ["BAD_INPUT"] * 3
    assert "media.1 is not a file" in r[1]["errors"][0]["message"]
    assert api.post(count, as_user="admin")["data"]["events"]["totalCount"] == before


def test_every_operation_is_a_valid_mutation_of_the_schema() -> None:
    """Each operation's document validates against the schema (a misspelt field would only
    show when a phone first queued that operation)."""
    from graphql import parse, validate

    from backend.api.schema import schema
    from backend.sync.schema import DOCUMENTS

    for name, (document, _) in DOCUMENTS.items():
        assert validate(schema._schema, parse(document)) == [], name
