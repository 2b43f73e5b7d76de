"""One message being decoded: shared parsing and checks for every decoder.

A decoder opens a :class:`Message`, parses the payload with :meth:`Message.json`
or :meth:`Message.text`, hands each field to :meth:`Message.add`, and returns
:meth:`Message.finish`. Every check is here once, so every convention rejects
the same bad input with the same reason:

- payload larger than :data:`MAX_PAYLOAD_BYTES`, empty, not UTF-8, not JSON,
  a key repeated in one object;
- a value that is not a finite number (NaN, Infinity, true, null), a number
  sent as a string where the convention forbids it;
- a unit unknown for the quantity; a value outside the quantity's physical
  range (``Quantity.contains``);
- a time without a zone, more than :data:`MAX_AHEAD` after it was received,
  or before :data:`EARLIEST`.

Reasons are one sentence in English and Chinese, ``"english | 中文"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.errors import DecodeError
from bridge.readings import Decoded, Reading, Rejection
from bridge.sensors import units
from simulation.quantities import NAMES, QUANTITIES

MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest payload decoded. Sensor messages are well under 4 KiB (a TTN v3
uplink with metadata is ~2 KiB); 64 KiB leaves room and stops 1 MB floods."""
MAX_AHEAD = timedelta(days=1)
"""A device clock more than a day fast is wrong, not early (team rule, issue 3)."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""Times before 2000 come from devices that lost their clock (epoch 1970 after a reset)."""

_REASONS: dict[str, tuple[str, str]] = {
    "too_large": ("payload is {n} bytes, more than the {limit}-byte limit",
                  "报文 {n} 字节，超过 {limit} 字节上限"),
    "empty": ("payload is empty", "报文为空"),
    "not_utf8": ("payload is not UTF-8 text (bad byte at {pos})",
                 "报文不是 UTF-8 文本（第 {pos} 字节无效）"),
    "not_json": ("payload is not valid JSON ({err})", "报文不是有效的 JSON（{err}）"),
    "too_deep": ("payload is not valid JSON (nested too deeply)", "报文不是有效的 JSON（嵌套过深）"),
    "wrong_json": ("payload is a JSON {kind}, expected a JSON {expected}",
                   "报文是 JSON {kind_zh}，应为 JSON {expected_zh}"),
    "duplicate_key": ("key {key!r} appears more than once in one object",
                      "键 {key!r} 在同一对象中出现多次"),
    "unknown_key": ("key {key!r} is not a quantity name (known: {known})",
                    "键 {key!r} 不是已知的量（已知：{known}）"),
    "not_number": ("{key}: {value!r} is not a number", "{key}：{value!r} 不是数值"),
    "not_finite": ("{key}: {value} is not a finite number", "{key}：{value} 不是有限数值"),
    "string_number": ("{key}: the number is sent as the string {value!r}; send a JSON number",
                      "{key}：数值以字符串 {value!r} 发送，应发送 JSON 数值"),
    "unknown_unit": ("{key}: unit {unit!r} is not known for {quantity} (known: {known})",
                     "{key}：单位 {unit!r} 不适用于 {quantity}（已知：{known}）"),
    "out_of_range": ("{key}: {value:g} {unit} is outside the physical range of {quantity} "
                     "({low:g} to {high:g} {unit})",
                     "{key}：{value:g} {unit} 超出 {quantity} 的物理范围（{low:g} 至 {high:g} {unit}）"),
    "bad_time": ("time {value!r} is neither ISO 8601 nor epoch seconds",
                 "时间 {value!r} 既不是 ISO 8601 也不是纪元秒"),
    "naive_time": ("time {value!r} has no time zone; add Z or an offset such as +08:00",
                   "时间 {value!r} 没有时区；请加 Z 或 +08:00 之类的偏移"),
    "future_time": ("time {time} is more than 1 day after the message arrived ({received})",
                    "时间 {time} 比报文到达时间（{received}）晚一天以上"),
    "past_time": ("time {time} is before 2000-01-01; the device clock is not set",
                  "时间 {time} 早于 2000-01-01；设备时钟未设置"),
    "bad_sensor": ("sensor id {value!r} is not a non-empty string of at most 128 characters",
                   "传感器编号 {value!r} 不是不超过 128 个字符的非空字符串"),
    "unknown_topic": ("topic {topic!r} matches no known sensor convention",
                      "主题 {topic!r} 不符合任何已知的传感器约定"),
    "bad_topic": ("topic {topic!r} does not match the {fmt} pattern {pattern}",
                  "主题 {topic!r} 不符合 {fmt} 格式 {pattern}"),
    "unknown_format": ("format {fmt!r} is not one of {known}", "格式 {fmt!r} 不在 {known} 之中"),
    "no_quantity": ("message holds no known quantity (keys: {keys})",
                    "报文不含任何已知的量（键：{keys}）"),
    "uv_needs_lux": ("{key}: UV irradiance in {unit} needs an illuminance in the same message "
                     "to give µW/lm", "{key}：以 {unit} 表示的紫外辐照度需要同一报文中的照度才能换算为 µW/lm"),
    "repeated": ("{key}: a second value of {quantity} for {sensor} at the same time in one message",
                 "{key}：同一报文中 {sensor} 在同一时刻的 {quantity} 出现第二个值"),
    "bad_field": ("{key}: {what}", "{key}：{what_zh}"),
}


_JSON_KINDS: dict[type, tuple[str, str]] = {
    dict: ("object", "对象"), list: ("array", "数组"), str: ("string", "字符串"), int: ("number", "数值"),
    float: ("number", "数值"), bool: ("boolean", "布尔值"), type(None): ("null", "空值 null"),
}
"""The JSON names (RFC 8259 §3) of what json.loads gives, English and Chinese: a reason names what
the sender sent, not Python's type."""


def wrong_json(data: Any, expected: type) -> str:
    """The reason for a payload that is valid JSON of the wrong kind (an array where an object belongs)."""
    (kind, kind_zh), (exp, exp_zh) = _JSON_KINDS[type(data)], _JSON_KINDS[expected]
    return why("wrong_json", kind=kind, kind_zh=kind_zh, expected=exp, expected_zh=exp_zh)


def why(code: str, **kw: Any) -> str:
    """The reason sentence for ``code``, English | 中文."""
    en, zh = _REASONS[code]
    return f"{en.format(**kw)} | {zh.format(**kw)}"


def _halves(reason: str) -> tuple[str, str]:
    """(English, Chinese) of a reason made by :func:`why`; a text without the separator is both.

    Each value a reason names appears once in each half, so a value holding " | " itself (a key
    sent as ``"a | b"``) adds as many separators to one half as to the other: the halves meet at
    the middle one.
    """
    parts = reason.split(" | ")
    if len(parts) == 1:
        return reason, reason
    middle = len(parts) // 2
    return " | ".join(parts[:middle]), " | ".join(parts[middle:])


def english(reason: str) -> str:
    """The English half of a reason made by :func:`why`."""
    return _halves(reason)[0]


def chinese(reason: str) -> str:
    """The Chinese half of a reason made by :func:`why`."""
    return _halves(reason)[1]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() in C, then the slow search only when a key was repeated (to name it)
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DecodeError(why("duplicate_key", key=key))
            seen.add(key)
    return out


#: one decoder for every message (``json.loads`` with a hook builds a new one per call)
_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicates)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def parse_time(raw: object) -> datetime:
    """A UTC datetime from ISO 8601 with a zone or from epoch seconds.

    Epoch values above 1e11 are taken as milliseconds (1e11 s is year 5138;
    ESPHome, Tasmota and TTN all send ms when they send integers that large).
    Raises :class:`DecodeError` with the reason.
    """
    if isinstance(raw, bool):
        raise DecodeError(why("bad_time", value=raw))
    if isinstance(raw, (int, float)):
        try:
            seconds = float(raw)
        except OverflowError:
            seconds = math.inf
        if not math.isfinite(seconds):
            raise DecodeError(why("bad_time", value=_short(str(raw), 40)))
        if abs(seconds) > 1e11:
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise DecodeError(why("bad_time", value=_short(str(raw), 40))) from None
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith("z"):  # RFC 3339 §5.6 allows a lower-case z; fromisoformat (3.11+) reads only Z
            text = text[:-1] + "Z"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise DecodeError(why("bad_time", value=_short(raw))) from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise DecodeError(why("naive_time", value=_short(raw)))
        return parsed.astimezone(UTC)
    raise DecodeError(why("bad_time", value=_short(repr(raw))))


def to_float(key: str, raw: object, strings: bool) -> float:
    """``raw`` as a finite float; strings holding numbers accepted only if ``strings``."""
    if isinstance(raw, bool) or raw is None:
        raise DecodeError(why("not_number", key=key, value=raw))
    if isinstance(raw, str):
        if not strings:
            try:
                float(raw)
            except ValueError:
                raise DecodeError(why("not_number", key=key, value=_short(raw))) from None
            raise DecodeError(why("string_number", key=key, value=_short(raw)))
        try:
            value = float(raw.strip())
        except ValueError:
            raise DecodeError(why("not_number", key=key, value=_short(raw))) from None
    elif isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:
            raise DecodeError(why("not_finite", key=key, value="a huge integer")) from None
    else:
        raise DecodeError(why("not_number", key=key, value=_short(repr(raw))))
    if not math.isfinite(value):
        raise DecodeError(why("not_finite", key=key, value=value))
    return value


class Message:
    """Readings, rejections and status gathered while decoding one message.

    When the message carries status and the decoder set :attr:`sensor`,
    ``status["sensor"]`` names the device it belongs to.

    topic : MQTT topic (the rejection's source)
    payload : raw bytes, kept unchanged in rejections
    received_at : timezone-aware instant of arrival (converted to UTC)
    strings : accept numbers sent as strings ("21.5")
    """

    def __init__(self, topic: str, payload: bytes, received_at: datetime,
                 strings: bool = False) -> None:
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")
        self.topic = topic
        self.payload = bytes(payload)
        self.received_at = received_at.astimezone(UTC)
        self.strings = strings
        self.readings: list[Reading] = []
        self.rejections: list[Rejection] = []
        self.status: dict[str, object] = {}
        self._uv_pending: list[tuple[str, str, float, str, datetime]] = []
        self._seen: set[tuple[str, str, datetime]] = set()
        self.sensor: str | None = None  # set by the decoder once it knows the device

    # -- payload ---------------------------------------------------------------
    def text(self) -> str:
        """The payload as text; raises DecodeError if too large, empty or not UTF-8."""
        n = len(self.payload)
        if n > MAX_PAYLOAD_BYTES:
            raise DecodeError(why("too_large", n=n, limit=MAX_PAYLOAD_BYTES))
        try:
            text = self.payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(why("not_utf8", pos=exc.start)) from None
        if not text.strip():
            raise DecodeError(why("empty"))
        return text.lstrip("\ufeff")

    def json(self) -> Any:
        """The payload parsed as JSON, refusing duplicate keys."""
        text = self.text()
        try:
            return _JSON.decode(text)
        except DecodeError:
            raise
        except RecursionError:
            raise DecodeError(why("too_deep")) from None
        except ValueError as exc:
            raise DecodeError(why("not_json", err=_short(str(exc)))) from None

    def json_object(self) -> dict[str, Any]:
        """The payload parsed as a JSON object."""
        data = self.json()
        if not isinstance(data, dict):
            raise DecodeError(wrong_json(data, dict))
        return data

    # -- results ---------------------------------------------------------------
    def reject(self, reason: str) -> None:
        """Quarantine the message (or one field of it) with ``reason``."""
        self.rejections.append(Rejection(self.topic, self.payload, self.received_at, reason))

    def time(self, raw: object) -> datetime | None:
        """Checked measurement time from ``raw`` (None -> received_at); None if rejected."""
        if raw is None:
            return self.received_at
        try:
            return self.check_time(parse_time(raw))
        except DecodeError as exc:
            self.reject(str(exc))
            return None

    def check_time(self, t: datetime) -> datetime:
        """``t`` if plausible against received_at; DecodeError otherwise."""
        if t - self.received_at > MAX_AHEAD:
            raise DecodeError(why("future_time", time=t.isoformat(),
                                  received=self.received_at.isoformat()))
        if t < EARLIEST:
            raise DecodeError(why("past_time", time=t.isoformat()))
        return t

    def add(self, sensor: str, quantity: str, raw: object, unit: str | None,
            time: datetime, key: str | None = None) -> bool:
        """Check and convert one value; a reading if good, a rejection otherwise.

        key : the field name shown in reasons (defaults to ``quantity``)
        Returns True when a reading (or a pending UV irradiance) was kept.
        """
        key = key or quantity
        try:
            value = to_float(key, raw, self.strings)
            if unit is not None and not isinstance(unit, str):
                raise DecodeError(why("unknown_unit", key=key, unit=_short(repr(unit), 20),
                                      quantity=quantity,
                                      known=", ".join(units.known_units(quantity))))
            if unit and quantity == "uv" and units.is_irradiance(unit):
                self._uv_pending.append((key, sensor, value, unit, time))
                return True
            try:
                value = units.to_canonical(quantity, value, unit)
            except KeyError:
                raise DecodeError(why("unknown_unit", key=key, unit=_short(str(unit), 20),
                                      quantity=quantity,
                                      known=", ".join(units.known_units(quantity)))) from None
            self._append(sensor, quantity, key, value, time)
            return True
        except DecodeError as exc:
            self.reject(str(exc))
            return False

    def _append(self, sensor: str, quantity: str, key: str, value: float,
                time: datetime) -> None:
        q = QUANTITIES[quantity]
        sensor = check_sensor(sensor)
        if not q.contains(value):
            raise DecodeError(why("out_of_range", key=key, value=value, unit=q.unit,
                                  quantity=quantity, low=q.low, high=q.high))
        if (sensor, quantity, time) in self._seen:
            raise DecodeError(why("repeated", key=key, quantity=quantity, sensor=sensor))
        self._seen.add((sensor, quantity, time))
        self.readings.append(Reading(sensor, quantity, time, value, q.unit))

    def finish(self) -> Decoded:
        """The decoded result; UV irradiances are paired with the message's illuminance."""
        for key, sensor, value, unit, time in self._uv_pending:
            lux = [r.value for r in self.readings
                   if r.quantity == "illuminance" and r.sensor == sensor and r.time == time]
            try:
                if not lux or lux[0] <= 0:
                    raise DecodeError(why("uv_needs_lux", key=key, unit=unit))
                self._append(sensor, "uv", key, units.uv_content(value, unit, lux[0]), time)
            except DecodeError as exc:
                self.reject(str(exc))
        self._uv_pending.clear()
        if not (self.readings or self.rejections or self.status):  # nothing is dropped silently
            self.reject(why("no_quantity", keys="none"))
        if self.status and self.sensor is not None:  # whose battery, availability...
            self.status.setdefault("sensor", self.sensor)
        return Decoded(self.readings, self.rejections, self.status)

    def nothing_known(self, keys: Iterable[object]) -> None:
        """Reject the message when it produced no reading, no rejection and no status.

        A UV irradiance waiting for its illuminance is a known quantity: :meth:`finish` decides on it.
        """
        if not self.readings and not self.rejections and not self.status and not self._uv_pending:
            self.reject(why("no_quantity", keys=_short(", ".join(map(str, keys)) or "none", 120)))


def check_sensor(raw: object) -> str:
    """``raw`` as a sensor id; DecodeError unless a non-empty str of <= 128 chars."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 128:
        raise DecodeError(why("bad_sensor", value=_short(repr(raw), 40)))
    return raw.strip()


KNOWN_QUANTITIES = ", ".join(NAMES)


def add_table(msg: Message, sensor: str, data: dict[str, Any],
              table: dict[str, tuple[str, str]], time: datetime,
              status_keys: frozenset[str] = frozenset(), prefix: str = "") -> list[str]:
    """Add every key of ``data`` found in ``table`` (key -> (quantity, unit)).

    Keys in ``status_keys`` go to ``msg.status``; null values are skipped (not
    yet reported, as Zigbee2MQTT and TTN codecs send them). Returns the keys
    that were neither, so the decoder can list them as ignored.
    """
    ignored = []
    for key, raw in data.items():
        if key in table and raw is not None:
            quantity, unit = table[key]
            msg.add(sensor, quantity, raw, unit, time, key=prefix + key)
        elif key in status_keys:
            msg.status[key] = raw
        elif key not in table:
            ignored.append(prefix + key)
    return ignored
