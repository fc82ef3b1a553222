"""Quotes: the marginal cost of adding one pickup to a finished plan.

The pricing itself is :func:`routing.quote_pickup` (the library's), with the hub's cost
model as the plan was priced; this module finds the plan, resolves the pickup (village
look-up) and maps the answer.
"""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from pydantic import ValidationError

import routing
from routing.errors import InputError
from routing.errors import Problem as InputProblem
from routing.io import to_file_names as api_names
from service.errors import Conflict, NotFound
from service.hubs import HubRuntime
from service.planner import Planner
from service.problem_input import _pickup_data
from service.schemas import QuoteOut, QuoteRequest


def _quote_pickup(hub: HubRuntime, req: QuoteRequest) -> routing.PickupPoint:
    """The pickup to price, its village resolved; every problem named ``pickup.<field>``."""
    problems: list[InputProblem] = []
    data = _pickup_data(hub, 0, req.pickup, problems)
    if problems:
        raise InputError(
            [
                InputProblem(p.record, p.field.replace("pickups[0]", "pickup"), p.message)
                for p in problems
            ]
        )
    try:
        return routing.PickupPoint.model_validate(data)
    except ValidationError as exc:
        # E.g. a window that closes before it opens: the schema cannot say so.
        found = []
        for err in exc.errors():
            message = api_names(str(err["msg"]).removeprefix("Value error, "))
            loc = [api_names(str(x)) for x in err["loc"]]
            lead = message.split(" ", 1)[0]
            if not loc and lead in type(req.pickup).model_fields:
                loc = [lead]  # a check of two fields names the first in its message
            found.append(
                InputProblem(f"pickup {req.pickup.id!r}", ".".join(["pickup", *loc]), message)
            )
        raise InputError(found) from None


async def quote_pickup(planner: Planner, hub: HubRuntime, req: QuoteRequest) -> QuoteOut:
    """Price ``req.pickup`` against the hub's plan ``req.plan_id``.

    Raises
    ------
    NotFound
        No such plan at the hub.
    Conflict
        The plan is not done.
    InputError
        The pickup is invalid (unknown village, bad coordinates...).
    """
    try:
        stored = await planner.get(hub.id, req.plan_id)
    except NotFound as exc:
        exc.problems = (InputProblem("", "plan_id", "no such plan at this hub; check the id"),)
        raise
    if stored.status != "done" or stored.result_json is None:
        raise Conflict(f"plan {req.plan_id!r} is {stored.status}; quotes need a done plan")
    full = await to_thread.run_sync(planner.repo.get_payload, stored.id)
    pickup = _quote_pickup(hub, req)
    plan = routing.Plan.model_validate_json(stored.result_json)
    problem_dict = dict(full["problem"]) if full else None

    def run() -> Any:
        problem = routing.problem_from_dict(problem_dict) if problem_dict else None
        return routing.quote_pickup(
            plan, pickup, problem=problem, network=hub.network, cost_model=hub.cost_model
        )

    result = await to_thread.run_sync(run)
    data = result.model_dump(mode="json") if hasattr(result, "model_dump") else dict(result)
    data.setdefault("plan_id", stored.id)
    data.setdefault("pickup_id", req.pickup.id)
    data.setdefault("feasible", data.get("marginal_cost_rmb") is not None)
    return QuoteOut.model_validate(data)
