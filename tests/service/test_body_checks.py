"""Request bodies: repeated JSON keys and non-JSON media types are named; 405 lists Allow."""

from __future__ import annotations

import json

import pytest
from asgi_client import AppClient
from conftest import ALPHA, pickups

from service.body_checks import body_problems


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "request_id"}
    return dict(body["error"])


def test_a_repeated_top_level_key_is_422_naming_it(client: AppClient) -> None:
    """Two "pickups" keys would silently drop the first list; the key is named instead."""
    first, second = json.dumps(pickups(1)), json.dumps(pickups(2))
    body = f'{{"pickups": {first}, "pickups": {second}}}'
    r = client.post(
        "/v1/plans", content=body.encode(), headers={**ALPHA, "content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    error = _error(r)
    assert [p["field"] for p in error["problems"]] == ["pickups"]  # type: ignore[index]
    assert "pickups" in str(error["message"])


def test_a_repeated_nested_key_is_named_by_its_path(client: AppClient) -> None:
    """A key repeated inside the second pickup is named pickups[1].parcels."""
    p0, p1 = (json.dumps(p) for p in pickups(2))
    p1 = p1[:-1] + ', "parcels": 3, "parcels": 4}'
    body = f'{{"pickups": [{p0}, {p1}]}}'
    r = client.post(
        "/v1/plans", content=body.encode(), headers={**ALPHA, "content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert [p["field"] for p in _error(r)["problems"]] == ["pickups[1].parcels"]  # type: ignore[index]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_json_sent_with_another_content_type_says_to_send_json(
    client: AppClient, content_type: str | None
) -> None:
    """A JSON body declared as text (or not declared) is a 415 that names application/json."""
    headers = {**ALPHA} if content_type is None else {**ALPHA, "content-type": content_type}
    body = json.dumps({"pickups": pickups(2)}).encode()
    for path in ("/v1/plans", "/v1/quotes", "/v1/vroom"):
        r = client.post(path, content=body, headers=headers)
        assert r.status_code == 415, (path, r.text)
        error = _error(r)
        assert error["code"] == "unsupported_media_type"
        assert "Content-Type: application/json" in str(error["message"])
        assert [p["field"] for p in error["problems"]] == ["Content-Type"]  # type: ignore[index]


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: AppClient) -> None:
    """``application/json; charset=utf-8`` is JSON; the plan is made."""
    body = json.dumps({"pickups": pickups(2)}).encode()
    r = client.post(
        "/v1/plans",
        content=body,
        headers={**ALPHA, "content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert body_problems("application/vnd.api+json", b"{}") is None


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/plans", "GET, HEAD, POST"),
        ("PATCH", "/v1/plans/abc", "DELETE, GET, HEAD"),
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/v1/quotes", "POST"),
    ],
)
def test_405_lists_the_allowed_methods(
    client: AppClient, method: str, path: str, allow: str
) -> None:
    """A wrong method gets 405 with a filled Allow header and the methods in the message."""
    r = client.request(method, path, headers=ALPHA)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert allow in str(_error(r)["message"])
