"""simulation.field_model: offsets learnt from history; IDW or kriging chosen by leave-one-out error."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.field_model import choose_field, idw_loo, kriging_loo, mean_loo, sensor_offsets


def room(t: int = 200, seed: int = 0, offsets: bool = True):
    """Eight nodes in a 12 x 8 m room: a common swing, a gradient along x that drifts, noise, and
    (optionally) persistent node offsets of several %RH."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform([0, 0], [12, 8], (8, 2))
    common = 50 + 3 * np.sin(np.arange(t) / 10)[:, None]
    gradient = (0.6 + 0.2 * np.sin(np.arange(t) / 37))[:, None] * (pos[:, 0] - 6)[None, :]
    off = np.array([6.0, -5.0, 0.0, 4.0, -6.0, 1.0, 0.0, 0.0]) if offsets else np.zeros(8)
    return common + gradient + off + 0.2 * rng.standard_normal((t, 8)), pos, off


def test_kriging_leave_one_out_closed_form_equals_refitting() -> None:
    v, pos, _ = room(t=3)
    fast = kriging_loo(v, pos, 3.0, 0.1)
    p = len(pos)
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    k = np.exp(-d / 3.0) * 0.9 + 0.1 * np.eye(p)
    for i in range(p):
        o = np.delete(np.arange(p), i)
        a = np.ones((p, p))
        a[: p - 1, : p - 1] = k[np.ix_(o, o)]
        a[p - 1, p - 1] = 0.0
        rhs = np.append(k[o, i], 1.0)
        w = np.linalg.solve(a, rhs)[: p - 1]
        np.testing.assert_allclose(fast[:, i], v[:, i] - v[:, o] @ w, atol=1e-9)


def test_offsets_are_learnt_from_history() -> None:
    v, pos, off = room()
    v[5:40, 2] = np.nan  # a gap does not bias the others
    persistent = off + 0.6 * (pos[:, 0] - 6)  # the node's own offset and its mean place in the gradient
    np.testing.assert_allclose(sensor_offsets(v), persistent - persistent.mean(), atol=0.5)
    assert sensor_offsets(v).sum() == pytest.approx(0.0, abs=1e-9)


def test_offsets_make_the_field_beat_the_mean_of_the_others() -> None:
    v, pos, _ = room()
    test = v[100:]
    base = np.sqrt(np.mean(mean_loo(test) ** 2))
    assert np.sqrt(np.mean(idw_loo(test, pos) ** 2)) > 0.8 * base  # IDW alone: hardly better than the mean
    choice = choose_field(v, pos)
    assert choice is not None and choice.method.endswith("+ offsets")
    assert choice.rmse[choice.method] < 0.5 * choice.rmse["mean of the others"]
    assert set(choice.rmse) == {"mean of the others", "IDW", "kriging", "IDW + offsets", "kriging + offsets"}


def test_without_offsets_the_choice_needs_none() -> None:
    v, pos, _ = room(offsets=False, seed=2)
    choice = choose_field(v, pos)
    assert choice is not None
    assert choice.rmse[choice.method] <= min(choice.rmse["IDW"], choice.rmse["kriging"]) + 0.05
    assert choose_field(v[:, :2], pos[:2]) is None  # two sensors: nothing to leave out


def test_field_command_reads_the_store_and_prints_the_choice(tmp_path) -> None:
    """The README's ``relic-twin field --scene scenes/demo_hall``, as a user types it."""
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    from bridge.readings import Reading
    from bridge.store import Store
    from simulation.scene import load_scene

    root = Path(__file__).resolve().parents[1]
    scene = load_scene(root / "scenes" / "demo_hall")
    open_hall = [s for s in scene.sensors_for("relative_humidity") if s.case is None]
    v, _, _ = room(t=96)
    t0 = datetime(2026, 4, 1, tzinfo=UTC)
    store = Store.open(None, tmp_path)
    store.add_readings([Reading(s.id, "relative_humidity", t0 + timedelta(hours=i), float(v[i, j]), "%RH",
                                hall="demo_hall") for i in range(v.shape[0]) for j, s in enumerate(open_hall)])
    store.close()
    done = subprocess.run([sys.executable, "-m", "twin_engine.cli", "field", "--scene", "scenes/demo_hall",
                           "--data-dir", str(tmp_path), "--days", "4"], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "chosen 选用: " in out and "+ offsets" in out.split("chosen 选用: ")[1]
    for s in open_hall:
        assert f"    {s.id} " in out
    assert "mean of the others" in out
    assert "note 注意" not in out  # 96 complete hours: the monitor draws the same choice
