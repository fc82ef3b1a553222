"""Where the published benchmark instances are, and the smallest of each set."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4] / "shared" / "instances"
SETS = ["CVRP", "CVRP-XXL", "HFVRP", "MDVRPTW", "MTVRPTWR", "PCVRPTW", "SDVRPTW", "VRPB", "VRPTW"]


def smallest(set_name: str) -> Path:
    """The set's smallest instance with a best-known solution."""
    if not ROOT.is_dir():
        pytest.fail(f"benchmark instances not found at {ROOT}; check out ../shared")
    files = [p for p in (ROOT / set_name).glob("*.vrp") if p.with_suffix(".sol").exists()]
    return min(files, key=lambda p: (p.stat().st_size, p.name))
