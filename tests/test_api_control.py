"""Control over the REST API: state, policies (curator only), overrides, one-click recommendations, audit."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from fixtures_api import Api, serve

from bridge.control.audit import AuditLog
from bridge.control.runtime import ControlRuntime
from simulation.actuators import Actuator, devices_for
from simulation.control import humidistat
from simulation.control.controller import Humidistat, Observation


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("api_control"))


@pytest.fixture
def control(api: Api):
    acts = (Actuator(id="dh1", kind="dehumidifier", name={"zh-CN": "除湿机", "en": "Dehumidifier"}, zone="painting",
                     position=np.zeros(3), convention="tasmota", topic="plug_dh1", policy="advise"),
            Actuator(id="lamp", kind="light", name={"zh-CN": "灯", "en": "Lamp"}, zone="painting",
                     position=np.zeros(3), convention="zigbee2mqtt", topic="z/lamp"))
    sent: list = []
    rt = ControlRuntime("demo_hall", acts, Humidistat(devices_for(acts), humidistat.Setpoints.for_band(50, 60)),
                        lambda t, p: sent.append((t, p)), AuditLog(api.store, f"hall-{uuid.uuid4().hex[:12]}"))
    before = api.app.state.service.control
    api.app.state.service.control = rt
    yield rt, sent
    api.app.state.service.control = before


def test_control_routes_follow_roles_and_leave_an_audit_trail(api: Api, control):
    rt, sent = control
    with api.client("visitor") as c:
        assert c.get("/api/control").status_code == 403
    with api.client("staff") as c:
        status = c.get("/api/control").json()
        assert [a["id"] for a in status["actuators"]] == ["dh1", "lamp"] and status["actuators"][0]["policy"] == "advise"
        refused = c.put("/api/control/dh1/policy", json={"policy": "auto"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert rt.policies["dh1"] == "advise"
        # advise: the controller recommends, staff apply with one click
        rt.control(Observation(20.0, 59.5, np.zeros(0), np.array([59.5]), 12.0, 85.0))
        assert sent == [] and c.get("/api/control").json()["actuators"][0]["recommendation"] == {"on": True}
        assert c.post("/api/control/dh1/apply").json() == {"actuator": "dh1", "applied": True}
        assert sent == [("cmnd/plug_dh1/POWER", b"ON")]
        assert c.post("/api/control/dh1/apply").status_code == 409
        r = c.post("/api/control/dh1/override", json={"on": False, "minutes": 30})
        assert r.status_code == 200 and sent[-1] == ("cmnd/plug_dh1/POWER", b"OFF")
        refused = c.post("/api/control/lamp/override", json={"on": True, "minutes": 5})  # a light takes a level
        assert refused.status_code == 422 and "level" in refused.json()["error"]["message"]["en"]
        r = c.post("/api/control/lamp/override", json={"level": 0.5, "minutes": 5})
        assert r.json() == {"actuator": "lamp", "level": 0.5, "minutes": 5} and sent[-1] == ("z/lamp/set", b'{"brightness":127}')
        assert c.get("/api/control").json()["actuators"][1]["override"]["level"] == 0.5
        assert c.post("/api/control/lamp/override", json={"level": 1.5, "minutes": 5}).status_code == 422
        assert c.post("/api/control/nope/override", json={"on": True, "minutes": 5}).status_code == 404
        assert c.post("/api/control/dh1/override", json={"on": True, "minutes": 0}).status_code == 422
        assert c.get("/api/control/audit").status_code == 403  # the trail is the curator's
    with api.client("curator") as c:
        audit = c.get("/api/control/audit", params={"actuator": "dh1"}).json()
        assert [e["kind"] for e in audit] == ["recommendation", "command", "override", "command"]
        assert audit[1]["who"] == "staff" and audit[2]["who"] == "staff"
        assert c.get("/api/control/audit", params={"from": "2100-01-01T00:00:00Z"}).json() == []
        assert c.get("/api/control/audit", params={"kind": "nonsense"}).status_code == 422
        assert c.put("/api/control/dh1/policy", json={"policy": "auto"}).json()["policy"] == "auto"
        assert c.put("/api/control/dh1/policy", json={"policy": "yolo"}).status_code == 422
        policy = c.get("/api/control/audit", params={"kind": "policy"}).json()
        assert policy[-1]["who"] == "curator" and policy[-1]["before"] == {"policy": "advise"}


def test_control_routes_say_when_no_control_runs(api: Api):
    before, api.app.state.service.control = api.app.state.service.control, None
    try:
        with api.client("staff") as c:
            r = c.get("/api/control")
    finally:
        api.app.state.service.control = before
    assert r.status_code == 404 and "环境控制" in r.json()["error"]["message"]["zh"]
