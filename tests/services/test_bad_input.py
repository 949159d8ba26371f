"""Every bad input of the issue: a clear error, and nothing written (requests, their
history, visits, tasks counted before and after)."""

import uuid

from sqlalchemy.orm import Session

from tests.conftest import Api, codes
from tests.services.conftest import Corner, table_counts
from tests.services.helpers import REQUEST, TRANSITION, act, check_in, request, request_input


def _error(r: dict, field: str) -> str:
    """The code of a top-level error, else of the payload's first error."""
    if r.get("errors"):
        return codes(r)[0]
    errors = r["data"][field]["errors"]
    assert r["data"][field][{"requestService": "request", "checkInVisit": "visit",
                             "transitionServiceRequest": "request"}[field]] is None
    return errors[0]["code"] if errors else "OK"


def test_visit_by_an_agent_not_assigned(api: Api, corner: Corner, session: Session) -> None:
    home = corner.s1[0]
    r = request(api, "svc_a", "RS02", home.id, channel="ROUND")
    before = table_counts(session)
    # the other agent of the same grid sees the request but is not its agent
    same_grid = check_in(api, "svc_b", r["id"], home.lon, home.lat)
    assert _error(same_grid, "checkInVisit") == "FORBIDDEN"
    assert "assignee" in same_grid["errors"][0]["message"]
    # an agent of another grid does not even see it
    assert _error(check_in(api, "agent", r["id"], home.lon, home.lat),
                  "checkInVisit") == "FORBIDDEN"
    assert table_counts(session) == before


def test_check_in_far_outside_the_district(api: Api, corner: Corner, session: Session) -> None:
    home = corner.s1[1]
    r = request(api, "svc_a", "RS02", home.id, channel="ROUND")
    before = table_counts(session)
    beijing = check_in(api, "svc_a", r["id"], 116.397, 39.909)
    assert _error(beijing, "checkInVisit") == "BAD_INPUT"
    err = beijing["data"]["checkInVisit"]["errors"][0]
    assert err["field"] == "position" and "far outside the district" in err["message"]
    # and a position that is no position at all
    assert _error(check_in(api, "svc_a", r["id"], 36.8, 118.45), "checkInVisit") == "BAD_INPUT"
    assert table_counts(session) == before


def test_transition_out_of_order(api: Api, corner: Corner, session: Session) -> None:
    home = corner.s1[2]
    r = request(api, "svc_a", "RS02", home.id, channel="ROUND")
    gone = request(api, "svc_a", "RS02", home.id, channel="ROUND")
    assert act(api, "dispatcher_b", gone["id"], "CANCEL", n="居民已自行办理")["errors"] == []
    before = table_counts(session)
    for user, action in (("svc_a", "SUBMIT"), ("svc_a", "DELIVER"), ("clerk_rs", "APPROVE"),
                         ("svc_a", "CLOSE")):
        out = api.post(TRANSITION, {"id": r["id"], "a": action}, as_user=user)
        assert _error(out, "transitionServiceRequest") == "INVALID_TRANSITION", action
    # a visit to a cancelled request is out of order too
    late = check_in(api, "svc_a", gone["id"], home.lon, home.lat)
    assert _error(late, "checkInVisit") == "INVALID_TRANSITION"
    assert table_counts(session) == before


def test_request_for_an_item_a_proxy_may_not_do(api: Api, corner: Corner,
                                                session: Session) -> None:
    before = table_counts(session)
    out = api.post(REQUEST, {"i": request_input("GA04", corner.s1[0].id)},
                   as_user="dispatcher_b")
    assert _error(out, "requestService") == "BAD_INPUT"
    err = out["data"]["requestService"]["errors"][0]
    assert err["field"] == "itemCode" and "in person" in err["message"]
    unknown = api.post(REQUEST, {"i": request_input("XX99", corner.s1[0].id)},
                       as_user="dispatcher_b")
    assert _error(unknown, "requestService") == "NOT_FOUND"
    assert table_counts(session) == before


def test_replayed_client_id_with_other_content(api: Api, corner: Corner,
                                               session: Session) -> None:
    home = corner.s1[3]
    i = request_input("RS02", home.id, home.resident_ids[0])
    first = api.post(REQUEST, {"i": i}, as_user="dispatcher_b")["data"]["requestService"]
    before = table_counts(session)
    same = api.post(REQUEST, {"i": i}, as_user="dispatcher_b")["data"]["requestService"]
    assert same["errors"] == [] and same["request"]["id"] == first["request"]["id"]
    assert same == first  # the first answer in full
    other = api.post(REQUEST, {"i": {**i, "itemCode": "RS05"}}, as_user="dispatcher_b")
    assert _error(other, "requestService") == "CONFLICT"
    assert other["data"]["requestService"]["errors"][0]["field"] == "clientId"
    assert table_counts(session) == before
    # and for a visit
    agent = first["request"]["assignee"]["username"]
    cid = str(uuid.uuid4())
    ok = check_in(api, agent, first["request"]["id"], home.lon, home.lat, client_id=cid)
    assert ok["data"]["checkInVisit"]["errors"] == []
    before = table_counts(session)
    moved = check_in(api, agent, first["request"]["id"], home.lon + 0.001, home.lat,
                     client_id=cid)
    assert _error(moved, "checkInVisit") == "CONFLICT"
    assert table_counts(session) == before


def test_resident_outside_the_callers_jurisdiction(api: Api, corner: Corner,
                                                   session: Session) -> None:
    home = corner.s1[4]
    before = table_counts(session)
    # 辛店's dispatcher and 东关's agent do not serve 凤凰镇's residents
    for user in ("dispatcher", "agent"):
        out = api.post(REQUEST, {"i": request_input("MZ01", home.id, home.resident_ids[0],
                                                    channel="APP")}, as_user=user)
        assert _error(out, "requestService") == "FORBIDDEN", user
    # nor may the resident be slipped in behind a household the caller does see
    agent_home = api.post('{ households(first: 1) { edges { node { id } } } }',
                          as_user="agent")["data"]["households"]["edges"][0]["node"]["id"]
    out = api.post(REQUEST, {"i": request_input("MZ01", agent_home, home.resident_ids[0],
                                                channel="APP")}, as_user="agent")
    assert _error(out, "requestService") == "FORBIDDEN"
    q = 'query($id: ID!) { node(id: $id) { ... on Resident { name } } }'
    assert codes(api.post(q, {"id": home.resident_ids[0]}, as_user="agent")) == ["FORBIDDEN"]
    # a resident of another household of the caller's own jurisdiction is named as such
    mixed = api.post(REQUEST, {"i": request_input("MZ01", corner.s1[5].id,
                                                  home.resident_ids[0])},
                     as_user="dispatcher_b")
    assert _error(mixed, "requestService") == "BAD_INPUT"
    assert table_counts(session) == before


def test_public_and_wrong_channel(api: Api, corner: Corner, session: Session) -> None:
    before = table_counts(session)
    out = api.post(REQUEST, {"i": request_input("RS02", corner.s1[0].id)})
    assert codes(out) == ["UNAUTHENTICATED"]
    # a ROUND request comes from an agent of the grid, a HOTLINE one from the centre
    assert _error(api.post(REQUEST, {"i": request_input("RS02", corner.s1[0].id,
                                                        channel="ROUND")},
                           as_user="dispatcher_b"), "requestService") == "BAD_INPUT"
    assert _error(api.post(REQUEST, {"i": request_input("RS02", corner.s1[0].id,
                                                        channel="HOTLINE")},
                           as_user="svc_a"), "requestService") == "BAD_INPUT"
    assert table_counts(session) == before
