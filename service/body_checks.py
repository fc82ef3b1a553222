"""Checks on a request body before any route sees it: JSON media type, no repeated keys.

A JSON parser keeps the last of two equal keys, so ``{"pickups": [...], "pickups": [...]}``
would silently drop half a request; and a JSON body sent as ``text/plain`` would reach
validation as a string and be answered "not a valid dictionary", which does not say what
to change. Both are answered here with an error naming the fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from routing.errors import Problem as InputProblem
from service.errors import error_body
from service.observability import _send_json

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


class _Pairs(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Pairs:
    out = _Pairs(pairs)
    seen: set[str] = set()
    out.repeated = []
    for key, _ in pairs:
        if key in seen and key not in out.repeated:
            out.repeated.append(key)
        seen.add(key)
    return out


def _path(parent: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{parent}[{step}]"
    return f"{parent}.{step}" if parent else step


def repeated_keys(doc: Any, at: str = "") -> list[str]:
    """Paths (``pickups[0].id``) of every key given twice in one object of ``doc``."""
    found: list[str] = []
    if isinstance(doc, _Pairs):
        found += [_path(at, k) for k in doc.repeated]
        for key, value in doc.items():
            found += repeated_keys(value, _path(at, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += repeated_keys(value, _path(at, i))
    return found


Refusal = tuple[int, str, str, list[InputProblem]]


def body_problems(content_type: str, body: bytes) -> Refusal | None:
    """Status, code, message and problems for a body that must not reach a route, else None."""
    media = content_type.split(";")[0].strip().lower()
    if not _JSON_TYPE.match(media):
        got = f"Content-Type {media!r}" if media else "no Content-Type"
        message = f"the body must be JSON sent with Content-Type: application/json (got {got})"
        problem = InputProblem("request", "Content-Type", message)
        return 415, "unsupported_media_type", message, [problem]
    try:
        doc = json.loads(body, object_pairs_hook=_object)
    except (ValueError, RecursionError):
        return None  # not JSON: the route's validation names the position
    paths = repeated_keys(doc)
    if not paths:
        return None
    problems = [
        InputProblem("request", p, "this key is given more than once; send each key once")
        for p in paths
    ]
    message = f"repeated JSON key {', '.join(paths)}: send each key once"
    return 422, "invalid_input", message, problems


class JsonBodyMiddleware:
    """Answer 415 to a body that is not declared JSON and 422 to repeated JSON keys."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            received = await receive()
            if received["type"] != "http.request":
                await self.app(scope, _replay([received], receive), send)
                return
            chunks.append(received.get("body", b""))
            more = received.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope.get("headers", ()))
        found = body_problems(headers.get(b"content-type", b"").decode("latin-1"), body)
        if body and found is not None:
            status, code, message, problems = found
            await _send_json(send, status, error_body(code, message, problems))
            return
        replayed: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([replayed], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
