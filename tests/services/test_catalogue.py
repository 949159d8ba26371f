"""The service-item catalogue and residents with their key groups and masked personal data."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.models import Department
from backend.events.catalogue import DEPARTMENTS as EVENT_DEPARTMENTS
from backend.services.catalogue import DEPARTMENTS, ITEMS
from tests.conftest import Api
from tests.services.conftest import Corner

ITEMS_Q = """{ serviceItems { code name department { code name } proxyAllowed
  homeForKeyGroups timeLimitDays materials validityDays } }"""


def test_catalogue_as_seeded(api: Api) -> None:
    items = api.post(ITEMS_Q, as_user="agent")["data"]["serviceItems"]
    assert [i["code"] for i in items] == sorted(i.code for i in ITEMS)
    assert 40 <= len(items) <= 55
    departments = {i["department"]["code"] for i in items}
    assert len(departments) == 12
    assert {"RSJ", "MZJ", "CL", "TYJ", "WJJ", "YBJ", "GAJ"} <= departments
    social = [i for i in items if i["department"]["code"] == "RSJ"]
    assert len(social) >= 10
    by_code = {i["code"]: i for i in items}
    assert by_code["RS02"]["validityDays"] == 365 and by_code["RS02"]["homeForKeyGroups"]
    assert by_code["GA04"]["proxyAllowed"] is False
    for i in items:
        assert i["materials"] and i["timeLimitDays"] > 0 and i["name"]


def test_departments_added_without_renumbering(session: Session) -> None:
    rows = session.execute(select(Department.id, Department.code).order_by(Department.id)).all()
    codes = [c for _, c in rows]
    assert codes[:len(EVENT_DEPARTMENTS)] == [d.code for d in EVENT_DEPARTMENTS]
    assert codes[len(EVENT_DEPARTMENTS):] == [d.code for d in DEPARTMENTS]
    assert len(set(codes)) == len(codes)


HOUSE = """query($id: ID!) { node(id: $id) { ... on Household { residents { id name idNumber
  phone birthDate relation keyGroups qualifications { expiresOn item { code } } } } } }"""


def test_residents_masked_for_those_who_do_not_need_them(api: Api, corner: Corner) -> None:
    home = corner.s1[0]
    full = api.post(HOUSE, {"id": home.id}, as_user="svc_a")["data"]["node"]["residents"]
    assert [r["name"] for r in full] == ["王建国", "李秀英"]
    assert full[0]["idNumber"] == "37030519400101" + "00" + "13"
    assert full[0]["keyGroups"] == ["ELDERLY"] and full[1]["keyGroups"] == []
    assert full[0]["relation"] == "户主" and full[0]["birthDate"] == "1940-01-01"
    masked = api.post(HOUSE, {"id": home.id}, as_user="supervisor")["data"]["node"]["residents"]
    assert [r["name"] for r in masked] == ["王**", "李**"]
    assert masked[0]["idNumber"] == "370305********0013"
    assert masked[0]["phone"] == "138****0000"
    q = 'query($id: ID!) { node(id: $id) { ... on Resident { name keyGroups } } }'
    assert api.post(q, {"id": home.resident_ids[0]}, as_user="dispatcher_b")["data"][
        "node"] == {"name": "王建国", "keyGroups": ["ELDERLY"]}


def test_households_list_residents_without_n_plus_one(api: Api, corner: Corner,
                                                      engine) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import StatementCounter

    q = """query($g: ID, $n: Int) { households(filter: {gridId: $g}, first: $n) { edges {
      node { residents { name qualifications { expiresOn } } } } } }"""
    api.token("svc_a")

    def statements(n: int) -> int:
        counter = StatementCounter(engine)
        try:
            r = api.post(q, {"g": corner.s1_grid_id, "n": n}, as_user="svc_a")
            assert len(r["data"]["households"]["edges"]) == n
        finally:
            counter.close()
        return counter.n

    assert statements(1) == statements(6)
