"""Surviving mutants of the decoders module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("decoders",), *same('ignored += add_table(msg, sensor, rest, table, time, STATUS_KEYS, prefix="decoded_payload.")',
                           'ignored = add_table(msg, sensor, rest, table, time, STATUS_KEYS, prefix="decoded_payload.")'),
     "ttn: the list is still empty there, so adding to it is assigning"),
    (("decoders",), *same('msg.add(sensor, quantity, m["measurementValue"], unit, time, key=f"messages.{mid}")',
                           'msg.add(sensor, quantity, m["measurementValue"], None, time, key=f"messages.{mid}")'),
     "ttn: every SenseCAP unit (°C, %RH, lx) is the quantity's canonical one, which no unit means too"),
    (("decoders",), r"^msg\.add\((?P<a>device|name), quantity, (?P<b>text|body\[field\]), unit, (?P<c>msg\.received_at|time), "
                    r"key=(?P<d>name|f\"\{comp\}\.\{field\}\")\)$",
     r"^msg\.add\((?P<a>device|name), quantity, (?P<b>text|body\[field\]), None, (?P<c>msg\.received_at|time), "
     r"key=(?P<d>name|f\"\{comp\}\.\{field\}\")\)$",
     "shelly: every unit of its tables (°C, %RH, lx, °) is the quantity's canonical one, which no unit means too"),
    (("decoders",), *same('kind, _, index = comp.partition(":")', 'kind, _, index = comp.rpartition(":")'),
     "shelly: a status topic's component matches <kind>:<digits> (_STATUS_COMPONENT), one colon"),
    (("decoders",), *same('name = device if index in ("", "0") else f"{device}:{index}"',
                           'name = device if index in ("XXXX", "0") else f"{device}:{index}"'),
     "shelly: a status topic's component always has an index (<kind>:<digits>), never ''"),
    (("decoders",), *same('temp_unit = "°" + str(data.get("TempUnit", "C"))',
                           'temp_unit = "°" + str(data.get("TempUnit", "c"))'),
     "tasmota: units are compared without case: °c is °C"),
    (("decoders",), *same('path = tuple(a or b for a, b in _PATH.findall(match.group(2) or ""))',
                           'path = tuple(a or b for a, b in _PATH.findall(match.group(2) or "XXXX"))'),
     "ha_discovery: a path step starts with '.' or '[', so 'XXXX' holds none, as '' does"),
    (("decoders",), *same('json.dumps(body, ensure_ascii=False).encode("utf-8")))',
                           'json.dumps(body, ensure_ascii=False).encode("UTF-8")))'),
     "native.encode: codec names are matched without case"),
    (("decoders",), *same('data = _JSON.decode(payload.decode("utf-8"))', 'data = _JSON.decode(payload.decode("UTF-8"))'),
     "native fast path: codec names are matched without case"),
    (("decoders",), *same('text = self.payload.decode("utf-8")', 'text = self.payload.decode("UTF-8")'),
     "Message.text: codec names are matched without case"),
    (("decoders",), *same("return Decoded(readings, [], {})", "return Decoded(readings, [], )"),
     "native fast path: a Decoded's status defaults to an empty dict"),
    (("decoders",), *same("if len(_TOPIC_SENSORS) >= _TOPIC_CACHE_MAX:", "if len(_TOPIC_SENSORS) > _TOPIC_CACHE_MAX:"),
     "native: the bound of a cache of checked topic sensors, one entry more; every lookup gives the same id"),
    (("decoders",), r'^self\.reject\(why\("no_quantity", keys=_short\(", "\.join\(map\(str, keys\)\) or "none", 120\)\)\)$',
     r'^self\.reject\(why\("no_quantity", keys=_short\(", "\.join\(map\(str, keys\)\) or "none", (121)?\)\)\)$',
     "native: a message reaches nothing_known with meta keys only (sensor, time, units: 19 characters; "
     "any other key gave a reading, a rejection, a status or a pending UV), so the 120-character cut "
     "(or 121, or the default 60) never applies"),
    (("decoders",), r"strings=False", r"strings=None",
     "message.to_float reads its flag only as `if not strings`: None is False there"),
    (("decoders",), r"ensure_ascii=False", r"ensure_ascii=None",
     "json.dumps and JSONEncoder test ensure_ascii only for truth (`if self.ensure_ascii`): None writes what "
     "False writes"),
    (("decoders",), *same('if 0 < len(hall) <= HALL_MAX and "+" not in hall and "#" not in hall:',
                           'if 0 <= len(hall) <= HALL_MAX and "+" not in hall and "#" not in hall:'),
     "native.hall_from_topic: a hall of length 0 is '', which is what the function gives for no hall"),
    (("decoders",), *same("if parsed.tzinfo is None or parsed.utcoffset() is None:",
                           "if parsed.tzinfo is None and parsed.utcoffset() is None:"),
     "parse_time: datetime.fromisoformat gives no tzinfo (then utcoffset() is None too) or a fixed-offset "
     "timezone, whose utcoffset() is never None"),
    (("decoders",), r'^unit = rec\.get\("u", implied\)$', r'^unit = rec\.get\("u", (None)?\)$',
     "senml ThingsML: every implied unit (Cel, %RH, lx, ppm) is the quantity's canonical one with scale 1 and "
     "offset 0, which no unit means too (x * 1 + 0 is x; only a -0.0 comes out +0.0, a number equal to it, and "
     "the native path keeps a -0.0 as sent, so nothing reads the sign of a zero)"),
)
