"""Three-tier collection: village pickups → township stations → county hub.

Stations, feeder vehicles based at them, transfers between feeder and trunk runs,
driver-hours rules and overnight runs. :mod:`routing.tiers.model` holds only plain
data (the plan model imports it); the solve lives in :mod:`routing.tiers.solve`.
"""
