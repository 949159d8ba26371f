"""grids and townships: filters, pages, jurisdiction, and no N+1."""

import pytest

from tests.conftest import Api, codes

GRIDS = """query($f: GridFilter, $first: Int, $after: String) {
  grids(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id code householdCount } } } }"""
TOWNSHIPS = "{ townships { totalCount edges { node { id code name kind } } } }"


def grid_codes(r: dict) -> list[str]:
    return [e["node"]["code"] for e in r["data"]["grids"]["edges"]]


def township_id(api: Api, code: str) -> str:
    r = api.post(TOWNSHIPS, as_user="admin")
    return next(e["node"]["id"] for e in r["data"]["townships"]["edges"]
                if e["node"]["code"] == code)


@pytest.mark.parametrize("user,expected", [
    ("admin", 11), ("supervisor", 11), ("dispatcher", 8), ("dispatcher_b", 3),
    ("inspector", 8), ("agent", 2), ("agent2", 1),
])
def test_each_role_sees_its_jurisdiction(api: Api, user: str, expected: int) -> None:
    r = api.post(GRIDS, {"first": 50}, as_user=user)
    assert r["data"]["grids"]["totalCount"] == expected
    assert len(grid_codes(r)) == expected


def test_public_sees_no_grids_or_townships(api: Api) -> None:
    assert codes(api.post(GRIDS)) == ["UNAUTHENTICATED"]
    assert codes(api.post(TOWNSHIPS)) == ["UNAUTHENTICATED"]


def test_townships_by_role(api: Api) -> None:
    assert api.post(TOWNSHIPS, as_user="admin")["data"]["townships"]["totalCount"] == 2
    r = api.post(TOWNSHIPS, as_user="dispatcher_b")["data"]["townships"]
    assert [e["node"]["name"] for e in r["edges"]] == ["凤凰镇"]
    # an agent sees the township of their grids (its name), not the other one
    r = api.post(TOWNSHIPS, as_user="agent")["data"]["townships"]
    assert [e["node"]["code"] for e in r["edges"]] == ["370305001"]


def test_pages_walk_the_whole_list_in_code_order(api: Api) -> None:
    seen, after = [], None
    while True:
        r = api.post(GRIDS, {"first": 4, "after": after}, as_user="admin")
        seen += grid_codes(r)
        info = r["data"]["grids"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert len(seen) == 11 and seen == sorted(seen)


def test_township_filter_and_its_jurisdiction(api: Api) -> None:
    b = township_id(api, "370305101")
    r = api.post(GRIDS, {"f": {"townshipId": b}, "first": 50}, as_user="admin")
    assert grid_codes(r) == ["370305101001001", "370305101001002", "370305101002001"]
    assert codes(api.post(GRIDS, {"f": {"townshipId": b}}, as_user="dispatcher")) == ["FORBIDDEN"]


def test_village_filter(api: Api) -> None:
    q = """{ grids(first: 1) { edges { node { village { id name } } } } }"""
    village = api.post(q, as_user="admin")["data"]["grids"]["edges"][0]["node"]["village"]
    r = api.post(GRIDS, {"f": {"villageId": village["id"]}}, as_user="admin")
    assert grid_codes(r) == ["370305001001001", "370305001001002"]


def test_intersects_filter(api: Api) -> None:
    line = {"type": "LineString", "coordinates": [[118.305, 36.805], [118.335, 36.805]]}
    r = api.post(GRIDS, {"f": {"intersects": line}, "first": 50}, as_user="admin")
    assert grid_codes(r) == ["370305001003001", "370305001004002"]
    box = {"type": "Polygon", "coordinates": [[[118.355, 36.81], [118.365, 36.81],
                                               [118.365, 36.82], [118.355, 36.82],
                                               [118.355, 36.81]]]}
    r = api.post(GRIDS, {"f": {"intersects": box}, "first": 50}, as_user="admin")
    assert grid_codes(r) == ["370305101001001", "370305101001002", "370305101002001"]


def test_intersects_with_bad_geometry_is_bad_input(api: Api) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[118.30, 36.80], [118.31, 36.81],
                                                  [118.31, 36.80], [118.30, 36.81],
                                                  [118.30, 36.80]]]}
    r = api.post(GRIDS, {"f": {"intersects": bowtie}}, as_user="admin")
    assert codes(r) == ["BAD_INPUT"] and "intersects" in r["errors"][0]["message"]
    r = api.post(GRIDS, {"f": {"intersects": {"coordinates": []}}}, as_user="admin")
    assert codes(r) == ["BAD_INPUT"]


def test_near_filter_in_metres(api: Api) -> None:
    # 118.31 is the edge between 东关一 and 东关二; 100 m east of it at this latitude is
    # about 0.00112 deg of longitude.
    p = {"lon": 118.3112, "lat": 36.82}
    r = api.post(GRIDS, {"f": {"near": {"point": p, "radiusM": 120}}}, as_user="admin")
    assert grid_codes(r) == ["370305001001001", "370305001001002"]
    r = api.post(GRIDS, {"f": {"near": {"point": p, "radiusM": 80}}}, as_user="admin")
    assert grid_codes(r) == ["370305001001002"]
    r = api.post(GRIDS, {"f": {"near": {"point": p, "radiusM": -1}}}, as_user="admin")
    assert codes(r) == ["BAD_INPUT"]


def test_bad_arguments_are_bad_input(api: Api) -> None:
    assert codes(api.post(GRIDS, {"first": 101}, as_user="admin")) == ["BAD_INPUT"]
    assert codes(api.post(GRIDS, {"first": -1}, as_user="admin")) == ["BAD_INPUT"]
    assert codes(api.post(GRIDS, {"after": "bm9wZQ"}, as_user="admin")) == ["BAD_INPUT"]
    assert codes(api.post(GRIDS, {"f": {"townshipId": "xx"}}, as_user="admin")) == ["BAD_INPUT"]


LIST = """query($n: Int) { grids(first: $n) { edges { node {
  village { name } township { name } agents { name roles } geometry } } } }"""


def test_statements_do_not_grow_with_the_page(demo_api: Api, count_statements) -> None:  # type: ignore[no-untyped-def]
    demo_api.token("admin")
    counts = {}
    for n in (5, 50):
        count_statements.n = 0
        r = demo_api.post(LIST, {"n": n}, as_user="admin")
        edges = r["data"]["grids"]["edges"]
        assert len(edges) == n and all(e["node"]["agents"] for e in edges)
        counts[n] = count_statements.n
    assert counts[5] == counts[50], counts
