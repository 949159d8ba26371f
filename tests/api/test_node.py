"""node(id:): anything the caller may see, and nothing else."""

import base64

import pytest

from tests.conftest import Api, codes

NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on Grid { code } ... on Township { code } ... on Village { code }
  ... on Household { address } ... on User { username } } }"""
FIRST = """{ grids(first: 50) { edges { node { id code village { id code }
  township { id code } agents { id username } } } }
  households(first: 1) { edges { node { id address } } } }"""


def gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


@pytest.fixture(scope="module")
def ids(api: Api) -> dict[str, str]:
    r = api.post(FIRST, as_user="admin")["data"]
    g = r["grids"]["edges"][0]["node"]  # 东关一网格, agent's
    other = r["grids"]["edges"][-1]["node"]  # 张家村网格, township B
    return {"grid": g["id"], "village": g["village"]["id"], "township": g["township"]["id"],
            "agent": g["agents"][0]["id"], "household": r["households"]["edges"][0]["node"]["id"],
            "other_grid": other["id"], "other_township": other["township"]["id"]}


@pytest.mark.parametrize("kind", ["grid", "village", "township", "agent", "household"])
def test_admin_fetches_every_kind(api: Api, ids: dict, kind: str) -> None:
    r = api.post(NODE, {"id": ids[kind]}, as_user="admin")
    assert "errors" not in r and r["data"]["node"]["id"] == ids[kind]


def test_agent_fetches_own_grid_but_not_others(api: Api, ids: dict) -> None:
    assert api.post(NODE, {"id": ids["grid"]}, as_user="agent")["data"]["node"]["code"]
    r = api.post(NODE, {"id": ids["other_grid"]}, as_user="agent")
    assert r["data"]["node"] is None and codes(r) == ["FORBIDDEN"]
    r = api.post(NODE, {"id": ids["other_township"]}, as_user="agent")
    assert codes(r) == ["FORBIDDEN"]


def test_dispatcher_is_held_to_the_township(api: Api, ids: dict) -> None:
    assert codes(api.post(NODE, {"id": ids["other_grid"]}, as_user="dispatcher")) == ["FORBIDDEN"]
    assert codes(api.post(NODE, {"id": ids["grid"]}, as_user="dispatcher_b")) == ["FORBIDDEN"]


def test_public_gets_nothing_by_node(api: Api, ids: dict) -> None:
    for kind in ("grid", "township", "household", "agent"):
        r = api.post(NODE, {"id": ids[kind]})
        assert r["data"]["node"] is None and codes(r) in (["FORBIDDEN"], ["UNAUTHENTICATED"],
                                                          ["NOT_FOUND"])


def test_unknown_ids(api: Api) -> None:
    assert codes(api.post(NODE, {"id": gid("Grid", 999999)}, as_user="admin")) == ["NOT_FOUND"]
    assert codes(api.post(NODE, {"id": gid("Spaceship", 1)}, as_user="admin")) == ["NOT_FOUND"]
    assert codes(api.post(NODE, {"id": "%%%"}, as_user="admin")) == ["BAD_INPUT"]
