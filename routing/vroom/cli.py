"""``hubroute vroom REQUEST.json``: answer a VROOM request offline, like ``vroom -i``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from routing.errors import InputError, Problem


def vroom(
    request: Annotated[Path, typer.Argument(help="A VROOM request (JSON); - reads stdin.")],
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", min=0.01, help="Search seconds (default: by size)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the answer here.")
    ] = None,
) -> None:
    """Solve (or, with vehicle steps, check) a VROOM request; print VROOM's answer.

    Coordinates without matrices are timed on the straight-line estimate (25 km/h,
    1.5 detour), said in the answer's ``notes``.
    """
    from routing.console import fail
    from routing.matrix import StraightLineMatrixProvider
    from routing.vroom.api import answer_request

    def straight_line(
        locations: Sequence[tuple[float, float]],
    ) -> tuple[list[list[int]], list[list[int]]]:
        ids = [f"l{i}" for i in range(len(locations))]
        m = StraightLineMatrixProvider().matrix(ids, locations)
        return m.duration_s.tolist(), m.distance_m.tolist()

    try:
        text = sys.stdin.read() if str(request) == "-" else request.read_text(encoding="utf-8")
        data = json.loads(text)
        answer = answer_request(data, matrix_for=straight_line, time_limit_s=time_limit)
    except (OSError, UnicodeDecodeError) as exc:
        fail(InputError(Problem(str(request), "", f"cannot read: {exc}")))
        return
    except json.JSONDecodeError as exc:
        fail(InputError(Problem(str(request), "", f"not JSON: {exc.msg} at line {exc.lineno}")))
        return
    except InputError as exc:
        fail(exc)
        return
    notes = answer.setdefault("notes", [])
    if "matrices" not in data and "matrix" not in data:
        notes.append("travel matrix: straight-line estimate")
    if (data.get("options") or {}).get("g") is True:
        notes.append("geometry needs a road network (the service's hubs have one); none drawn")
    if not notes:
        del answer["notes"]
    out = json.dumps(answer, indent=2)
    if output is None:
        typer.echo(out)
    else:
        output.write_text(out + "\n", encoding="utf-8")
