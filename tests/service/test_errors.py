"""Bad input: 422 naming each field and problem, 413 for large bodies, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from asgi_client import AppClient
from conftest import ALPHA, hubs_file_with_roads, pickups


def problems(r: Any) -> list[dict[str, str]]:
    """The problems of a 422 answer (asserting the status and the shape)."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"]["code"] in ("invalid_input", "invalid_network")
    return list(body["error"]["problems"])


def fields(r: Any) -> set[str]:
    """The fields named by a 422 answer."""
    return {p["field"] for p in problems(r)}


def test_unknown_village_names_the_field(client: AppClient) -> None:
    """An unknown village without coordinates is a 422 on pickups[i].village."""
    body = {"pickups": [*pickups(1), {"id": "X", "village": "Atlantis"}]}
    found = problems(client.post("/v1/plans", json=body, headers=ALPHA))
    assert found[0]["field"] == "pickups[1].village"
    assert "Atlantis" in found[0]["message"]


def test_negative_parcels_names_the_field(client: AppClient) -> None:
    """Negative parcels is a 422 on pickups[0].parcels."""
    body = {"pickups": [{**pickups(1)[0], "parcels": -3}]}
    assert fields(client.post("/v1/plans", json=body, headers=ALPHA)) == {"pickups[0].parcels"}


@pytest.mark.parametrize(("key", "value"), [("lon", 181.0), ("lat", -91.0)])
def test_coordinates_out_of_range(client: AppClient, key: str, value: float) -> None:
    """Coordinates outside WGS84 ranges name the coordinate."""
    body = {"pickups": [{**pickups(1)[0], key: value}]}
    assert fields(client.post("/v1/plans", json=body, headers=ALPHA)) == {f"pickups[0].{key}"}


def test_duplicate_ids(client: AppClient) -> None:
    """Duplicate pickup ids name the second occurrence."""
    one = pickups(1)[0]
    found = problems(client.post("/v1/plans", json={"pickups": [one, one]}, headers=ALPHA))
    assert found[0]["field"] == "pickups[1].id"
    assert "duplicate" in found[0]["message"]


def test_every_problem_is_reported_at_once(client: AppClient) -> None:
    """Several bad pickups: every problem in one answer."""
    body = {
        "pickups": [
            {"id": "A", "village": "Nowhere"},
            {"id": "B", "village": "Nada"},
            {"id": "C", "lon": 101.9},
        ]
    }
    assert fields(client.post("/v1/plans", json=body, headers=ALPHA)) == {
        "pickups[0].village",
        "pickups[1].village",
        "pickups[2].lon",
    }


def test_unknown_fleet_and_bad_options(client: AppClient) -> None:
    """An unknown fleet name, a bad allocation method and a negative time limit."""
    assert fields(
        client.post("/v1/plans", json={"pickups": pickups(1), "fleet": "ships"}, headers=ALPHA)
    ) == {"fleet"}
    body = {"pickups": pickups(1), "options": {"allocation": ["magic"], "time_limit_s": -1}}
    assert fields(client.post("/v1/plans", json=body, headers=ALPHA)) == {
        "options.allocation[0]",
        "options.time_limit_s",
    }


def test_library_validation_names_record_and_field(client: AppClient) -> None:
    """Problems the domain model finds (window closes before it opens) name the pickup."""
    body = {"pickups": [{**pickups(1)[0], "ready": "10:00", "close": "09:00"}]}
    found = problems(client.post("/v1/plans", json=body, headers=ALPHA))
    assert found[0]["record"] == "pickup 'P0'"
    assert found[0]["field"] == "pickups[0].close"
    assert found[0]["message"].startswith("close 09:00 is before ready 10:00")


def test_malformed_json_and_wrong_types(client: AppClient) -> None:
    """Broken JSON and wrong types are 422s, not 500s."""
    r = client.post(
        "/v1/plans", content=b"{not json", headers={**ALPHA, "content-type": "application/json"}
    )
    assert r.status_code == 422
    assert fields(client.post("/v1/plans", json={"pickups": "many"}, headers=ALPHA)) == {"pickups"}
    assert fields(client.post("/v1/plans", json={}, headers=ALPHA)) == {"pickups"}


def test_too_many_pickups(app_factory: Any) -> None:
    """More pickups than the server allows is a 422 on pickups."""
    client = app_factory(max_pickups=2)
    assert fields(client.post("/v1/plans", json={"pickups": pickups(3)}, headers=ALPHA)) == {
        "pickups"
    }


def test_body_too_large_is_413(app_factory: Any) -> None:
    """A body over max_body_bytes answers 413 (by Content-Length or by counting)."""
    client = app_factory(max_body_bytes=4096)
    big = {"pickups": pickups(1), "name": "x" * 190, "closed_roads": ["r" * 100] * 60}
    r = client.post("/v1/plans", json=big, headers=ALPHA)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"

    async def chunked() -> Any:
        async def gen() -> Any:
            for _ in range(10):
                yield b" " * 1000

        return await client.http.post(
            "/v1/plans", content=gen(), headers={**ALPHA, "content-type": "application/json"}
        )

    assert client.run(chunked).status_code == 413


def test_pickup_off_the_road_network(app_factory: Any, tmp_path: Any) -> None:
    """With a road network, a pickup far from every road is a 422 naming it."""
    hubs = hubs_file_with_roads(tmp_path)
    client = app_factory(hubs_file=hubs)
    body = {"pickups": [{"id": "FAR", "lon": 100.0, "lat": 20.0, "parcels": 1}]}
    found = problems(client.post("/v1/plans", json=body, headers=ALPHA))
    assert any("FAR" in p["record"] + p["message"] for p in found)


def test_time_limit_above_the_cap_is_refused_naming_the_cap(app_factory: Any) -> None:
    """A time limit above max_time_limit_s is a 422 naming the cap, not silently cut."""
    client = app_factory(max_time_limit_s=30)
    body = {"pickups": pickups(2), "options": {"time_limit_s": 3600}}
    found = problems(client.post("/v1/plans", json=body, headers=ALPHA))
    assert [p["field"] for p in found] == ["options.time_limit_s"]
    assert "30 s" in found[0]["message"]
    at_cap = {"pickups": pickups(2), "options": {"time_limit_s": 30}}
    assert client.post("/v1/plans", json=at_cap, headers=ALPHA).status_code == 200
