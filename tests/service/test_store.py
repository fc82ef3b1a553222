"""The plan store on SQLite and on a real PostgreSQL: lifecycle, idempotency, leases."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from service.store.database import make_engine, upgrade_database
from service.store.repo import IdempotencyReused, PlanRepo


@pytest.fixture
def repo(database_url: str) -> Iterator[PlanRepo]:
    """A repository on a freshly migrated database."""
    engine = make_engine(database_url)
    upgrade_database(engine)
    yield PlanRepo(engine)
    engine.dispose()


def _create(repo: PlanRepo, plan_id: str, **kw: object) -> None:
    repo.create(
        plan_id=plan_id,
        hub_id=str(kw.pop("hub_id", "alpha")),
        name="day",
        pickups=3,
        body={"pickups": [1, 2, 3], "名": "青树"},
        payload={"problem": {"x": 1}},
        **kw,  # type: ignore[arg-type]
    )


def test_lifecycle_and_figures(repo: PlanRepo) -> None:
    """Create, list with figures once done, hub isolation, delete; unicode kept."""
    _create(repo, "a1", owner="r1", lease_s=30)
    _create(repo, "b1", hub_id="beta")
    assert repo.get("beta", "a1") is None
    assert repo.finish(
        "a1",
        result_json='{"summary": {}}',
        figures={"cost_rmb": 12.5, "runs": 2, "parcels": 40, "unassigned": 1},
        owner="r1",
    )
    got = repo.get("alpha", "a1")
    assert got is not None
    assert (got.status, got.cost_rmb, got.runs, got.parcels, got.unassigned) == (
        "done", 12.5, 2, 40, 1,
    )  # fmt: skip
    assert got.lease_owner is None
    rows, total = repo.list("alpha", limit=10, offset=0)
    assert total == 1
    assert rows[0].cost_rmb == 12.5
    assert rows[0].result_json is None  # the list never loads plan JSON
    assert repo.get_payload("b1") == {"problem": {"x": 1}}
    assert repo.delete("alpha", "a1")
    assert not repo.delete("alpha", "a1")


def test_finish_by_a_replica_that_lost_the_lease_stores_nothing(repo: PlanRepo) -> None:
    """Only the lease holder finishes a plan: a taken-over plan is not overwritten."""
    _create(repo, "p1", owner="old", lease_s=0)
    time.sleep(0.01)
    claimed, _ = repo.claim("new", 30, limit=5, max_attempts=3)
    assert [p.id for p in claimed] == ["p1"]
    assert not repo.finish("p1", result_json="{}", owner="old")
    assert repo.finish("p1", result_json='{"ok": 1}', owner="new")
    got = repo.get("alpha", "p1")
    assert got is not None
    assert got.result_json == '{"ok": 1}'
    assert got.attempts == 2


def test_idempotency_key(repo: PlanRepo) -> None:
    """The same key and body find the plan; another body is refused; keys are per hub."""
    _create(repo, "k1", idempotency_key="key-1", body_sha256="aa")
    found = repo.by_idempotency_key("alpha", "key-1", "aa")
    assert found is not None
    assert found.id == "k1"
    with pytest.raises(IdempotencyReused):
        repo.by_idempotency_key("alpha", "key-1", "bb")
    assert repo.by_idempotency_key("beta", "key-1", "aa") is None
    # A concurrent retry that lost the race gets the first plan back.
    again = repo.create(
        plan_id="k2", hub_id="alpha", name="day", pickups=3, body={}, payload={},
        idempotency_key="key-1", body_sha256="aa",
    )  # fmt: skip
    assert again.id == "k1"
    assert repo.get("alpha", "k2") is None


def test_leases_heartbeat_release_and_attempt_limit(repo: PlanRepo) -> None:
    """Held leases are not claimable; released plans are, without an attempt counted;
    a plan past the attempt limit is failed with the reason."""
    _create(repo, "held", owner="r1", lease_s=0.5)
    _create(repo, "gone", owner="dead", lease_s=0)
    time.sleep(0.01)
    assert repo.heartbeat("r1", 30, running=["held"]) == 1
    claimed, failed = repo.claim("r2", 30, limit=10, max_attempts=1)
    assert (claimed, failed) == ([], ["gone"])
    gone = repo.get("alpha", "gone")
    assert gone is not None
    assert gone.status == "failed"
    assert gone.error is not None
    assert gone.error["code"] == "interrupted"
    held = repo.get("alpha", "held")
    assert held is not None
    assert held.status == "running"
    assert repo.release("r1", ["held"]) == 1
    claimed, _ = repo.claim("r2", 30, limit=10, max_attempts=1)
    assert [(p.id, p.attempts, p.payload) for p in claimed] == [("held", 1, {"problem": {"x": 1}})]
    assert not repo.count_attempt("held", "r2", max_attempts=1)
    assert repo.count_attempt("held", "r2", max_attempts=2)


def test_concurrent_claims_take_each_plan_once(repo: PlanRepo) -> None:
    """Eight claimers racing over 40 free plans: every plan claimed exactly once."""
    for i in range(40):
        _create(repo, f"q{i:02d}")
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(8)

    def claimer(name: str) -> None:
        barrier.wait()
        mine: list[str] = []
        while True:
            claimed, _ = repo.claim(name, 30, limit=3, max_attempts=5)
            if not claimed:
                break
            mine += [p.id for p in claimed]
        got[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"r{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [pid for mine in got.values() for pid in mine]
    assert sorted(ids) == [f"q{i:02d}" for i in range(40)]
