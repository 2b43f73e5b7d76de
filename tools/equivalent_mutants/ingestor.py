"""Surviving mutants of the ingestor module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EXACT = 'self._exact = {s.topic: s for s in self.subscriptions if "+" not in s.topic and "#" not in s.topic}'

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
    (("ingestor",), r"^self\._idle = False", r"^self\._idle = (None|True)",
     "_idle only tells _on_publish to set _wake; None reads as False, and a stale True sets _wake once more, "
     "which _wait clears before it sets _idle and waits: no wait ends early without a message"),
    *((("ingestor/__post_init__",), *same(EXACT, EXACT.replace(old, new)),
       "a filter with a wildcard in _exact is looked up only by a topic equal to it, and a topic name holds no "
       "wildcard (MQTT 3.1.1 section 4.7.1; the broker refuses such a PUBLISH): the filter scan still finds it")
      for old, new in ((" and ", " or "), ('"+" not', '"XX+XX" not'), ('"#" not', '"XX#XX" not'))),
    (("ingestor/_take_batch",), *same("if wait <= 0:", "if wait < 0:"),
     "at wait == 0.0 exactly the mutant sleeps min(0, step) = 0 s and stops at its next look: as if the clock "
     "had been read a moment later"),
    *((("ingestor/_on_message",), *same(
        "self._on_publish(msg.mid, msg.qos, msg.topic, payload if type(payload) is bytes else bytes(payload))",
        f"self._on_publish(msg.mid, msg.qos, msg.topic, payload if {cond} else bytes(payload))"),
       "converting always: bytes() of a bytes payload is an equal bytes object")
      for cond in ("(type(payload) is bytes) and False", "type(None) is bytes", "type(payload) is not bytes")),
    (("ingestor/__post_init__",), *same(
        "self._store_proc = StoreProcess(self.store.engine.url.render_as_string(hide_password=False),",
        "self._store_proc = StoreProcess(self.store.engine.url.render_as_string(hide_password=None),"),
     "render_as_string reads hide_password by its truth: None shows the password as False does"),
    (("ingestor/_wait",), *same(
        "return bool(self._queue) or (self._wake.wait(timeout) and bool(self._queue))",
        "return bool(self._queue) or (self._wake.wait(timeout) or bool(self._queue))"),
     "only _on_publish sets _wake, after its append, and only the writer pops: a wait that returns True finds "
     "the queue non-empty either way. A timed-out wait differs only when a message lands between the timeout "
     "and the look (a timing race): the mutant takes it in this look, the original at the next one, or, were "
     "stop() underway in that instant, leaves it unacknowledged for the broker to redeliver; both outcomes keep "
     "the guarantee, and a test pinning either would pin an accident of timing"),
    (("ingestor/__post_init__",), *same("replace(self.settings, store_process=False))",
                                          "replace(self.settings, store_process=None))"),
     "the store process's own Ingestor (store_process.serve) reads store_process by its truth: None is False"),
)
