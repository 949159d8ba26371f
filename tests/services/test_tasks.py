"""The one inbox: service requests (and reminders) become tasks, listed by due time with the
household's location, reassigned by a dispatcher with a reason; no N+1."""

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, StatementCounter, codes
from tests.services.conftest import Corner
from tests.services.helpers import request

INBOX = """query($n: Int) { myTasks(first: $n) { totalCount edges { node { id kind dueAt
  location subject { __typename ... on ServiceRequest { id code dueAt item { code name }
  household { address } assignee { username } }
  ... on Reminder { expiresOn item { code } resident { name } } } } } } }"""
ASSIGN = """mutation($id: ID!, $to: ID!, $r: String) { assignTask(id: $id, assigneeId: $to,
  reason: $r) { task { id kind } errors { field code message } } }"""


def inbox(api: Api, user: str, n: int = 100) -> list[dict]:
    r = api.post(INBOX, {"n": n}, as_user=user)
    assert "errors" not in r, r
    return [e["node"] for e in r["data"]["myTasks"]["edges"]]


def user_id(api: Api, username: str) -> str:
    return api.post("{ me { id } }", as_user=username)["data"]["me"]["id"]


def test_a_request_is_a_task_with_due_time_and_location(api: Api, corner: Corner) -> None:
    home = corner.s1[5]
    r = request(api, "dispatcher_b", "RS05", home.id, note="补办社保卡")
    agent = r["assignee"]["username"]
    tasks = inbox(api, agent)
    mine = [t for t in tasks if t["subject"].get("id") == r["id"]]
    assert len(mine) == 1
    t = mine[0]
    assert t["kind"] == "SERVICE_REQUEST" and t["subject"]["__typename"] == "ServiceRequest"
    assert t["dueAt"] == r["dueAt"] == t["subject"]["dueAt"]
    assert t["location"]["type"] == "Point"
    assert t["location"]["coordinates"] == pytest.approx([home.lon, home.lat], abs=1e-9)
    assert t["subject"]["household"]["address"].startswith("凤凰镇测试村")
    due = [x["dueAt"] for x in tasks]
    assert due == sorted(due)


def test_least_loaded_agent_of_the_grid_gets_it(api: Api, corner: Corner) -> None:
    counts = {u: len(inbox(api, u)) for u in ("svc_a", "svc_b")}
    r = request(api, "dispatcher_b", "RS07", corner.s1[0].id)
    # ties go to the lower user id: svc_a was created first
    assert r["assignee"]["username"] == min(counts, key=lambda u: (counts[u], u))


def test_dispatcher_reassigns_with_a_reason(api: Api, corner: Corner) -> None:
    r = request(api, "dispatcher_b", "RS06", corner.s1[2].id)
    old = r["assignee"]["username"]
    new = "svc_b" if old == "svc_a" else "svc_a"
    task = next(t for t in inbox(api, old) if t["subject"].get("id") == r["id"])
    # 辛店's dispatcher is not this township's; 东关's agent is not an agent of this grid
    assert codes(api.post(ASSIGN, {"id": task["id"], "to": user_id(api, new), "r": "请假"},
                          as_user="dispatcher")) == ["FORBIDDEN"]
    wrong = api.post(ASSIGN, {"id": task["id"], "to": user_id(api, "agent"), "r": "请假"},
                     as_user="dispatcher_b")["data"]["assignTask"]
    assert wrong["errors"][0]["code"] == "BAD_INPUT" and wrong["task"] is None
    done = api.post(ASSIGN, {"id": task["id"], "to": user_id(api, new), "r": "网格员请假"},
                    as_user="dispatcher_b")["data"]["assignTask"]
    assert done["errors"] == [] and done["task"]["kind"] == "SERVICE_REQUEST"
    assert r["id"] not in {t["subject"].get("id") for t in inbox(api, old)}
    assert r["id"] in {t["subject"].get("id") for t in inbox(api, new)}
    q = """query($id: ID!) { node(id: $id) { ... on ServiceRequest { status
      assignee { username } history { action note } } } }"""
    n = api.post(q, {"id": r["id"]}, as_user="dispatcher_b")["data"]["node"]
    assert n["assignee"]["username"] == new and n["status"] == "ASSIGNED"
    assert n["history"][-1] == {"action": "REASSIGN", "note": "网格员请假"}
    # the new agent can now check in; the old one cannot
    from tests.services.helpers import check_in

    home = corner.s1[2]
    assert codes(check_in(api, old, r["id"], home.lon, home.lat)) == ["FORBIDDEN"]
    assert check_in(api, new, r["id"], home.lon, home.lat)["data"]["checkInVisit"][
        "errors"] == []


def test_my_tasks_without_n_plus_one(api: Api, corner: Corner, engine,  # type: ignore[no-untyped-def]
                                     session: Session) -> None:
    for k in range(4):
        request(api, "svc_a", "RS07", corner.s1[k].id, channel="ROUND")
    api.token("svc_a")

    def statements(n: int) -> int:
        counter = StatementCounter(engine)
        try:
            assert len(inbox(api, "svc_a", n)) == n
        finally:
            counter.close()
        return counter.n

    assert statements(1) == statements(4)


def test_service_requests_list_without_n_plus_one(api: Api, corner: Corner,
                                                  engine) -> None:  # type: ignore[no-untyped-def]
    for k in range(5):
        request(api, "dispatcher_b", "MZ06", corner.s1[k].id, corner.s1[k].resident_ids[1])
    q = """query($n: Int) { serviceRequests(filter: {itemCode: "MZ06"}, first: $n) {
      totalCount edges { node { code status overdue item { name department { name } }
      household { address } resident { name } assignee { username } department { code }
      history { action actor { username } } visits { distanceM } allowedActions } } } }"""
    api.token("dispatcher_b")

    def statements(n: int) -> int:
        counter = StatementCounter(engine)
        try:
            r = api.post(q, {"n": n}, as_user="dispatcher_b")
            assert len(r["data"]["serviceRequests"]["edges"]) == n, r
        finally:
            counter.close()
        return counter.n

    assert statements(1) == statements(5)
