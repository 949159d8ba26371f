"""The service-request lifecycle as a role × action × state table: exhaustively on the
table itself, and through the real endpoint. The expected table is written out here on
purpose, independently of backend/services/workflow.py: if the two disagree, one is wrong."""

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.errors import Forbidden, InvalidTransition
from backend.services.workflow import SERVICES, STATUSES
from tests.conftest import START, Api, codes
from tests.services.conftest import Corner
from tests.services.helpers import EVALUATE, TRANSITION, act, check_in, request

CENTRE = {"dispatcher", "supervisor", "admin"}
OPEN = ("REQUESTED", "ASSIGNED", "SCHEDULED", "VISITED", "SUBMITTED", "APPROVED", "REJECTED")
ALLOWED = {
    ("ASSIGN", "REQUESTED"): CENTRE | {"system"},
    ("SCHEDULE", "ASSIGNED"): {"assignee"}, ("SCHEDULE", "SCHEDULED"): {"assignee"},
    **{("VISIT", s): {"assignee"} for s in ("ASSIGNED", "SCHEDULED", "VISITED")},
    ("SUBMIT", "VISITED"): {"assignee"},
    ("APPROVE", "SUBMITTED"): {"department"}, ("REJECT", "SUBMITTED"): {"department"},
    ("DELIVER", "APPROVED"): {"assignee"}, ("DELIVER", "REJECTED"): {"assignee"},
    ("CLOSE", "DELIVERED"): {"assignee"} | CENTRE,
    **{("CANCEL", s): {"requester"} | CENTRE for s in ("REQUESTED", "ASSIGNED", "SCHEDULED")},
    **{("REASSIGN", s): CENTRE for s in OPEN if s != "REQUESTED"},
    **{("ESCALATE", s): {"supervisor", "admin", "system"} for s in OPEN},
}
TARGET = {"ASSIGN": "ASSIGNED", "SCHEDULE": "SCHEDULED", "VISIT": "VISITED",
          "SUBMIT": "SUBMITTED", "APPROVE": "APPROVED", "REJECT": "REJECTED",
          "DELIVER": "DELIVERED", "CLOSE": "CLOSED", "CANCEL": "CANCELLED"}
RELATIONS = ("assignee", "requester", "department", "dispatcher", "supervisor", "admin",
             "system")
ACTIONS = ("ASSIGN", "SCHEDULE", "VISIT", "SUBMIT", "APPROVE", "REJECT", "DELIVER", "CLOSE",
           "CANCEL", "REASSIGN", "ESCALATE")


@pytest.mark.parametrize("state", STATUSES)
def test_the_table_role_by_action_by_state(state: str) -> None:
    for action in ACTIONS:
        for rel in RELATIONS:
            allowed = ALLOWED.get((action, state))
            if allowed is None:
                with pytest.raises(InvalidTransition, match=state):
                    SERVICES.apply(state, action, frozenset({rel}))
            elif rel in allowed:
                assert SERVICES.apply(state, action, frozenset({rel})) == TARGET.get(action,
                                                                                     state)
            else:
                with pytest.raises(Forbidden):
                    SERVICES.apply(state, action, frozenset({rel}))


def test_terminal_states_allow_nothing() -> None:
    assert SERVICES.allowed("CLOSED") == [] and SERVICES.allowed("CANCELLED") == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(RELATIONS)), max_size=30))
def test_any_walk_stays_in_the_lifecycle(steps: list[tuple[str, str]]) -> None:
    """Whatever is tried, the state only moves along the table, and only forward: a request
    never goes back to REQUESTED, and once CLOSED or CANCELLED it stays."""
    order = {s: i for i, s in enumerate(("REQUESTED", "ASSIGNED", "SCHEDULED", "VISITED",
                                         "SUBMITTED", "APPROVED", "DELIVERED", "CLOSED"))}
    order.update(REJECTED=order["APPROVED"], CANCELLED=99)
    state = "REQUESTED"
    for action, rel in steps:
        try:
            after = SERVICES.apply(state, action, frozenset({rel}))
        except (InvalidTransition, Forbidden):
            continue
        assert after in STATUSES
        assert order[after] >= order[state]
        state = after


# --- through the endpoint ------------------------------------------------------------------

API_ACTIONS = ("ASSIGN", "SCHEDULE", "SUBMIT", "APPROVE", "REJECT", "DELIVER", "CLOSE",
               "CANCEL", "ESCALATE")
ACTORS = ("svc_a", "svc_b", "agent", "dispatcher_b", "clerk_rs", "clerk_mz", "supervisor")
WHEN = START.replace(hour=15).isoformat()
ITEM = "RS02"  # 人社局: clerk_rs decides it, clerk_mz does not see it


def relation(actor: str, state: str) -> str | None:
    if actor == "svc_a":
        return None if state == "REQUESTED" else "assignee"
    return {"dispatcher_b": "dispatcher", "clerk_rs": "department",
            "supervisor": "supervisor"}.get(actor)


def expected(state: str, action: str, actor: str) -> str:
    sees = actor in ("dispatcher_b", "clerk_rs", "supervisor") or (
        actor in ("svc_a", "svc_b") and state != "REQUESTED")
    if not sees:
        return "FORBIDDEN"
    if (action, state) not in ALLOWED:
        return "INVALID_TRANSITION"
    if relation(actor, state) not in ALLOWED[(action, state)]:
        return "FORBIDDEN"
    # the REQUESTED request waits in a grid without agents: there is nobody to assign it to
    return "BAD_INPUT" if action == "ASSIGN" else "OK"


PATHS = {
    "REQUESTED": [], "ASSIGNED": [], "SCHEDULED": [("svc_a", "SCHEDULE")],
    "VISITED": [("svc_a", "SCHEDULE"), ("svc_a", "VISIT")],
    "SUBMITTED": [("svc_a", "VISIT"), ("svc_a", "SUBMIT")],
    "APPROVED": [("svc_a", "VISIT"), ("svc_a", "SUBMIT"), ("clerk_rs", "APPROVE")],
    "REJECTED": [("svc_a", "VISIT"), ("svc_a", "SUBMIT"), ("clerk_rs", "REJECT")],
    "DELIVERED": [("svc_a", "VISIT"), ("svc_a", "SUBMIT"), ("clerk_rs", "APPROVE"),
                  ("svc_a", "DELIVER")],
    "CLOSED": [("svc_a", "VISIT"), ("svc_a", "SUBMIT"), ("clerk_rs", "APPROVE"),
               ("svc_a", "DELIVER"), ("svc_a", "CLOSE")],
    "CANCELLED": [("dispatcher_b", "CANCEL")],
}


def make(api: Api, corner: Corner, state: str, k: int = 0) -> str:
    """A fresh request in `state`: by svc_a on his round (so he is its agent), or by the
    hotline for the household of grid S3, which has no agent, for REQUESTED."""
    if state == "REQUESTED":
        return request(api, "dispatcher_b", ITEM, corner.s3[0].id)["id"]
    home = corner.s1[k % len(corner.s1)]
    r = request(api, "svc_a", ITEM, home.id, channel="ROUND")
    assert r["status"] == "ASSIGNED" and r["assignee"]["username"] == "svc_a"
    for user, action in PATHS[state]:
        if action == "VISIT":
            v = check_in(api, user, r["id"], home.lon, home.lat)
            assert v["data"]["checkInVisit"]["errors"] == [], v
        else:
            out = act(api, user, r["id"], action, n="因为", s=WHEN)
            assert out["errors"] == [], (state, action, out)
    return r["id"]


def attempt(api: Api, actor: str, request_id: str, action: str) -> str:
    r = api.post(TRANSITION, {"id": request_id, "a": action, "n": "因为", "s": WHEN},
                 as_user=actor)
    if r.get("errors"):
        return codes(r)[0]
    errors = r["data"]["transitionServiceRequest"]["errors"]
    return errors[0]["code"] if errors else "OK"


def status(api: Api, request_id: str) -> str:
    q = 'query($id: ID!) { node(id: $id) { ... on ServiceRequest { status escalationLevel } } }'
    n = api.post(q, {"id": request_id}, as_user="admin")["data"]["node"]
    return f"{n['status']}/{n['escalationLevel']}"


@pytest.mark.parametrize("state", STATUSES)
def test_role_action_state_through_the_api(api: Api, corner: Corner, state: str) -> None:
    refused = make(api, corner, state)
    assert status(api, refused) == f"{state}/0"
    before = status(api, refused)
    for action in API_ACTIONS:
        for actor in ACTORS:
            want = expected(state, action, actor)
            target = refused if want not in ("OK",) else make(api, corner, state)
            assert attempt(api, actor, target, action) == want, (state, action, actor)
            if want == "OK" and action != "ESCALATE":
                assert status(api, target).split("/")[0] == TARGET[action]
    assert status(api, refused) == before  # every refusal left it as it was


def test_full_lifecycle_history_deadline_and_evaluation(api: Api, corner: Corner,
                                                        engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    r = request(api, "dispatcher_b", "MZ01", corner.s1[1].id, corner.s1[1].resident_ids[0],
                note="老人行动不便")
    # 高龄津贴申领: 10 working days from Monday 23 Nov 09:00 -> Monday 7 Dec 09:00
    assert datetime.fromisoformat(r["dueAt"]) == START.replace(day=7, month=12)
    assert r["atHome"] is True and r["department"]["code"] == "MZJ"
    agent = r["assignee"]["username"]
    assert agent in ("svc_a", "svc_b")
    assert r["resident"]["idNumber"].endswith("13") and "*" not in r["resident"]["idNumber"]
    act(api, agent, r["id"], "SCHEDULE", s=WHEN)
    v = check_in(api, agent, r["id"], corner.s1[1].lon, corner.s1[1].lat, accuracyM=8)
    assert v["data"]["checkInVisit"]["visit"]["flagged"] is False
    act(api, agent, r["id"], "SUBMIT")
    assert api.post(EVALUATE, {"id": r["id"], "r": "SATISFIED"}, as_user="dispatcher_b")[
        "data"]["evaluateServiceRequest"]["errors"][0]["code"] == "INVALID_TRANSITION"
    assert act(api, "clerk_mz", r["id"], "APPROVE")["request"]["status"] == "APPROVED"
    act(api, agent, r["id"], "DELIVER")
    assert codes(api.post(EVALUATE, {"id": r["id"], "r": "SATISFIED"}, as_user=agent)) == [
        "FORBIDDEN"]  # the agent does not rate his own work
    ok = api.post(EVALUATE, {"id": r["id"], "r": "BASICALLY_SATISFIED", "c": "回访满意"},
                  as_user="dispatcher_b")["data"]["evaluateServiceRequest"]
    assert ok["request"]["rating"] == "BASICALLY_SATISFIED"
    again = api.post(EVALUATE, {"id": r["id"], "r": "SATISFIED"}, as_user="dispatcher_b")
    assert again["data"]["evaluateServiceRequest"]["errors"][0]["code"] == "INVALID_TRANSITION"
    act(api, "dispatcher_b", r["id"], "CLOSE")
    q = """query($id: ID!) { node(id: $id) { ... on ServiceRequest { status history {
      action fromStatus toStatus actor { username } } visits { distanceM } } } }"""
    n = api.post(q, {"id": r["id"]}, as_user="supervisor")["data"]["node"]
    assert [h["action"] for h in n["history"]] == [
        "REQUEST", "ASSIGN", "SCHEDULE", "VISIT", "SUBMIT", "APPROVE", "DELIVER", "EVALUATE",
        "CLOSE"]
    assert [h["actor"] and h["actor"]["username"] for h in n["history"]] == [
        "dispatcher_b", None, agent, agent, agent, "clerk_mz", agent, "dispatcher_b",
        "dispatcher_b"]
    assert n["status"] == "CLOSED" and len(n["visits"]) == 1
    for sql in ("UPDATE service_transitions SET note = 'edited'",
                "DELETE FROM service_transitions",
                "UPDATE service_visits SET lon = 118.0, at = at",
                "DELETE FROM service_visits"):
        with engine.connect() as c, pytest.raises(DatabaseError, match="append-only"):
            c.execute(text(sql))


def test_invalid_transition_names_the_state_and_what_is_allowed(api: Api,
                                                                corner: Corner) -> None:
    r = make(api, corner, "ASSIGNED")
    out = act(api, "svc_a", r, "DELIVER")
    err = out["errors"][0]
    assert out["request"] is None and err["code"] == "INVALID_TRANSITION"
    assert "ASSIGNED" in err["message"] and "SCHEDULE" in err["message"]
