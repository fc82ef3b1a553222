"""Request context: a 500 carries the request id in its body and its X-Request-ID header."""

from __future__ import annotations

from pathlib import Path

from asgi_client import AppClient
from conftest import ALPHA, make_settings

from service.main import create_app


def test_an_unhandled_error_is_a_500_with_the_request_id(tmp_path: Path) -> None:
    """The caller is told to quote the id, and the id is the one in the header."""
    app = create_app(make_settings(tmp_path))

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with AppClient(app) as client:
        r = client.get("/v1/boom", headers=ALPHA)
        assert r.status_code == 500
        rid = r.headers["x-request-id"]
        assert len(rid) >= 16
        body = r.json()
        assert body["request_id"] == rid
        assert body["error"]["code"] == "internal_error"
        assert rid in body["error"]["message"]
        assert "a bug" not in r.text  # internals stay in the log
        given = client.get("/v1/boom", headers={**ALPHA, "X-Request-ID": "caller-id-0001"})
        assert given.headers["x-request-id"] == given.json()["request_id"] == "caller-id-0001"
