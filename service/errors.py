"""HTTP errors with stable codes, and the handlers that render every error alike.

Every error body has the shape of :class:`service.schemas.ErrorBody`:
``{"error": {"code", "message", "problems": [{"record", "field", "message"}]},
"request_id"}``. Bad input is always a 4xx naming the field; a 500 means a bug.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from routing.errors import HubrouteError, InputError
from routing.errors import Problem as InputProblem
from service.observability import current_request_id

log = logging.getLogger("service.errors")


class ServiceError(Exception):
    """An error with an HTTP status and a stable ``code``."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        problems: Iterable[InputProblem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)
        self.headers = headers or {}


class Unauthorized(ServiceError):
    """No or unknown API key."""

    status_code = 401
    code = "unauthorized"


class NotFound(ServiceError):
    """Unknown resource, or one that belongs to another hub (indistinguishable)."""

    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    """The resource is not in a state that allows this (e.g. plan not done yet)."""

    status_code = 409
    code = "conflict"


class InvalidRequest(ServiceError):
    """The request is well-formed JSON but its content is wrong."""

    status_code = 422
    code = "invalid_input"


class QueueFull(ServiceError):
    """All workers are busy and the queue is full."""

    status_code = 429
    code = "queue_full"


class Unavailable(ServiceError):
    """The service cannot take work right now (shutting down, feature missing)."""

    status_code = 503
    code = "unavailable"


class SolveFailed(ServiceError):
    """The solver failed for a reason that is not the caller's input."""

    status_code = 500
    code = "solve_failed"


def error_body(code: str, message: str, problems: Sequence[InputProblem] = ()) -> dict[str, Any]:
    """Build the JSON error body used by every error response."""
    return {
        "error": {
            "code": code,
            "message": message,
            "problems": [
                {"record": p.record, "field": p.field, "message": p.message} for p in problems
            ],
        },
        "request_id": current_request_id(),
    }


_UNION_TAG = re.compile(r"^(str|int|float|bool|none|[a-z]+-[a-z-]+|\w+\[.*\])$")


def _loc_to_field(loc: Sequence[int | str]) -> str:
    # Union branches add their type as a path step ("list[VehicleTypeIn]", "str"):
    # drop them, so every path reads like the request (fleet[0].driver_break).
    parts = [p for p in loc if not (isinstance(p, str) and _UNION_TAG.match(p))]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_problems(exc: RequestValidationError) -> list[InputProblem]:
    """Name the field of each FastAPI/pydantic validation error (``pickups[3].parcels``)."""
    found = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            # The location is a character offset, not a field: name the body and say where.
            at = err.get("loc", ("body", "?"))[-1]
            detail = (err.get("ctx") or {}).get("error", msg)
            msg = f"not valid JSON at character {at} ({detail}); send one JSON object"
            found.append(InputProblem("", "body", msg))
            continue
        field = _loc_to_field(err.get("loc", ())) or "body"
        found.append(InputProblem("", field, msg))
    # A list given where "a name or a list" is accepted fails the name branch too.
    deeper = {p.field.split("[")[0] for p in found if "[" in p.field}
    kept = [p for p in found if not (p.field in deeper and "valid string" in p.message)]
    return kept or found


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.problems),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    return JSONResponse(
        error_body(exc.code, str(exc), exc.problems), status_code=InvalidRequest.status_code
    )


async def _hubroute_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubrouteError)
    log.warning("library error: %s", exc)
    return JSONResponse(error_body(exc.code, str(exc)), status_code=422)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc)
    message = "; ".join(str(p) for p in problems) or "invalid request"
    return JSONResponse(error_body("invalid_input", message, problems), status_code=422)


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names no methods; list every route's whose path matches.
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for pattern, route_methods in getattr(request.app.state, "route_methods", ()):
        if pattern.match(path):
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    detail = str(exc.detail)
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
        detail = f"{request.method} is not allowed here; use {headers['Allow']}"
    codes = {
        400: "bad_request",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }
    return JSONResponse(
        error_body(codes.get(exc.status_code, "http_error"), detail),
        status_code=exc.status_code,
        headers=headers,
    )


DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
"""Errors of an unreachable, full or read-only database (not of a bad query)."""


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    log.warning("database unavailable: %s", reason)
    retry = str(request.app.state.settings.db_retry_after_s)
    return JSONResponse(
        error_body(
            "database_unavailable",
            f"the database cannot be used right now ({reason}); nothing was changed; "
            f"retry after {retry} s",
        ),
        status_code=503,
        headers={"Retry-After": retry},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(HubrouteError, _hubroute_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    for kind in DATABASE_DOWN:
        app.add_exception_handler(kind, _database_down)
