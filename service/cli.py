"""``hubroute serve``: the service's command, mounted on the ``hubroute`` command line.

Offered through the ``hubroute.commands`` entry-point group (see ``pyproject.toml``)
so that the library's command line never imports the service. Kept light: the web
stack is imported only when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Solver processes (default: cores).")
    ] = None,
) -> None:
    """Run the planning service (FastAPI on uvicorn)."""
    from service.main import serve as serve_app

    serve_app(host, port, workers)
