"""Plots draw the values they are given, on the Agg canvas, without pyplot."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gaitvision.report import plots
from gaitvision.report.curves import normalise_strides


def _strides(rng, offset=0.0, n=6):
    x = np.linspace(0, 1, 101)
    base = 20 + 30 * np.sin(np.pi * x) ** 2 + offset
    return base + rng.normal(0, 1.0, (n, 101))


def test_gait_cycle_draws_mean_per_side_and_events():
    rng = np.random.default_rng(0)
    left, right = _strides(rng), _strides(rng, offset=10)
    fig, ax = plots.plot_gait_cycle({"left": left, "right": right}, title="Knee bend",
                                    events_pct={"left": {"toe-off": 38.0}, "right": {"toe-off": 40.0}})
    mean_lines = [ln for ln in ax.lines if ln.get_label().startswith(("left", "right"))]
    assert [ln.get_label().split()[0] for ln in mean_lines] == ["left", "right"]
    for ln, data in zip(mean_lines, (left, right), strict=True):
        np.testing.assert_allclose(ln.get_ydata(), data.mean(axis=0))
        assert ln.get_color() == plots.SIDE_COLORS[ln.get_label().split()[0]]
    # toe-off lines at the given percentages
    vlines = sorted(ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--")
    assert vlines == [38.0, 40.0]
    assert ax.get_xlim() == (0, 100)


def test_gait_cycle_fade_swing_cuts_the_bold_line_at_toe_off():
    rng = np.random.default_rng(1)
    fig, ax = plots.plot_gait_cycle({"left": _strides(rng)}, title="FPPA",
                                    events_pct={"left": {"toe-off": 25.0}}, fade_swing=True)
    bold = [ln for ln in ax.lines if ln.get_label().startswith("left")][0]
    assert bold.get_xdata().max() <= 25.0
    faint = [ln for ln in ax.lines if ln.get_alpha() is not None and ln.get_alpha() < 0.5]
    assert faint and faint[0].get_xdata().max() == 100


def test_step_values_marks_low_confidence_hollow():
    t = {"left": [0.5, 1.2, 1.9], "right": [0.8, 1.5]}
    v = {"left": [10.0, 12.0, 11.0], "right": [4.0, 5.0]}
    low = {"left": [False, False, True], "right": [True, True]}
    fig, ax = plots.plot_step_values(t, v, title="x", low_confidence=low, medians={"left": 11.0})
    labels = [c.get_label() for c in ax.collections]
    assert labels == ["left", "left, low confidence", "right, low confidence"]  # no empty 'right'
    hollow = ax.collections[1]
    assert np.allclose(hollow.get_facecolors()[0], [1, 1, 1, 1])
    assert hollow.get_offsets().tolist() == [[1.9, 11.0]]
    assert [ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() == "--"] == [11.0]


def test_band_only_when_given():
    _, ax = plots.plot_step_values({"left": [1.0]}, {"left": [5.0]}, title="x")
    assert not ax.patches
    band = plots.Band(-0.8, 7.4, "midfoot zone", "Mo et al. 2021")
    _, ax = plots.plot_step_values({"left": [1.0]}, {"left": [5.0]}, title="x", band=band)
    (poly,) = ax.patches
    if hasattr(poly, "get_height"):  # matplotlib >= 3.9: a Rectangle
        lo, hi = poly.get_y(), poly.get_y() + poly.get_height()
    else:
        ys = np.asarray(poly.get_xy())[:, 1]
        lo, hi = ys.min(), ys.max()
    assert lo == pytest.approx(-0.8) and hi == pytest.approx(7.4)
    assert "Mo et al. 2021" in poly.get_label()


def test_uses_the_given_axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig2, ax2 = plots.plot_step_values({"left": [1.0]}, {"left": [2.0]}, title="x", ax=ax)
    assert fig2 is fig and ax2 is ax


def test_timing_cadence_from_step_times():
    fig, axes = plots.plot_timing({"left": [1.0, 2.0]}, {"left": [0.4, 0.3]}, cadence_spm=170.0,
                                  contact_time_s={"left": [0.25, 0.26]})
    ax0 = axes[0]
    assert ax0.collections[0].get_offsets()[:, 1].tolist() == pytest.approx([150.0, 200.0])
    assert len(axes) == 2


def test_save_figure_writes_png_atomically(tmp_path):
    fig, _ = plots.plot_step_values({"left": [1.0]}, {"left": [2.0]}, title="x")
    out = tmp_path / "p.png"
    plots.save_figure(fig, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_no_pyplot_and_no_backend_choice_at_import():
    code = ("import sys, gaitvision.report.plots as p, gaitvision.report;"
            "p.plot_gait_cycle({'left': [[1.0, 2.0, 3.0]]}, title='t');"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported';"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_normalise_strides_uses_time_not_frames():
    # variable frame rate: samples bunched in the first half of the stride
    t = np.concatenate([np.linspace(0, 0.5, 40, endpoint=False), np.linspace(0.5, 1.0, 11)])
    sig = 10 * t  # linear in time
    out = normalise_strides(sig, t, [0], [len(t) - 1], n_points=11)
    np.testing.assert_allclose(out[0], np.linspace(0, 10, 11), atol=1e-9)


def test_normalise_strides_blanks_gaps():
    t = np.linspace(0, 1, 21)
    sig = np.ones(21)
    sig[8:13] = np.nan
    out = normalise_strides(sig, t, [0], [20], n_points=21)
    assert np.isnan(out[0, 10]) and np.isfinite(out[0, 0]) and np.isfinite(out[0, 20])
