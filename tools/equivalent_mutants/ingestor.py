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
)
