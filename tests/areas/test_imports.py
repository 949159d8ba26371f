"""Importing villages and households, exporting grids: through the GraphQL endpoint and the
`wangge import` / `wangge export` commands, on a database of its own (the small fixture), so
the shared one keeps its counts. Bad features and rows are named and nothing is kept;
households in no village are listed, never dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from backend.app import create_app
from backend.areas.models import Grid, Household, Township, Village
from backend.cli import app as cli
from backend.config import Settings
from backend.db.engine import make_engine, make_sessionmaker
from backend.db.migrate import upgrade
from backend.load import load_document
from fixtures import small
from geo.crs import from_wgs84
from tests.conftest import SECRET, Api, _fresh_database, codes


@dataclass
class District:
    """A database of one's own: its URL, engine, and the GraphQL endpoint over it."""

    url: str
    engine: Engine
    api: Api

    def run(self, *args: str) -> tuple[int, str]:
        """`wangge ARGS` against this database: exit code and output."""
        r = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": self.url,
                                                     "WANGGE_SECRET": SECRET})
        return r.exit_code, r.output

    def scalar(self, stmt):  # type: ignore[no-untyped-def]
        with make_sessionmaker(self.engine)() as s:
            return s.scalar(stmt)


@contextmanager
def own_district(tmp: Path, doc: dict) -> Iterator[District]:
    url, drop = _fresh_database(tmp)
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        load_document(s, doc)
        s.commit()
    try:
        with TestClient(create_app(Settings(database_url=url, secret=SECRET), engine)) as c:
            yield District(url, engine, Api(c))
    finally:
        engine.dispose()
        drop()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    with own_district(tmp_path_factory.mktemp("imports"), small.build()) as d:
        yield d


IMPORT_VILLAGES = """mutation($fc: JSON!) { importVillages(featureCollection: $fc) {
  imported codes errors { field code message } } }"""
IMPORT_HOUSEHOLDS = """mutation($fc: JSON!, $crs: CRS) {
  importHouseholds(featureCollection: $fc, crs: $crs) {
    imported outside { row address } errors { field code message } } }"""
EXPORT = "query($t: ID) { exportGrids(townshipId: $t) }"
GRID_COUNTS = "{ grids(first: 100) { edges { node { code householdCount } } } }"


def box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def village(code: str, name: str, geometry: dict, township: str = "370305101",
            kind: str = "VILLAGE") -> dict:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, "kind": kind, "township": township}}


def household(lon: float, lat: float, address: str, **props: object) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"address": address, "size": 3, "head_name": "王建国",
                           "id_number": "370305194001010011", "phone": "13800000000", **props}}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def villages_count(d: District) -> int:
    return d.scalar(select(func.count()).select_from(Village))


def households_count(d: District) -> int:
    return d.scalar(select(func.count()).select_from(Household))


def grid_counts(d: District) -> dict[str, int]:
    edges = d.api.post(GRID_COUNTS, as_user="admin")["data"]["grids"]["edges"]
    return {e["node"]["code"]: e["node"]["householdCount"] for e in edges}


# The township 凤凰镇 (370305101) ends at 118.38; new villages go east of it.
EAST = box(118.38, 36.80, 118.40, 36.815)
BOWTIE = {"type": "Polygon", "coordinates": [[[118.40, 36.80], [118.42, 36.815], [118.42, 36.80],
                                              [118.40, 36.815], [118.40, 36.80]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[118.40, 36.80], [118.42, 36.80],
                                                [118.42, 36.815], [118.40, 36.815]]]}


# --- villages -----------------------------------------------------------------------------------

def test_import_villages_and_their_township_grows(district: District) -> None:
    fc = collection(village("370305101003", "李家村", EAST),
                    village("370305101004", "赵家社区", box(118.38, 36.815, 118.40, 36.83),
                            kind="COMMUNITY"))
    r = district.api.post(IMPORT_VILLAGES, {"fc": fc}, as_user="admin")["data"]["importVillages"]
    assert r == {"imported": 2, "codes": ["370305101003", "370305101004"], "errors": []}
    geom = district.scalar(select(Township.geom).where(Township.code == "370305101"))
    assert to_shape(geom).covers(to_shape(district.scalar(
        select(Village.geom).where(Village.code == "370305101004"))))
    # the same village again is a conflict naming it, and nothing of the file is kept
    before = villages_count(district)
    fc = collection(village("370305101005", "孙家村", box(118.40, 36.80, 118.41, 36.81)),
                    village("370305101003", "李家村", EAST))
    r = district.api.post(IMPORT_VILLAGES, {"fc": fc}, as_user="admin")["data"]["importVillages"]
    assert r["imported"] == 0 and [e["code"] for e in r["errors"]] == ["CONFLICT"]
    assert "features[1] 370305101003 李家村" in r["errors"][0]["message"]
    assert villages_count(district) == before


@pytest.mark.parametrize("bad,code,message", [
    (village("370305101009", "坏村", BOWTIE), "BAD_INPUT",
     r"features[1] 370305101009 坏村: is not valid: it crosses itself"),
    (village("370305101009", "坏村", UNCLOSED), "BAD_INPUT",
     "features[1] 370305101009 坏村: ring 0 is not closed"),
    (village("37030510109", "短码村", box(118.40, 36.80, 118.41, 36.81)), "BAD_INPUT",
     "features[1] 短码村: village code '37030510109' has 11 digits"),
    (village("370305001009", "错镇村", box(118.40, 36.80, 118.41, 36.81)), "BAD_INPUT",
     "is not under township 370305101"),
    (village("370305199001", "无镇村", box(118.40, 36.80, 118.41, 36.81), township="370305199"),
     "NOT_FOUND", "features[1] 370305199001 无镇村: no township with code 370305199"),
    (village("370305101009", "怪村", box(118.40, 36.80, 118.41, 36.81), kind="CITY"),
     "BAD_INPUT", "kind 'CITY' is not one of VILLAGE, COMMUNITY"),
    (village("370305101009", "重叠村", box(118.37, 36.80, 118.39, 36.81)), "BAD_INPUT",
     "features[1] 370305101009 重叠村: overlaps village 370305101002"),
])
def test_a_bad_village_is_named_and_nothing_is_imported(district: District, bad: dict,
                                                        code: str, message: str) -> None:
    before = villages_count(district)
    fc = collection(village("370305101008", "好村", box(118.42, 36.80, 118.43, 36.81)), bad)
    r = district.api.post(IMPORT_VILLAGES, {"fc": fc}, as_user="admin")["data"]["importVillages"]
    assert [e["code"] for e in r["errors"]] == [code]
    assert message in r["errors"][0]["message"]
    assert r["imported"] == 0 and villages_count(district) == before


def test_import_villages_is_for_admins(district: District) -> None:
    fc = collection(village("370305101007", "村", box(118.42, 36.80, 118.43, 36.81)))
    assert codes(district.api.post(IMPORT_VILLAGES, {"fc": fc}, as_user="supervisor")) \
        == ["FORBIDDEN"]
    assert codes(district.api.post(IMPORT_VILLAGES, {"fc": fc})) == ["UNAUTHENTICATED"]
    r = district.api.post(IMPORT_VILLAGES, {"fc": {"type": "Polygon"}}, as_user="admin")
    assert [e["code"] for e in r["data"]["importVillages"]["errors"]] == ["BAD_INPUT"]


def test_cli_import_villages(district: District, tmp_path: Path) -> None:
    path = tmp_path / "villages.geojson"
    path.write_text(json.dumps(collection(
        village("370305101006", "钱家村", box(118.40, 36.815, 118.41, 36.83)),
        village("370305101007", "坏村", UNCLOSED))), encoding="utf-8")
    before = villages_count(district)
    status, out = district.run("import", "villages", str(path))
    assert status == 1 and "features[1] 370305101007 坏村" in out and "not closed" in out
    assert villages_count(district) == before
    path.write_text(json.dumps(collection(
        village("370305101006", "钱家村", box(118.40, 36.815, 118.41, 36.83)))))
    status, out = district.run("import", "villages", str(path))
    assert status == 0 and "370305101006" in out
    assert villages_count(district) == before + 1
    status, out = district.run("import", "villages", str(tmp_path / "missing.geojson"))
    assert status == 1 and "BAD_INPUT" in out


# --- households ---------------------------------------------------------------------------------

def test_import_households_finds_village_and_grid_and_lists_the_outside(
        district: District) -> None:
    before = grid_counts(district)
    fc = collection(household(118.35, 36.82, "凤凰镇王家村新1号", flags=["elderly"]),
                    household(118.37, 36.81, "凤凰镇张家村新2号"),
                    household(118.60, 36.95, "远处1号"),
                    household(118.375, 36.825, "凤凰镇王家村新3号"))
    r = district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc}, as_user="admin")
    r = r["data"]["importHouseholds"]
    assert r == {"imported": 3, "outside": [{"row": "features[2]", "address": "远处1号"}],
                 "errors": []}
    after = grid_counts(district)
    assert {c: after[c] - before[c] for c in before if after[c] != before[c]} == {
        "370305101001001": 1, "370305101001002": 1, "370305101002001": 1}
    q = """{ households(filter: {keyGroup: ELDERLY}, first: 100) {
      edges { node { address grid { code } } } } }"""
    edges = district.api.post(q, as_user="admin")["data"]["households"]["edges"]
    nodes = [e["node"] for e in edges]
    assert {"address": "凤凰镇王家村新1号", "grid": {"code": "370305101001001"}} in nodes


def test_households_outside_every_village_are_not_an_import(district: District) -> None:
    fc = collection(household(118.60, 36.95, "远处2号"), household(118.61, 36.95, "远处3号"))
    r = district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc}, as_user="admin")
    assert r["data"]["importHouseholds"] == {
        "imported": 0, "errors": [], "outside": [{"row": "features[0]", "address": "远处2号"},
                                                 {"row": "features[1]", "address": "远处3号"}]}


@pytest.mark.parametrize("feature,message", [
    (household(36.82, 118.35, "倒置1号"), "features[1]: latitude 118.35 is out of range"),
    (household(118.35, 36.82, "怪标签1号", flags=["vip"]),
     "features[1] 怪标签1号: unknown key groups"),
    (household(118.35, 36.82, "零人1号", size=0), "size must be at least 1"),
    (household(118.35, 36.82, "半人1号", size=1.5), "features[1]: size 1.5 is not a whole number"),
    (household(118.35, 36.82, ""), "features[1]: no address"),
    ({"type": "Feature", "properties": {"address": "线1号"},
      "geometry": {"type": "LineString", "coordinates": [[118.35, 36.82], [118.36, 36.82]]}},
     "features[1]: type LineString is not accepted here"),
])
def test_a_bad_household_is_named_and_nothing_is_imported(district: District, feature: dict,
                                                          message: str) -> None:
    before = households_count(district)
    fc = collection(household(118.35, 36.821, "好1号"), feature)
    r = district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc}, as_user="admin")
    r = r["data"]["importHouseholds"]
    assert [e["code"] for e in r["errors"]] == ["BAD_INPUT"] and r["imported"] == 0
    assert message in r["errors"][0]["message"]
    assert households_count(district) == before


def test_import_households_is_for_admins(district: District) -> None:
    fc = collection(household(118.35, 36.82, "权限1号"))
    assert codes(district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc}, as_user="dispatcher_b")) \
        == ["FORBIDDEN"]
    assert codes(district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc})) == ["UNAUTHENTICATED"]


def test_cli_import_households_csv_in_gcj02(district: District, tmp_path: Path) -> None:
    # 118.3585 lies in 王家一网格 (118.34-118.36); its GCJ-02 position, ~530 m east, in 王家二.
    wgs = (118.3585, 36.82)
    gcj = from_wgs84(*wgs, "GCJ02")
    path = tmp_path / "households.csv"
    path.write_text("lon,lat,address,size,head_name\n"
                    f"{gcj[0]!r},{gcj[1]!r},凤凰镇王家村火星1号,2,李秀英\n"
                    "118.60,36.95,远处4号,1,\n", encoding="utf-8")
    status, out = district.run("import", "households", str(path), "--crs", "GCJ02")
    assert status == 0, out
    assert "imported 1 households" in out and "line 3: 远处4号" in out
    with make_sessionmaker(district.engine)() as s:
        geom, grid = s.execute(select(Household.geom, Grid.code)
                               .join(Grid, Grid.id == Household.grid_id)
                               .where(Household.address == "凤凰镇王家村火星1号")).one()
    point = to_shape(geom)
    assert abs(point.x - wgs[0]) < 1e-9 and abs(point.y - wgs[1]) < 1e-9
    assert grid == "370305101001001"


def test_import_households_in_bd09_through_graphql(district: District) -> None:
    wgs = (118.3705, 36.8105)  # in 张家村
    fc = collection(household(*from_wgs84(*wgs, "BD09"), "凤凰镇张家村百度1号"))
    r = district.api.post(IMPORT_HOUSEHOLDS, {"fc": fc, "crs": "BD09"}, as_user="admin")
    assert r["data"]["importHouseholds"]["imported"] == 1
    point = to_shape(district.scalar(select(Household.geom)
                                     .where(Household.address == "凤凰镇张家村百度1号")))
    assert abs(point.x - wgs[0]) < 1e-9 and abs(point.y - wgs[1]) < 1e-9


@pytest.mark.parametrize("row,message", [
    ("east,36.82,甲1号,1", "line 3: lon 'east' is not a number"),
    ("nan,36.82,甲1号,1", "line 3 甲1号: position (nan, 36.82) is not a finite number"),
    ("36.82,118.35,甲1号,1", "line 3 甲1号: latitude 118.35 is out of range [-90, 90]; "
                            "longitude and latitude look swapped"),
    ("118.35,36.82,甲1号,two", "line 3: size 'two' is not a whole number"),
])
def test_cli_bad_csv_row_is_named_and_nothing_is_imported(district: District, tmp_path: Path,
                                                          row: str, message: str) -> None:
    before = households_count(district)
    path = tmp_path / "bad.csv"
    path.write_text(f"lon,lat,address,size\n118.35,36.821,好2号,1\n{row}\n", encoding="utf-8")
    status, out = district.run("import", "households", str(path))
    assert status == 1 and "BAD_INPUT" in out and message in " ".join(out.split()), out
    assert households_count(district) == before


def test_cli_csv_without_needed_columns_and_all_outside(district: District,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("lon,lat,address\n118.35,36.82,乙1号\n", encoding="utf-8")
    status, out = district.run("import", "households", str(path))
    assert status == 1 and "lacks column(s) size" in out
    path.write_text("lon,lat,address,size\n118.60,36.95,远处5号,1\n", encoding="utf-8")
    status, out = district.run("import", "households", str(path))
    assert status == 1 and "imported 0 households" in out and "line 2: 远处5号" in out


# --- export -------------------------------------------------------------------------------------

def township_gid(d: District, code: str) -> str:
    r = d.api.post("{ townships { edges { node { id code } } } }", as_user="admin")
    return next(e["node"]["id"] for e in r["data"]["townships"]["edges"]
                if e["node"]["code"] == code)


def test_export_grids_through_graphql(district: District) -> None:
    fc = district.api.post(EXPORT, {"t": township_gid(district, "370305001")},
                           as_user="supervisor")["data"]["exportGrids"]
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 8
    first = fc["features"][0]
    assert first["geometry"]["type"] == "Polygon"
    assert first["properties"] == {"code": "370305001001001", "name": "东关一网格",
                                   "village": "370305001001", "township": "370305001",
                                   "households": grid_counts(district)["370305001001001"],
                                   "agents": 1}
    every = district.api.post(EXPORT, as_user="admin")["data"]["exportGrids"]
    assert [f["properties"]["code"] for f in every["features"]] == sorted(grid_counts(district))
    assert codes(district.api.post(EXPORT, as_user="dispatcher")) == ["FORBIDDEN"]
    assert codes(district.api.post(EXPORT)) == ["UNAUTHENTICATED"]
    assert codes(district.api.post(EXPORT, {"t": "nonsense"}, as_user="admin")) == ["BAD_INPUT"]


def test_cli_export_grids(district: District, tmp_path: Path) -> None:
    status, out = district.run("export", "grids", "--township", "370305101")
    assert status == 0
    fc = json.loads(out)
    assert [f["properties"]["code"] for f in fc["features"]] == [
        "370305101001001", "370305101001002", "370305101002001"]
    path = tmp_path / "grids.geojson"
    status, out = district.run("export", "grids", "--output", str(path))
    assert status == 0 and "wrote 11 grids" in out
    assert len(json.loads(path.read_text())["features"]) == 11
    status, out = district.run("export", "grids", "--format", "csv")
    assert status == 2 and "csv" in out
    status, out = district.run("export", "grids", "--township", "370305999")
    assert status == 1 and "NOT_FOUND" in out
