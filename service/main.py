"""The FastAPI app: ``create_app(settings)`` and ``serve(host, port, workers)``.

The lifespan does the shared, slow work once: read the hubs (fleets, gazetteers, road
networks), migrate the database, start the solver processes, and re-run or fail every
plan a previous crash left unfinished.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import ValidationError

from routing.errors import HubrouteError
from service.body_checks import JsonBodyMiddleware
from service.config import Settings
from service.errors import install_error_handlers
from service.executor.base import Executor, JobFn
from service.executor.local import LocalExecutor
from service.hubs import HubRuntime, load_hubs
from service.jobs import load_networks, run_matrix_job, run_plan_job
from service.observability import BodyLimitMiddleware, RequestContextMiddleware, configure_logging
from service.planner import Planner
from service.routes import health, hub, plans, quotes, vroom
from service.store.database import make_engine, upgrade_database
from service.store.repo import PlanRepo

log = logging.getLogger("service.main")

API_DESCRIPTION = """\
Route optimiser for rural farm-to-hub collection at county logistics hubs.

Units: distances in metres (``distance``) or km (``*_km``), durations in seconds
(``duration``, ``arrival``...) or hours (``*_h``), money in RMB (``*_rmb``),
coordinates ``[lon, lat]`` WGS84. Every error has the same JSON shape with a stable
``code`` and names each field as ``pickups[3].ready``.

Clock times in requests are named as in the fleet and pickup files, without ``_s``:
``ready``, ``close``, ``shift_start``, ``shift_end``, ``driver_break.earliest`` and
``latest``; each takes ``"HH:MM"`` or seconds since midnight. The first version's names
(``ready_s``, ``shift_start_s``...) are still accepted as deprecated aliases; sending
both names of one time is a 422. Plans give times as seconds (``arrival``) and as
``"HH:MM"`` (``arrival_time``).

An inline fleet must state its rates (``rmb_per_km``, ``rmb_per_hour``,
``fixed_rmb_per_run``, ``fixed_rmb_per_day``; 0 is allowed): a vehicle type that gives
none of them is a 422, since it would plan every run at RMB 0.00. Leave ``fleet`` out
or name one of the hub's fleets to plan at the hub's rates (``GET /v1/hub``).

Authenticate with ``X-API-Key``; each key belongs to one hub and sees only its plans.
"""

ExecutorFactory = Callable[[Settings, list[str]], Executor]

OPENAPI_TAGS = [
    {"name": "plans", "description": "Plan a day's collection runs."},
    {"name": "quotes", "description": "Price one more pickup."},
    {"name": "vroom", "description": "VROOM-compatible solving."},
    {"name": "hub", "description": "The caller's hub: villages, fleets, roads."},
    {"name": "health", "description": "Liveness and readiness."},
]

#: The resources' route modules, in the order they are mounted.
ROUTERS = (plans, quotes, vroom, hub, health)


def local_executor(settings: Settings, network_paths: list[str]) -> Executor:
    """The default executor: ``settings.workers`` local processes, bounded queue."""
    executor = LocalExecutor(
        workers=settings.workers,
        queue_size=settings.queue_size,
        retry_after_s=settings.retry_after_s,
        start_method=settings.mp_start_method,
        initializer=load_networks,
        initargs=(tuple(network_paths),),
        preload=("service.jobs", "routing.pipeline"),
    )
    # Start the workers (and load their road networks) without delaying start-up.
    threading.Thread(target=executor.warm_up, name="warm-up", daemon=True).start()
    return executor


def default_executor(settings: Settings, network_paths: list[str]) -> Executor:
    """The executor the settings ask for: ``local`` processes or ``dask``."""
    if settings.executor == "dask":  # Dask executor (service/executor/dask.py)
        from service.executor.dask import dask_executor

        return dask_executor(settings, network_paths)
    return local_executor(settings, network_paths)


def create_app(
    settings: Settings,
    *,
    executor_factory: ExecutorFactory = default_executor,
    plan_job: JobFn = run_plan_job,
    matrix_job: JobFn = run_matrix_job,
    hubs: Mapping[str, HubRuntime] | None = None,
) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    settings
        The configuration; nothing is read from the environment here.
    executor_factory
        Makes the executor from the settings and the hubs' road files (tests and a
        Dask deployment pass their own).
    plan_job, matrix_job
        Module-level job functions run by the executor (tests inject slow or fake
        ones).
    hubs
        The hubs, already loaded (:func:`serve` loads them before listening, so that
        a bad hubs file stops start-up with a message); default: loaded by the lifespan.

    Returns
    -------
    FastAPI
        Serve it with uvicorn; the lifespan must run (``TestClient`` as a context
        manager, or ``httpx`` with ``asgi-lifespan``).
    """
    configure_logging(settings.log_level, json_lines=settings.log_json)
    lifespan = _lifespan(
        settings,
        executor_factory=executor_factory,
        plan_job=plan_job,
        matrix_job=matrix_job,
        hubs=hubs,
    )
    app = FastAPI(
        title="hubroute",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
    )
    app.state.settings = settings
    _install_middleware(app, settings)
    _include_routers(app)
    return app


def _lifespan(
    settings: Settings,
    *,
    executor_factory: ExecutorFactory,
    plan_job: JobFn,
    matrix_job: JobFn,
    hubs: Mapping[str, HubRuntime] | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: load the hubs, migrate, start the planner; close on the way out."""

    def load_settings_hubs() -> dict[str, HubRuntime]:
        return load_hubs(settings.hubs_file, max_hub_snap_m=settings.max_hub_snap_m)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = dict(hubs) if hubs is not None else await to_thread.run_sync(load_settings_hubs)
        engine = make_engine(settings.sqlalchemy_url)
        await to_thread.run_sync(upgrade_database, engine)
        repo = PlanRepo(engine)
        network_paths = sorted({h.network_path for h in loaded.values() if h.network_path})
        executor = executor_factory(settings, network_paths)
        planner = Planner(
            settings=settings, repo=repo, executor=executor, hubs=loaded, plan_job=plan_job
        )
        app.state.settings = settings
        app.state.hubs = loaded
        app.state.repo = repo
        app.state.planner = planner
        app.state.matrix_job = matrix_job
        # The road networks are large, long-lived object graphs: keep the collector
        # from walking them on every full collection (pauses would reach /healthz).
        gc.collect()
        gc.freeze()
        counts = await planner.recover()
        planner.start()
        log.info(
            "hubroute service ready",
            extra={"hubs": sorted(loaded), "workers": settings.workers, **counts},
        )
        try:
            yield
        finally:
            await planner.close()
            engine.dispose()

    return lifespan


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Error handlers, then the middleware (the last added runs first on a request)."""
    install_error_handlers(app)
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)


def _include_routers(app: FastAPI) -> None:
    """Mount every resource's router; note each route's methods for the 405 answer."""
    for module in ROUTERS:
        app.include_router(module.router)
    # Paths and methods for the 405 answer's Allow header (the app's router nests them).
    app.state.route_methods = [
        (route.path_regex, frozenset(route.methods or ()))
        for module in ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    *,
    settings: Settings | None = None,
) -> None:
    """Run the service with uvicorn (one web process, ``workers`` solver processes).

    Parameters
    ----------
    host, port
        Where to listen.
    workers
        Solver processes; default ``HUBROUTE_WORKERS`` or the number of cores.
    settings
        Default: read from the environment and ``.env``.
    """
    import sys

    import uvicorn

    # The event loop shares the GIL with request threads; a 1 ms switch interval (not
    # 5 ms) lets it answer health checks promptly while requests are being validated.
    sys.setswitchinterval(0.001)
    try:
        settings = settings or Settings()
        if workers is not None:
            settings = settings.model_copy(update={"workers": workers})
        configure_logging(settings.log_level, json_lines=settings.log_json)
        # Before listening: a hub that cannot be planned for stops start-up here, with
        # a message naming it, rather than serving 422s no caller can fix.
        hubs = load_hubs(settings.hubs_file, max_hub_snap_m=settings.max_hub_snap_m)
    except (HubrouteError, ValidationError) as exc:
        raise SystemExit(_startup_failure(exc)) from None
    uvicorn.run(
        create_app(settings, hubs=hubs),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,  # the service logs each request as JSON with its id
        timeout_graceful_shutdown=10,
    )


def _startup_failure(exc: HubrouteError | ValidationError) -> str:
    """The message ``serve`` exits with: one line per problem, no traceback."""
    if isinstance(exc, ValidationError):
        lines = [f"setting {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    else:
        lines = [str(p) for p in getattr(exc, "problems", ())] or [str(exc)]
    return "hubroute serve: cannot start:\n" + "\n".join(f"  {line}" for line in lines)
