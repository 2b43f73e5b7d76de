"""Did the machine do what it was told, and did it help? Pure checks over timestamps and readings.

* **echo**: a command must be confirmed by the device's own state message within the actuator's
  ``echo_timeout_s``, else "actuator not responding";
* **effect**: a dehumidifier that has run :data:`EFFECT_WINDOW_S` without the absolute humidity of
  its space falling by :data:`EFFECT_MIN_DROP_G_M3` is "ineffective: tank full or door open?"; a
  humidifier the mirror image ("tank empty?"). Absolute humidity, not RH: a room that warms
  shows falling RH with no water removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.psychrometrics import vapour_density

EFFECT_WINDOW_S = 1800.0  # s, the "on for 30 min"
# A 12 L/day unit in a 300 m³ room with 0.5 ach removes ~0.5 g/m³ in 30 min when it works; sensor
# noise in absolute humidity is ~0.1 g/m³ (±2 %RH at 20 °C is ±0.35 g/m³, but it is correlated).
EFFECT_MIN_DROP_G_M3 = 0.15

TEXTS: dict[str, dict[str, str]] = {
    "not_responding": {"en": "actuator not responding: {id} did not confirm '{command}' within {timeout:.0f} s",
                       "zh-CN": "执行器无响应：{id} 在 {timeout:.0f} 秒内未确认指令“{command}”"},
    "dehumidifier_ineffective": {
        "en": "dehumidifier ineffective: {id} has run {minutes:.0f} min and the absolute humidity has not fallen "
              "({start:.2f} -> {now:.2f} g/m³): tank full or door open?",
        "zh-CN": "除湿机无效：{id} 已运行 {minutes:.0f} 分钟，绝对湿度未下降（{start:.2f} -> {now:.2f} g/m³）：水箱满了还是门开着？"},
    "humidifier_ineffective": {
        "en": "humidifier ineffective: {id} has run {minutes:.0f} min and the absolute humidity has not risen "
              "({start:.2f} -> {now:.2f} g/m³): tank empty?",
        "zh-CN": "加湿器无效：{id} 已运行 {minutes:.0f} 分钟，绝对湿度未上升（{start:.2f} -> {now:.2f} g/m³）：水箱空了吗？"},
    "stale_sensor": {"en": "control of {space} is in its safe state: its sensors are stale or flagged",
                     "zh-CN": "{space} 的控制已进入安全状态：传感器数据过期或被标记"},
}


def text(code: str, **values: Any) -> dict[str, str]:
    """The message ``code`` in every language, filled with ``values``."""
    return {lang: t.format(**values) for lang, t in TEXTS[code].items()}


@dataclass(frozen=True)
class Pending:
    """A command sent at ``sent_s`` (s) and not yet confirmed."""

    actuator: str
    command: dict[str, Any]
    sent_s: float
    timeout_s: float

    def overdue(self, now_s: float) -> bool:
        return now_s - self.sent_s > self.timeout_s


@dataclass(frozen=True)
class Run:
    """A moisture device running since ``since_s`` with the space's absolute humidity then."""

    actuator: str
    kind: str
    since_s: float
    w_start: float


def absolute_humidity(t_c: float, rh: float) -> float:
    """g/m³ (one formula: :func:`simulation.psychrometrics.vapour_density`)."""
    return float(vapour_density(t_c, rh))


def ineffective(run: Run, now_s: float, w_now: float) -> dict[str, str] | None:
    """The alert text when ``run`` has lasted the window without its effect, else None."""
    minutes = (now_s - run.since_s) / 60.0
    if now_s - run.since_s < EFFECT_WINDOW_S:
        return None
    if run.kind == "dehumidifier" and w_now > run.w_start - EFFECT_MIN_DROP_G_M3:
        return text("dehumidifier_ineffective", id=run.actuator, minutes=minutes, start=run.w_start, now=w_now)
    if run.kind == "humidifier" and w_now < run.w_start + EFFECT_MIN_DROP_G_M3:
        return text("humidifier_ineffective", id=run.actuator, minutes=minutes, start=run.w_start, now=w_now)
    return None
