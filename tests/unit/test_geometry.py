import numpy as np
import pytest

from gaitvision.measure.metrics.geometry import (
    interior_angle_deg,
    line_tilt_deg,
    signed_offset_from_line,
    vertical_angle_deg,
)


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        pytest.param((0, -1), (0, 0), (0, 1), 180.0, id="straight"),
        pytest.param((0, -1), (0, 0), (1, 0), 90.0, id="right-angle"),
        pytest.param((1, 0), (0, 0), (1, 0), 0.0, id="folded"),
        pytest.param((1, 0), (0, 0), (np.cos(np.radians(150)), np.sin(np.radians(150))), 150.0, id="obtuse"),
        pytest.param((0, -1), (0, 0), (np.nan, 1), np.nan, id="nan"),
    ],
)
def test_interior_angle_known(a, b, c, expected):
    np.testing.assert_allclose(interior_angle_deg(a, b, c), expected, atol=1e-9)


def test_interior_angle_invariant_to_translation_scale_rotation():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 500, size=(50, 3, 2))
    base = interior_angle_deg(pts[:, 0], pts[:, 1], pts[:, 2])
    th = np.radians(33.0)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    moved = (pts @ rot.T) * 2.7 + np.array([120.0, -40.0])
    np.testing.assert_allclose(interior_angle_deg(moved[:, 0], moved[:, 1], moved[:, 2]), base, atol=1e-9)
    mirrored = pts * np.array([-1.0, 1.0])
    np.testing.assert_allclose(interior_angle_deg(mirrored[:, 0], mirrored[:, 1], mirrored[:, 2]), base, atol=1e-9)


def test_signed_offset_from_line():
    # vertical line x = 10; points right of it are positive
    assert signed_offset_from_line((15, 5), (10, 0), (10, 20)) == pytest.approx(5.0)
    assert signed_offset_from_line((4, 5), (10, 0), (10, 20)) == pytest.approx(-6.0)
    # slanted line from (0,0) to (10,10): at y=5, x_line=5
    assert signed_offset_from_line((8, 5), (0, 0), (10, 10)) == pytest.approx(3.0)


def test_vertical_and_tilt_angles_signs():
    # bottom point ahead (forward=+1 -> image right) of the top: positive
    assert vertical_angle_deg((0, 0), (1, 1)) == pytest.approx(45.0)
    assert vertical_angle_deg((0, 0), (1, 1), forward=-1) == pytest.approx(-45.0)
    # image y points down: a front point higher in the image gives a positive tilt
    assert line_tilt_deg((0, 0), (10, -10)) == pytest.approx(45.0)
    assert line_tilt_deg((0, 0), (-10, -10), forward=-1) == pytest.approx(45.0)
    assert line_tilt_deg((0, 0), (10, 10)) == pytest.approx(-45.0)
