"""Road profiles: which OpenStreetMap ways a collection vehicle drives, how fast, and where.

A profile is a documented TOML file (``routing/roads/profiles/rural_china.toml`` is the
default, ``europe.toml`` the other one shipped) that maps a way's tags to
:class:`WayRules`: the planner's road class and speed, the directions it may be
driven in, whether it is unpaved, and its legal weight and size limits. Rules, in the
order they apply:

- ``highway``: the value must be listed under ``[highway]`` to be driven; values in
  ``never_driven`` (footway, path, steps, cycleway, bridleway, construction...) are
  dropped quietly, anything else is dropped and counted as a tag problem.
- ``access`` / ``vehicle`` / ``motor_vehicle``: the most specific key that is set
  decides; a value in ``access_denied`` (``no``, ``private``) drops the way.
- ``oneway``: ``yes/true/1`` one-way as drawn, ``-1/reverse`` against, ``no/false/0``
  both ways; ``junction=roundabout|circular`` and classes with ``oneway = true``
  (motorways) are one-way unless tagged ``oneway=no``; ``reversible`` and
  ``alternating`` ways are not driven (their direction changes during the day).
- ``maxspeed``: numbers (km/h), ``mph``, ``knots``, implicit zones such as
  ``AD:rural`` (``[maxspeed_zones]``, then ``[maxspeed_zone_kinds]`` by the part after
  the colon), ``walk`` and ``none``; it can only lower the class speed.
- ``surface`` / ``tracktype``: unpaved surfaces and track grades 2-5 are unpaved;
  speeds are multiplied by ``unpaved_speed_factor`` or the track grade's factor.
- ``maxweight`` / ``maxaxleload`` (t, kg, lbs, st), ``maxheight`` / ``maxwidth`` /
  ``maxlength`` (m, ft and in): compared with the vehicle type's ``weight_t``,
  ``axle_load_t``, ``height_m``, ``width_m``, ``length_m`` when a vehicle's roads are
  chosen (:mod:`routing.roads.vehicle`).

Unknown or malformed values never stop a load: each distinct ``key=value`` is counted
in :class:`TagIssues` and reported once (``hubroute network info`` lists them).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from routing.errors import InputError, Problem
from routing.network import ROAD_CLASSES

#: The profile used when none is named.
DEFAULT_PROFILE: Final = "rural_china"

NO_LIMIT: Final = math.inf

_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_SPEED = re.compile(rf"^{_NUMBER}\s*(km/h|kmh|kph|mph|knots)?$")
_WEIGHT = re.compile(rf"^{_NUMBER}\s*(t|kg|lbs|st)?$")
_METRES = re.compile(rf"^{_NUMBER}\s*(m)?$")
_FEET = re.compile(r"""^([0-9]+)\s*(?:'|ft)\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(?:"|in))?$""")
_ONEWAY_FORWARD: Final = frozenset({"yes", "true", "1"})
_ONEWAY_BACKWARD: Final = frozenset({"-1", "reverse"})
_ONEWAY_BOTH: Final = frozenset({"no", "false", "0"})
_ONEWAY_NEVER: Final = frozenset({"reversible", "alternating"})
# Values that mean "no stated limit" in size and weight tags.
_NO_LIMIT_VALUES: Final = frozenset({"none", "default", "unsigned", "no", "below_default"})
_MAXSPEED_NO_NUMBER: Final = frozenset({"signals", "variable", "implicit"})


class HighwayRule(BaseModel):
    """How one ``highway`` value is driven."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    road_class: str
    speed_kph: float = Field(gt=0, le=200)
    oneway: bool = False

    @field_validator("road_class")
    @classmethod
    def _known_class(cls, value: str) -> str:
        if value not in ROAD_CLASSES:
            raise ValueError(f"unknown road class {value!r}; use one of {list(ROAD_CLASSES)}")
        return value


class RoadProfile(BaseModel):
    """A road profile, read from TOML with :func:`load_profile`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    highway: dict[str, HighwayRule]
    never_driven: frozenset[str] = frozenset()
    access_denied: frozenset[str] = frozenset({"no", "private"})
    access_allowed: frozenset[str] = frozenset({"yes"})
    unpaved_surfaces: frozenset[str] = frozenset()
    unpaved_speed_factor: float = Field(0.7, gt=0, le=1)
    tracktype_speed_factor: dict[str, float] = Field(default_factory=dict)
    maxspeed_zones: dict[str, float] = Field(default_factory=dict)
    maxspeed_zone_kinds: dict[str, float] = Field(default_factory=dict)


@dataclass
class TagIssues:
    """Tag values a profile did not understand, counted per ``(key, value)``."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, key: str, value: str) -> None:
        """Count one way with a value the profile does not understand."""
        self.counts[(key, value)] += 1

    def lines(self, limit: int = 20) -> list[str]:
        """One line per distinct value, most frequent first: ``maxspeed='fast' on 3 ways``."""
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out = [f"{k}={v!r} on {n} way{'s' if n > 1 else ''}" for (k, v), n in ranked[:limit]]
        if len(ranked) > limit:
            out.append(f"... and {len(ranked) - limit} more values")
        return out


@dataclass(frozen=True)
class WayRules:
    """What a profile makes of one way's tags. Limits are ``inf`` where none is stated."""

    highway: str
    road_class: str
    speed_kph: float
    forward: bool
    backward: bool
    unpaved: bool
    max_weight_t: float = NO_LIMIT
    max_axle_load_t: float = NO_LIMIT
    max_height_m: float = NO_LIMIT
    max_width_m: float = NO_LIMIT
    max_length_m: float = NO_LIMIT


def load_profile(name_or_path: str | Path = DEFAULT_PROFILE) -> RoadProfile:
    """Read a road profile: a shipped one by name (``rural_china``, ``europe``) or a file.

    Raises
    ------
    InputError
        If the file is missing, not TOML, or a key is unknown or out of range.
    """
    text_name = str(name_or_path)
    shipped = resources.files("routing.roads") / "profiles" / f"{text_name}.toml"
    if "/" not in text_name and not text_name.endswith(".toml") and shipped.is_file():
        text, record = shipped.read_text(encoding="utf-8"), f"road profile {text_name!r}"
    else:
        path = Path(name_or_path)
        record = f"road profile {str(path)!r}"
        if not path.is_file():
            raise InputError(
                Problem(
                    record,
                    "",
                    "not found; name a shipped profile (rural_china, "
                    "europe) or give the path of a profile TOML",
                )
            )
        text = path.read_text(encoding="utf-8")
    try:
        return RoadProfile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(record, "", f"not valid TOML: {exc}")) from None
    except ValidationError as exc:
        raise InputError(
            [
                Problem(record, ".".join(str(x) for x in e["loc"]), str(e["msg"]))
                for e in exc.errors()
            ]
        ) from None


def parse_maxspeed(value: str, profile: RoadProfile) -> float | None:
    """A ``maxspeed`` value in km/h; ``None`` when it states no number (``none``, ``signals``).

    Several values (``50;30``) give the lowest.

    Raises
    ------
    ValueError
        If the value is not understood.
    """
    parts = [p.strip() for p in value.split(";") if p.strip()]
    speeds: list[float] = []
    for text in parts:
        lowered = text.lower()
        if lowered == "none" or lowered in _MAXSPEED_NO_NUMBER:
            continue
        if lowered == "walk":
            speeds.append(profile.maxspeed_zone_kinds.get("walk", 6.0))
            continue
        if ":" in text:
            country_zone = text.upper().split(":")[0] + ":" + text.split(":", 1)[1]
            if country_zone in profile.maxspeed_zones:
                speeds.append(profile.maxspeed_zones[country_zone])
                continue
            kind = text.split(":", 1)[1].lower()
            if kind in profile.maxspeed_zone_kinds:
                speeds.append(profile.maxspeed_zone_kinds[kind])
                continue
            raise ValueError(f"unknown speed zone {text!r}")
        match = _SPEED.match(lowered)
        if match is None or float(match.group(1)) <= 0:
            raise ValueError(f"not a speed: {text!r}")
        factor = {"mph": 1.609344, "knots": 1.852}.get(match.group(2) or "", 1.0)
        speeds.append(float(match.group(1)) * factor)
    return min(speeds) if speeds else None


def parse_weight_t(value: str) -> float:
    """A ``maxweight`` / ``maxaxleload`` value in tonnes; ``inf`` for ``none``.

    Raises
    ------
    ValueError
        If the value is not understood.
    """
    text = value.strip().lower()
    if text in _NO_LIMIT_VALUES:
        return NO_LIMIT
    match = _WEIGHT.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"not a weight: {value!r}")
    factor = {"kg": 0.001, "lbs": 0.000_453_592, "st": 0.907_185}.get(match.group(2) or "", 1.0)
    return float(match.group(1)) * factor


def parse_length_m(value: str) -> float:
    """A ``maxheight`` / ``maxwidth`` / ``maxlength`` value in metres; ``inf`` for ``none``.

    Accepts ``3.5``, ``3.5 m``, ``11'6"`` and ``12 ft``.

    Raises
    ------
    ValueError
        If the value is not understood.
    """
    text = value.strip().lower()
    if text in _NO_LIMIT_VALUES:
        return NO_LIMIT
    match = _METRES.match(text)
    if match is not None and float(match.group(1)) > 0:
        return float(match.group(1))
    feet = _FEET.match(text)
    if feet is not None:
        metres = int(feet.group(1)) * 0.3048 + float(feet.group(2) or 0) * 0.0254
        if metres > 0:
            return metres
    raise ValueError(f"not a length: {value!r}")


def parse_oneway(tags: Mapping[str, str], rule: HighwayRule) -> tuple[bool, bool] | None:
    """``(forward, backward)`` directions a way may be driven in.

    Returns ``None`` when the value is not understood (the caller counts it and drives
    the way both ways, which never invents a road that does not exist).
    """
    value = tags.get("oneway", "").strip().lower()
    if value in _ONEWAY_FORWARD:
        return (True, False)
    if value in _ONEWAY_BACKWARD:
        return (False, True)
    if value in _ONEWAY_BOTH:
        return (True, True)
    if value in _ONEWAY_NEVER:
        return (False, False)
    implied = rule.oneway or tags.get("junction", "") in ("roundabout", "circular")
    if value == "":
        return (True, not implied)
    return None


def _access_open(tags: Mapping[str, str], profile: RoadProfile, issues: TagIssues) -> bool:
    for key in ("motor_vehicle", "vehicle", "access"):
        value = tags.get(key, "").strip().lower()
        if not value:
            continue
        if value in profile.access_denied:
            return False
        if value not in profile.access_allowed:
            issues.add(key, value)
        return True
    return True


def _limit(tags: Mapping[str, str], key: str, issues: TagIssues, *, weight: bool) -> float:
    value = tags.get(key)
    if value is None:
        return NO_LIMIT
    try:
        return parse_weight_t(value) if weight else parse_length_m(value)
    except ValueError:
        issues.add(key, value)
        return NO_LIMIT


def _surface(
    tags: Mapping[str, str], profile: RoadProfile, issues: TagIssues
) -> tuple[bool, float]:
    """Whether the way is unpaved, and the factor on its speed."""
    unpaved = False
    factor = 1.0
    tracktype = tags.get("tracktype")
    if tracktype is not None:
        if tracktype in profile.tracktype_speed_factor:
            factor = profile.tracktype_speed_factor[tracktype]
            unpaved = tracktype != "grade1"
        else:
            issues.add("tracktype", tracktype)
    surface = tags.get("surface", "").strip().lower()
    if surface in profile.unpaved_surfaces:
        unpaved = True
        factor = min(factor, profile.unpaved_speed_factor)
    return unpaved, factor


def way_rules(tags: Mapping[str, str], profile: RoadProfile, issues: TagIssues) -> WayRules | None:
    """Apply the profile to one way's tags; ``None`` when no vehicle drives it.

    Unknown values are counted in ``issues``; none raises.
    """
    highway = tags.get("highway", "")
    rule = profile.highway.get(highway)
    if rule is None:
        if highway and highway not in profile.never_driven:
            issues.add("highway", highway)
        return None
    if not _access_open(tags, profile, issues):
        return None
    direction = parse_oneway(tags, rule)
    if direction is None:
        issues.add("oneway", tags["oneway"])
        direction = (True, True)
    if not any(direction):
        return None
    speed = rule.speed_kph
    if "maxspeed" in tags:
        try:
            posted = parse_maxspeed(tags["maxspeed"], profile)
        except ValueError:
            issues.add("maxspeed", tags["maxspeed"])
            posted = None
        if posted is not None:
            speed = min(speed, posted)
    unpaved, factor = _surface(tags, profile, issues)
    return WayRules(
        highway=highway,
        road_class=rule.road_class,
        speed_kph=max(speed * factor, 1.0),
        forward=direction[0],
        backward=direction[1],
        unpaved=unpaved,
        max_weight_t=_limit(tags, "maxweight", issues, weight=True),
        max_axle_load_t=_limit(tags, "maxaxleload", issues, weight=True),
        max_height_m=_limit(tags, "maxheight", issues, weight=False),
        max_width_m=_limit(tags, "maxwidth", issues, weight=False),
        max_length_m=_limit(tags, "maxlength", issues, weight=False),
    )
