"""Every command the README shows, run the way the README shows it (with short durations).

:func:`readme_commands` reads the README's ``sh`` blocks and its ```relic-twin ...``` / ```make ...```
code spans; :data:`PLANS` says which test below runs each. A command added to the README without a
run here fails :func:`test_every_readme_command_has_a_run`; one whose run fails, fails its test.
Commands run as a new user types them, through ``.venv/bin/relic-twin`` (or ``python -m
twin_engine.cli`` without a venv) with this tree first on the path, in a data folder, broker and
output folder of the test's own (``RELIC_TWIN_DATA_DIR``, ``RELIC_TWIN_BROKER_URL``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fixtures_broker import MosquittoBroker, free_port, mosquitto_binary

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LOGGER_FILE = ROOT / "tests" / "data" / "loggers" / "Meaco_1.csv"
FORECAST_CSV = ROOT / "tests" / "data" / "forecast" / "case1_slice.csv"
SHORT = "3"  # seconds for every command that runs until stopped

pytestmark = pytest.mark.slow


def readme_commands(text: str | None = None) -> set[str]:
    """The commands the README shows: each line of its ``sh`` blocks and each code span that starts
    with ``relic-twin``, ``.venv/bin/relic-twin`` or ``make`` (whitespace normalised)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found = set()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip().removeprefix("# or: ")
            if line and not line.startswith("#"):
                found.add(line)
    for span in re.findall(r"`((?:\.venv/bin/)?(?:relic-twin|make) [^`]*)`", text):
        found.add(" ".join(span.split()))
    return found


#: README command -> the test that runs it (synopses with [options] are run with their options)
PLANS: dict[str, str] = {
    "make test": "test_make_test_is_this_suite",
    # make demo runs exactly ".venv/bin/relic-twin demo $(DEMO_ARGS)": one run covers the five demo lines
    "make demo": "test_make_demo",
    'make demo DEMO_ARGS="--headless --out out/frames --seconds 30"': "test_make_demo",
    'make demo DEMO_ARGS="--speed 3600"': "test_make_demo",
    ".venv/bin/relic-twin demo --headless --out out/frames --seconds 30": "test_make_demo",
    "relic-twin demo [--headless --out DIR --seconds N] [--speed X] [--weather FILE.csv] [--replay]":
        "test_make_demo",
    "relic-twin --version": "test_version_and_debug",
    "relic-twin --debug COMMAND ...": "test_version_and_debug",
    "relic-twin scene check scenes/demo_hall [--plan PNG]": "test_scene_check",
    # the scans write into a scene and assets/: run in a copied project by the scan tests
    ".venv/bin/relic-twin scan relic vase.ply --scene scenes/demo_hall --id vase --name-zh 梅瓶 --name-en "
    '"Meiping vase" --profile ceramic': "test_scan_relic.py::test_scanned_relic_is_added_to_the_scene_and_shown_by_the_kiosk",
    "relic-twin scan relic FILE --scene DIR --id ID":
        "test_scan_relic.py::test_scanned_relic_is_added_to_the_scene_and_shown_by_the_kiosk",
    ".venv/bin/relic-twin scan hall room.e57 --scene scenes/my_hall --json":
        "test_scan_hall.py::test_scan_hall_json_writes_a_new_scene_that_checks_and_plots",
    ".venv/bin/relic-twin scene check scenes/my_hall --plan plan.png":
        "test_scan_hall.py::test_scan_hall_json_writes_a_new_scene_that_checks_and_plots",
    "relic-twin fleet [--speed X] [--format zigbee2mqtt]": "test_fleet",
    "relic-twin import FILE [--hall HALL] --sensor ID [--dry-run]": "test_import_quarantine_risk_backup",
    'relic-twin import tests/data/long/library_slice.csv --map "Archive A=S01" --map "Case 1=S04" --dry-run':
        "test_import_long_format",
    # sites and the provincial hub: run by their own tests (brokers, PostgreSQL, several sites)
    "relic-twin serve --site DIR": "test_site_serve.py::test_serve_site_runs_every_hall_in_one_process",
    "relic-twin hub acl": "test_hub_cli.py::test_hub_commands_refuse_bad_input",
    "relic-twin hub ingest --sites DIR --db postgresql://... --broker mqtt://hub:1883 --workers 2":
        "test_hub_cli.py::test_hub_ingest_stores_each_site_under_its_id",
    "relic-twin hub serve --sites DIR --db postgresql://...":
        "test_hub_users.py::test_every_user_sees_and_changes_only_their_site",
    "relic-twin broker-config --out DIR --make-certs --bridge-to mqtts://SITE:PASSWORD@hub:8883 --bridge-cafile HUB_CA":
        "test_hub_bridge.py::test_broker_config_writes_the_bridge_with_tls_and_credentials",
    "relic-twin quarantine": "test_import_quarantine_risk_backup",
    "relic-twin risk --scene scenes/demo_hall": "test_import_quarantine_risk_backup",
    "relic-twin backup": "test_import_quarantine_risk_backup",
    "relic-twin forecast backtest --csv FILE": "test_forecast_backtest",
    "relic-twin forecast --hall HALL --sensor ID --hours 12":
        "test_forecast_inputs.py::test_forecast_command_reads_the_store_and_prints_evidence",
    "relic-twin report": "test_import_quarantine_risk_backup",
    "relic-twin report --scene scenes/demo_hall --month 2026-11 --lang both --out out/2026-11.pdf":
        "test_import_quarantine_risk_backup",
    "relic-twin sensor-calibration set S02 --quantity temperature --offset -0.3 --by wang":
        "test_import_quarantine_risk_backup",
    "relic-twin simulate scenes/demo_hall/scenarios/NAME.toml [--from-store]": "test_simulate_and_play",
    "relic-twin play RUN_DIR [--headless --out DIR] [--lang zh\\|en]": "test_simulate_and_play",
    "relic-twin play out/whatif": "test_simulate_and_play",
    "relic-twin calibrate --csv FILE": "test_calibrate",
    "relic-twin field --scene scenes/demo_hall": "test_field_model.py::test_field_command_reads_the_store_and_prints_the_choice",
    "relic-twin validate RECORD.csv --scene DIR": "test_record_model.py::test_validate_command_as_typed",
    "relic-twin kiosk": "test_kiosk",
    # --windowed needs a display (tests/test_kiosk_headless.py plans the window it asks for)
    "relic-twin kiosk --scene scenes/demo_hall [--windowed] [--size WxH] [--headless --out DIR --seconds N "
    "--relic NAME]": "test_kiosk",
    "relic-twin annotate RELIC": "test_annotate_without_a_display",
    "relic-twin broker-config --scene scenes/demo_hall --out DIR --make-certs": "test_broker_config",
    "relic-twin broker-config --scene scenes/demo_hall --out /etc/mosquitto/relic-twin --make-certs "
    "--host broker.museum.lan": "test_broker_config",
    "relic-twin monitor --embedded --fleet --scene scenes/scan_room": "test_monitor_embedded",
    "relic-twin monitor [--embedded] [--url wss://HOST/api/live --token T]": "test_serve_user_monitor",
    "relic-twin monitor --url wss://HOST:PORT/api/live --token TOKEN": "test_serve_user_monitor",
    "relic-twin user add NAME --role ROLE": "test_serve_user_monitor",
    ".venv/bin/relic-twin user add admin --role admin": "test_serve_user_monitor",
    "relic-twin serve": "test_serve_user_monitor",
    ".venv/bin/relic-twin serve --port 8000": "test_serve_user_monitor",
    "relic-twin serve [--port 8000] [--cert C --key K] [--exhibit DIR]": "test_serve_user_monitor",
    "relic-twin serve --site": "test_site_serve.py::test_serve_site_runs_every_hall_in_one_process",
    "make web": "test_make_demo",
    "relic-twin control-demo [--hours N] [--controller twin\\|humidistat] [--weather FILE.csv]":
        "test_control_demo.py::test_control_demo_switches_the_dehumidifier_on_as_rh_climbs_and_rh_bends_back",  # a dry run: the test cannot reach the npm registry
    ".venv/bin/relic-twin publish --scene scenes/demo_hall --out out/exhibit": "test_exhibit.py::test_readme_publish_command",
    "relic-twin publish --scene scenes/demo_hall --out out/exhibit": "test_exhibit.py::test_readme_publish_command",
    ".venv/bin/relic-twin serve --host 0.0.0.0 --port 8443 --cert cert.pem --key key.pem": "test_serve_https",
}


def test_every_readme_command_has_a_run() -> None:
    shown = readme_commands()
    assert shown - set(PLANS) == set(), "README commands no test runs: add them to PLANS"
    assert set(PLANS) - shown == set(), "PLANS names commands the README no longer shows"
    tests = {name for name in globals() if name.startswith("test_")}
    for plan in set(PLANS.values()):
        module, _, name = plan.rpartition("::")
        if module:  # a test in another module runs it
            assert f"def {name}(" in (ROOT / "tests" / module).read_text(encoding="utf-8"), plan
        else:
            assert plan in tests, plan


# --- running commands ------------------------------------------------------------------------------


@dataclass
class Hall:
    """A newcomer's shell: data folder, broker and output folder of this module's own."""

    tmp: Path
    env: dict[str, str]

    def argv(self, line: str) -> list[str]:
        """A README line as argv: ``relic-twin``/``.venv/bin/relic-twin`` -> this tree's command line."""
        words = shlex.split(line)
        if words[0] in ("relic-twin", ".venv/bin/relic-twin"):
            script = ROOT / ".venv" / "bin" / "relic-twin"
            head = [str(script)] if script.exists() else [sys.executable, "-m", "twin_engine.cli"]
            return head + words[1:]
        return words

    def run(self, line: str, *, stdin: str | None = None, timeout: float = 120, ok: bool = True,
            cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.argv(line), cwd=cwd, env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=timeout)
        if ok:
            assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stderr, done.stderr
        assert "Known pipe types" not in done.stdout + done.stderr
        return done

    def start(self, line: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(line), cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto binary not installed")
    tmp = tmp_path_factory.mktemp("readme")
    (tmp / "mosquitto").mkdir()
    broker = MosquittoBroker(binary, tmp / "mosquitto")
    broker.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIC_TWIN_") and k not in ("DISPLAY",
                                                                                               "WAYLAND_DISPLAY")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               RELIC_TWIN_DATA_DIR=str(tmp / "data"), RELIC_TWIN_BROKER_URL=f"mqtt://127.0.0.1:{broker.port}")
    try:
        yield Hall(tmp, env)
    finally:
        broker.stop(signal.SIGKILL)


def frames(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


# --- the runs ----------------------------------------------------------------------------------------


def test_make_test_is_this_suite() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: setup\n\t\$\(PY\) -m pytest -q tests$", makefile, re.M)


def test_make_demo(hall: Hall, tmp_path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: setup\n\t\$\(VENV\)/bin/relic-twin demo \$\(DEMO_ARGS\)$", makefile, re.M)
    out = tmp_path / "frames"
    args = f"--headless --out {out} --seconds {SHORT} --speed 3600"
    if shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "relic-twin").exists():
        done = hall.run(f"relic-twin demo {args}", timeout=180)  # what make demo runs
    else:  # -o: the venv and the web viewer count as installed (make test made them)
        done = hall.run(f'make -o .venv/.installed -o web/node_modules/.package-lock.json demo DEMO_ARGS="{args}"',
                        timeout=180)
        dry = hall.run("make -n -B web")  # make web installs the exhibit's viewer from the lock file
        assert "npm ci" in dry.stdout
    assert (out / "last.png").is_file()
    stored = re.search(r"stored (\d+) readings", done.stdout)
    assert stored and int(stored.group(1)) > 0
    assert str(hall.tmp / "data") in done.stdout  # it says where its data went
    assert "virtual hall 虚拟展厅" in done.stdout and "control 环境控制" in done.stdout  # the hall answers back


def test_version_and_debug(hall: Hall) -> None:
    assert hall.run("relic-twin --version").stdout.startswith("relic-twin ")
    # the same error without --debug is one line: tests/test_cli.py
    debug = subprocess.run(hall.argv("relic-twin --debug risk --db mysql://nobody@nowhere/db"), cwd=ROOT,
                           env=hall.env, capture_output=True, text=True, timeout=60)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_scene_check(hall: Hall, tmp_path: Path) -> None:
    assert "demo_hall" in hall.run("relic-twin scene check scenes/demo_hall").stdout
    hall.run(f"relic-twin scene check scenes/demo_hall --plan {tmp_path / 'plan.png'}")
    assert (tmp_path / "plan.png").is_file()


def test_fleet(hall: Hall) -> None:
    done = hall.run("relic-twin fleet --speed 3600 --format zigbee2mqtt --rounds 2 --interval 0.2")
    assert hall.env["RELIC_TWIN_BROKER_URL"].split("//")[1] in done.stdout + done.stderr


def test_import_quarantine_risk_backup(hall: Hall) -> None:
    dry = hall.run(f"relic-twin import {LOGGER_FILE} --sensor S01 --dry-run")
    assert "dry run" in dry.stdout.lower() or "试运行" in dry.stdout
    done = hall.run(f"relic-twin import {LOGGER_FILE} --sensor S01")
    assert str(hall.tmp / "data") in done.stdout  # says where it stored them: the folder serve reads
    assert (hall.tmp / "data" / "relic-twin.sqlite").is_file()
    assert not (ROOT / "data" / "relic-twin.sqlite").exists() or "RELIC_TWIN_DATA_DIR" not in os.environ
    hall.run("relic-twin quarantine")
    risk = hall.run("relic-twin risk --scene scenes/demo_hall")
    assert "S01" in risk.stdout or "ding" in risk.stdout
    hall.run("relic-twin sensor-calibration set S02 --quantity temperature --offset -0.3 --by wang")
    pdf = hall.tmp / "out" / "2026-11.pdf"
    hall.run(f"relic-twin report --scene scenes/demo_hall --month 2025-11 --lang both --out {pdf}", timeout=300)
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    backup = hall.run("relic-twin backup")
    assert list((hall.tmp / "data").rglob("*.sqlite*"))
    assert "backup" in backup.stdout.lower() or "备份" in backup.stdout


def test_import_long_format(hall: Hall) -> None:
    done = hall.run('relic-twin import tests/data/long/library_slice.csv --map "Archive A=S01" --map "Case 1=S04" '
                    "--dry-run")
    assert "source sensors in column 'location'" in done.stdout
    assert all(name in done.stdout for name in ("Archive A", "Archive B", "Archive C", "Archive D", "Case 1"))
    assert "3 source sensor(s) unmapped" in done.stdout


def test_forecast_backtest(hall: Hall) -> None:
    done = hall.run(f"relic-twin forecast backtest --csv {FORECAST_CSV}")
    assert "persistence" in done.stdout and "覆盖率" in done.stdout


def test_simulate_and_play(hall: Hall, tmp_path: Path) -> None:
    out = tmp_path / "whatif"
    hall.run(f"relic-twin simulate scenes/demo_hall/scenarios/visitor_crowd.toml --out {out} --cell 1.0 --no-report",
             timeout=300)
    run_dir = out / "visitor_crowd"
    assert (run_dir / "result.json").is_file() or any(run_dir.iterdir())
    hall.run(f"relic-twin play {run_dir} --headless --out {tmp_path / 'play'} --lang en --size 640x360", timeout=180)
    assert frames(tmp_path / "play")


def test_calibrate(hall: Hall, tmp_path: Path) -> None:
    from test_calibrate_cli import synthetic_record, write_candanedo_style

    scene = tmp_path / "hall"
    shutil.copytree(ROOT / "scenes" / "demo_hall", scene)
    csv_file = write_candanedo_style(tmp_path / "house.csv", synthetic_record())
    hall.run(f"relic-twin calibrate --csv {csv_file} --scene {scene} --room 2 --fit-days 3 "
             "--holdout-days 1 --params infiltration_ach,hvac_setpoint_c", timeout=300)
    assert json.loads((scene / "calibration.json").read_text())["scene"] == "demo_hall"


def test_kiosk(hall: Hall, tmp_path: Path) -> None:
    # without a display the plain "relic-twin kiosk" renders offscreen instead of dying
    hall.run(f"relic-twin kiosk --seconds 1 --out {tmp_path / 'plain'} --size 640x360", timeout=120)
    assert frames(tmp_path / "plain")
    hall.run(f"relic-twin kiosk --scene scenes/demo_hall --headless --out {tmp_path / 'k'} --seconds 1 "
             f"--relic ding --size 640x360", timeout=120)
    assert (tmp_path / "k" / "last.png").is_file()


def test_annotate_without_a_display(hall: Hall) -> None:
    done = hall.run("relic-twin annotate ding", ok=False, timeout=120)
    assert done.returncode == 1 and ("display" in done.stderr or "显示" in done.stderr)


def test_broker_config(hall: Hall, tmp_path: Path) -> None:
    hall.run(f"relic-twin broker-config --scene scenes/demo_hall --out {tmp_path / 'a'} --make-certs")
    hall.run(f"relic-twin broker-config --scene scenes/demo_hall --out {tmp_path / 'b'} --make-certs "
             "--host broker.museum.lan")
    assert (tmp_path / "b" / "mosquitto.conf").is_file() and (tmp_path / "b" / "certs" / "ca.crt").is_file()


def test_monitor_embedded(hall: Hall, tmp_path: Path) -> None:
    hall.run(f"relic-twin monitor --embedded --fleet --scene scenes/scan_room --headless --seconds {SHORT} "
             f"--out {tmp_path / 'm'} --size 640x360", timeout=180)
    assert (tmp_path / "m" / "last.png").is_file()


def wait_for_api(proc: subprocess.Popen[str], url: str, timeout: float = 60.0, verify: object = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            if httpx.get(f"{url}/api/openapi.json", verify=verify, timeout=2).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer at {url}")


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_serve_user_monitor(hall: Hall, tmp_path: Path) -> None:
    hall.run(".venv/bin/relic-twin user add admin --role admin", stdin="a long admin password\n")
    hall.run("relic-twin user add ward --role staff", stdin="a long staff password\n")
    port = free_port()
    proc = hall.start(f".venv/bin/relic-twin serve --port {port} --feed-port 0")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_api(proc, url)
        token = httpx.post(f"{url}/api/auth/token", json={"username": "ward", "password": "a long staff password"}
                           ).json()["access_token"]
        live = f"ws://127.0.0.1:{port}/api/live"
        good = hall.run(f"relic-twin monitor --url {live} --token {token} --headless --seconds {SHORT} "
                        f"--out {tmp_path / 'good'} --size 640x360", timeout=120)
        assert (tmp_path / "good" / "last.png").is_file(), good.stdout
        bad = hall.run(f"relic-twin monitor --url {live} --token wrong --headless --seconds {SHORT} "
                       f"--out {tmp_path / 'bad'} --size 640x360", ok=False, timeout=120)
        assert bad.returncode == 1 and "令牌" in bad.stderr
        # a second serve on the same machine: its own API port, and no crash over the feed port
        second = hall.run(f"relic-twin serve --port {port}", ok=False, timeout=120)
        assert second.returncode == 1 and str(port) in second.stderr
    finally:
        code, out, err = stop(proc)
    assert code == 0, err[-3000:]
    assert str(hall.tmp / "data") in out


def test_serve_https(hall: Hall, tmp_path: Path) -> None:
    from bridge.mqtt.broker_config import make_certs

    made = make_certs(tmp_path, ["localhost", "127.0.0.1"])
    shutil.copy(made.cert, tmp_path / "cert.pem")
    shutil.copy(made.key, tmp_path / "key.pem")
    port = free_port()
    line = f".venv/bin/relic-twin serve --host 0.0.0.0 --port {port} --cert cert.pem --key key.pem --feed-port 0"
    argv = hall.argv(line)
    proc = subprocess.Popen(argv, cwd=tmp_path, env=hall.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        wait_for_api(proc, f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=str(made.ca)))
    finally:
        code, _, err = stop(proc)
    assert code == 0, err[-3000:]
