"""Property-based API tests from ``/openapi.json`` (schemathesis): never a 5xx.

Every operation is fuzzed on its own, then statefully: the OpenAPI links of a created
plan are followed (create -> get -> exports -> quote -> delete), with schemathesis's
stateful checks (a created plan can be fetched; a deleted one is gone). The app runs
under uvicorn in a thread on a loopback port, with the real solver (time limit capped
at half a second so the run stays within a minute or two).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import ALPHA, make_settings
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.main import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service under uvicorn on a free loopback port."""
    import uvicorn

    tmp: Path = tmp_path_factory.mktemp("schema")
    app = create_app(
        make_settings(
            tmp,
            workers=2,
            queue_size=64,
            default_time_limit_s=0.5,
            max_time_limit_s=0.5,
            log_level="WARNING",
        )
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=30)


# The schema is the app's own /openapi.json (generated without starting the app); the
# requests go to the live server.
schema = schemathesis.openapi.from_dict(create_app(make_settings(Path("/nonexistent"))).openapi())
# The stateful run sends schema-valid requests only (invalid ones are the run above's):
# a sequence must create plans to walk their links.
stateful_schema = schemathesis.openapi.from_dict(
    create_app(make_settings(Path("/nonexistent"))).openapi()
)
stateful_schema.config.generation.update(modes=[GenerationMode.POSITIVE])
#: Scenarios (each up to 6 linked calls) of the stateful run: a minute or two in all.
STATEFUL_SCENARIOS = 25


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: Any, live_url: str) -> None:
    """Any generated request (valid or not) gets a documented, non-5xx answer."""
    # Semantic checks (a window closing before it opens, a village the hub does not
    # know) cannot be written in JSON Schema, so a schema-valid body may rightly get a
    # 422: positive_data_acceptance does not apply. Every other check does.
    case.call_and_validate(
        base_url=live_url,
        headers=ALPHA,
        timeout=60,
        excluded_checks=[positive_data_acceptance],
    )


def _plannable(body: Any) -> None:
    """Make a generated plan request plannable at the alpha hub, in place.

    Rules a JSON Schema cannot state (lon with lat, or a village the hub knows; a time
    limit under this server's cap; an inline vehicle type stating a rate) would refuse
    nearly every generated request, and a sequence needs created plans to walk their
    links. Every other generated value is sent as generated.
    """
    if not isinstance(body, dict):
        return
    body.pop("hub", None)
    for i, pickup in enumerate(p for p in body.get("pickups", ()) if isinstance(p, dict)):
        if pickup.get("lon") is None or pickup.get("lat") is None:
            pickup.update(lon=101.95 + 0.001 * (i % 50), lat=24.05)
        pickup.pop("allowed_vehicle_types", None)
    options = body.get("options")
    if isinstance(options, dict) and (options.get("time_limit_s") or 0) > 0.5:
        options["time_limit_s"] = 0.5
    fleet = body.get("fleet")
    if isinstance(fleet, list):
        for vehicle in (v for v in fleet if isinstance(v, dict)):
            vehicle.setdefault("rmb_per_km", 1.0)
    elif isinstance(fleet, str):
        body["fleet"] = "vans"


def test_stateful_links_no_server_errors(live_url: str) -> None:
    """Sequences that follow the plan's links get no 5xx and pass the stateful checks;
    the links are really walked (a created plan is fetched, exported and deleted)."""
    calls: Counter[tuple[str, int]] = Counter()

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": live_url, "headers": ALPHA, "timeout": 60}

        def before_call(self, case: Any) -> None:
            if case.method == "POST" and case.path == "/v1/plans":
                _plannable(case.body)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            calls[(f"{case.method} {case.path}", response.status_code)] += 1

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[positive_data_acceptance],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
    print(
        f"stateful: {STATEFUL_SCENARIOS} scenarios, {sum(calls.values())} calls to "
        f"{len({op for op, _ in calls})} operations; (operation, status) -> calls:",
        dict(sorted(calls.items())),
    )
    assert not [call for call in calls if call[1] >= 500], calls
    created = sum(n for (op, code), n in calls.items() if op == "POST /v1/plans" and code < 300)
    assert created > 0, calls
    followed = {op for (op, code) in calls if code < 300}
    assert "GET /v1/plans/{plan_id}" in followed, calls
    assert "DELETE /v1/plans/{plan_id}" in followed, calls
    exports = ("routes.geojson", "runs.csv", "report.html")
    assert any(f"GET /v1/plans/{{plan_id}}/{name}" in followed for name in exports), calls
