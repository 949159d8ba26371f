"""A private corner of the small district for the services tests: village 测试村 in 凤凰镇 with
two grids far east of the rest (nothing else routes there), hand-placed households and
residents, two agents on grid S1, one on grid S2 (coverage), and department clerks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.relay import to_global_id
from backend.areas.models import Grid, Household, Resident, Township, Village
from backend.auth.service import add_user, hash_password
from backend.db.engine import make_sessionmaker
from fixtures.small import PASSWORD

VILLAGE = "370305101009"
S1, S2, S3 = VILLAGE + "001", VILLAGE + "002", VILLAGE + "003"  # S3 has no agent
X0, Y0 = 118.45, 36.80  # S1 is [X0, X0+0.01] x [Y0, Y0+0.01], S2 the next box east


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"SRID=4326;POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


@dataclass
class Home:
    pk: int
    id: str  # global id
    lon: float
    lat: float
    resident_pks: list[int]

    @property
    def resident_ids(self) -> list[str]:
        return [to_global_id("Resident", r) for r in self.resident_pks]


@dataclass
class Corner:
    s1: list[Home]
    s2: list[Home]
    s3: list[Home]
    s1_grid_id: str
    s2_grid_id: str
    township_id: str


# S2's households: (key group flags) — the coverage test counts them by hand
S2_FLAGS = ({"elderly": True}, {}, {"disabled": True, "veteran": True}, {}, {}, {})


@pytest.fixture(scope="session")
def corner(engine) -> Corner:  # type: ignore[no-untyped-def]
    with make_sessionmaker(engine)() as s:
        township = s.scalar(select(Township).where(Township.code == "370305101"))
        v = Village(code=VILLAGE, name="测试村", kind="VILLAGE", township_id=township.id,
                    geom=_box(X0, Y0, X0 + 0.03, Y0 + 0.01).replace("POLYGON((",
                                                                     "MULTIPOLYGON(((") + ")")
        s.add(v)
        s.flush()
        grids = []
        for n, code in enumerate((S1, S2, S3)):
            g = Grid(code=code, name=f"测试{n + 1}网格", village_id=v.id,
                     township_id=township.id, household_count=6,
                     geom=_box(X0 + 0.01 * n, Y0, X0 + 0.01 * (n + 1), Y0 + 0.01))
            s.add(g)
            grids.append(g)
        s.flush()
        homes: list[list[Home]] = [[], [], []]
        for n, g in enumerate(grids):
            for k in range(6 if n < 2 else 1):
                lon, lat = X0 + 0.01 * n + 0.001 * (k + 2), Y0 + 0.005
                flags = S2_FLAGS[k] if n == 1 else ({"elderly": True} if k < 3 else {})
                h = Household(grid_id=g.id, village_id=v.id, township_id=township.id,
                              address=f"凤凰镇测试村{n + 1}-{k + 1}号",
                              address_key=f"凤凰镇测试村{n + 1}{k + 1}号", size=2,
                              head_name="王建国", id_number=f"37030519400101{n}{k}13",
                              phone=f"1380000{n}{k:04d}", geom=f"SRID=4326;POINT({lon} {lat})",
                              **flags)
                s.add(h)
                s.flush()
                rs = [Resident(household_id=h.id, grid_id=g.id, township_id=township.id,
                               name="王建国", id_number=f"37030519400101{n}{k}13",
                               phone=f"1380000{n}{k:04d}", birth_date=date(1940, 1, 1),
                               relation="户主", **flags),
                      Resident(household_id=h.id, grid_id=g.id, township_id=township.id,
                               name="李秀英", id_number=f"37030519450202{n}{k}24",
                               phone=None, birth_date=date(1945, 2, 2), relation="配偶")]
                s.add_all(rs)
                s.flush()
                homes[n].append(Home(h.id, to_global_id("Household", h.id), lon, lat,
                                     [r.id for r in rs]))
        pw = hash_password(PASSWORD)
        add_user(s, "svc_a", None, "测试网格员甲", ["AGENT"], grid_codes=[S1], password_hash=pw)
        add_user(s, "svc_b", None, "测试网格员乙", ["AGENT"], grid_codes=[S1], password_hash=pw)
        add_user(s, "cov_agent", None, "覆盖网格员", ["AGENT"], grid_codes=[S2],
                 password_hash=pw)
        add_user(s, "clerk_rs", None, "人社局受理员", ["DEPARTMENT"], department_code="RSJ",
                 password_hash=pw)
        add_user(s, "clerk_mz", None, "民政局受理员", ["DEPARTMENT"], department_code="MZJ",
                 password_hash=pw)
        s.commit()
        return Corner(homes[0], homes[1], homes[2], to_global_id("Grid", grids[0].id),
                      to_global_id("Grid", grids[1].id), to_global_id("Township", township.id))


def table_counts(session: Session) -> tuple[int, ...]:
    from sqlalchemy import func

    from backend.services.models import ServiceRequest, ServiceTransition, Visit
    from backend.tasks.models import Task

    session.rollback()  # a fresh snapshot
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (ServiceRequest, ServiceTransition, Visit, Task))
