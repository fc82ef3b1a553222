"""Response documentation shared by the routers."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorBody

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be decoded (not UTF-8)."},
    401: {"model": ErrorBody, "description": "Missing or unknown API key."},
    404: {"model": ErrorBody, "description": "No such resource at the caller's hub."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    422: {"model": ErrorBody, "description": "Bad input; every field and problem is named."},
    429: {
        "model": ErrorBody,
        "description": "Every solver is busy and the queue is full; see Retry-After.",
    },
}
