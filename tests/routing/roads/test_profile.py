"""Tag rules of the road profiles: parsing tables and what is counted as a problem."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from routing.errors import InputError
from routing.roads.profile import (
    TagIssues,
    load_profile,
    parse_length_m,
    parse_maxspeed,
    parse_weight_t,
    way_rules,
)

EUROPE = load_profile("europe")
CHINA = load_profile()


@pytest.mark.parametrize(
    ("value", "kph"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("80kmh", 80.0),
        ("30 mph", 48.28),
        ("10 knots", 18.52),
        ("AD:rural", 90.0),
        ("ad:urban", 50.0),
        ("FR:rural", 80.0),
        ("PT:rural", 80.0),  # an unlisted country falls back to the zone kind
        ("walk", 6.0),
        ("50;30", 30.0),
        ("none", None),
        ("signals", None),
    ],
)
def test_maxspeed_table(value: str, kph: float | None) -> None:
    """Numbers, units, country zones and words all give km/h (or no number)."""
    got = parse_maxspeed(value, EUROPE)
    if kph is None:
        assert got is None
    else:
        assert got == pytest.approx(kph, abs=0.01)


@pytest.mark.parametrize("value", ["fast", "-5", "0", "AD:moon", "50 furlongs"])
def test_maxspeed_malformed_raises_for_the_caller_to_count(value: str) -> None:
    """A value that is not a speed is an error for the parser (the loader counts it)."""
    with pytest.raises(ValueError, match=r"speed|zone"):
        parse_maxspeed(value, EUROPE)


@pytest.mark.parametrize(
    ("value", "tonnes"),
    [("7.5", 7.5), ("7.5 t", 7.5), ("7500 kg", 7.5), ("5 st", 4.536), ("none", math.inf)],
)
def test_weight_table(value: str, tonnes: float) -> None:
    """maxweight / maxaxleload values in tonnes."""
    assert parse_weight_t(value) == pytest.approx(tonnes, abs=0.001)


@pytest.mark.parametrize(
    ("value", "metres"),
    [("3.5", 3.5), ("3.5 m", 3.5), ("11'6\"", 3.505), ("12 ft", 3.658), ("default", math.inf)],
)
def test_length_table(value: str, metres: float) -> None:
    """maxheight / maxwidth / maxlength values in metres, feet and inches included."""
    assert parse_length_m(value) == pytest.approx(metres, abs=0.001)


@pytest.mark.parametrize("value", ["tall", "-1 m", "3,5"])
def test_length_malformed(value: str) -> None:
    """A value that is not a length raises for the caller to count."""
    with pytest.raises(ValueError, match="length"):
        parse_length_m(value)


def test_maxspeed_only_lowers_the_class_speed() -> None:
    """A posted 100 km/h on a rural-China secondary road keeps the class's 30 km/h."""
    issues = TagIssues()
    fast = way_rules({"highway": "secondary", "maxspeed": "100"}, CHINA, issues)
    slow = way_rules({"highway": "secondary", "maxspeed": "20"}, CHINA, issues)
    assert fast is not None
    assert slow is not None
    assert fast.speed_kph == 30.0
    assert slow.speed_kph == 20.0


@pytest.mark.parametrize(
    ("tags", "directions"),
    [
        ({}, (True, True)),
        ({"oneway": "yes"}, (True, False)),
        ({"oneway": "true"}, (True, False)),
        ({"oneway": "1"}, (True, False)),
        ({"oneway": "-1"}, (False, True)),
        ({"oneway": "no"}, (True, True)),
        ({"junction": "roundabout"}, (True, False)),
        ({"junction": "roundabout", "oneway": "no"}, (True, True)),
    ],
)
def test_oneway_rules(tags: dict[str, str], directions: tuple[bool, bool]) -> None:
    """oneway values, roundabouts and their overrides."""
    rules = way_rules({"highway": "primary", **tags}, CHINA, TagIssues())
    assert rules is not None
    assert (rules.forward, rules.backward) == directions


def test_motorways_are_one_way_unless_tagged() -> None:
    """A motorway carriageway is one-way as drawn."""
    rules = way_rules({"highway": "motorway"}, CHINA, TagIssues())
    assert rules is not None
    assert (rules.forward, rules.backward) == (True, False)


@pytest.mark.parametrize(
    ("tags", "driven"),
    [
        ({"access": "private"}, False),
        ({"access": "no"}, False),
        ({"vehicle": "no"}, False),
        ({"motor_vehicle": "private"}, False),
        ({"access": "no", "motor_vehicle": "yes"}, True),
        ({"access": "destination"}, True),
        ({"oneway": "reversible"}, False),
    ],
)
def test_access_rules(tags: dict[str, str], driven: bool) -> None:
    """access/vehicle/motor_vehicle no or private close a way; the most specific key wins."""
    assert (way_rules({"highway": "residential", **tags}, CHINA, TagIssues()) is not None) is driven


@pytest.mark.parametrize(
    "highway", ["footway", "path", "steps", "cycleway", "bridleway", "construction"]
)
def test_never_driven_classes_are_dropped_quietly(highway: str) -> None:
    """Paths and the like are not roads, and not problems either."""
    issues = TagIssues()
    assert way_rules({"highway": highway}, CHINA, issues) is None
    assert not issues.counts


def test_unpaved_surfaces_are_slower_and_marked() -> None:
    """Gravel and grade-3 tracks are unpaved and slower; grade1 is paved."""
    issues = TagIssues()
    gravel = way_rules({"highway": "unclassified", "surface": "gravel"}, CHINA, issues)
    grade3 = way_rules({"highway": "track", "tracktype": "grade3"}, CHINA, issues)
    grade1 = way_rules({"highway": "track", "tracktype": "grade1"}, CHINA, issues)
    assert gravel is not None
    assert grade3 is not None
    assert grade1 is not None
    assert gravel.unpaved
    assert gravel.speed_kph == pytest.approx(18 * 0.7)
    assert grade3.unpaved
    assert grade3.speed_kph == pytest.approx(10 * 0.6)
    assert not grade1.unpaved


def test_unknown_values_are_counted_never_fatal() -> None:
    """Malformed values leave the way driven (or dropped, for highway) and are counted."""
    issues = TagIssues()
    odd = {"highway": "secondary", "maxspeed": "fast", "maxweight": "heavy", "oneway": "maybe"}
    for _ in range(3):
        rules = way_rules(odd, CHINA, issues)
        assert rules is not None
        assert (rules.forward, rules.backward) == (True, True)
        assert math.isinf(rules.max_weight_t)
    assert way_rules({"highway": "hovercraft_lane"}, CHINA, issues) is None
    assert issues.counts[("maxspeed", "fast")] == 3
    assert issues.counts[("maxweight", "heavy")] == 3
    assert issues.counts[("oneway", "maybe")] == 3
    assert issues.counts[("highway", "hovercraft_lane")] == 1
    assert issues.lines()[0].endswith("on 3 ways")


def test_profile_files_bad_and_missing(tmp_path: Path) -> None:
    """A missing profile or one with an unknown road class is reported with its field."""
    with pytest.raises(InputError, match="not found"):
        load_profile(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[highway.primary]\nroad_class = "autobahn"\nspeed_kph = 50\n')
    with pytest.raises(InputError, match=r"highway\.primary\.road_class"):
        load_profile(bad)
