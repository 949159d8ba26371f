"""Loading district documents: everything validated first, one transaction, bad features
named, nothing kept on failure (through the service and through the CLI)."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.areas.models import District, Grid, Household, Township
from backend.auth.models import User
from backend.errors import BadInput, NotFound
from backend.load import load_document
from fixtures import small


def other_district() -> dict:
    """The small fixture moved to another county code so it can be loaded beside it."""
    doc = json.loads(json.dumps(small.build()).replace("370305", "370306"))
    for u in doc["users"]:
        u["username"] += "-370306"
    return doc


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (District, Township, Grid, Household, User))


def test_self_intersecting_village_is_named_and_nothing_kept(session: Session) -> None:
    before = counts(session)
    doc = other_district()
    doc["villages"][2]["geometry"] = {"type": "Polygon", "coordinates": [[
        [118.30, 36.80], [118.32, 36.815], [118.32, 36.80], [118.30, 36.815], [118.30, 36.80]]]}
    with pytest.raises(BadInput, match=r"villages\[2\] 370306001003 南王村.*crosses itself"):
        load_document(session, doc)
    session.rollback()
    assert counts(session) == before


def test_unclosed_grid_ring_is_named(session: Session) -> None:
    doc = other_district()
    doc["grids"][4]["geometry"]["coordinates"][0].pop()
    with pytest.raises(BadInput, match=r"grids\[4\] 370306001002003 西关三网格.*closed"):
        load_document(session, doc)


def test_bad_codes_and_positions_are_named(session: Session) -> None:
    doc = other_district()
    doc["grids"][0]["code"] = "3703060010010"
    with pytest.raises(BadInput, match=r"grids\[0\]"):
        load_document(session, copy.deepcopy(doc))
    doc = other_district()
    doc["households"][3]["lon"], doc["households"][3]["lat"] = 36.8, 118.3
    with pytest.raises(BadInput, match=r"households\[3\].*swapped"):
        load_document(session, doc)


def test_failure_after_writes_began_keeps_nothing(session: Session) -> None:
    before = counts(session)
    doc = other_district()
    doc["users"][-1]["grids"] = ["370306999999999"]  # found only when users are added, last
    with pytest.raises(NotFound, match="370306999999999"):
        load_document(session, doc)
    session.rollback()
    assert counts(session) == before


def test_cli_load_of_a_bad_file_exits_1_and_keeps_nothing(database_url: str, session: Session,
                                                          tmp_path: Path) -> None:
    before = counts(session)
    doc = other_district()
    doc["users"][-1]["townships"] = ["370306999"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    env = {**os.environ, "DATABASE_URL": database_url, "WANGGE_SECRET": "x" * 40}
    r = subprocess.run([sys.executable, "-m", "backend.cli", "load", str(path)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "NOT_FOUND" in r.stdout and "370306999" in r.stdout
    session.rollback()
    assert counts(session) == before


def test_cli_user_add_and_login(database_url: str, api) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": database_url, "WANGGE_SECRET": "x" * 40}
    cmd = [sys.executable, "-m", "backend.cli", "user", "add", "cli-agent", "--password",
           "long-enough-pw", "--role", "AGENT", "--grid", "370305101002001"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "taken" in again.stdout
    bad = subprocess.run(cmd[:-4] + ["--role", "WIZARD"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and "unknown role" in bad.stdout
    login = api.post("mutation { login(username: \"cli-agent\", password: \"long-enough-pw\") "
                     "{ user { roles grids { code } } } }")
    assert login["data"]["login"]["user"] == {"roles": ["AGENT"],
                                              "grids": [{"code": "370305101002001"}]}


def test_replace_removes_an_unused_district_with_its_residents(session: Session) -> None:
    from datetime import date

    from backend.areas.models import Resident
    from backend.load import delete_district
    from backend.services.models import Qualification, ServiceItem

    doc = other_district()
    load_document(session, doc)
    h = session.scalar(select(Household).join(Township, Township.id == Household.township_id)
                       .where(Township.code.like("370306%")).limit(1))
    r = Resident(household_id=h.id, grid_id=h.grid_id, township_id=h.township_id, name="王秀英",
                 id_number="370306194001011234")
    session.add(r)
    session.flush()
    item = session.scalar(select(ServiceItem.id).limit(1))
    session.add(Qualification(resident_id=r.id, item_id=item, expires_on=date(2027, 1, 1)))
    session.flush()
    delete_district(session, "370306", [u["username"] for u in doc["users"]])
    assert session.scalar(select(func.count()).select_from(Resident)
                          .where(Resident.id == r.id)) == 0
    assert session.scalar(select(District.id).where(District.code == "370306")) is None
    load_document(session, doc)  # and it loads again
    session.rollback()


def test_replace_of_a_district_in_use_is_refused_and_deletes_nothing(session: Session) -> None:
    from datetime import UTC, datetime

    from backend.errors import Conflict
    from backend.load import delete_district
    from backend.tasks.models import Task

    doc = other_district()
    load_document(session, doc)
    t = session.scalar(select(Township).where(Township.code.like("370306%")).limit(1))
    agent = session.scalar(select(User.id).where(User.username == doc["users"][-2]["username"]))
    session.add(Task(kind="REMINDER", subject_id=1, assignee_id=agent, township_id=t.id,
                     created_at=datetime.now(UTC)))  # a record of the district's work
    session.flush()
    before = counts(session)
    with pytest.raises(Conflict) as refused:
        delete_district(session, "370306", [u["username"] for u in doc["users"]])
    assert refused.value.field == "district" and "in use" in refused.value.message
    assert counts(session) == before
    session.rollback()
