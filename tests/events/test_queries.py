"""events: filters on the spatial index, visibility, and photos by the multipart spec."""

import json

from backend.api.relay import from_global_id
from tests.conftest import Api, codes
from tests.events.helpers import REPORT, pick, report, report_input

EVENTS = """query($f: EventFilter, $first: Int, $after: String) { events(filter: $f,
  first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id status overdue reportedAt grid { code } location } } } }"""


def ids(r: dict) -> list[str]:
    return [e["node"]["id"] for e in r["data"]["events"]["edges"]]


def test_bbox_near_and_category_filters(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=False)
    clock.advance(days=300)
    a = report(api, "admin", cat["code"], 118.3711, 36.8111, acknowledgeDuplicate=True)["event"]
    b = report(api, "admin", cat["code"], 118.3731, 36.8111, acknowledgeDuplicate=True)["event"]
    box = [118.3705, 36.8105, 118.3720, 36.8120]  # about 130 m x 170 m around a only
    r = api.post(EVENTS, {"f": {"bbox": box}}, as_user="admin")
    assert a["id"] in ids(r) and b["id"] not in ids(r)
    near = {"point": {"lon": 118.3711, "lat": 36.8111}, "radiusM": 100}  # b is ~178 m east
    r = api.post(EVENTS, {"f": {"near": near, "categoryCode": cat["code"]}}, as_user="admin")
    assert a["id"] in ids(r) and b["id"] not in ids(r)
    big_class = cat["code"][:2]
    r = api.post(EVENTS, {"f": {"near": near, "categoryCode": big_class}}, as_user="admin")
    assert a["id"] in ids(r)
    r = api.post(EVENTS, {"f": {"near": near, "categoryCode": "99"}}, as_user="admin")
    assert ids(r) == []


def test_newest_first_and_pages(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    for k in range(7):
        report(api, "admin", cat["code"], 118.3714 + k * 1e-4, 36.8114, acknowledgeDuplicate=True)
    seen, after, pages = [], None, 0
    while True:
        r = api.post(EVENTS, {"first": 3, "after": after}, as_user="admin")
        seen += ids(r)
        pages += 1
        info = r["data"]["events"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    total = api.post(EVENTS, {"first": 0}, as_user="admin")["data"]["events"]["totalCount"]
    assert len(seen) == len(set(seen)) == total and pages >= 3
    pks = [from_global_id(i)[1] for i in seen]
    assert pks == sorted(pks, reverse=True)


def test_overdue_and_status_filters(api: Api, clock) -> None:  # type: ignore[no-untyped-def]
    cat = pick(api, self_handleable=False, unit="HOURS")
    clock.advance(days=400)
    e = report(api, "admin", cat["code"], 118.3712, 36.8112, acknowledgeDuplicate=True)["event"]
    f = {"near": {"point": {"lon": 118.3712, "lat": 36.8112}, "radiusM": 5}, "overdue": True}
    assert e["id"] not in ids(api.post(EVENTS, {"f": f}, as_user="admin"))
    clock.advance(hours=cat["resolution"] + 1)
    r = api.post(EVENTS, {"f": f}, as_user="admin")
    assert e["id"] in ids(r) and r["data"]["events"]["edges"][0]["node"]["overdue"]
    f2 = {"near": f["near"], "status": ["CLOSED"]}
    assert e["id"] not in ids(api.post(EVENTS, {"f": f2}, as_user="admin"))


def test_visibility(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    e = report(api, "agent2", cat["code"], 118.3053, 36.8253, acknowledgeDuplicate=True)["event"]
    node = 'query($id: ID!) { node(id: $id) { id } }'
    for user in ("agent", "agent2", "dispatcher", "admin"):
        assert api.post(node, {"id": e["id"]}, as_user=user)["data"]["node"]["id"] == e["id"]
    assert codes(api.post(node, {"id": e["id"]}, as_user="dispatcher_b")) == ["FORBIDDEN"]
    assert codes(api.post(EVENTS)) == ["UNAUTHENTICATED"]
    r = api.post(EVENTS, {"f": {"status": ["DISPATCHED"]}, "first": 100}, as_user="dispatcher_b")
    assert e["id"] not in ids(r)


def test_bad_filters(api: Api) -> None:
    for f in ({"bbox": [1, 2, 3]}, {"bbox": [118.4, 36.8, 118.3, 36.9]},
              {"bbox": [36.8, 118.3, 36.9, 118.4]},
              {"near": {"point": {"lon": 118.3, "lat": 36.8}, "radiusM": 0}}):
        assert codes(api.post(EVENTS, {"f": f}, as_user="admin")) == ["BAD_INPUT"], f


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def upload(api: Api, files: dict[str, tuple[str, bytes, str]], n: int) -> dict:
    cat = pick(api, self_handleable=False)
    i = report_input(cat["code"], 118.3713, 36.8113, acknowledgeDuplicate=True,
                     media=[None] * n)
    q = REPORT.replace("allowedActions", "allowedActions media { url contentType size }")
    operations = json.dumps({"query": q, "variables": {"i": i}})
    mapping = json.dumps({str(k): [f"variables.i.media.{k}"] for k in range(n)})
    token = api.token("agent")
    r = api.client.post("/graphql", data={"operations": operations, "map": mapping},
                        files=files, headers={"Authorization": f"Bearer {token}"})
    return r.json()


def test_photos_are_stored_and_served(api: Api) -> None:
    r = upload(api, {"0": ("a.png", PNG, "image/png")}, 1)
    media = r["data"]["reportEvent"]["event"]["media"]
    assert media[0]["contentType"] == "image/png" and media[0]["size"] == len(PNG)
    assert api.client.get(media[0]["url"]).content == PNG


def test_bad_photos_are_refused_and_nothing_written(api: Api) -> None:
    count = "{ events(first: 0) { totalCount } }"
    before = api.post(count, as_user="admin")["data"]["events"]["totalCount"]
    fake = upload(api, {"0": ("a.png", b"GIF89a not a png", "image/png")}, 1)
    assert fake["data"]["reportEvent"]["errors"][0]["code"] == "BAD_INPUT"
    big = upload(api, {"0": ("b.jpg", b"\xff\xd8\xff" + b"\0" * (5 << 20), "image/jpeg")}, 1)
    assert big["data"]["reportEvent"]["errors"][0]["code"] == "BAD_INPUT"
    many = upload(api, {str(k): (f"{k}.png", PNG, "image/png") for k in range(6)}, 6)
    assert many["data"]["reportEvent"]["errors"][0]["code"] == "BAD_INPUT"
    cat = pick(api, self_handleable=False)  # a string where a file belongs (no multipart)
    text = api.post(REPORT, {"i": report_input(cat["code"], 118.3713, 36.8113, media=["a.png"])},
                    as_user="agent")
    assert text["data"]["reportEvent"]["errors"][0]["code"] == "BAD_INPUT"
    assert api.post(count, as_user="admin")["data"]["events"]["totalCount"] == before


def test_edge_cursors_page_on(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    for k in range(3):
        report(api, "admin", cat["code"], 118.3716 + k * 1e-4, 36.8116, acknowledgeDuplicate=True)
    q = """query($after: String) { events(first: 2, after: $after) {
      pageInfo { endCursor } edges { cursor node { id } } } }"""
    first = api.post(q, as_user="admin")["data"]["events"]
    assert first["edges"][-1]["cursor"] == first["pageInfo"]["endCursor"]
    after = api.post(q, {"after": first["edges"][0]["cursor"]}, as_user="admin")
    assert after["data"]["events"]["edges"][0]["node"]["id"] == first["edges"][1]["node"]["id"]
