"""Dependencies of the handlers, as ``Annotated`` aliases.

Everything comes from ``app.state`` (set up by the lifespan in :mod:`service.main`),
never from module globals, so each app (and each test) has its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from service.config import Settings, hash_api_key
from service.errors import Unauthorized
from service.hubs import HubRuntime
from service.planner import Planner
from service.store.repo import PlanRepo

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key issued for one hub; plans of other hubs are invisible (404).",
)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_planner(request: Request) -> Planner:
    """The app's planner (created by the lifespan)."""
    planner: Planner = request.app.state.planner
    return planner


def get_repo(request: Request) -> PlanRepo:
    """The app's plan repository."""
    repo: PlanRepo = request.app.state.repo
    return repo


SettingsDep = Annotated[Settings, Depends(get_settings)]
PlannerDep = Annotated[Planner, Depends(get_planner)]
RepoDep = Annotated[PlanRepo, Depends(get_repo)]


def get_hub(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Security(api_key_header)],
) -> HubRuntime:
    """The hub the caller's API key is bound to.

    Raises
    ------
    Unauthorized
        No key, an unknown key, or a key whose hub is not configured.
    """
    challenge = {"WWW-Authenticate": 'APIKey header="X-API-Key"'}
    if not api_key:
        raise Unauthorized("missing API key; send it in the X-API-Key header", headers=challenge)
    hub_id = settings.api_keys.get(hash_api_key(api_key))
    hubs: dict[str, HubRuntime] = request.app.state.hubs
    if hub_id is None or hub_id not in hubs:
        raise Unauthorized("unknown API key", headers=challenge)
    return hubs[hub_id]


HubDep = Annotated[HubRuntime, Depends(get_hub)]
