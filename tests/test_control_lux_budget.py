"""The year's light dose survives a restart: control reads the lux-hours already received from
the stored readings when it starts (counting from zero would hand out the budget again); and
lights that cannot see (a stale illuminance sensor) go to their safe state."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bridge.config import BrokerAddress
from bridge.control.service import ControlService
from bridge.control.virtual_plugs import VirtualPlug
from bridge.readings import Reading
from bridge.store import Store
from simulation.control.controller import Observation
from simulation.paths import assets_dir, scenes_dir
from simulation.scene import load_scene

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def lit_scene(tmp_path):
    """The demo hall with a light and a blind over the silk painting's case c2 (sensor S04)."""
    shutil.copytree(scenes_dir() / "demo_hall", tmp_path / "hall")
    toml = tmp_path / "hall" / "scene.toml"
    extra = "".join(
        f'\n[[actuators]]\nid = "{aid}"\nkind = "{kind}"\nname = {{ "zh-CN" = "{aid}", en = "{aid}" }}\n'
        f'zone = "painting"\ncase = "c2"\nposition = [15.0, 11.0, 0.0]\nconvention = "native"\ntopic = "t/{aid}"\n'
        for aid, kind in (("lamp", "light"), ("shade", "blind")))
    toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return load_scene(tmp_path / "hall", assets_dir=assets_dir())


def lux(scene, start: datetime, days: int, lx: float, quality: str = "ok") -> list[Reading]:
    return [Reading("S04", "illuminance", start + timedelta(minutes=10 * i), lx, "lx", quality, hall=scene.id)
            for i in range(days * 144)]


def test_restarted_control_resumes_the_years_lux_hours(mosquitto_broker, tmp_path):
    scene = lit_scene(tmp_path)
    address = BrokerAddress(host=mosquitto_broker.host, port=mosquitto_broker.port)
    clock = {"now": NOW}

    def service(store: Store) -> ControlService:
        return ControlService(scene, lambda: [], lambda r: False, address, store, tmp_path, lambda: clock["now"],
                              client_id="test-lux", weather=lambda t: (12.0, 70.0))

    with Store.open(data_dir=tmp_path, hall=scene.id) as store:
        last_year = lux(scene, datetime(2025, 12, 1, tzinfo=UTC), 20, 200.0)  # a year ago: not this year's dose
        month = lux(scene, NOW - timedelta(days=30), 30, 50.0)  # 30 days at 50 lx
        flagged = [Reading("S04", "illuminance", NOW - timedelta(days=3, minutes=5), 20_000.0, "lx", "stuck",
                           hall=scene.id)]
        store.write_batch(last_year + month + flagged)
        svc = service(store)
        try:
            (group,) = svc.controller.lights
            assert group.id == "c2" and group.budget_lxh == 50_000.0
            used = svc.controller.used_lxh["c2"]
            assert used == pytest.approx(30 * 24 * 50.0, rel=0.01)  # ~36 000 lx·h, not 0
        finally:
            svc.stop()
        # control stops, the hall stays lit for a day at 100 lx, control starts again
        store.write_batch(lux(scene, NOW, 1, 100.0))
        clock["now"] = NOW + timedelta(days=1)
        svc = service(store)
        try:
            used = svc.controller.used_lxh["c2"]
            assert used == pytest.approx(36_000.0 + 2_400.0, rel=0.01)
            remaining = group.budget_lxh - used
            assert remaining == pytest.approx(11_600.0, rel=0.03)
            obs = Observation(20.0, 55.0, np.zeros(0), np.zeros(0), 12.0, 70.0, lux={"c2": 60.0})
            _, why = svc.controller.plan_lights(clock["now"].timestamp(), obs, {})
            assert why["lamp"]["used_lxh"] == round(used)  # the planner spreads what is left, not a fresh year
        finally:
            svc.stop()


def test_a_stale_lux_sensor_sends_the_light_and_blind_to_their_safe_state(mosquitto_broker, tmp_path):
    """The hall's T/RH readings are fresh, the case's illuminance sensor is an hour old: the lamp
    goes off and the blind closes (their safe state), with an alert; fresh again, they are planned."""
    OPEN = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai: the hall is open  # noqa: N806
    scene = lit_scene(tmp_path)
    address = BrokerAddress(host=mosquitto_broker.host, port=mosquitto_broker.port)
    plugs = {aid: VirtualPlug("native", f"t/{aid}", address.host, address.port) for aid in ("lamp", "shade")}
    lux_age = {"s": 3600.0}

    def latest() -> list[Reading]:
        out = [Reading(s.id, q, OPEN, v, u, hall=scene.id) for s in scene.sensors if "relative_humidity" in s.quantities
               for q, v, u in (("temperature", 20.0, "°C"), ("relative_humidity", 55.0, "%RH"))]
        return out + [Reading("S04", "illuminance", OPEN - timedelta(seconds=lux_age["s"]), 40.0, "lx", hall=scene.id)]

    raised: list = []
    with Store.open(data_dir=tmp_path, hall=scene.id) as store:
        svc = ControlService(scene, latest, lambda r: (OPEN - r.time).total_seconds() > 1800, address, store, tmp_path,
                             lambda: OPEN, alert=raised.append, client_id="test-lux-stale", weather=lambda t: (12.0, 70.0))
        try:
            out = [o for o in svc.step() if o["actuator"] in plugs]
            assert sorted((o["actuator"], o["kind"], o["level"], o["why"]["rules"][0]) for o in out) == [
                ("lamp", "command", 0.0, "stale_sensor"), ("shade", "command", 0.0, "stale_sensor")]
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(p.heard for p in plugs.values()):
                time.sleep(0.02)
            assert [p.heard for p in plugs.values()] == [[("t/lamp/set", b'{"level":0.0}')],
                                                         [("t/shade/set", b'{"level":0.0}')]]
            assert [(a["code"], a["subject"]) for a in raised] == [("stale_sensor", "c2")]
            lux_age["s"] = 0.0  # the sensor is back: the budget plans them again (advise: recommendations)
            again = {o["actuator"]: o for o in svc.step() if o["actuator"] in plugs}
            assert again and {o["kind"] for o in again.values()} == {"recommendation"}
            assert all(o["why"]["rule"] == "lux_budget" for o in again.values())
        finally:
            svc.stop()
            for p in plugs.values():
                p.close()
