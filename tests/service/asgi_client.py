"""A synchronous httpx client for an ASGI app, with its lifespan, on a background loop.

Starlette's ``TestClient`` warns (an error under ``filterwarnings = error``) when used
with httpx, so the tests drive the app with ``httpx.AsyncClient(ASGITransport)`` on an
anyio blocking portal: test code stays synchronous, the app runs on one event loop
like under uvicorn, and the lifespan (migrations, workers, recovery) really runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI


class AppClient:
    """``with AppClient(app) as c: c.get(...)``; ``close()`` runs the shutdown."""

    def __init__(self, app: FastAPI, base_url: str = "http://testserver") -> None:
        self.app = app
        self.base_url = base_url
        self._portal_cm: Any = None
        self._portal: BlockingPortal | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: httpx.AsyncClient | None = None

    async def _start(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        await self._stack.enter_async_context(self._lifespan())
        transport = httpx.ASGITransport(app=self.app)
        self._client = await self._stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=self.base_url, timeout=120)
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self) -> AsyncIterator[None]:
        async with self.app.router.lifespan_context(self.app):
            yield

    def open(self) -> AppClient:
        """Start the loop and the app's lifespan."""
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._portal.call(self._start)
        return self

    def close(self) -> None:
        """Run the app's shutdown and stop the loop."""
        if self._portal is None:
            return
        assert self._stack is not None
        self._portal.call(self._stack.aclose)
        self._portal_cm.__exit__(None, None, None)
        self._portal = None

    def __enter__(self) -> AppClient:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and wait for the response."""
        assert self._portal is not None
        assert self._client is not None
        client = self._client
        return self._portal.call(lambda: client.request(method, url, **kwargs))

    def run(self, fn: Any, *args: Any) -> Any:
        """Run an async callable on the app's loop (e.g. concurrent requests)."""
        assert self._portal is not None
        return self._portal.call(fn, *args)

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying async client (use inside :meth:`run`)."""
        assert self._client is not None
        return self._client

    def get(self, url: str, **kw: Any) -> httpx.Response:
        """GET."""
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        """POST."""
        return self.request("POST", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        """DELETE."""
        return self.request("DELETE", url, **kw)
