"""`wangge import villages|households`, `wangge export grids` and `wangge divide`: bulk work on
the areas, as the operator (see imports.OPERATOR), each in one transaction."""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from backend.areas import division, imports
from backend.cli_support import console, transaction
from geo.crs import CRS

import_app = typer.Typer(no_args_is_help=True, help="Import villages or households from a file.")
export_app = typer.Typer(no_args_is_help=True, help="Export areas to a file.")


def _print(renderable: object) -> None:
    console.print(renderable)


@import_app.command("villages")
def import_villages(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of village polygons "
                                              "(properties code, name, kind, township)")],
) -> None:
    """Add villages; nothing is kept if any feature is bad."""
    report = transaction(lambda s: imports.import_villages(s, imports.OPERATOR,
                                                            imports.read_geojson(file)))
    _print(f"imported {len(report.codes)} villages: {', '.join(report.codes)}")


@import_app.command("households")
def import_households(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection of Points, or a CSV "
                                              "with lon,lat,address,size[,head_name,id_number,"
                                              "phone]")],
    crs: Annotated[CRS, typer.Option(help="the coordinate system of the positions")] = CRS.WGS84,
) -> None:
    """Add households at their village and grid.

    Households in no village are listed and left out; exits 1 when none was imported."""
    report = transaction(lambda s: imports.import_households(
        s, imports.OPERATOR, imports.read_households(file), crs))
    _print(f"imported {report.imported} households")
    if report.outside:
        _print(f"[yellow]{len(report.outside)} households lie in no village and were not "
               f"imported:[/yellow]")
        for o in report.outside:
            _print(f"  {o.row}: {o.address}")
    if report.imported == 0:
        raise typer.Exit(1)


class ExportFormat(StrEnum):
    geojson = "geojson"


@export_app.command("grids")
def export_grids(
    township: Annotated[str | None, typer.Option(help="township code (default: all)")] = None,
    format: Annotated[ExportFormat, typer.Option(help="file format")] = ExportFormat.geojson,
    output: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
) -> None:
    """Write the grids as a GeoJSON FeatureCollection."""
    fc = transaction(lambda s: imports.export_grids(
        s, imports.OPERATOR, imports.township_id_of(s, township) if township else None),
        commit=False)
    text = json.dumps(fc, ensure_ascii=False)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        _print(f"wrote {len(fc['features'])} grids to {output}")


def divide(
    township: Annotated[str, typer.Option(help="township code")],
    village: Annotated[str | None, typer.Option(help="only this village of the township")] = None,
    households_per_grid: int = 200,
    dry_run: Annotated[bool, typer.Option(help="compute and show, write nothing")] = False,
) -> None:
    """Divide (or re-divide) villages into grids by their households.

    Unchanged grids keep their codes; households and agents follow their grids."""
    report = transaction(lambda s: division.divide_grids(
        s, imports.OPERATOR, division.scope_of_codes(s, township, village), households_per_grid,
        dry_run), commit=not dry_run)
    table = Table(title="changed and new grids" + (" (dry run: nothing written)" if dry_run
                                                   else ""))
    for col in ("code", "households", "status"):
        table.add_column(col)
    for g in report.grids:
        if g.status is not division.Status.KEPT:
            table.add_row(g.code, str(g.households), g.status.value)
    if table.row_count:
        _print(table)
    n = Counter(g.status for g in report.grids)
    q = report.quality
    _print(f"{len(report.grids)} grids: {n[division.Status.KEPT]} kept, "
           f"{n[division.Status.CHANGED]} changed, {n[division.Status.NEW]} new; "
           f"{len(report.removed_codes)} removed {' '.join(report.removed_codes)}".rstrip())
    _print(f"{q.households} households, {q.min}–{q.max} a grid (median {q.median:g}); "
           f"{q.within_25pct:.1%} of grids within ±25% of {q.target}")

