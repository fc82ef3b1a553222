"""One call from VROOM JSON to VROOM JSON, for the CLI and the HTTP service."""

from __future__ import annotations

import time
from typing import Any

from routing.vroom.request import MatrixFor, parse_request
from routing.vroom.response import render
from routing.vroom.solve import solve_vroom


def answer_request(
    data: object,
    *,
    matrix_for: MatrixFor | None = None,
    time_limit_s: float | None = None,
) -> dict[str, Any]:
    """Parse, solve (or check, in plan mode) and render a VROOM request.

    Parameters
    ----------
    data
        Decoded VROOM JSON.
    matrix_for
        Travel matrices between coordinates, for requests without ``matrices``.
    time_limit_s
        Search budget; overrides ``options.l`` and the size-based default.

    Raises
    ------
    InputError
        Every problem of the request, each naming its key path.
    """
    began = time.perf_counter()
    problem = parse_request(data, matrix_for=matrix_for)
    loading_ms = round(1000 * (time.perf_counter() - began))
    solution = solve_vroom(problem, time_limit_s=time_limit_s)
    return render(problem, solution, loading_ms=loading_ms)
