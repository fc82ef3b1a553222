"""``/healthz`` and ``/readyz``."""

from __future__ import annotations

from asgi_client import AppClient


def test_healthz_needs_no_key(client: AppClient) -> None:
    """Liveness answers 200 without authentication."""
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_readyz_checks_database_and_workers(client: AppClient) -> None:
    """Readiness reports the database and the worker pool."""
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["checks"] == {"database": "ok", "workers": "ok"}
    assert body["workers"] == 1


def test_readyz_is_503_when_workers_are_gone(client: AppClient) -> None:
    """After the executor shuts down, readiness answers 503."""
    client.app.state.planner.executor.shutdown()
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["workers"] == "dead"


def test_openapi_documents_v1_with_examples(client: AppClient) -> None:
    """Every endpoint is in the schema, versioned, with request examples."""
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/plans",
        "/v1/plans/{plan_id}",
        "/v1/quotes",
        "/v1/vroom",
        "/healthz",
        "/readyz",
        "/v1/plans/{plan_id}/routes.geojson",
    } <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert schemas["PlanRequest"]["examples"]
    assert schemas["VroomRequest"]["examples"]
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]
