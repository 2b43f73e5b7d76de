"""``relic-twin hub`` and the site options of the other commands, run as a user runs them."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures_broker import Publisher
from test_site_serve import make_site

from bridge.cli.hub import hub_main
from bridge.cli.serve import serve_main
from bridge.cli.user import user_main
from bridge.hub.decode import hub_topic
from bridge.store import Store
from bridge.store import service_queries as q

ROOT = Path(__file__).resolve().parents[1]


def test_hub_ingest_stores_each_site_under_its_id(tmp_path: Path, mosquitto_broker) -> None:
    sites = tmp_path / "sites"
    make_site(sites / "museum_a", halls=("hall_1",))
    make_site(sites / "museum_b", halls=("hall_1",))
    db = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    Store.open(url=db).close()
    cmd = [sys.executable, "-m", "twin_engine.cli", "hub", "ingest", "--sites", str(sites), "--db", db,
           "--broker", f"mqtt://127.0.0.1:{mosquitto_broker.port}", "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # the banner and each worker's "subscribed"
        assert any("2 workers on relic-hub/<site>/#" in line for line in lines), lines
        assert sum("subscribed" in line for line in lines) == 2, lines
        pub = Publisher(mosquitto_broker.host, mosquitto_broker.port, client_id="hub-cli-pub")
        msgs = [(hub_topic(site, f"relic-twin/hall_1/S{i:02d}"), json.dumps({"time": 1767225600 + i,
                                                                            "temperature": 20.0}).encode())
                for site in ("museum_a", "museum_b") for i in range(50)]
        msgs.append((hub_topic("museum_b", "zigbee2mqtt/S02"), b'{"temperature": 19.5, "humidity": 40}'))
        pub.publish(msgs)
        assert pub.wait_acked(len(msgs), 20)
        pub.close()
        with Store.open(url=db) as store:
            deadline = time.monotonic() + 30
            while store.count_readings() < 102 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert store.count_readings(hall="hall_1", site="museum_a") == 50
            assert store.count_readings(hall="hall_1", site="museum_b") == 52  # the scene's zigbee2mqtt/S02 too
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        proc.stdout.close()


def test_hub_commands_refuse_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hub_main(["acl"]) == 0
    assert capsys.readouterr().out == "# each museum writes only under its own site / 每个场馆只能写入自己的主题\n" \
                                      "pattern write relic-hub/%u/#\n"
    assert hub_main(["serve", "--sites", str(tmp_path / "none")]) == 1
    assert "no folder" in capsys.readouterr().err
    assert serve_main(["--site", str(tmp_path / "none")]) == 1
    assert "no site at" in capsys.readouterr().err


def test_user_add_with_a_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "users.sqlite"
    monkeypatch.setenv("RELIC_TWIN_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("RELIC_TWIN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert user_main(["add", "wang", "--role", "curator", "--site", "museum_a", "--password-stdin"]) == 0
    with Store.open(url=f"sqlite:///{db}") as store:
        assert q.get_user(store, "wang").site == "museum_a"
