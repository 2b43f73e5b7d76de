"""bridge.ingest.live_governance: the live rules judge each reading as the batch rules judge the
series up to it, in constant time whatever the history, with a state that outlives a restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bridge.ingest import governance as g
from bridge.ingest.live_governance import LiveGovernor, PersistentGovernor, SeriesState, load_states, save_states
from bridge.readings import Reading

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SETTINGS = g.GovernanceSettings(thresholds={"relative_humidity": (None, 85.0)})


def rh(i: float, value: float, sensor: str = "S1", step_min: float = 10) -> Reading:
    return Reading(sensor, "relative_humidity", T0 + timedelta(minutes=step_min * i), float(value), "%RH")


def troubled_series() -> tuple[np.ndarray, np.ndarray]:
    """Three days of 10-min RH with every fault the live rules know: spikes, a real level shift,
    values over the site limit, hours stuck, an hour and a half pinned at 0 %RH, a jump that
    stays, an outage. (Stuck here means 6 h unchanged, see SHORT_STUCK, to keep the series short.)"""
    rng = np.random.default_rng(3)
    n = 432
    t = np.arange(n) * 600.0
    v = 50.0 + rng.normal(0, 0.4, n)
    v[40] += 33.0  # a spike
    v[80:] += 12.0  # a door left open: a real shift (under the step limit)
    v[100:105] = 88.0  # over the site limit
    v[120:170] = 61.5  # stuck for 8 h
    v[200:210] = 0.0  # pinned at the bound
    v[250], v[251] = 20.0, 21.0  # a jump down that stays: the level really moved
    t[300:] += 2 * 3600.0  # a two-hour outage
    v[340:370] = 25.0  # unchanged 5 h: not stuck yet
    return t, np.round(v, 1)


SHORT_STUCK = g.GovernanceSettings(thresholds=SETTINGS.thresholds,
                                   cleaning=g.cleaning.CleaningSettings(stuck_s=6 * 3600.0))


def test_each_live_verdict_is_the_batch_verdict_on_the_series_up_to_it():
    t, v = troubled_series()
    gov = LiveGovernor(SHORT_STUCK)
    readings = [Reading("S1", "relative_humidity", T0 + timedelta(seconds=float(x)), float(y), "%RH")
                for x, y in zip(t, v, strict=True)]
    live: list[str] = []
    rng = np.random.default_rng(0)
    i = 0
    while i < len(readings):  # batches of 1 to 20 readings, as the ingest forms them
        k = int(rng.integers(1, 21))
        kept, refused = gov(readings[i:i + k][::-1])  # a batch's order does not matter
        assert not refused
        live += [r.quality for r in kept]
        i += k
    t_s = t + T0.timestamp()
    mismatches = []
    faults = [*range(38, 44), *range(78, 110), *range(118, 215), *range(248, 255), *range(298, 372)]
    for j in sorted({*faults, *range(0, len(readings), 3)}):  # every reading where a rule is at work
        masks = g.flag_arrays("relative_humidity", t_s[:j + 1], v[:j + 1], SHORT_STUCK)
        expected = next((name for name in LiveGovernor.LIVE_RULES if masks[name][j]), "ok")
        if live[j] != expected:
            mismatches.append((j, live[j], expected))
    assert mismatches == []
    seen = set(live)
    assert {"ok", "threshold", "rail", "stuck", "step"} <= seen  # every rule had its say
    assert live[40] == "step" and live[41] == "ok"
    assert all(q == "ok" for q in live[80:90])  # the real shift is not hidden from the alerts
    assert live[340:370].count("stuck") == 0


def _cost_per_reading(history_h: float, n: int = 300) -> float:
    """Process time per reading of ``n`` one-minute readings after ``history_h`` of them (s)."""
    rng = np.random.default_rng(1)
    gov = LiveGovernor()
    hist = [rh(i, 50.0 + float(rng.normal(0, 0.3)), step_min=1) for i in range(int(history_h * 60))]
    for k in range(0, len(hist), 60):  # the history arrives an hour a batch
        gov(hist[k:k + 60])
    new = [rh(len(hist) + i, 50.0 + float(rng.normal(0, 0.3)), step_min=1) for i in range(n)]
    best = float("inf")
    for _ in range(3):  # best of three: the least disturbed by other work on the machine
        trial = LiveGovernor(states={k: _copy(s) for k, s in gov.states.items()})
        start = time.process_time()
        for r in new:
            trial([r])
        best = min(best, time.process_time() - start)
    return best / n


def _copy(s: SeriesState) -> SeriesState:
    return SeriesState.from_list(s.as_list())


def test_cost_per_reading_does_not_grow_with_history():
    short = _cost_per_reading(1.0)
    week = _cost_per_reading(7 * 24.0)
    # one reading after a week costs what it costs after an hour (rules that re-read the series'
    # recent context cost 5 times more after a day than after an hour: 15 ms against 3 ms a reading)
    assert week < 2.0 * short, (short, week)


def test_the_state_is_a_few_numbers_per_series_however_long_the_history():
    gov = LiveGovernor()
    for day in range(7):
        gov([rh(day * 144 + i, 50.0 + (i % 7) * 0.1, sensor=f"S{i % 5}") for i in range(144)])
    assert len(gov.states) == 5
    assert all(len(s.as_list()) == 7 for s in gov.states.values())
    assert gov.operations == 7 * 144


def test_a_stuck_sensor_is_still_stuck_after_a_restart(tmp_path: Path):
    path = tmp_path / "live" / "hall-governor.json"
    gov = PersistentGovernor(path, every_s=3600.0)
    for k in range(0, 150, 10):  # 25 h of 10-min readings, all 44.0 %RH
        kept, _ = gov([rh(i, 44.0) for i in range(k, k + 10)])
    assert kept[-1].quality == "stuck"
    gov.save()
    again = PersistentGovernor(path)
    kept, _ = again([rh(150, 44.0)])
    assert kept[0].quality == "stuck" and "卡滞" in kept[0].reason
    forgetful = LiveGovernor()
    assert forgetful([rh(150, 44.0)])[0][0].quality == "ok"  # what a restart without the state would say


def test_the_state_is_saved_between_batches_and_a_bad_file_is_a_fresh_start(tmp_path: Path):
    path = tmp_path / "gov.json"
    clock = iter(range(0, 10_000, 100))
    gov = PersistentGovernor(path, every_s=150.0, clock=lambda: float(next(clock)))
    gov([rh(0, 40.0)])
    assert not path.exists()  # saved at most every 150 s
    gov([rh(1, 40.0)])
    assert load_states(path)[("S1", "relative_humidity", "", "")].last_v == 40.0
    path.write_text("{not json")
    assert load_states(path) == {}
    save_states(path, gov.states)
    assert load_states(path) == gov.states


def test_late_readings_are_judged_by_thresholds_and_a_clock_that_went_back_starts_afresh():
    gov = LiveGovernor(SETTINGS)
    gov([rh(i, 50.0 + 0.1 * (i % 3)) for i in range(20)])
    state = _copy(gov.states[("S1", "relative_humidity", "", "")])
    late, _ = gov([rh(10.5, 99.0), rh(11.5, 51.0)])  # a gateway's backlog, 1.5 h late
    assert [r.quality for r in late] == ["threshold", "ok"]
    assert gov.states[("S1", "relative_humidity", "", "")] == state  # the state moves forward only
    replay, _ = gov([rh(-1000, 80.0)])  # a replay that restarted a week back
    assert replay[0].quality == "ok"
    assert gov.states[("S1", "relative_humidity", "", "")].last_v == 80.0


def test_the_twin_keeps_the_live_state_across_a_restart(mosquitto_broker, tmp_path: Path):
    """``start_twin`` stops with the state saved and starts again with it (real broker, real store)."""
    import paho.mqtt.client as mqtt

    from bridge.config import Settings
    from bridge.ingest.live_governance import state_path
    from bridge.twin.runtime import start_twin
    from simulation.paths import scenes_dir
    from simulation.scene import load_scene

    scene = load_scene(scenes_dir() / "demo_hall")
    settings = Settings(broker_url=f"mqtt://{mosquitto_broker.host}:{mosquitto_broker.port}",
                        database_url=f"sqlite:///{tmp_path / 'twin.sqlite'}", data_dir=tmp_path)
    key = ("S01", "relative_humidity", "", scene.id)
    rt = start_twin(scene, settings, on_status=lambda s: None)
    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="live-state-publisher")
        client.connect(mosquitto_broker.host, mosquitto_broker.port)
        client.loop_start()
        client.publish(f"relic-twin/{scene.id}/S01", b'{"relative_humidity": 47.5}', qos=1).wait_for_publish(10)
        client.loop_stop()
        client.disconnect()
        deadline = time.monotonic() + 20
        while rt.store.count_readings() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rt.store.count_readings() == 1
    finally:
        rt.stop()
    assert load_states(state_path(tmp_path, scene.id))[key].last_v == 47.5
    again = start_twin(scene, settings, on_status=lambda s: None)
    try:
        assert again.ingestor.govern.states[key].last_v == 47.5  # type: ignore[union-attr]
    finally:
        again.stop()
