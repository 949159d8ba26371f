"""The demo district's door-to-door services as `make run` shows them."""

from tests.conftest import Api

COV = """{ serviceCoverage { households keyGroupHouseholds visited90d keyGroupVisited90d
  requests delivered onTimeRate satisfactionRate visits flaggedVisits } }"""


def test_demo_services_look_like_a_year_of_work(demo_api: Api) -> None:
    c = demo_api.post(COV, as_user="supervisor")["data"]["serviceCoverage"]
    assert c["households"] > 10_000 and 0 < c["keyGroupHouseholds"] < c["households"]
    assert c["requests"] > 50 and c["delivered"] > 0 and c["onTimeRate"] > 0.85
    assert 0.93 <= c["satisfactionRate"] <= 1.0
    assert 0 < c["flaggedVisits"] < c["visits"] / 5
    q = """{ flaggedVisits(first: 3) { totalCount edges { node { distanceM flagReasons } } } }"""
    f = demo_api.post(q, as_user="supervisor")["data"]["flaggedVisits"]
    assert f["totalCount"] > 0 and f["edges"][0]["node"]["flagReasons"]


def test_demo_households_have_residents_with_qualifications(demo_api: Api) -> None:
    q = """{ households(filter: {keyGroup: ELDERLY}, first: 20) { edges { node { keyGroups
      residents { name relation keyGroups qualifications { expiresOn item { code } } } } } } }"""
    edges = demo_api.post(q, as_user="admin")["data"]["households"]["edges"]
    heads = [e["node"]["residents"][0] for e in edges]
    assert all(h["relation"] == "户主" and "ELDERLY" in h["keyGroups"] for h in heads)
    assert all("MZ02" in {x["item"]["code"] for x in h["qualifications"]} for h in heads)


def test_demo_agent_inbox_has_service_work(demo_api: Api) -> None:
    q = """{ serviceRequests(filter: {status: [ASSIGNED, SCHEDULED, VISITED, SUBMITTED]},
      first: 1) { totalCount edges { node { assignee { username } } } } }"""
    r = demo_api.post(q, as_user="supervisor")["data"]["serviceRequests"]
    assert r["totalCount"] > 0
    agent = r["edges"][0]["node"]["assignee"]["username"]
    tasks = demo_api.post("{ myTasks(first: 100) { edges { node { kind } } } }",
                          as_user=agent)["data"]["myTasks"]["edges"]
    assert "SERVICE_REQUEST" in {t["node"]["kind"] for t in tasks}
    sub = demo_api.post('mutation { login(username: "clerk-ybj", password: "wangge-demo") '
                        '{ token } }')
    assert sub["data"]["login"]["token"]
