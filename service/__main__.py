"""``python -m service [--host H] [--port P] [--workers N]``: run the API server."""

from __future__ import annotations

import argparse

from service.main import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=None, help="solver processes")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
