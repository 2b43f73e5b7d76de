"""Logger clocks and summer time: find the hour a file's times jump by.

A logger whose clock ignores summer time, imported with the museum's zone
(``--tz Europe/London``), makes its spring hour repeat (rows rejected as "a
second value") and its autumn hour vanish (a gap governance would fill by
interpolation). A logger that follows summer time, imported with a fixed offset
(``--clock-offset +00:00``) or as UTC, does the opposite. Either way the UTC
times of one sensor, in file order, step by the logging interval except once,
where they step by one hour more or less. :func:`hour_jumps` finds those steps;
the importer warns, names the zone whose summer time changes there, and the
missing hour is not interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from statistics import median
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Zones whose summer-time rules are checked when the file's own zone does not change there:
# the EU rule (last Sunday of March/October), the US rule (2nd Sunday of March, 1st of November),
# and the southern-hemisphere rule of south-east Australia (1st Sunday of October/April).
# Source: IANA tz database (europe, northamerica, australasia files).
REFERENCE_ZONES: tuple[str, ...] = ("Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney")


@dataclass(frozen=True)
class HourJump:
    """One step of a sensor's times by the logging interval plus or minus one hour.

    sensor : whose times (several, comma-separated, when they jump together); before, after :
    the UTC instants either side (after < before when the clock went back); step : the usual
    logging interval; zone : the zone whose summer time changes within a day of the jump
    """

    sensor: str
    before: datetime
    after: datetime
    step: timedelta
    zone: str

    @property
    def forward(self) -> bool:
        """True when an hour is missing (the times jumped ahead), False when one repeats."""
        return self.after - self.before > self.step

    def message(self, tz: ZoneInfo | timezone) -> str:
        """The warning for the user, en | zh, with the remedy for the zone the file was read in."""
        where = f" where {self.zone} summer time changes"
        kind = "ahead" if self.forward else "back"
        who = "sensors" if "," in self.sensor else "sensor"
        en = (f"{who} {self.sensor}: times jump {kind} by 1 h between {self.before.isoformat()} and "
              f"{self.after.isoformat()}{where}")
        if isinstance(tz, ZoneInfo):
            fix = (f"; the logger's clock seems to ignore summer time: import with --clock-offset "
                   f"{_offset(self.before, tz)} (its standard time)")
            zh_fix = f"；记录仪时钟似乎不随夏令时调整：请用 --clock-offset {_offset(self.before, tz)}"
        else:
            fix = "; the logger's clock seems to follow summer time: import with --tz ZONE (e.g. Europe/London)"
            zh_fix = "；记录仪时钟似乎随夏令时调整：请用 --tz 时区 导入"
        hole = "; the missing hour is not interpolated" if self.forward else ""
        zh = (f"传感器 {self.sensor}：时间在 {self.before.isoformat()} 与 {self.after.isoformat()} 之间"
              f"{'前跳' if self.forward else '回跳'} 1 小时{zh_fix}{'；缺失的一小时不做插补' if self.forward else ''}")
        return f"{en}{fix}{hole} | {zh}"


def _offset(at: datetime, tz: ZoneInfo) -> str:
    """``+HH:MM`` of the zone's standard (winter) time around ``at``."""
    offsets = [(at + k * DAY * 91).astimezone(tz).utcoffset() or timedelta(0) for k in (-2, -1, 0, 1, 2)]
    std = min(offsets)
    sign = "-" if std < timedelta(0) else "+"
    minutes = abs(int(std.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def summer_time_zone(at: datetime, zones: tuple[str, ...]) -> str:
    """The first of ``zones`` whose UTC offset differs a day before and a day after ``at``; ''."""
    for name in zones:
        z = ZoneInfo(name)
        if (at - DAY).astimezone(z).utcoffset() != (at + DAY).astimezone(z).utcoffset():
            return name
    return ""


def hour_jumps(sensor: str, times: list[datetime], zones: tuple[str, ...] = REFERENCE_ZONES) -> list[HourJump]:
    """Steps of ``times`` (UTC, file order, one per row) that are the usual step ± 1 h, within
    a day of a summer-time change of one of ``zones``.

    Only for a sensor logging more often than hourly (the usual step is the median of the
    forward steps, under 1 h); a step counts when it is within half the usual step of
    ``usual + 1 h`` or ``usual - 1 h``.
    """
    steps = [b - a for a, b in zip(times, times[1:], strict=False)]
    forward = [s for s in steps if s > timedelta(0)]
    if len(forward) < 3:
        return []
    usual = timedelta(seconds=median(s.total_seconds() for s in forward))
    if not timedelta(0) < usual < HOUR:
        return []
    out = []
    for a, b, s in zip(times, times[1:], steps, strict=False):
        if abs(s - (usual + HOUR)) <= usual / 2 or abs(s - (usual - HOUR)) <= usual / 2:
            zone = summer_time_zone(min(a, b), zones)
            if zone:  # elsewhere an hour's gap is only a gap (the Candanedo house has some)
                out.append(HourJump(sensor, a, b, usual, zone))
    return out
