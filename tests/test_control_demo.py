"""``relic-twin control-demo``: the demo hall answers back over a real broker."""

from __future__ import annotations

from bridge.cli.control import control_demo_main
from bridge.control.audit import entries
from bridge.store import Store


def test_control_demo_switches_the_dehumidifier_on_as_rh_climbs_and_rh_bends_back(
        mosquitto_broker, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RELIC_TWIN_BROKER_URL", f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}")
    monkeypatch.setenv("RELIC_TWIN_DATA_DIR", str(tmp_path))
    assert control_demo_main(["--hours", "4", "--start-rh", "56"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if "%RH" in line and line[:2].isdigit()]
    rh = [float(r[1]) for r in rows]
    dh = [r[3] == "ON" for r in rows]
    assert len(rows) == 24 and any(dh), out
    first = dh.index(True)
    assert rh[first] > rh[0]  # the RH climbed before the machine started
    assert min(rh[first + 1:first + 4]) < rh[first]  # and bends back once it runs
    with Store.open(data_dir=tmp_path) as store:
        audit = entries(store, "demo_hall", limit=10_000)
    kinds = {(e["kind"], e["actuator"]) for e in audit}
    assert ("command", "dh1") in kinds and ("echo", "dh1") in kinds


def test_control_demo_refuses_bad_input(tmp_path, capsys):
    assert control_demo_main(["--scene", str(tmp_path / "nowhere")]) == 2
    assert "scene error / 场景错误" in capsys.readouterr().err
    assert control_demo_main(["--hours", "0"]) == 2
    assert "--hours" in capsys.readouterr().err
    bad = tmp_path / "w.csv"
    bad.write_text("time,t_out\n2026-01-01T00:00:00Z,3\n")
    assert control_demo_main(["--weather", str(bad)]) == 2
    assert "weather file / 气象文件" in capsys.readouterr().err
