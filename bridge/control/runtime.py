"""The control runtime of one hall: a controller's decisions -> policies -> MQTT commands, with
echoes, effect checks, overrides, alerts and the audit trail.

Per actuator the **policy** decides what a decision becomes: ``off`` nothing (manual only; the
state is still watched), ``advise`` a recommendation with its reason that staff apply with one
click (:meth:`ControlRuntime.apply_recommendation`), ``auto`` a command within the interlocks.
Changing a policy needs the curator or admin role. A manual **override** (a person's state until
a time) is sent whatever the policy. Every recommendation, command, echo, effect, alert, policy
change, override and interlock trip goes to the :class:`~bridge.control.audit.AuditLog` (a table).

The MQTT side is injected (``publish``; :func:`connect` wires paho), the clock too, so most
tests need no broker; ``tests/test_control_loop.py`` runs it against a real Mosquitto with
virtual smart plugs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bridge.control import conventions, feedback
from bridge.control.audit import AuditLog, Entry
from simulation.actuators import POLICIES, Actuator
from simulation.control import interlocks
from simulation.control.controller import Context, Humidistat, Observation, TwinController
from simulation.control.hall_model import Forcing

POLICY_ROLES = ("curator", "admin")  # roles that may change a policy


class PolicyError(PermissionError):
    """A policy change refused; ``message`` in zh-CN and en."""

    def __init__(self, message: dict[str, str]):
        self.message = message
        super().__init__(message["en"])


class OverrideError(ValueError):
    """A manual override that the machine cannot take; ``message`` in zh-CN and en."""

    def __init__(self, message: dict[str, str]):
        self.message = message
        super().__init__(message["en"])


OVERRIDE_KEYS: dict[str, frozenset[str]] = {"air_conditioner": frozenset({"mode", "setpoint"}),
                                            "light": frozenset({"level"}), "blind": frozenset({"level"})}
"""What a manual override sets, by kind (switch machines: ``on``)."""


def safe_command(a: Actuator) -> dict[str, Any] | None:
    """The command of ``a``'s declared safe state (``safe_state`` in the scene): a switch off or
    on; a light off (level 0) or full; a blind closed (0: no dose on the relics) or open; an
    air conditioner off (mode ``off``), or, when its safe state is ``on``, left as it is (None:
    its own thermostat keeps the last set point)."""
    on = a.safe_state == "on"
    if a.switch:
        return {"on": on}
    if a.kind in ("light", "blind"):
        return {"level": 1.0 if on else 0.0}
    return None if on else {"mode": "off"}


@dataclass(frozen=True)
class Recommendation:
    """What the controller advises for an ``advise`` actuator, and why."""

    actuator: str
    command: dict[str, Any]
    at_s: float
    why: dict[str, Any]


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


class ControlRuntime:
    """See the module docstring. ``controller`` drives the switch actuators, in scene order."""

    def __init__(self, hall: str, actuators: Sequence[Actuator], controller: TwinController | Humidistat,
                 publish: Callable[[str, bytes], None], audit: AuditLog,
                 alert: Callable[[dict[str, Any]], None] = lambda a: None,
                 clock: Callable[[], float] | None = None,
                 on_change: Callable[[list[dict[str, Any]]], None] | None = None):
        self.hall = hall
        self.on_change = on_change  # called with status() whenever a machine's state, command or policy changes
        self.actuators = {a.id: a for a in actuators}
        self.switches = [a for a in actuators if a.switch]
        if [d.id for d in controller.devices] != [a.id for a in self.switches]:
            raise ValueError("the controller's devices must be the scene's switch actuators, in order")
        self.controller = controller
        self.publish = publish
        self.audit = audit
        self.alert = alert
        self.clock = clock or (lambda: datetime.now(UTC).timestamp())
        self.policies = {a.id: a.policy for a in actuators}
        self.reported: dict[str, dict[str, Any]] = {a.id: {} for a in actuators}
        self.pending: dict[str, feedback.Pending] = {}
        self.runs: dict[str, feedback.Run] = {}
        self.overrides: dict[str, tuple[dict[str, Any], float]] = {}  # id -> (command held, until s)
        self.recommendations: dict[str, Recommendation] = {}
        self.alerts: list[dict[str, Any]] = []
        self._trips: dict[str, tuple[bool, tuple[str, ...]] | None] = {}  # the interlock holding each machine
        self._sent: dict[str, dict[str, Any]] = {}  # the last command sent to each machine
        self._lock = threading.RLock()
        self._request = 0

    # --- MQTT in ---------------------------------------------------------------------------
    def topics(self) -> list[str]:
        """Every state topic to subscribe to."""
        return sorted({t for a in self.actuators.values() for t in conventions.state_topics(a.convention, a.topic)})

    def on_message(self, topic: str, payload: bytes) -> None:
        """A state message: update the reported state and confirm a pending command."""
        with self._lock:
            now = self.clock()
            for a in self.actuators.values():
                try:
                    state = conventions.decode(a.convention, a.topic, topic, payload)
                except conventions.ConventionError as exc:
                    self._raise_alert("unreadable", a.id, {"en": f"unreadable state from {a.id}: {exc}",
                                                          "zh-CN": f"{a.id} 的状态消息无法读取：{exc}"}, now)
                    continue
                if not state:
                    continue
                self.reported[a.id] = {**self.reported[a.id], **state}
                self._changed()
                p = self.pending.get(a.id)
                if p is not None and conventions.confirms(p.command, state):
                    del self.pending[a.id]
                    self._changed()
                    self.audit.append(Entry("echo", a.id, _iso(now), a.id, echo=state,
                                            why={"seconds": round(now - p.sent_s, 3)}))

    # --- people ----------------------------------------------------------------------------
    def set_policy(self, actuator: str, policy: str, user: str, role: str) -> None:
        """Change an actuator's policy; :class:`PolicyError` unless curator or admin."""
        if role not in POLICY_ROLES:
            raise PolicyError({"en": f"changing a control policy needs the curator or admin role (you are {role})",
                               "zh-CN": f"更改控制策略需要策展人或管理员角色（当前为 {role}）"})
        if policy not in POLICIES or actuator not in self.actuators:
            raise ValueError(f"unknown actuator {actuator!r} or policy {policy!r} (policies: {', '.join(POLICIES)})")
        with self._lock:
            before = self.policies[actuator]
            self.policies[actuator] = policy
            self.audit.append(Entry("policy", actuator, _iso(self.clock()), user, before={"policy": before},
                                    after={"policy": policy}, why={"role": role}))
            self._changed()

    def override_command(self, actuator: str, command: bool | Mapping[str, Any]) -> dict[str, Any]:
        """The command a manual override holds (``True``/``False`` stands for ``{"on": ...}``):
        ``on`` for a switch, ``level`` 0..1 for a light or a blind, ``mode`` and/or ``setpoint`` for
        an air conditioner; :class:`OverrideError` for anything else."""
        a = self.actuators[actuator]
        cmd = {"on": bool(command)} if isinstance(command, bool) else {k: v for k, v in command.items() if v is not None}
        allowed = frozenset({"on"}) if a.switch else OVERRIDE_KEYS[a.kind]
        names = {"on": "on / 开关", "level": "level / 档位", "mode": "mode / 模式", "setpoint": "setpoint / 设定温度"}
        want = ", ".join(names[k] for k in sorted(allowed))
        if not cmd or set(cmd) - allowed:
            raise OverrideError({"en": f"a {a.kind} override sets {want}; got {', '.join(sorted(cmd)) or 'nothing'}",
                                 "zh-CN": f"{a.kind} 的人工接管只能设定 {want}；收到 {', '.join(sorted(cmd)) or '空'}"})
        try:
            conventions.encode(a.convention, a.topic, cmd)
        except (conventions.ConventionError, TypeError, ValueError) as exc:
            raise OverrideError({"en": f"{actuator} cannot take this override: {exc}",
                                 "zh-CN": f"{actuator} 无法执行此人工接管：{exc}"}) from exc
        return cmd

    def set_override(self, actuator: str, command: bool | Mapping[str, Any], minutes: float, user: str) -> None:
        """Hold an actuator at ``command`` (see :meth:`override_command`) for ``minutes`` whatever the
        controller and the fail-safe say; sent at once."""
        with self._lock:
            cmd = self.override_command(actuator, command)
            now = self.clock()
            self.overrides[actuator] = (cmd, now + 60.0 * minutes)
            self.recommendations.pop(actuator, None)
            self.audit.append(Entry("override", actuator, _iso(now), user, after=dict(cmd),
                                    why={"until": _iso(now + 60.0 * minutes)}))
            self._send(actuator, cmd, user, {"rule": "override"}, now)

    def apply_recommendation(self, actuator: str, user: str) -> bool:
        """Staff's one click: send the standing recommendation; False when there is none."""
        with self._lock:
            rec = self.recommendations.pop(actuator, None)
            if rec is None:
                return False
            self._send(actuator, rec.command, user, {**rec.why, "recommended_at": _iso(rec.at_s)}, self.clock())
            return True

    # --- the loop --------------------------------------------------------------------------
    def control(self, obs: Observation, forecast: Forcing | None = None, *, sensors_ok: bool = True,
                calibration_ok: bool = True, held: Collection[str] = ()) -> list[dict[str, Any]]:
        """One control step; returns what was commanded or recommended (also in the audit).
        held : lights, blinds or air conditioners left out of the plan (in their safe state:
        their own sensors are stale, see :meth:`fail_safe`)."""
        with self._lock:
            now = self.clock()
            self._sync_history(now)
            overrides = {k: v for k, v in self.overrides.items() if v[1] > now}
            ctx = Context(sensors_ok=sensors_ok, calibration_ok=calibration_ok,
                          override={k: (bool(c.get("on")), t) for k, (c, t) in overrides.items()
                                    if self.actuators[k].switch},
                          safe_state={a.id: a.safe_state == "on" for a in self.switches},
                          fixed={a.id: bool(self.reported[a.id].get("on", False)) for a in self.switches
                                 if self.policies[a.id] == "off"})
            if not sensors_ok:
                for space in sorted({a.space for a in self.switches}):
                    self._raise_alert("stale_sensor", space, feedback.text("stale_sensor", space=space), now)
            if isinstance(self.controller, TwinController):
                assert forecast is not None, "the twin controller needs a forecast"
                step = self.controller.decide(now, obs, forecast, ctx)
            else:
                step = self.controller.decide(now, obs, None, ctx)
            out = []
            for a, on, dec, proposed in zip(self.switches, step.on, step.decisions, step.proposed, strict=True):
                self._note_trip(a.id, proposed, on, dec.rules, step.source, now)
                current = bool(self.reported[a.id].get("on", False))
                pending = self.pending.get(a.id)
                if on == current or (pending is not None and pending.command.get("on") == on):
                    continue
                why = {"source": step.source, "proposed": proposed, "rules": list(dec.rules),
                       "reasons": [interlocks.RULES[r] for r in dec.rules]}
                if step.plan is not None:
                    why["plan"] = {"cost": round(step.plan.cost, 2),
                                   "terms": {k: round(v, 2) for k, v in step.plan.terms.items()},
                                   "predicted_max_rh": np.round(step.plan.relic_rh.max(axis=0), 1).tolist()}
                manual = a.id in overrides or "stale_sensor" in dec.rules
                policy = self.policies[a.id]
                who = "override" if a.id in overrides else "safe" if "stale_sensor" in dec.rules else step.source
                if policy == "auto" or manual:
                    self._send(a.id, {"on": on}, who, why, now)
                    out.append({"actuator": a.id, "kind": "command", "on": on, "why": why})
                elif policy == "advise":
                    standing = self.recommendations.get(a.id)
                    if standing is not None and standing.command == {"on": on}:
                        continue  # said already; it stands until applied or changed
                    self.recommendations[a.id] = Recommendation(a.id, {"on": on}, now, why)
                    self.audit.append(Entry("recommendation", a.id, _iso(now), who, why=why,
                                            before={"on": current}, after={"on": on}))
                    self._changed()
                    out.append({"actuator": a.id, "kind": "recommendation", "on": on, "why": why})
            out += self._levels(step, obs, {**overrides, **{k: None for k in held}}, now)
            return out

    def _levels(self, step: Any, obs: Observation, overrides: Mapping[str, Any],
                now: float) -> list[dict[str, Any]]:
        """The planned settings of the air conditioner, lights and blinds, by their policies."""
        commands, whys = dict(step.commands), dict(step.why)
        if isinstance(self.controller, TwinController) and self.controller.lights:
            unknown = {"light": 0.0, "blind": 1.0}  # never heard from: a light off, a blind open
            current = {aid: float(self.reported[aid].get("level", self._sent.get(aid, {}).get("level", unknown[a.kind])))
                       for aid, a in self.actuators.items() if a.kind in unknown}
            c, w = self.controller.plan_lights(now, obs, current)
            commands.update(c)
            whys.update(w)
        out = []
        for aid, cmd in commands.items():
            if aid not in self.actuators or aid in overrides or self.policies[aid] == "off":
                continue
            pending = self.pending.get(aid)
            if conventions.confirms(cmd, self.reported[aid]) or (pending is not None and pending.command == cmd) \
                    or (not self.reported[aid] and self._sent.get(aid) == cmd):
                continue
            why = {"source": step.source, **whys.get(aid, {})}
            if self.policies[aid] == "auto":
                self._send(aid, cmd, step.source, why, now)
                out.append({"actuator": aid, "kind": "command", **cmd, "why": why})
                continue
            standing = self.recommendations.get(aid)
            if standing is not None and conventions.confirms(cmd, standing.command):
                continue
            self.recommendations[aid] = Recommendation(aid, dict(cmd), now, why)
            self.audit.append(Entry("recommendation", aid, _iso(now), step.source, why=why,
                                    before=dict(self.reported[aid]), after=dict(cmd)))
            self._changed()
            out.append({"actuator": aid, "kind": "recommendation", **cmd, "why": why})
        return out

    def fail_safe(self, reason: str, actuators: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """No trustworthy reading: every machine (or those named) to its declared safe state
        (:func:`safe_command`; overrides excepted), with an alert per space; the minimum off time
        still holds for switch machines whose safe state is on."""
        with self._lock:
            now = self.clock()
            chosen = [a for a in self.actuators.values() if actuators is None or a.id in actuators]
            for space in sorted({a.space for a in chosen}):
                self._raise_alert("stale_sensor", space, feedback.text("stale_sensor", space=space), now)
            out = []
            for a in chosen:
                ov = self.overrides.get(a.id)
                target = safe_command(a)
                if (ov is not None and ov[1] > now) or target is None:
                    continue
                if a.switch:
                    h = self.controller.history[a.id]
                    if target["on"] and not h.on and now - h.since_s < self.controller.limits.min_off_s:
                        continue
                pending = self.pending.get(a.id)
                if conventions.confirms(target, self.reported[a.id]) or (pending is not None and pending.command == target) \
                        or (not self.reported[a.id] and self._sent.get(a.id) == target) or (a.switch and not target["on"] and not self.reported[a.id].get("on", False)):
                    continue
                why = {"source": "safe", "rules": ["stale_sensor"], "reason": reason,
                       "reasons": [interlocks.RULES["stale_sensor"]]}
                self._send(a.id, target, "safe", why, now)
                self.recommendations.pop(a.id, None)
                if a.switch:
                    self.controller.history[a.id] = self.controller.history[a.id].switched(target["on"], now)
                out.append({"actuator": a.id, "kind": "command", **target, "why": why})
            return out

    def tick(self, humidity: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
        """Echo timeouts and effect checks; humidity : space -> (T °C, RH %RH) now."""
        with self._lock:
            now = self.clock()
            raised = []
            for aid, p in list(self.pending.items()):
                if p.overdue(now):
                    del self.pending[aid]
                    cmd = ",".join(f"{k}={v}" for k, v in p.command.items())
                    raised.append(self._raise_alert("not_responding", aid, feedback.text(
                        "not_responding", id=aid, command=cmd, timeout=p.timeout_s), now))
            for a in self.switches:
                if a.kind not in ("dehumidifier", "humidifier") or a.space not in humidity:
                    continue
                w = feedback.absolute_humidity(*humidity[a.space])
                on = bool(self.reported[a.id].get("on", False))
                run = self.runs.get(a.id)
                if not on:
                    self.runs.pop(a.id, None)
                elif run is None:
                    self.runs[a.id] = feedback.Run(a.id, a.kind, now, w)
                else:
                    msg = feedback.ineffective(run, now, w)
                    effect = {"w_start": round(run.w_start, 3), "w_now": round(w, 3),
                              "minutes": round((now - run.since_s) / 60, 1)}
                    if msg is not None:
                        raised.append(self._raise_alert(f"{a.kind}_ineffective", a.id, msg, now))
                        self.audit.append(Entry("effect", a.id, _iso(now), "feedback", effect={**effect, "ok": False}))
                        self.runs[a.id] = feedback.Run(a.id, a.kind, now, w)  # check the next window afresh
                    elif now - run.since_s >= feedback.EFFECT_WINDOW_S:
                        self.audit.append(Entry("effect", a.id, _iso(now), "feedback", effect={**effect, "ok": True}))
                        self.runs[a.id] = feedback.Run(a.id, a.kind, now, w)
            return raised

    def status(self) -> list[dict[str, Any]]:
        """Per actuator: kind, space, policy, reported state, pending command, override, recommendation."""
        with self._lock:
            now = self.clock()
            return [{"id": a.id, "kind": a.kind, "space": a.space, "policy": self.policies[a.id],
                     "state": dict(self.reported[a.id]),
                     "pending": self.pending[a.id].command if a.id in self.pending else None,
                     "override": ({**self.overrides[a.id][0], "until": _iso(self.overrides[a.id][1])}
                                  if a.id in self.overrides and self.overrides[a.id][1] > now else None),
                     "recommendation": (self.recommendations[a.id].command if a.id in self.recommendations else None),
                     "running_since": _iso(self.runs[a.id].since_s) if a.id in self.runs else None}
                    for a in self.actuators.values()]

    # --- internals -------------------------------------------------------------------------
    def _send(self, aid: str, command: dict[str, Any], who: str, why: dict[str, Any], now: float) -> None:
        a = self.actuators[aid]
        self._request += 1
        for topic, payload in conventions.encode(a.convention, a.topic, command, self._request):
            self.publish(topic, payload)
        self.pending[aid] = feedback.Pending(aid, command, now, a.echo_timeout_s)
        self._sent[aid] = dict(command)
        self.audit.append(Entry("command", aid, _iso(now), who, why=why, before=dict(self.reported[aid]),
                                after=dict(command)))
        self._changed()

    def _note_trip(self, aid: str, proposed: bool, on: bool, rules: Sequence[str], who: str, now: float) -> None:
        """An interlock that overruled the controller goes to the audit once, when it starts holding."""
        trip = (proposed, tuple(rules)) if proposed != on and rules else None
        if trip is not None and self._trips.get(aid) != trip:
            self.audit.append(Entry("interlock", aid, _iso(now), who, before={"on": proposed}, after={"on": on},
                                    why={"rules": list(rules), "reasons": [interlocks.RULES[r] for r in rules]}))
        self._trips[aid] = trip

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change(self.status())
            except Exception:  # noqa: BLE001 (a display must not stop control)
                import logging

                logging.getLogger(__name__).exception("control status listener failed")

    def _sync_history(self, now: float) -> None:
        """The interlocks count what the machines really did: reported states override the
        controller's assumption (advise/off policies, a plug switched by hand)."""
        for a in self.switches:
            h = self.controller.history[a.id]
            real = bool(self.reported[a.id].get("on", False))  # never heard from: assumed off
            if real != h.on and a.id not in self.pending:
                self.controller.history[a.id] = h.switched(real, now)

    def _raise_alert(self, code: str, subject: str, message: dict[str, str], now: float) -> dict[str, Any]:
        alert = {"code": code, "subject": subject, "hall": self.hall, "at": _iso(now), "message": message}
        self.alerts.append(alert)
        self.audit.append(Entry("alert", subject, _iso(now), "feedback", why={"code": code, "message": message}))
        self.alert(alert)
        return alert


def connect(runtime: ControlRuntime, host: str, port: int, client_id: str, *, username: str | None = None,
            password: str | None = None, tls: bool = False) -> Any:
    """A paho client subscribed to the runtime's state topics, publishing its commands (QoS 1).
    Returns the started client (``loop_stop()`` + ``disconnect()`` to end)."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    if username:
        client.username_pw_set(username, password)
    if tls:
        client.tls_set()
    ready = threading.Event()

    def on_connect(c, userdata, flags, reason_code, properties):  # noqa: ANN001
        topics = runtime.topics()
        if topics:
            c.subscribe([(t, 1) for t in topics])
        else:
            ready.set()

    client.on_connect = on_connect
    client.on_subscribe = lambda c, u, mid, codes, props: ready.set()  # ready once the broker holds the subscriptions
    client.on_message = lambda c, u, m: runtime.on_message(m.topic, m.payload)
    runtime.publish = lambda topic, payload: client.publish(topic, payload, qos=1)
    client.connect(host, port)
    client.loop_start()
    if not ready.wait(10.0):
        client.loop_stop()
        raise ConnectionError(f"no MQTT connection to {host}:{port}")
    return client
