"""simulation/field.py: grid, mask, inverse-distance weighting, freshness."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.field import (
    estimate_field,
    floor_grid,
    idw,
    pairwise_distance,
    polygon_mask,
    rectangle_mask,
)

RECT = np.array([[0.0, 0.0], [20.0, 0.0], [20.0, 12.0], [0.0, 12.0]])
L_SHAPE = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [2.0, 2.0], [2.0, 4.0], [0.0, 4.0]])


def test_grid_covers_the_floor_with_cell_centres():
    g = floor_grid(RECT, 0.5)
    assert g.shape == (24, 40)
    assert g.xs[0] == pytest.approx(0.25) and g.xs[-1] == pytest.approx(19.75)
    assert g.extent == pytest.approx((0.0, 0.0, 20.0, 12.0))
    assert g.mask.all()
    assert g.cell_of(np.array([19.99, 0.01])) == (0, 39)


def test_l_shaped_floor_masks_the_missing_corner():
    g = floor_grid(L_SHAPE, 0.5)
    assert g.shape == (8, 8)
    # the 2 x 2 m corner north-east of (2, 2) is outside: 4 x 4 cells
    assert (~g.mask).sum() == 16
    assert not g.mask[g.cell_of(np.array([3.0, 3.0]))]
    assert g.mask[g.cell_of(np.array([1.0, 3.0]))]
    assert polygon_mask(L_SHAPE, np.array([[3.0, 1.0], [3.0, 3.0], [-1.0, 1.0]])).tolist() == [True, False, False]


def test_idw_is_exact_at_sensors_and_the_mean_far_away():
    pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    vals = np.array([10.0, 30.0])
    out = idw(pts, vals, np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 0.0], [5.0, 1e6]]))
    assert out[:2] == pytest.approx([10.0, 30.0])
    assert out[2] == pytest.approx(20.0)  # equidistant
    assert out[3] == pytest.approx(20.0, abs=1e-6)
    # closer to the first sensor -> closer to its value, by Shepard's weights 1/d²
    w1, w2 = 1 / 2.0**2, 1 / 8.0**2
    assert idw(pts, vals, np.array([[2.0, 0.0]]))[0] == pytest.approx((10 * w1 + 30 * w2) / (w1 + w2))


def test_idw_without_sensors_is_nan():
    assert np.isnan(idw(np.zeros((0, 2)), np.zeros(0), np.array([[1.0, 1.0]]))).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 20), st.floats(0, 12), st.floats(-30, 60)), min_size=1, max_size=8))
def test_idw_stays_within_the_sensor_values(sensors):
    pts = np.array([(x, y) for x, y, _ in sensors])
    vals = np.array([v for _, _, v in sensors])
    grid = floor_grid(RECT, 1.0)
    out = idw(pts, vals, grid.points)
    assert np.all(out >= vals.min() - 1e-9) and np.all(out <= vals.max() + 1e-9)


def test_stale_sensor_is_left_out_and_its_area_marked():
    g = floor_grid(RECT, 0.25)
    pos = np.array([[2.0, 6.0], [18.0, 6.0], [10.0, 6.0]])
    vals = np.array([10.0, 30.0, 99.0])
    fresh = np.array([True, True, False])
    est = estimate_field(g, pos, vals, fresh)
    centre = g.cell_of(np.array([10.0, 6.0]))
    # the stale 99 does not leak into the field: the middle is the mean of the fresh two
    assert est.value[centre] == pytest.approx(20.0, abs=0.5)  # cell centre is 0.125 m off
    assert np.nanmax(est.value) <= 30.0 + 1e-9
    # its area is its Voronoi cell: x between 6 and 14 m
    assert est.unreliable[centre]
    assert est.unreliable[g.cell_of(np.array([6.2, 1.0]))]
    assert not est.unreliable[g.cell_of(np.array([5.8, 1.0]))]
    assert not est.unreliable[g.cell_of(np.array([14.2, 11.0]))]
    # distance to the nearest fresh sensor, m
    assert est.fresh_distance[centre] == pytest.approx(8.0, abs=0.2)
    assert est.fresh_distance[g.cell_of(np.array([2.0, 6.0]))] == pytest.approx(0.0, abs=0.2)
    assert est.nearest[centre] == 2


def test_no_fresh_sensor_gives_no_values():
    g = floor_grid(RECT, 1.0)
    est = estimate_field(g, np.array([[5.0, 5.0]]), np.array([20.0]), np.array([False]))
    assert np.isnan(est.value).all()
    assert np.isinf(est.fresh_distance).all()
    assert est.unreliable.all()


def test_nan_value_counts_as_not_fresh_and_outside_is_nan():
    g = floor_grid(L_SHAPE, 0.5)
    est = estimate_field(g, np.array([[1.0, 1.0], [3.0, 1.0]]), np.array([15.0, np.nan]), np.array([True, True]))
    assert np.nanmax(est.value) == pytest.approx(15.0)
    assert np.isnan(est.value[~g.mask]).all()
    assert est.unreliable[g.cell_of(np.array([3.0, 1.0]))]


def test_precomputed_distances_give_the_same_field():
    g = floor_grid(RECT, 0.5)
    pos = np.array([[1.0, 1.0], [15.0, 9.0], [7.0, 3.0]])
    vals, fresh = np.array([18.0, 24.0, 21.0]), np.array([True, True, True])
    a = estimate_field(g, pos, vals, fresh)
    b = estimate_field(g, pos, vals, fresh, dist=pairwise_distance(pos, g.points))
    assert np.array_equal(a.value, b.value)


def test_rectangle_mask_is_a_case_footprint():
    g = floor_grid(RECT, 0.1)
    m = rectangle_mask(g, np.array([4.0, 9.0]), np.array([1.4, 1.4]))
    assert m.sum() == 14 * 14
    assert m[g.cell_of(np.array([4.0, 9.0]))] and not m[g.cell_of(np.array([5.0, 9.0]))]


def test_lattice_has_vertices_on_the_floor_edges():
    from simulation.field import lattice, segment_distance

    g = lattice(RECT, 0.2)
    assert g.shape == (61, 101)
    assert g.xs[0] == 0.0 and g.xs[-1] == pytest.approx(20.0) and g.ys[-1] == pytest.approx(12.0)
    assert g.mask.all()  # corners and edges count as inside
    assert g.cell_of(np.array([3.09, 5.11])) == (26, 15)  # nearest vertex (3.0, 5.2)
    lg = lattice(L_SHAPE, 0.5)
    assert not lg.mask[lg.cell_of(np.array([3.5, 3.5]))] and lg.mask[lg.cell_of(np.array([2.0, 3.5]))]
    assert segment_distance(RECT, np.array([[1.0, 1.0], [10.0, -2.0]])) == pytest.approx([1.0, 2.0])
