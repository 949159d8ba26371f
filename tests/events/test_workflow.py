"""The workflow as a role × action × state table, through the real endpoint.

The expected table is written out here on purpose, independently of backend/events/workflow.py:
if the two disagree, one of them is wrong."""

import pytest

from tests.conftest import Api, codes
from tests.events.helpers import EVALUATE, TRANSITION, act, pick, report

CENTRE = {"dispatcher", "supervisor", "admin"}
OPEN = ("REPORTED", "DISPATCHED", "ACCEPTED", "IN_PROGRESS", "SUBMITTED", "VERIFIED",
        "RETURNED")
# (action, state) -> the relations that may take it
ALLOWED = {
    **{("DISPATCH", s): CENTRE for s in ("REPORTED", "RETURNED", "DISPATCHED", "ACCEPTED")},
    ("ACCEPT", "DISPATCHED"): {"assignee"},
    ("RETURN", "DISPATCHED"): {"assignee"}, ("RETURN", "ACCEPTED"): {"assignee"},
    ("START", "ACCEPTED"): {"assignee"},
    ("SUBMIT_RESULT", "ACCEPTED"): {"assignee"}, ("SUBMIT_RESULT", "IN_PROGRESS"): {"assignee"},
    ("VERIFY", "SUBMITTED"): {"reporter"} | CENTRE,
    ("REOPEN", "SUBMITTED"): {"reporter"} | CENTRE, ("REOPEN", "VERIFIED"): {"reporter"} | CENTRE,
    ("REOPEN", "CLOSED"): {"system"},
    ("CLOSE", "VERIFIED"): {"reporter"} | CENTRE,
    **{("REJECT", s): CENTRE for s in ("REPORTED", "RETURNED", "DISPATCHED")},
    **{("ESCALATE", s): {"supervisor", "admin"} for s in OPEN},
}
ACTIONS = ("ACCEPT", "DISPATCH", "RETURN", "START", "SUBMIT_RESULT", "VERIFY", "REOPEN",
           "CLOSE", "REJECT", "ESCALATE")
STATES = (*OPEN, "CLOSED", "REJECTED", "MERGED")
ACTORS = ("agent", "agent2", "dispatcher", "dispatcher_b", "inspector", "supervisor", "admin")
AGENT_GRID = (118.305, 36.8225)  # 东关一网格: agent's
NO_AGENT_GRID = (118.31, 36.807)  # 南王村网格: nobody's


def relation(actor: str, state: str) -> str | None:
    if actor == "agent" and state not in ("REPORTED", "RETURNED", "MERGED"):
        return "assignee"
    return {"agent2": "reporter", "dispatcher": "dispatcher", "supervisor": "supervisor",
            "admin": "admin"}.get(actor)


def expected(state: str, action: str, actor: str) -> str:
    sees = actor in ("agent2", "dispatcher", "inspector", "supervisor", "admin") or (
        actor == "agent" and state != "REPORTED")
    if not sees:
        return "FORBIDDEN"
    if (action, state) not in ALLOWED:
        return "INVALID_TRANSITION"
    return "OK" if relation(actor, state) in ALLOWED[(action, state)] else "FORBIDDEN"


@pytest.fixture(scope="module")
def grid_id(api: Api) -> str:
    q = '{ grids(first: 1) { edges { node { id code } } } }'
    return api.post(q, as_user="agent")["data"]["grids"]["edges"][0]["node"]["id"]


def make(api: Api, state: str, category: str, grid_id: str) -> str:
    """A fresh event in `state`, reported by agent2, handled by agent."""
    where = NO_AGENT_GRID if state == "REPORTED" else AGENT_GRID
    if state == "MERGED":
        report(api, "agent2", category, *where, acknowledgeDuplicate=True)
        e = report(api, "agent2", category, *where)
        assert e["duplicateOf"] is not None and e["event"]["status"] == "MERGED"
        return e["event"]["id"]
    e = report(api, "agent2", category, *where, acknowledgeDuplicate=True)["event"]
    path = {
        "REPORTED": [], "DISPATCHED": [], "ACCEPTED": [("agent", "ACCEPT")],
        "IN_PROGRESS": [("agent", "ACCEPT"), ("agent", "START")],
        "SUBMITTED": [("agent", "ACCEPT"), ("agent", "START"), ("agent", "SUBMIT_RESULT")],
        "VERIFIED": [("agent", "ACCEPT"), ("agent", "SUBMIT_RESULT"), ("agent2", "VERIFY")],
        "CLOSED": [("agent", "ACCEPT"), ("agent", "SUBMIT_RESULT"), ("agent2", "VERIFY"),
                   ("dispatcher", "CLOSE")],
        "REJECTED": [("dispatcher", "REJECT")], "RETURNED": [("agent", "RETURN")],
    }[state]
    for user, action in path:
        r = act(api, user, e["id"], action, n="x")
        assert r["errors"] == [], (state, action, r)
    return e["id"]


def attempt(api: Api, actor: str, event_id: str, action: str, grid_id: str) -> str:
    r = api.post(TRANSITION, {"id": event_id, "a": action, "n": "因为", "t": {"gridId": grid_id}},
                 as_user=actor)
    if r.get("errors"):
        return codes(r)[0]
    errors = r["data"]["transitionEvent"]["errors"]
    return errors[0]["code"] if errors else "OK"


def status(api: Api, event_id: str) -> str:
    q = 'query($id: ID!) { node(id: $id) { ... on Event { status escalationLevel } } }'
    n = api.post(q, {"id": event_id}, as_user="admin")["data"]["node"]
    return f"{n['status']}/{n['escalationLevel']}"


@pytest.mark.parametrize("state", STATES)
def test_role_action_state_table(api: Api, state: str, grid_id: str) -> None:
    cat = pick(api, self_handleable=True)["code"]
    refused = make(api, state, cat, grid_id)
    before = status(api, refused)
    checked = 0
    for action in ACTIONS:
        for actor in ACTORS:
            want = expected(state, action, actor)
            target = refused if want != "OK" else make(api, state, cat, grid_id)
            got = attempt(api, actor, target, action, grid_id)
            assert got == want, (state, action, actor)
            checked += 1
    assert status(api, refused) == before  # every refusal left it as it was
    assert checked == len(ACTIONS) * len(ACTORS)


def test_invalid_transition_names_state_and_allowed_actions(api: Api, grid_id: str) -> None:
    cat = pick(api, self_handleable=True)["code"]
    e = make(api, "CLOSED", cat, grid_id)
    r = api.post(TRANSITION, {"id": e, "a": "START"}, as_user="agent")
    err = r["data"]["transitionEvent"]["errors"][0]
    assert err["code"] == "INVALID_TRANSITION" and "CLOSED" in err["message"]
    assert "allowed" in err["message"]


def test_history_is_complete_and_append_only(api: Api, grid_id: str, engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    cat = pick(api, self_handleable=True)["code"]
    e = make(api, "CLOSED", cat, grid_id)
    q = """query($id: ID!) { node(id: $id) { ... on Event { history { action fromStatus
      toStatus actor { username } note at } } } }"""
    h = api.post(q, {"id": e}, as_user="admin")["data"]["node"]["history"]
    assert [x["action"] for x in h] == ["REPORT", "DISPATCH", "ACCEPT", "SUBMIT_RESULT",
                                        "VERIFY", "CLOSE"]
    assert [x["actor"] and x["actor"]["username"] for x in h] == [
        "agent2", None, "agent", "agent", "agent2", "dispatcher"]
    for sql in ("UPDATE event_transitions SET note = 'edited'",
                "DELETE FROM event_transitions"):
        with engine.connect() as c, pytest.raises(DatabaseError, match="append-only"):
            c.execute(text(sql))


def test_department_clerk_takes_a_case_from_the_queue(api: Api) -> None:
    cat = pick(api, self_handleable=False)
    e = report(api, "agent", cat["code"], 118.336, 36.82, acknowledgeDuplicate=True)["event"]
    assert e["assignee"] is None and e["department"]["code"] == cat["department"]["code"]
    taken = act(api, "clerk", e["id"], "ACCEPT")["event"]
    assert taken["status"] == "ACCEPTED" and taken["assignee"]["username"] == "clerk"
    assert act(api, "clerk", e["id"], "SUBMIT_RESULT")["event"]["status"] == "SUBMITTED"


def test_dispatcher_reroutes_with_history(api: Api) -> None:
    cat = pick(api, self_handleable=True)
    e = report(api, "agent", cat["code"], 118.3099, 36.82, acknowledgeDuplicate=True)["event"]
    assert e["grid"]["code"] == "370305001001001"
    q = '{ grids(first: 2) { edges { node { id code } } } }'
    other = api.post(q, as_user="dispatcher")["data"]["grids"]["edges"][1]["node"]
    moved = act(api, "dispatcher", e["id"], "DISPATCH", t={"gridId": other["id"]},
                n="居民反映在东关二网格一侧")["event"]
    assert moved["grid"]["code"] == other["code"] == "370305001001002"
    assert moved["assignee"]["username"] == "agent"  # agent covers both grids
    bad = api.post(TRANSITION, {"id": e["id"], "a": "DISPATCH"}, as_user="dispatcher")
    assert bad["data"]["transitionEvent"]["errors"][0]["field"] == "target"
    nobody = api.post(TRANSITION, {"id": e["id"], "a": "DISPATCH",
                                   "t": {"assigneeId": "VXNlcjo5OTk5OTk="}}, as_user="dispatcher")
    assert nobody["data"]["transitionEvent"]["errors"][0]["code"] == "NOT_FOUND"
    person = api.post('{ me { id } }', as_user="agent2")["data"]["me"]["id"]
    handed = act(api, "dispatcher", e["id"], "DISPATCH", t={"assigneeId": person})["event"]
    assert handed["assignee"]["username"] == "agent2"


def test_evaluation_by_the_reporter_once_and_rectification(api: Api, grid_id: str) -> None:
    cat = pick(api, self_handleable=True)["code"]
    e = make(api, "CLOSED", cat, grid_id)
    r = api.post(EVALUATE, {"id": e, "r": "SATISFIED"}, as_user="agent")
    assert codes(r) == ["FORBIDDEN"]  # the handler is not the reporter
    ok = api.post(EVALUATE, {"id": e, "r": "UNSATISFIED", "c": "没修好"}, as_user="agent2")
    assert ok["data"]["evaluateEvent"]["event"]["status"] == "IN_PROGRESS"
    again = api.post(EVALUATE, {"id": e, "r": "SATISFIED"}, as_user="agent2")
    assert again["data"]["evaluateEvent"]["errors"][0]["code"] == "INVALID_TRANSITION"
    for user, action in (("agent", "SUBMIT_RESULT"), ("agent2", "VERIFY"),
                         ("dispatcher", "CLOSE")):
        assert act(api, user, e, action)["errors"] == []
    fine = api.post(EVALUATE, {"id": e, "r": "BASICALLY_SATISFIED"}, as_user="agent2")
    assert fine["data"]["evaluateEvent"]["event"]["rating"] == "BASICALLY_SATISFIED"
    twice = api.post(EVALUATE, {"id": e, "r": "SATISFIED"}, as_user="agent2")
    assert twice["data"]["evaluateEvent"]["errors"][0]["code"] == "INVALID_TRANSITION"


def test_tasks_follow_the_case(api: Api, grid_id: str) -> None:
    cat = pick(api, self_handleable=True)["code"]
    q = """{ myTasks(first: 100) { edges { node { kind status dueAt location
      subject { ... on Event { id status } } } } } }"""

    def open_ids() -> set[str]:
        edges = api.post(q, as_user="agent")["data"]["myTasks"]["edges"]
        return {x["node"]["subject"]["id"] for x in edges}

    e = report(api, "agent2", cat, *AGENT_GRID, acknowledgeDuplicate=True)["event"]
    assert e["id"] in open_ids()
    edges = api.post(q, as_user="agent")["data"]["myTasks"]["edges"]
    due = [x["node"]["dueAt"] for x in edges]
    assert due == sorted(due)
    act(api, "agent", e["id"], "ACCEPT")
    act(api, "agent", e["id"], "SUBMIT_RESULT")
    assert e["id"] not in open_ids()
