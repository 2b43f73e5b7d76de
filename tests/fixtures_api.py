"""Fixtures for the API tests: a real SQLite store with users of every role, a scene, a live state,
and the app served by a real uvicorn on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from bridge.api import ApiSettings, create_app
from bridge.api.auth import ROLES, hash_password
from bridge.api.server import ThreadedServer
from bridge.readings import Reading
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.epoch import to_us
from bridge.store.models import Alert
from bridge.twin.live import TwinState
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
LIVE_KEY = "sensor:S01:relative_humidity_high:1"  # the live engine's id of the seeded alert
SECRET = b"test-secret-0123456789abcdef"
#: argon2 at its cheapest: the tests check roles, not the hash's cost (test_auth checks the default)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass
class Api:
    url: str
    ws_url: str
    store: Store
    state: TwinState
    tokens: dict[str, str]
    app: object

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def seed_readings(store: Store, state: TwinState) -> None:
    """Two days of 10-minute S01 temperature/RH and S03 illuminance: known values for the tests."""
    rows = []
    for i in range(288):
        t = T0 + timedelta(minutes=10 * i)
        rows.append(Reading("S01", "temperature", t, 20.0 + (i % 6), "°C"))      # 20..25, mean 22.5
        rows.append(Reading("S01", "relative_humidity", t, 50.0, "%RH"))
        rows.append(Reading("S03", "illuminance", t, 50.0 if (i // 72) % 2 == 0 else 0.0, "lx"))
    store.add_readings(rows)
    state.update(rows)


def demo_control(scene, store: Store):
    """The demo hall's machines under a humidistat, commands going nowhere (the API's view of control)."""
    from bridge.control import hall as control_hall
    from bridge.control.audit import AuditLog
    from bridge.control.runtime import ControlRuntime
    from simulation.control.controller import Humidistat

    _, devices, _, fallback = control_hall.twin_controller_parts(scene)
    return ControlRuntime(scene.id, scene.actuators, Humidistat(devices, fallback), lambda topic, payload: None,
                          AuditLog(store, scene.id))


def build(tmp: Path, settings: ApiSettings | None = None, whatif_runner=None) -> tuple[object, Store, TwinState]:
    scene = load_scene(ROOT / "scenes" / "demo_hall")
    store = Store.open(data_dir=tmp)
    state = TwinState(scene, clock=lambda: T0 + timedelta(days=2))
    settings = settings or ApiSettings(data_dir=tmp, secret=SECRET, rate_per_s=10_000, burst=10_000,
                                       login_per_min=10_000, password_hasher=FAST)
    app = create_app(store, settings, scene=scene, state=state, whatif_runner=whatif_runner,
                     control=demo_control(scene, store))
    for role in ROLES:
        q.add_user(store, role, role, hash_password(PASSWORD, FAST))
    seed_readings(store, state)
    q.save(store, Alert(raised_at_us=to_us(T0), tier="warning", sensor="S01", quantity="relative_humidity",
                        message_zh="湿度偏高", message_en="humidity high", key=LIVE_KEY, target_kind="sensor",
                        target_id="S01", cause="relative_humidity_high"))
    return app, store, state


def fake_whatif(path: Path, out_dir: Path, *, progress, initial=None) -> dict:
    for k in range(1, 5):
        progress(k / 4)
    return {"scenario": {"id": path.stem}, "twpi_years": {"ding": 42.0, "bad": float("nan")},
            "initial": {k: list(v) for k, v in (initial or {}).items()}}


def serve(tmp: Path) -> Iterator[Api]:
    app, store, state = build(tmp, whatif_runner=fake_whatif)
    with ThreadedServer(app) as srv:
        tokens = {}
        with httpx.Client(base_url=srv.url) as c:
            for role in ROLES:
                r = c.post("/api/auth/token", json={"username": role, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[role] = r.json()["access_token"]
        yield Api(srv.url, srv.ws_url, store, state, tokens, app)
    store.close()
