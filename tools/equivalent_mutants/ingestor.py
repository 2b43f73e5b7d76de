"""Surviving mutants of the ingestor module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("ingestor/_decode_pending",), r"^continue$", r"^break$",
     "_decode_pending: a batch is decoded whole, once; the later calls (message by message) pass one message"),
    (("ingestor",), *same(
        "items = [(self._sub_index.get(id(p.subscription), -1), p.topic, p.payload, p.received_at, p.hall, p.site)",
        "items = [(self._sub_index.get(id(p.subscription), -2), p.topic, p.payload, p.received_at, p.hall, p.site)"),
     "the store process reads any negative index as 'no subscription' (i >= 0 else None)"),
    (("ingestor",), *same("status = p.decoded.status if p.decoded is not None else None",
                           "status = p.decoded.status if (p.decoded is not None) or True else None"),
     "every message of a batch is decoded before its status is reported (only the store process leaves "
     "them undecoded, and it refuses an on_status hook)"),
    (("ingestor",), *same('sensor = status.get("sensor") if status else None',
                           'sensor = status.get("sensor") if (status) or True else None'),
     "a Decoded's status is a dict: an empty one gives None from .get as the guard does"),
    (("ingestor/start",), *same("props = None", 'props = ""'),
     "start: props is read only in the MQTT 5 branch, which first sets it to the CONNECT's Properties"),
    (("ingestor/start",), *same("clean_start=False,", "clean_start=None,"),
     "paho 2.x (pinned below 3) reads clean_start as `is True`, `== MQTT_CLEAN_START_FIRST_ONLY` (3) or by its "
     "truth (client._check_clean_session): None sends and keeps exactly what False does"),
)
