"""households: jurisdiction and the masking of personal data by role."""

import re

import pytest

from tests.conftest import Api, codes

HOUSEHOLDS = """query($f: HouseholdFilter) { households(filter: $f, first: 100) { totalCount
  edges { node { id address idNumber phone keyGroups location grid { code } } } } }"""
MASKED_ID = re.compile(r"^370305\*{8}[0-9X]{4}$")
MASKED_PHONE = re.compile(r"^1\d\d\*{4}\d{4}$")


@pytest.mark.parametrize("user,total,masked", [
    ("admin", 90, False), ("supervisor", 90, True), ("dispatcher", 60, False),
    ("dispatcher_b", 30, False), ("inspector", 60, True), ("agent", 15, False),
])
def test_households_by_role(api: Api, user: str, total: int, masked: bool) -> None:
    r = api.post(HOUSEHOLDS, as_user=user)
    assert "errors" not in r, r
    assert r["data"]["households"]["totalCount"] == total
    for e in r["data"]["households"]["edges"]:
        h = e["node"]
        assert bool(MASKED_ID.match(h["idNumber"])) is masked, h["idNumber"]
        assert bool(MASKED_PHONE.match(h["phone"])) is masked
        assert h["location"]["type"] == "Point"


def test_key_group_filter(api: Api) -> None:
    r = api.post(HOUSEHOLDS, {"f": {"keyGroup": "ELDERLY"}}, as_user="admin")
    groups = [e["node"]["keyGroups"] for e in r["data"]["households"]["edges"]]
    assert groups and all("ELDERLY" in g for g in groups)


def test_near_filter(api: Api) -> None:
    r = api.post(HOUSEHOLDS, as_user="admin")
    h = r["data"]["households"]["edges"][0]["node"]
    lon, lat = h["location"]["coordinates"]
    near = {"point": {"lon": lon, "lat": lat}, "radiusM": 1}
    r = api.post(HOUSEHOLDS, {"f": {"near": near}}, as_user="admin")
    assert [e["node"]["id"] for e in r["data"]["households"]["edges"]] == [h["id"]]


def test_public_sees_no_households(api: Api) -> None:
    assert codes(api.post(HOUSEHOLDS)) == ["UNAUTHENTICATED"]
