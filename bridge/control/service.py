"""Control inside the running twin (``relic-twin serve``, the demo): every control step the hall's
latest readings become an observation, the controller decides, the runtime commands.

* hall air: the mean of the fresh, unflagged open-hall T/RH sensors; no such sensor means the
  sensors cannot be trusted: every machine goes to its declared safe state
  (:func:`bridge.control.runtime.safe_command`) and an alert is raised;
* light: a space's lights and blind go to their safe states (and an alert) while the space has
  illuminance sensors and none of them is fresh and unflagged; the rest of the hall runs on;
* case air: a fresh RH sensor in the case; relics: their case sensor, else their zone's sensors,
  else the hall mean;
* outdoor weather: the sensor named by ``RELIC_TWIN_OUTDOOR_SENSOR`` (a T/RH sensor outside), or a
  weather source (``weather``: the demo's virtual hall), forecast by diurnal persistence; without
  either the twin cannot plan, and the humidistat runs;
* the model's calibration (``calibration.json``): when it fails its check, the humidistat runs.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bridge.control import hall as control_hall
from bridge.control.audit import AuditLog, import_json_lines
from bridge.control.runtime import ControlRuntime, connect
from bridge.readings import Reading
from bridge.store import Store
from simulation import light_dose
from simulation.control import closed_loop
from simulation.control import hall_model as hm
from simulation.control.controller import Humidistat, Observation, TwinController
from simulation.scene import Scene

log = logging.getLogger(__name__)

STEP_S = 600.0  # s between decisions (the planner's step)
TICK_S = 5.0  # s between echo and effect checks


@dataclass(frozen=True)
class Readout:
    """What the latest readings say: the observation (None: no trustworthy hall reading) and why."""

    observation: Observation | None
    reason: str = ""


def readout(scene: Scene, relic_ids: list[str], latest: list[Reading], is_stale: Callable[[Reading], bool],
            outdoor: str | None, lux_spaces: Sequence[str] = ()) -> Readout:
    """An :class:`Observation` from the latest readings of each sensor (fresh and ``ok`` only);
    lux_spaces : zones or cases whose illuminance the light groups want (their mean, lx)."""
    good: dict[tuple[str, str], float] = {(r.sensor, r.quantity): r.value for r in latest
                                          if r.quality == "ok" and not is_stale(r)}
    sensors = {s.id: s for s in scene.sensors}
    open_ids = [s.id for s in scene.sensors if s.case is None and s.id != outdoor]
    pairs = [(good[(i, "temperature")], good[(i, "relative_humidity")]) for i in open_ids
             if (i, "temperature") in good and (i, "relative_humidity") in good]
    if not pairs:
        return Readout(None, "no fresh, unflagged T/RH sensor in the open hall")
    t = float(np.mean([p[0] for p in pairs]))
    rh = float(np.mean([p[1] for p in pairs]))

    def rh_of(case: str | None, zone: str | None) -> float:
        vals = [v for (sid, q), v in good.items() if q == "relative_humidity" and sid in sensors
                and sid != outdoor and ((case is not None and sensors[sid].case == case)
                                        or (case is None and sensors[sid].case is None and sensors[sid].zone == zone))]
        return float(np.mean(vals)) if vals else float("nan")

    case_rh = np.array([rh_of(c.id, None) for c in scene.cases])
    relics = {r.id: r for r in scene.relics}
    relic_rh = []
    for rid in relic_ids:
        r = relics[rid]
        v = rh_of(r.case, r.zone) if r.case else rh_of(None, r.zone)
        relic_rh.append(v if np.isfinite(v) else rh)
    t_out, rh_out = (good.get((outdoor, "temperature"), np.nan), good.get((outdoor, "relative_humidity"), np.nan)) \
        if outdoor else (np.nan, np.nan)
    lux = {}
    for space in lux_spaces:
        vals = [v for (sid, q), v in good.items() if q == "illuminance" and sid in sensors
                and (sensors[sid].case == space or (sensors[sid].case is None and sensors[sid].zone == space))]
        if vals:
            lux[space] = float(np.mean(vals))
    return Readout(Observation(t, rh, case_rh, np.array(relic_rh), float(t_out), float(rh_out), lux=lux))


def used_lux_hours(store: Store, scene: Scene, spaces: Sequence[str], now: datetime) -> dict[str, float]:
    """Per zone or case: the lx·h received since the start of ``now``'s calendar year (UTC), from the
    stored ``ok`` illuminance readings of the space's sensors (hourly means, trapezoid rule,
    :func:`simulation.light_dose.cumulative_exposure`: a gap over 6 h adds nothing; the mean over
    the space's sensors, as :func:`readout` takes them). Spaces without readings are left out."""
    start = datetime(now.year, 1, 1, tzinfo=UTC)
    out = {}
    for space in spaces:
        doses = []
        for s in scene.sensors:
            if "illuminance" in s.quantities and (s.case == space or (s.case is None and s.zone == space)):
                series = store.series(s.id, "illuminance", start, now, bucket_s=3600, only_ok=True, hall=scene.id)
                if len(series.values) >= 2:
                    doses.append(float(light_dose.cumulative_exposure(series.times, series.values).max()))
        if doses:
            out[space] = float(np.mean(doses))
    return out


class ControlService:
    """The hall's control loop on a thread; ``runtime`` is what the API serves."""

    def __init__(self, scene: Scene, latest: Callable[[], list[Reading]], is_stale: Callable[[Reading], bool],
                 address: Any, store: Store, data_dir: Path, clock: Callable[[], datetime],
                 alert: Callable[[dict[str, Any]], None] = lambda a: None, outdoor: str | None = None,
                 client_id: str = "relic-twin-control", step_s: float = STEP_S,
                 on_change: Callable[[list[dict[str, Any]]], None] | None = None, site: str = "",
                 weather: Callable[[datetime], tuple[float, float]] | None = None, tick_s: float = TICK_S):
        self.scene, self.latest, self.is_stale, self.clock, self.step_s = scene, latest, is_stale, clock, step_s
        self.tick_s = tick_s
        self.outdoor = outdoor if outdoor in {s.id for s in scene.sensors} else None
        self.weather = weather
        model, devices, bands, fallback = control_hall.twin_controller_parts(scene)
        passed, _ = control_hall.calibration_check(scene)
        self.calibration_ok = passed is not False
        self.relic_ids = [r.id for r in control_hall.served_relics(scene)]
        self.light_groups = control_hall.light_groups(scene)
        self.lux_spaces = [g.id for g in self.light_groups]
        sensors = [s for s in scene.sensors if "illuminance" in s.quantities]
        self._lux_sensed = {g.id for g in self.light_groups
                            if any(s.case == g.id or (s.case is None and s.zone == g.id) for s in sensors)}
        if self.outdoor is None and weather is None:
            self.controller: TwinController | Humidistat = Humidistat(devices, fallback, step_s)
            self.why = "no outdoor sensor (RELIC_TWIN_OUTDOOR_SENSOR): humidistat / 无室外传感器：湿度控制器"
        else:
            self.controller = control_hall.twin_controller(scene)
            self.why = "twin (MPC)" if self.calibration_ok else "calibration failed: humidistat / 校准未通过：湿度控制器"
        if isinstance(self.controller, TwinController) and self.controller.lights:  # the year's dose so far
            self.controller.resume_light(clock().timestamp(), used_lux_hours(store, scene, self.lux_spaces, clock()))
        audit = AuditLog(store, scene.id, site)
        import_json_lines(data_dir / "control" / f"{scene.id}-audit.jsonl", audit)  # a trail of the JSON-lines days
        self.runtime = ControlRuntime(scene.id, scene.actuators, self.controller, lambda t, p: None, audit, alert=alert,
                                      clock=lambda: self.clock().timestamp(), on_change=on_change)
        self._outdoor: deque[tuple[float, float]] = deque(maxlen=2 * int(86400 / step_s))
        self._client = connect(self.runtime, address.host, address.port, client_id, username=address.username,
                               password=address.password, tls=address.tls)
        self._seen = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="control", daemon=True)

    def start(self) -> ControlService:
        self._thread.start()
        return self

    def step(self) -> list[dict[str, Any]]:
        """One control step from the latest readings."""
        ro = readout(self.scene, self.relic_ids, self.latest(), self.is_stale, self.outdoor, self.lux_spaces)
        if ro.observation is None:  # stale or flagged: safe states, once readings had come (at start-up the
            return self.runtime.fail_safe(ro.reason) if self._seen else []  # machines are as people left them)
        self._seen = True
        obs = ro.observation
        blind_to = [g for g in self.light_groups if g.id in self._lux_sensed and g.id not in obs.lux]
        held = [a for g in blind_to for a in (g.light, g.blind) if a is not None]  # their lux sensors are stale
        safe = self.runtime.fail_safe(f"no fresh, unflagged illuminance sensor in {', '.join(g.id for g in blind_to)}",
                                      held) if held else []
        return safe + self._control(obs, held)

    def _control(self, obs: Observation, held: list[str]) -> list[dict[str, Any]]:
        if self.weather is not None and not (np.isfinite(obs.t_out) and np.isfinite(obs.rh_out)):
            t_out, rh_out = self.weather(self.clock())
            obs = replace(obs, t_out=t_out, rh_out=rh_out)
        if not isinstance(self.controller, TwinController):
            return self.runtime.control(obs, held=held)
        if np.isfinite(obs.t_out) and np.isfinite(obs.rh_out):
            self._outdoor.append((obs.t_out, obs.rh_out))
        if not self._outdoor:  # no outdoor reading yet: the twin's fallback humidistat decides
            z = np.zeros(72)
            return self.runtime.control(obs, hm.Forcing(z, z + 50.0, z, z, z, z), calibration_ok=False, held=held)
        hist = np.array(self._outdoor)
        weather = closed_loop.Weather(hist[:, 0], hist[:, 1], np.zeros(len(hist)), np.zeros(len(hist)),
                                      np.zeros(len(hist)), len(hist) - 1)
        forecast = closed_loop.forecast(weather, len(hist) - 1, 72, int(86400 / self.step_s))
        return self.runtime.control(obs, forecast, calibration_ok=self.calibration_ok, held=held)

    def _run(self) -> None:
        next_step = float("-inf")
        while not self._stop.wait(self.tick_s):
            try:
                now = self.clock().timestamp()  # the step is on the twin's clock (the demo's runs fast)
                if now >= next_step:
                    next_step = now + self.step_s
                    self.step()
                ro = readout(self.scene, self.relic_ids, self.latest(), self.is_stale, self.outdoor, self.lux_spaces)
                if ro.observation is not None:
                    self.runtime.tick({control_hall.HALL: (ro.observation.t, ro.observation.rh)})
            except Exception:  # noqa: BLE001 (a failed step must not stop the loop; it is logged)
                log.exception("control step failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._client.loop_stop()
        self._client.disconnect()


def start_for_hall(scene: Scene, state: Any, store: Store, address: Any, data_dir: Path,
                   clock: Callable[[], datetime], emit: Callable[[list[dict[str, Any]]], None], client_id: str,
                   outdoor: str | None = None,
                   weather: Callable[[datetime], tuple[float, float]] | None = None,
                   tick_s: float = TICK_S) -> ControlService:
    """The started control loop of one running hall: readings from its live ``state``
    (:class:`bridge.twin.live.TwinState`), alerts out through ``emit`` (alert feed events), the
    machines' status to the live feed. ``relic-twin serve`` runs one per hall with ``[[actuators]]``."""
    svc = ControlService(scene, state.latest, lambda r: state.is_stale(r, clock()), address, store, data_dir, clock,
                         alert=lambda a: emit([alert_event(a)]), outdoor=outdoor, client_id=client_id,
                         on_change=state.update_control, weather=weather, tick_s=tick_s).start()
    state.update_control(svc.runtime.status())
    return svc


ADVICE: dict[str, dict[str, str]] = {
    "not_responding": {"en": "check the plug's power and radio link; the machine may not be doing what the twin thinks",
                       "zh-CN": "检查插座电源和无线连接；设备可能没有按孪生系统的指令运行"},
    "dehumidifier_ineffective": {"en": "empty the tank, close doors and windows, check the filter",
                                 "zh-CN": "倒空水箱，关闭门窗，检查滤网"},
    "humidifier_ineffective": {"en": "refill the tank, check the wick or the nozzle", "zh-CN": "加满水箱，检查湿帘或喷嘴"},
    "stale_sensor": {"en": "check the hall's sensors; the machines are in their safe states",
                     "zh-CN": "检查展厅传感器；设备已进入安全状态"},
}


def alert_event(alert: dict[str, Any]) -> dict[str, Any]:
    """A control alert as the alert engine's feed event (stored, retained on MQTT, sent by
    :mod:`bridge.alerts.dissemination`); one alert per cause and machine (or space)."""
    code = alert["code"]
    return {"id": f"control:{code}:{alert['subject']}", "kind": "raised", "tier": "yellow",
            "target": {"kind": "actuator" if code != "stale_sensor" else "zone", "id": alert["subject"] or alert["hall"]},
            "cause": code, "value": None, "limit": None, "unit": "", "started_at": alert["at"], "at": alert["at"],
            "message": alert["message"], "advice": ADVICE.get(code, {"en": "", "zh-CN": ""}),
            "acknowledged": False, "acknowledged_by": None, "cleared": False}
