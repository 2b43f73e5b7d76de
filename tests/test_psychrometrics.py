"""Moist-air relations against published reference values (ASHRAE Handbook Fundamentals 2017, ch. 1,
Table 3: saturation pressure over liquid water) and their closed-form inverses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.psychrometrics import (
    KELVIN,
    R_VAPOUR,
    dew_point,
    relative_humidity,
    rh_from_vapour_density,
    saturation_vapour_pressure,
    vapour_density,
    vapour_pressure,
)

# ASHRAE Fundamentals 2017 ch. 1 Table 3 (Hyland-Wexler), pws over liquid water, Pa
ASHRAE_PWS = [(-10.0, 286.5),  # -10 degC: over supercooled water (WMO-No. 8, Annex 4.B)
              (0.0, 611.2), (10.0, 1228.2), (20.0, 2339.3), (25.0, 3169.9), (30.0, 4247.0),
              (40.0, 7384.9)]


@pytest.mark.parametrize(("t", "pws"), ASHRAE_PWS)
def test_saturation_pressure_matches_ashrae_table(t: float, pws: float) -> None:
    # Alduchov & Eskridge's Magnus form is within 0.4 % of the tables over -40..50 degC
    assert float(saturation_vapour_pressure(t)) == pytest.approx(pws, rel=0.004)


def test_magnus_constants_at_zero_and_in_arrays() -> None:
    assert float(saturation_vapour_pressure(0.0)) == 610.94  # exp(0): the A constant itself
    es = saturation_vapour_pressure([0.0, 20.0, 40.0])
    assert es.shape == (3,) and np.all(np.diff(es) > 0)
    assert float(saturation_vapour_pressure(20.0)) == pytest.approx(610.94 * np.exp(17.625 * 20 / 263.04), rel=1e-12)


def test_vapour_pressure_and_relative_humidity_are_inverse() -> None:
    assert float(vapour_pressure(20.0, 50.0)) == pytest.approx(0.5 * float(saturation_vapour_pressure(20.0)))
    assert float(vapour_pressure(20.0, 100.0)) == pytest.approx(2339.3, rel=0.004)
    assert float(relative_humidity(20.0, 1169.65)) == pytest.approx(50.0, rel=0.004)
    assert float(relative_humidity(25.0, vapour_pressure(25.0, 37.0))) == pytest.approx(37.0, rel=1e-12)


def test_vapour_density_reference_values() -> None:
    # saturated air holds 17.3 g/m3 at 20 degC and 30.4 g/m3 at 30 degC (rho = e / (R_v T))
    assert float(vapour_density(20.0, 100.0)) == pytest.approx(17.30, rel=0.005)
    assert float(vapour_density(30.0, 100.0)) == pytest.approx(30.38, rel=0.005)
    assert float(vapour_density(20.0, 50.0)) == pytest.approx(
        1000.0 * 0.5 * float(saturation_vapour_pressure(20.0)) / (461.5 * 293.15), rel=1e-12)
    assert R_VAPOUR == 461.5 and KELVIN == 273.15


@given(st.floats(-30.0, 50.0), st.floats(1.0, 100.0))
def test_rh_from_vapour_density_inverts_vapour_density(t: float, rh: float) -> None:
    assert float(rh_from_vapour_density(t, vapour_density(t, rh))) == pytest.approx(rh, rel=1e-9)


@given(st.floats(-30.0, 50.0), st.floats(1.0, 100.0))
def test_dew_point_is_where_the_vapour_pressure_saturates(t: float, rh: float) -> None:
    td = float(dew_point(t, rh))
    assert float(saturation_vapour_pressure(td)) == pytest.approx(float(vapour_pressure(t, rh)), rel=1e-9)
    assert td <= t + 1e-9


def test_dew_point_reference_values() -> None:
    assert float(dew_point(20.0, 100.0)) == pytest.approx(20.0, abs=1e-12)
    # 20 degC / 50 %RH: 9.26 degC; 30 degC / 40 %RH: 14.9 degC (psychrometric tables)
    assert float(dew_point(20.0, 50.0)) == pytest.approx(9.26, abs=0.02)
    assert float(dew_point(30.0, 40.0)) == pytest.approx(14.9, abs=0.1)


def test_single_precision_input_is_computed_in_double_precision():
    """A float32 series (as a compact store hands it) gives the float64 result of the same values: the
    functions convert first, so no step runs in single precision (about 7 digits)."""
    from simulation import psychrometrics as p

    t32 = np.array([-10.3, 0.7, 21.3, 35.9], dtype=np.float32)
    rh32 = np.array([12.1, 45.3, 55.7, 97.9], dtype=np.float32)
    t64, rh64 = t32.astype(float), rh32.astype(float)
    e32 = (p.vapour_pressure(t64, rh64)).astype(np.float32)
    rho32 = (p.vapour_density(t64, rh64)).astype(np.float32)
    cases = [(p.saturation_vapour_pressure, (t32,), (t64,)),
             (p.relative_humidity, (t64, e32), (t64, e32.astype(float))),
             (p.vapour_density, (t32, rh64), (t64, rh64)),
             (p.rh_from_vapour_density, (t32, rho32.astype(float)), (t64, rho32.astype(float))),
             (p.rh_from_vapour_density, (t64, rho32), (t64, rho32.astype(float))),
             (p.dew_point, (t32, rh64), (t64, rh64)),
             (p.dew_point, (t64, rh32), (t64, rh64))]
    for f, single, double in cases:
        got = f(*single)
        assert got.dtype == np.float64 and np.array_equal(got, f(*double)), f.__name__
