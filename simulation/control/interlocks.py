"""Interlocks: rules that hold whatever decides (the planner, the humidistat, a person).

``apply`` takes each device's proposed state and returns what may actually be commanded,
with the rules that changed it. In order:

1. **manual override**: a state a person set until a time replaces the proposal;
2. **calibration**: a model-made proposal (source ``"mpc"``) is not applied while the model's
   calibration fails its own check (the caller falls back to the humidistat, see bridge/control);
3. **stale or flagged sensors**: a device whose space has no trustworthy reading goes to its
   declared safe state (an alert is raised by the caller);
4. **RH rate**: a device may not keep pushing RH the way it already moves faster than
   :data:`MAX_RH_RATE_PER_H` (a controller must not cause the fast swings it exists to prevent);
5. **never humidify and dehumidify one space at once**: the device already on keeps running;
6. **compressor protection**: minimum on and off times and a cap on switches per hour.
   Going *to* the safe state is exempt from the minimum on time (stopping early is safe),
   never from the minimum off time (restarting early is what harms a compressor).

Constants are engineering choices with their reasons; compressor makers ask for a few minutes
off between starts and no more than about 6-12 starts an hour (e.g. Copeland scroll
application guidance, AE4-1365: at most 12 starts/h, 5 min off); we take the safe side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from simulation.control.devices import Device

MIN_ON_S = 600.0  # s, a compressor runs at least 10 min once started (oil return; model choice)
MIN_OFF_S = 600.0  # s, and rests at least 10 min (pressure equalisation; above the 5 min asked)
MAX_SWITCHES_PER_HOUR = 4  # on->off and off->on both count: at most 2 starts an hour
# The strictest profiles allow 5 %RH per 24 h (scenes/materials.toml: paper, silk, wood); a
# controller alone should not be able to spend that in less than about an hour.
MAX_RH_RATE_PER_H = 4.0  # %RH/h

RULES: dict[str, dict[str, str]] = {
    "override": {"en": "manual override", "zh-CN": "人工接管"},
    "calibration": {"en": "model calibration failed its check: no automatic control by the model",
                    "zh-CN": "模型校准未通过检验：模型不得自动控制"},
    "stale_sensor": {"en": "stale or flagged sensor: safe state", "zh-CN": "传感器数据过期或被标记：进入安全状态"},
    "rh_rate": {"en": "RH changing too fast: held", "zh-CN": "相对湿度变化过快：暂停"},
    "exclusive": {"en": "never humidify and dehumidify one space at once", "zh-CN": "同一空间不得同时加湿和除湿"},
    "min_on": {"en": "minimum on time (compressor protection)", "zh-CN": "最短运行时间（压缩机保护）"},
    "min_off": {"en": "minimum off time (compressor protection)", "zh-CN": "最短停机时间（压缩机保护）"},
    "switch_cap": {"en": "switch limit per hour reached", "zh-CN": "已达每小时开关次数上限"},
}
"""Rule code -> its text in each language (audit, alerts, monitor)."""


@dataclass(frozen=True)
class Limits:
    """Interlock limits of one hall (defaults above)."""

    min_on_s: float = MIN_ON_S
    min_off_s: float = MIN_OFF_S
    max_switches_per_hour: int = MAX_SWITCHES_PER_HOUR
    max_rh_rate_per_h: float = MAX_RH_RATE_PER_H


@dataclass(frozen=True)
class History:
    """A device's state now, since when (s), and its switch times in the last hour (s)."""

    on: bool = False
    since_s: float = -1e12
    switches_s: tuple[float, ...] = ()

    def switched(self, on: bool, now_s: float) -> History:
        """The history after commanding ``on`` at ``now_s`` (unchanged when the state is the same)."""
        if on == self.on:
            return self
        recent = tuple(t for t in self.switches_s if t > now_s - 3600.0)
        return History(on, now_s, (*recent, now_s))


@dataclass(frozen=True)
class Context:
    """What the rules read besides the proposal (all keyed by device id unless said):

    sensors_ok : space -> bool (every sensor the space's control reads is fresh and unflagged);
    rh_rate_per_h : space -> measured RH rate, %RH/h; override : device -> (state, until_s);
    safe_state : device -> bool; calibration_ok : bool; source : "mpc" | "humidistat" | "manual".
    """

    sensors_ok: Mapping[str, bool]
    rh_rate_per_h: Mapping[str, float]
    override: Mapping[str, tuple[bool, float]]
    safe_state: Mapping[str, bool]
    calibration_ok: bool = True
    source: str = "mpc"


@dataclass(frozen=True)
class Decision:
    """What may be commanded: ``on``, and the rule codes (:data:`RULES`) that shaped it."""

    on: bool
    rules: tuple[str, ...] = ()


def _direction(d: Device) -> float:
    return {"dehumidifier": -1.0, "humidifier": 1.0}.get(d.kind, 0.0)


def apply(devices: Sequence[Device], proposed: Sequence[bool], history: Mapping[str, History], now_s: float,
          ctx: Context, limits: Limits | None = None) -> list[Decision]:
    """The states that may be commanded now, one :class:`Decision` per device (see module)."""
    lim = limits or Limits()
    want: list[bool] = []
    why: list[list[str]] = []
    safe_target: list[bool] = []
    for d, p in zip(devices, proposed, strict=True):
        rules: list[str] = []
        on = bool(p)
        h = history.get(d.id, History())
        ov = ctx.override.get(d.id)
        manual = ov is not None and ov[1] > now_s
        to_safe = False
        if manual:
            on, rules = bool(ov[0]), ["override"]
        elif ctx.source == "mpc" and not ctx.calibration_ok:
            on, rules = h.on, ["calibration"]
        if not manual and not ctx.sensors_ok.get(d.space, True):
            on, to_safe = bool(ctx.safe_state.get(d.id, False)), True
            rules.append("stale_sensor")
        rate = ctx.rh_rate_per_h.get(d.space, 0.0)
        if not manual and on and _direction(d) * rate > lim.max_rh_rate_per_h:
            on = False
            rules.append("rh_rate")
        want.append(on)
        why.append(rules)
        safe_target.append(to_safe)
    # never humidify and dehumidify one space at once: keep the one already running, else neither
    for i, d in enumerate(devices):
        for j in range(i + 1, len(devices)):
            e = devices[j]
            if not (want[i] and want[j] and e.space == d.space and {d.kind, e.kind} == {"dehumidifier", "humidifier"}):
                continue
            on_i, on_j = history.get(d.id, History()).on, history.get(e.id, History()).on
            losers = [j] if on_i and not on_j else [i] if on_j and not on_i else [i, j]
            for k in losers:
                want[k] = False
                why[k].append("exclusive")
    out = []
    for d, on, rules, to_safe in zip(devices, want, why, safe_target, strict=True):
        h = history.get(d.id, History())
        if on != h.on:
            since = now_s - h.since_s
            if h.on and since < lim.min_on_s and not (to_safe and not on):
                on = True
                rules.append("min_on")
            elif not h.on and since < lim.min_off_s:
                on = False
                rules.append("min_off")
            elif sum(t > now_s - 3600.0 for t in h.switches_s) >= lim.max_switches_per_hour and not (to_safe and not on):
                on = h.on
                rules.append("switch_cap")
        out.append(Decision(on, tuple(rules)))
    return out


def allowed_first_moves(devices: Sequence[Device], history: Mapping[str, History], now_s: float,
                        limits: Limits | None = None) -> list[tuple[bool, ...]]:
    """Per device, the states the timing rules allow now (for the planner's first move)."""
    lim = limits or Limits()
    out = []
    for d in devices:
        h = history.get(d.id, History())
        since = now_s - h.since_s
        locked = (h.on and since < lim.min_on_s) or (not h.on and since < lim.min_off_s) or (
            sum(t > now_s - 3600.0 for t in h.switches_s) >= lim.max_switches_per_hour)
        out.append((h.on,) if locked else (False, True))
    return out
