"""`wangge verify-draw PLAN.json`: recompute a published inspection plan offline.

Exit 0: the draw matches; 1: it does not (each discrepancy printed); 2: not a readable plan.
Needs no database and no configuration, so anyone can run it on a downloaded plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from backend.inspections.draw import PlanFormatError, verify


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON; Python's json would otherwise accept them
    raise ValueError(f"{name} is not a JSON number")


def verify_draw(
    plan: Annotated[Path, typer.Argument(help="the published plan document (JSON)", show_default=False)],
) -> None:
    """Recompute a published random inspection draw and say whether it matches."""
    try:
        document = json.loads(plan.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except OSError as e:
        typer.echo(f"cannot read {plan}: {e.strerror or e}", err=True)
        raise typer.Exit(2) from None
    except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError is a ValueError
        typer.echo(f"{plan} is not valid JSON: {e}", err=True)
        raise typer.Exit(2) from None
    try:
        problems = verify(document)
    except PlanFormatError as e:
        typer.echo(f"{plan} is not a plan document: {e}", err=True)
        raise typer.Exit(2) from None
    if problems:
        for p in problems:
            typer.echo(p)
        typer.echo(f"NOT verified: {len(problems)} discrepanc{'y' if len(problems) == 1 else 'ies'}")
        raise typer.Exit(1)
    typer.echo("verified: the draw matches")
