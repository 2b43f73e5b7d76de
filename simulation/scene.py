"""The scene document: one hall, its zones, sensors, cases, relics, annotations and tours.

Every program (bridge, monitor, kiosk, what-if) loads the hall from
``scenes/<hall>/scene.toml`` through :func:`load_scene`; programs hold no
content of their own. Coordinates are metres in the hall frame: x east,
y north, z up, origin at a floor corner. Texts a user reads are
dictionaries keyed by language tag (``{"zh-CN": ..., "en": ...}``).

Validation collects every error before failing: :class:`SceneError`
lists them all, each as ``file: key: what was expected``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulation import hall_time
from simulation.actuators import Actuator, parse_actuators
from simulation.quantities import QUANTITIES

PAYLOAD_FORMATS = ("native", "senml", "zigbee2mqtt", "tasmota", "shelly", "ttn", "ha_discovery")
"""Payload conventions a sensor may speak: the names of ``bridge.sensors.FORMATS``
(a test keeps the two equal; ``simulation`` may not import ``bridge``)."""

LANGS = ("zh-CN", "en")
"""Languages every user-facing text must have."""

# A polygon is "closed" when its last vertex repeats the first, or when it is
# given open; we store it open. Vertices closer than this are the same point.
_EPS_M = 1e-6


class SceneError(ValueError):
    """A scene document is invalid; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


Text = Mapping[str, str]


@dataclass(frozen=True)
class Opening:
    """A door or window in a wall: segment ``a``-``b`` (m), opening to ``to``."""

    id: str
    kind: str  # "door" | "window"
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    to: str = "outdoor"
    height: float = 2.1
    sill: float = 0.0


@dataclass(frozen=True)
class Vent:
    """An HVAC supply or return grille at ``position`` (2,) m."""

    id: str
    kind: str  # "supply" | "return"
    position: NDArray[np.float64]


@dataclass(frozen=True)
class Zone:
    """A named floor region; ``polygon`` (n, 2) m, counter-clockwise."""

    id: str
    name: Text
    polygon: NDArray[np.float64]


@dataclass(frozen=True)
class Case:
    """A display case: centre ``position`` (3,) m of its base, ``size`` (3,) m."""

    id: str
    zone: str
    name: Text
    position: NDArray[np.float64]
    size: NDArray[np.float64]
    air_exchange_per_day: float = 1.0
    rh_setpoint: float | None = None  # %RH held by silica gel or a case conditioner, if any


@dataclass(frozen=True)
class Sensor:
    """A sensor: where it is, what it measures, how it speaks."""

    id: str
    zone: str
    position: NDArray[np.float64]
    quantities: tuple[str, ...]
    topic: str
    format: str = "native"
    case: str | None = None
    power: str = "mains"  # "mains" | "battery": sets the freshness default
    # a gateway (a LoRa or Zigbee hub, a logger with probes) may speak for these other sensors
    # of the scene on its topic; any other device's readings must name the device itself
    gateway_for: tuple[str, ...] = ()
    # other names the sensor goes by in logger files and exports (a location label, a serial):
    # a long-format file's sensor column is matched against the id and these (relic-twin import)
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Annotation:
    """A hotspot on a relic's mesh, in the mesh's own frame.

    position, normal : (3,) on the mesh surface; view: camera ``eye`` and
    ``target`` (3,) in the mesh frame; title/text: language -> string.
    """

    id: str
    position: NDArray[np.float64]
    normal: NDArray[np.float64]
    title: Text
    text: Text
    view_eye: NDArray[np.float64] | None = None
    view_target: NDArray[np.float64] | None = None
    style: str = "default"
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class TourStep:
    """One stop of a guided tour: the annotation it opens and an optional narration line."""

    annotation: str
    narration: Text = field(default_factory=dict)


@dataclass(frozen=True)
class Tour:
    """A guided tour of one relic: an ordered walk through some of its annotations."""

    id: str
    title: Text
    steps: tuple[TourStep, ...]

    @property
    def annotation_ids(self) -> tuple[str, ...]:
        return tuple(s.annotation for s in self.steps)


@dataclass(frozen=True)
class Relic:
    """A relic on display. ``tours`` may be empty: the kiosk then tours every annotation in order.
    ``source``: where its mesh came from (``file``, ``licence``, ``processing``; written by
    ``relic-twin scan relic``)."""

    id: str
    name: Text
    material: Text
    profile: str
    position: NDArray[np.float64]
    heading_deg: float
    height_m: float
    mesh: str | None
    case: str | None
    zone: str
    era: Text = field(default_factory=dict)
    stand_in: bool = False
    annotations: tuple[Annotation, ...] = ()
    tours: tuple[Tour, ...] = ()
    source: Mapping[str, str] = field(default_factory=dict)

    def annotation_index(self, annotation_id: str) -> int:
        """Position of annotation ``annotation_id`` in ``annotations`` (its marker number - 1)."""
        return next(i for i, a in enumerate(self.annotations) if a.id == annotation_id)


SCAN_KINDS = ("points", "mesh")
"""What a hall scan file holds: a coloured point cloud or a triangle mesh."""

SCAN_UP_AXES = ("z", "-z", "y", "-y", "x", "-x")
"""The scan file's up axis; it is turned to +z before scaling and rotating."""

SCAN_WALLS = ("low", "outline", "full")
"""What stays of the procedural walls when a scan is shown."""


@dataclass(frozen=True)
class HallScan:
    """A scanned hall (``[hall_scan]``): a point cloud or mesh placed in the floor-plan frame.

    A file point ``p`` lands at ``translation + Rz(rotation) @ (scale * U @ p)``
    (:meth:`matrix`), ``U`` turning the file's ``up`` axis to +z. ``clip`` keeps
    the points (or triangles) whose hall-frame z lies in [low, high] m: the low
    cut lets the colour field on the floor show through the scanned floor, the
    high one opens the ceiling for the overview camera. ``walls`` says what
    remains of the procedural walls: ``low`` (a 0.3 m kerb, the default: it frames
    the floor field and hides none of the scan), ``outline`` (the floor's edge
    line) or ``full``. ``point_size`` is the edge of a drawn
    point in metres (points shrink with distance, like the surfaces they sample);
    ``brightness`` multiplies the scan's colours, ``opacity`` its alpha.
    """

    mesh: str
    kind: str = "points"
    translation: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    rotation_deg: float = 0.0
    scale: float = 1.0
    up: str = "z"
    opacity: float = 1.0
    point_size: float = 0.012
    brightness: float = 1.0
    clip: tuple[float, float] = (-math.inf, math.inf)
    walls: str = "low"
    source: Mapping[str, str] = field(default_factory=dict)

    def matrix(self) -> NDArray[np.float64]:
        """(4, 4) map (column vectors) from file coordinates to the hall frame."""
        up = {
            "z": np.eye(3),
            "-z": np.diag([1.0, -1.0, -1.0]),
            "y": np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]]),
            "-y": np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]]),
            "x": np.array([[0.0, 0, -1], [0, 1, 0], [1, 0, 0]]),
            "-x": np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]),
        }[self.up]
        c, s = math.cos(math.radians(self.rotation_deg)), math.sin(math.radians(self.rotation_deg))
        rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        m = np.eye(4)
        m[:3, :3] = rz @ (self.scale * up)
        m[:3, 3] = self.translation
        return m


@dataclass(frozen=True)
class Scene:
    """A whole hall. ``root`` is the folder holding scene.toml."""

    id: str
    name: Text
    root: Path
    floor: NDArray[np.float64]
    wall_height: float
    doors: tuple[Opening, ...]
    windows: tuple[Opening, ...]
    vents: tuple[Vent, ...]
    zones: tuple[Zone, ...]
    cases: tuple[Case, ...]
    sensors: tuple[Sensor, ...]
    relics: tuple[Relic, ...]
    climate: Mapping[str, Any] = field(default_factory=dict)
    hall_scan: HallScan | None = None
    timezone: str = "UTC"  # IANA name of the hall's wall clock: times shown to people (simulation/hall_time.py)
    actuators: tuple[Actuator, ...] = ()  # [[actuators]]: the hall's machines (simulation/actuators.py)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the floor, m."""
        lo, hi = self.floor.min(axis=0), self.floor.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def sensor(self, sensor_id: str) -> Sensor:
        return next(s for s in self.sensors if s.id == sensor_id)

    def relic(self, relic_id: str) -> Relic:
        return next(r for r in self.relics if r.id == relic_id)

    def zone_of(self, xy: NDArray[np.float64]) -> str | None:
        """Id of the zone containing point ``xy`` (2,), or None."""
        for z in self.zones:
            if point_in_polygon(xy, z.polygon):
                return z.id
        return None

    def sensors_for(self, quantity: str) -> tuple[Sensor, ...]:
        return tuple(s for s in self.sensors if quantity in s.quantities)


# --- geometry -----------------------------------------------------------------


def polygon_area(poly: NDArray[np.float64]) -> float:
    """Signed area (m²) of an open polygon (n, 2); positive counter-clockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def point_in_polygon(xy: NDArray[np.float64], poly: NDArray[np.float64]) -> bool:
    """Even-odd rule; points on an edge count as inside."""
    px, py = float(xy[0]), float(xy[1])
    inside = False
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if _on_segment(px, py, x1, y1, x2, y2):
            return True
        if (y1 > py) != (y2 > py):
            xc = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            if px < xc:
                inside = not inside
    return inside


def _on_segment(px: float, py: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
    if abs(cross) > 1e-9 * max(1.0, math.hypot(x2 - x1, y2 - y1)):
        return False
    return min(x1, x2) - 1e-9 <= px <= max(x1, x2) + 1e-9 and min(y1, y2) - 1e-9 <= py <= max(y1, y2) + 1e-9


# --- loading ------------------------------------------------------------------


def scene_file(path: str | Path) -> Path:
    """``path`` itself if a file, else ``path/scene.toml``."""
    p = Path(path)
    return p / "scene.toml" if p.is_dir() else p


def load_scene(path: str | Path, *, assets_dir: Path | None = None) -> Scene:
    """Load and validate a scene; raise :class:`SceneError` listing every problem.

    path : a hall folder or its ``scene.toml``.
    assets_dir : where ``mesh`` names resolve (default: the ``assets/``
        folder of the project).
    """
    file = scene_file(path)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SceneError([f"{file}: file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SceneError([f"{file}: not valid TOML: {exc}"]) from None
    return parse_scene(doc, file, assets_dir=assets_dir)


def parse_scene(doc: Mapping[str, Any], file: Path, *, assets_dir: Path | None = None) -> Scene:
    """Validate a parsed scene document (see :func:`load_scene`)."""
    v = _Validator(file)
    hall = v.table(doc, "hall")
    floor = v.polygon(hall, "hall.floor")
    height = v.number(hall, "hall.wall_height", low=1.5, high=50.0)
    tz = v.string(hall, "hall.timezone", default="UTC")
    try:
        hall_time.zone(tz or "UTC")
    except ValueError as exc:
        v.err("hall.timezone", str(exc))
    doors = tuple(v.opening(d, f"doors[{i}]", "door", floor) for i, d in enumerate(v.array(doc, "doors", required=False)))
    windows = tuple(
        v.opening(w, f"windows[{i}]", "window", floor) for i, w in enumerate(v.array(doc, "windows", required=False))
    )
    vents = tuple(v.vent(x, f"vents[{i}]", floor) for i, x in enumerate(v.array(doc, "vents", required=False)))
    zones = tuple(v.zone(z, f"zones[{i}]", floor) for i, z in enumerate(v.array(doc, "zones")))
    zone_ids = {z.id for z in zones}
    cases = tuple(v.case(c, f"cases[{i}]", floor, zone_ids) for i, c in enumerate(v.array(doc, "cases", required=False)))
    case_ids = {c.id for c in cases}
    sensors = tuple(
        v.sensor(s, f"sensors[{i}]", floor, zone_ids, case_ids) for i, s in enumerate(v.array(doc, "sensors"))
    )
    assets = assets_dir if assets_dir is not None else default_assets_dir()
    relics = tuple(
        v.relic(r, f"relics[{i}]", floor, zone_ids, case_ids, assets) for i, r in enumerate(v.array(doc, "relics"))
    )
    for kind, items in (("zones", zones), ("cases", cases), ("sensors", sensors), ("relics", relics)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                v.err(f"{kind}[{i}].id", f"unique id (duplicate {item.id!r})")
            seen.add(item.id)
    sensor_ids = {s.id for s in sensors}
    for i, sensor in enumerate(sensors):
        for j, member in enumerate(sensor.gateway_for):
            if member not in sensor_ids or member == sensor.id:
                v.err(f"sensors[{i}].gateway_for[{j}]", f"another sensor of the scene, got {member!r}")
    climate = doc.get("climate", {})
    if not isinstance(climate, dict):
        v.err("climate", "a table")
        climate = {}
    hall_scan = v.hall_scan(doc["hall_scan"], "hall_scan", assets) if "hall_scan" in doc else None
    actuators, actuator_errors = parse_actuators(doc.get("actuators"), file, zone_ids, case_ids,
                                                 lambda xy: point_in_polygon(xy, floor))
    v.errors.extend(actuator_errors)
    if v.errors:
        raise SceneError(v.errors)
    return Scene(
        id=str(hall.get("id", file.parent.name)),
        name=v.text(hall, "hall.name"),
        root=file.parent,
        floor=floor,
        wall_height=height,
        doors=doors,
        windows=windows,
        vents=vents,
        zones=zones,
        cases=cases,
        sensors=sensors,
        relics=relics,
        climate=climate,
        hall_scan=hall_scan,
        timezone=tz,
        actuators=actuators,
    )


def default_assets_dir() -> Path:
    """The project's ``assets/`` folder (checkout, or installed data)."""
    from simulation.paths import assets_dir

    return assets_dir()


class _Validator:
    """Collects errors as ``file: key: expected ...`` instead of raising at the first."""

    def __init__(self, file: Path):
        self.file = file
        self.errors: list[str] = []

    def err(self, key: str, expected: str) -> None:
        self.errors.append(f"{self.file}: {key}: expected {expected}")

    # primitives
    def table(self, doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        val = doc.get(key.rsplit(".", 1)[-1])
        if not isinstance(val, dict):
            self.err(key, "a table" if val is None else f"a table, got {type(val).__name__}")
            return {}
        return val

    def array(self, doc: Mapping[str, Any], key: str, required: bool = True) -> list[Mapping[str, Any]]:
        val = doc.get(key)
        if val is None:
            if required:
                self.err(key, "at least one entry ([[" + key + "]])")
            return []
        if not isinstance(val, list) or not all(isinstance(x, dict) for x in val):
            self.err(key, "an array of tables")
            return []
        return val

    def string(self, t: Mapping[str, Any], key: str, default: str | None = None) -> str:
        val = t.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(val, str) or not val:
            self.err(key, "a non-empty string" if val is None else f"a non-empty string, got {val!r}")
            return ""
        return val

    def number(self, t: Mapping[str, Any], key: str, low: float = -math.inf, high: float = math.inf,
               default: float | None = None) -> float:
        val = t.get(key.rsplit(".", 1)[-1], default)
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            self.err(key, f"a number, got {val!r}" if val is not None else "a number")
            return float("nan")
        if not low <= val <= high:
            self.err(key, f"a number in [{low}, {high}], got {val}")
        return float(val)

    def vector(self, t: Mapping[str, Any], key: str, n: int, default: list[float] | None = None) -> NDArray[np.float64]:
        val = t.get(key.rsplit(".", 1)[-1], default)
        ok = isinstance(val, list) and len(val) == n and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in val
        )
        if not ok:
            self.err(key, f"a list of {n} numbers, got {val!r}")
            return np.zeros(n)
        return np.asarray(val, dtype=float)

    def text(self, t: Mapping[str, Any], key: str, required: bool = True) -> dict[str, str]:
        val = t.get(key.rsplit(".", 1)[-1])
        if val is None and not required:
            return {}
        if not isinstance(val, dict) or not all(isinstance(val.get(lang), str) and val[lang] for lang in LANGS):
            self.err(key, f"a text table with {' and '.join(LANGS)}, got {val!r}")
            return {lang: "" for lang in LANGS}
        return {str(k): str(x) for k, x in val.items()}

    def polygon(self, t: Mapping[str, Any], key: str) -> NDArray[np.float64]:
        val = t.get(key.rsplit(".", 1)[-1])
        if not isinstance(val, list) or len(val) < 4 or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in p)
            for p in val
        ):
            self.err(key, "a closed polygon: a list of [x, y] points in metres, last equal to first, at least 3 corners")
            return np.zeros((3, 2))
        pts = np.asarray(val, dtype=float)
        if np.linalg.norm(pts[0] - pts[-1]) > _EPS_M:
            self.err(key, f"a closed polygon (last point {val[-1]} must repeat the first {val[0]})")
            return pts
        pts = pts[:-1]
        area = polygon_area(pts)
        if abs(area) < 1e-3:
            self.err(key, "a polygon with a non-zero area")
        return pts if area >= 0 else pts[::-1].copy()

    def inside(self, xy: NDArray[np.float64], floor: NDArray[np.float64], key: str) -> None:
        if len(floor) >= 3 and not point_in_polygon(xy[:2], floor):
            self.err(key, f"a point inside the hall floor, got [{xy[0]:g}, {xy[1]:g}]")

    # records
    def opening(self, t: Mapping[str, Any], key: str, kind: str, floor: NDArray[np.float64]) -> Opening:
        a, b = self.vector(t, f"{key}.a", 2), self.vector(t, f"{key}.b", 2)
        return Opening(
            id=self.string(t, f"{key}.id"), kind=kind, a=a, b=b, to=str(t.get("to", "outdoor")),
            height=self.number(t, f"{key}.height", 0.2, 20.0, default=2.1 if kind == "door" else 1.5),
            sill=self.number(t, f"{key}.sill", 0.0, 20.0, default=0.0 if kind == "door" else 0.9),
        )

    def vent(self, t: Mapping[str, Any], key: str, floor: NDArray[np.float64]) -> Vent:
        kind = self.string(t, f"{key}.kind", default="supply")
        if kind not in ("supply", "return"):
            self.err(f"{key}.kind", f"'supply' or 'return', got {kind!r}")
        pos = self.vector(t, f"{key}.position", 2)
        self.inside(pos, floor, f"{key}.position")
        return Vent(id=self.string(t, f"{key}.id"), kind=kind, position=pos)

    def zone(self, t: Mapping[str, Any], key: str, floor: NDArray[np.float64]) -> Zone:
        poly = self.polygon(t, f"{key}.polygon")
        for j, p in enumerate(poly):
            self.inside(p, floor, f"{key}.polygon[{j}]")
        return Zone(id=self.string(t, f"{key}.id"), name=self.text(t, f"{key}.name"), polygon=poly)

    def case(self, t: Mapping[str, Any], key: str, floor: NDArray[np.float64], zones: set[str]) -> Case:
        pos = self.vector(t, f"{key}.position", 3)
        self.inside(pos, floor, f"{key}.position")
        zone = self.ref(t, f"{key}.zone", zones, "zone")
        return Case(
            id=self.string(t, f"{key}.id"), zone=zone, name=self.text(t, f"{key}.name"), position=pos,
            size=self.vector(t, f"{key}.size", 3),
            air_exchange_per_day=self.number(t, f"{key}.air_exchange_per_day", 0.0, 1000.0, default=1.0),
            rh_setpoint=self.number(t, f"{key}.rh_setpoint", 0.0, 100.0) if "rh_setpoint" in t else None,
        )

    def ref(self, t: Mapping[str, Any], key: str, known: set[str], what: str, required: bool = True) -> str:
        val = t.get(key.rsplit(".", 1)[-1])
        if val is None and not required:
            return ""
        if val not in known:
            self.err(key, f"the id of a {what} ({', '.join(sorted(known)) or 'none defined'}), got {val!r}")
            return ""
        return str(val)

    def sensor(self, t: Mapping[str, Any], key: str, floor: NDArray[np.float64], zones: set[str],
               cases: set[str]) -> Sensor:
        pos = self.vector(t, f"{key}.position", 3)
        self.inside(pos, floor, f"{key}.position")
        qs = t.get("quantities")
        if not isinstance(qs, list) or not qs:
            self.err(f"{key}.quantities", "a non-empty list of quantity names")
            qs = []
        for j, q in enumerate(qs):
            if q not in QUANTITIES:
                self.err(f"{key}.quantities[{j}]", f"a known quantity ({', '.join(QUANTITIES)}), got {q!r}")
        fmt = self.string(t, f"{key}.format", default="native")
        if fmt and fmt not in PAYLOAD_FORMATS:
            self.err(f"{key}.format", f"one of {', '.join(PAYLOAD_FORMATS)}, got {fmt!r}")
        power = self.string(t, f"{key}.power", default="mains")
        if power and power not in ("mains", "battery"):
            self.err(f"{key}.power", f"'mains' or 'battery', got {power!r}")
        case = self.ref(t, f"{key}.case", cases, "case", required=False) or None
        gateway_for = t.get("gateway_for", [])
        if not isinstance(gateway_for, list) or not all(isinstance(g, str) and g for g in gateway_for):
            self.err(f"{key}.gateway_for", f"a list of sensor ids, got {gateway_for!r}")
            gateway_for = []
        names = t.get("names", [])
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            self.err(f"{key}.names", f"a list of names (strings), got {names!r}")
            names = []
        return Sensor(
            id=self.string(t, f"{key}.id"), zone=self.ref(t, f"{key}.zone", zones, "zone"), position=pos,
            quantities=tuple(str(q) for q in qs), topic=self.string(t, f"{key}.topic"), format=fmt,
            case=case, power=power, gateway_for=tuple(gateway_for), names=tuple(names),
        )

    def relic(self, t: Mapping[str, Any], key: str, floor: NDArray[np.float64], zones: set[str],
              cases: set[str], assets: Path) -> Relic:
        pos = self.vector(t, f"{key}.position", 3)
        self.inside(pos, floor, f"{key}.position")
        mesh = t.get("mesh")
        if mesh is not None:
            if not isinstance(mesh, str) or not (assets / mesh).is_file():
                self.err(f"{key}.mesh", f"a mesh file under {assets}, got {mesh!r} (not found)")
        notes = tuple(self.annotation(a, f"{key}.annotations[{j}]") for j, a in
                      enumerate(self.array(t, "annotations", required=False)))
        note_ids = [a.id for a in notes]
        for j, nid in enumerate(note_ids):
            if nid and nid in note_ids[:j]:
                self.err(f"{key}.annotations[{j}].id", f"an annotation id unique within the relic (duplicate {nid!r})")
        tours_in = t.get("tours", [])
        if not isinstance(tours_in, list) or not all(isinstance(x, dict) for x in tours_in):
            self.err(f"{key}.tours", "an array of tables ([[relics.tours]])")
            tours_in = []
        tours = tuple(self.tour(x, f"{key}.tours[{k}]", note_ids) for k, x in enumerate(tours_in))
        for k, tour in enumerate(tours):
            if tour.id and tour.id in [x.id for x in tours[:k]]:
                self.err(f"{key}.tours[{k}].id", f"a tour id unique within the relic (duplicate {tour.id!r})")
        return Relic(
            id=self.string(t, f"{key}.id"), name=self.text(t, f"{key}.name"),
            material=self.text(t, f"{key}.material"), profile=self.string(t, f"{key}.profile"),
            position=pos, heading_deg=self.number(t, f"{key}.heading", -360, 360, default=0.0),
            height_m=self.number(t, f"{key}.height", 0.01, 20.0, default=0.5),
            mesh=mesh if isinstance(mesh, str) else None,
            case=self.ref(t, f"{key}.case", cases, "case", required=False) or None,
            zone=self.ref(t, f"{key}.zone", zones, "zone"), era=self.text(t, f"{key}.era", required=False),
            stand_in=bool(t.get("stand_in", False)), annotations=notes, tours=tours,
            source=self.strings(t, f"{key}.source"),
        )

    def strings(self, t: Mapping[str, Any], key: str) -> dict[str, str]:
        """An optional table of strings (``{}`` when absent)."""
        val = t.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(val, dict) or not all(isinstance(v, str) for v in val.values()):
            self.err(key, "a table of strings")
            return {}
        return dict(val)

    def hall_scan(self, t: Any, key: str, assets: Path) -> HallScan | None:
        """``[hall_scan]``: the scan file and its placement (see :class:`HallScan`)."""
        if not isinstance(t, dict):
            self.err(key, f"a table ([hall_scan] with mesh = ...), got {type(t).__name__}")
            return None
        known = {"mesh", "kind", "translation", "rotation", "scale", "up", "opacity", "point_size", "brightness",
                 "clip", "walls", "source"}
        for extra in sorted(set(t) - known):
            self.err(f"{key}.{extra}", f"one of the keys {', '.join(sorted(known))}")
        mesh = t.get("mesh")
        if not isinstance(mesh, str) or not mesh or not (assets / mesh).is_file():
            self.err(f"{key}.mesh", f"a scan file (.ply) under {assets}, got {mesh!r} (not found)")
            mesh = ""
        choices = {"kind": SCAN_KINDS, "up": SCAN_UP_AXES, "walls": SCAN_WALLS}
        picked = {}
        for name, allowed in choices.items():
            val = t.get(name, allowed[0])
            if val not in allowed:
                self.err(f"{key}.{name}", f"one of {', '.join(repr(a) for a in allowed)}, got {val!r}")
                val = allowed[0]
            picked[name] = str(val)
        clip = (-math.inf, math.inf)
        if "clip" in t:
            lo, hi = self.vector(t, f"{key}.clip", 2)
            if not lo < hi:
                self.err(f"{key}.clip", f"[low, high] heights in m with low < high, got {t['clip']!r}")
            clip = (float(lo), float(hi))
        return HallScan(
            mesh=mesh, kind=picked["kind"], up=picked["up"], walls=picked["walls"],
            translation=self.vector(t, f"{key}.translation", 3, default=[0.0, 0.0, 0.0]),
            rotation_deg=self.number(t, f"{key}.rotation", -360, 360, default=0.0),
            scale=self.number(t, f"{key}.scale", 1e-4, 1e4, default=1.0),
            opacity=self.number(t, f"{key}.opacity", 0.05, 1.0, default=1.0),
            point_size=self.number(t, f"{key}.point_size", 0.001, 0.2, default=0.012),
            brightness=self.number(t, f"{key}.brightness", 0.1, 10.0, default=1.0),
            clip=clip, source=self.strings(t, f"{key}.source"),
        )

    def tour(self, t: Mapping[str, Any], key: str, note_ids: list[str]) -> Tour:
        """A tour: id, title and ``steps``, a non-empty list of annotation ids of this relic, each
        either a string or a table ``{annotation = ID, narration = {zh-CN = ..., en = ...}}``."""
        steps_in = t.get("steps")
        if not isinstance(steps_in, list) or not steps_in:
            got = "an empty list" if steps_in == [] else repr(steps_in)
            self.err(f"{key}.steps", f"a non-empty list of annotation ids, got {got}")
            steps_in = []
        known = ", ".join(note_ids) or "none defined"
        steps = []
        for j, step in enumerate(steps_in):
            skey = f"{key}.steps[{j}]"
            if isinstance(step, dict):
                note, narration = step.get("annotation"), self.text(step, f"{skey}.narration", required=False)
                skey += ".annotation"
            else:
                note, narration = step, {}
            if not isinstance(note, str) or note not in note_ids:
                self.err(skey, f"the id of an annotation of this relic ({known}), got {note!r}")
                continue
            steps.append(TourStep(annotation=note, narration=narration))
        return Tour(id=self.string(t, f"{key}.id"), title=self.text(t, f"{key}.title"), steps=tuple(steps))

    def annotation(self, t: Mapping[str, Any], key: str) -> Annotation:
        view = t.get("view", {})
        if not isinstance(view, dict):
            self.err(f"{key}.view", "a table with eye and target")
            view = {}
        normal = self.vector(t, f"{key}.normal", 3)
        norm = float(np.linalg.norm(normal))
        if norm < 1e-9:
            self.err(f"{key}.normal", "a non-zero vector")
            norm = 1.0
        images = t.get("images", [])
        return Annotation(
            id=self.string(t, f"{key}.id"), position=self.vector(t, f"{key}.position", 3), normal=normal / norm,
            title=self.text(t, f"{key}.title"), text=self.text(t, f"{key}.text"),
            view_eye=self.vector(view, f"{key}.view.eye", 3) if "eye" in view else None,
            view_target=self.vector(view, f"{key}.view.target", 3) if "target" in view else None,
            style=str(t.get("style", "default")),
            images=tuple(str(i) for i in images) if isinstance(images, list) else (),
        )
