"""Malformed and oversized requests get a coded error, never a 500."""

import json
import uuid

from tests.conftest import Api, codes
from tests.events.helpers import pick


def test_syntax_error_is_bad_input(api: Api) -> None:
    assert codes(api.post("{ grids { ")) == ["BAD_INPUT"]


def test_unknown_field_is_bad_input(api: Api) -> None:
    assert codes(api.post("{ spaceships { id } }")) == ["BAD_INPUT"]


def test_oversized_body_is_refused(api: Api) -> None:
    r = api.client.post("/graphql", content=b'{"query": "' + b" " * (2 << 20) + b'{ me { id } }"}',
                        headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


def test_deep_query_is_refused(api: Api) -> None:
    deep = "{ me { " + "grids { agents { " * 6 + "id" + " } }" * 6 + " } }"
    r = api.post(deep, as_user="admin")
    assert codes(r) == ["BAD_INPUT"] and "depth" in r["errors"][0]["message"]


def test_many_aliases_are_refused(api: Api) -> None:
    q = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(40)) + " }"
    assert codes(api.post(q, as_user="admin")) == ["BAD_INPUT"]


def test_graphiql_is_served_to_browsers(api: Api) -> None:
    r = api.client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


def test_healthz(api: Api) -> None:
    assert api.client.get("/healthz").text == "ok"


def test_a_nul_character_in_any_text_is_bad_input_and_writes_nothing(api: Api) -> None:
    # PostgreSQL refuses it in text (it answered INTERNAL before); SQLite would have stored it
    count = "{ events(first: 0) { totalCount } }"
    before = api.post(count, as_user="admin")["data"]["events"]["totalCount"]
    i = {"clientId": str(uuid.uuid4()), "categoryCode": pick(api, self_handleable=False)["code"],
         "description": "垃圾\x00堆放", "location": {"lon": 118.305, "lat": 36.8225}}
    q = "mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id } } }"
    r = api.post(q, {"i": i}, as_user="agent")
    assert codes(r) == ["BAD_INPUT"] and "NUL" in r["errors"][0]["message"]
    deep = {"u": "admin", "p": "x", "nested": {"list": ["ok", "\x00"]}}  # unused, still checked
    login = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
    assert codes(api.post(login, deep)) == ["BAD_INPUT"]
    assert codes(api.post('mutation { login(username: "ad\\u0000min", password: "x") '
                          "{ token } }")) == ["BAD_INPUT"]
    assert api.post(count, as_user="admin")["data"]["events"]["totalCount"] == before


LOGIN_Q = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"
PHOTO_Q = json.dumps({"query": "mutation($i: ReportEventInput!) { reportEvent(input: $i) "
                               "{ errors { code } } }", "variables": {"i": {"media": [None]}}})


def _nested(depth: int) -> bytes:
    return json.dumps({"query": LOGIN_Q, "variables": {"u": "a", "p": "b"}}).encode()[:-2] + \
        b', "x": ' + b"[" * depth + b"]" * depth + b"}}"


def test_malformed_requests_get_a_json_answer_with_a_code(api: Api) -> None:
    # strawberry answers these in plain text with no code, and a few not at all (a 500)
    plain = {"content-type": "application/json"}
    bodies = [b"{not json", b'{"variables": {}}', b"[]", b'"x"', b"null", b"7",
              _nested(5000), _nested(100_000)]
    answers = [api.client.post("/graphql", content=b, headers=plain) for b in bodies]
    answers.append(api.client.post("/graphql", content=b"{ me { id } }",
                                   headers={"content-type": "text/plain"}))
    for mapping, files in [('{"0": ["variables.i.media.0"]}', {"1": b"x"}),  # no such file
                           ('["x"]', {"0": b"x"}), ('"x"', {"0": b"x"}), ("{bad", {"0": b"x"}),
                           ('{"0": ["variables.i.media.0.x.y"]}', {"0": b"x"}),  # into a file
                           ('{"0": ["variables.i.media.7"]}', {"0": b"x"}),
                           ('{"0": ["variables.i.media.a"]}', {"0": b"x"})]:
        answers.append(api.client.post("/graphql", data={"operations": PHOTO_Q, "map": mapping},
                                       files={k: ("a.png", v) for k, v in files.items()}))
    for r in answers:
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT", r.text
    # nested as deep as the JSON reader allows: read, and answered as usual
    ok = api.client.post("/graphql", content=_nested(500), headers=plain).json()
    assert ok["data"]["login"]["token"] is None and "errors" not in ok


def test_a_time_without_its_zone_is_bad_input(api: Api) -> None:
    # API.md: times carry their zone. A naive one met an aware one in stats: INTERNAL before.
    q = ("query($s: ID!, $f: DateTime, $t: DateTime) { stats(scope: {townshipId: $s}, "
         "from: $f, to: $t) { total } }")
    township = api.post("{ townships { edges { node { id } } } }",
                        as_user="admin")["data"]["townships"]["edges"][0]["node"]["id"]
    for f, t in (("2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00Z"),
                 ("2026-11-01T00:00:00+08:00", None)):
        ok = api.post(q, {"s": township, "f": f, "t": t}, as_user="admin")
        assert "errors" not in ok and ok["data"]["stats"]["total"] >= 0, ok
    for f in ("2026-11-01T00:00:00", "2026-11-01", "soon", "2026-02-30T00:00:00Z", 20261101):
        r = api.post(q, {"s": township, "f": f, "t": "2026-12-01T00:00:00+08:00"}, as_user="admin")
        assert codes(r) == ["BAD_INPUT"], (f, r)
    inline = ('query($s: ID!) { stats(scope: {townshipId: $s}, from: "2026-11-01T00:00:00") '
              "{ total } }")
    assert codes(api.post(inline, {"s": township}, as_user="admin")) == ["BAD_INPUT"]


def test_other_methods_and_paths_answer_in_the_api_shape(api: Api) -> None:
    # Starlette refused them in plain text, without a code
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        r = api.client.request(method, "/graphql", content=b'{"query": "{ me { id } }"}',
                               headers={"content-type": "application/json"})
        assert r.status_code == 405, (method, r.text)
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT", (method, r.text)
        assert "POST" in r.headers["allow"]
    r = api.client.get("/graphq")
    assert r.status_code == 404 and r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
