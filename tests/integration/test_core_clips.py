"""The measuring core on real MediaPipe tracks of the shared clips.

- the report's hip-drop curve is the signal the table was read from;
- ``gaitvision report`` re-measures to the very same summary.json and steps.csv;
- a still or a plot that cannot be drawn costs a warning, never the numbers.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from gaitvision.report.build import rebuild_report
from gaitvision.report.curves import cycle_curves

pytestmark = pytest.mark.video

SIDE = "real/treadmill_side_male_30fps.mp4"
REAR = "synthetic/rear_valgus_60fps.mp4"
REAR_30 = "synthetic/rear_neutral_30fps.mp4"


@pytest.mark.parametrize("clip", [REAR, REAR_30])
def test_hip_drop_curve_agrees_with_the_table(analyzed, clip):
    res = analyzed(clip)
    m, summary = res.measurement, res.summary
    (curve,) = [c for c in cycle_curves(m.signals, m.table.rows, summary["metrics"], view=m.view.view,
                                        pelvis_source=str(m.table.pelvis["source"]))
                if c.name == "pelvic_drop"]
    for side, strides in curve.strides.items():
        table = summary["metrics"]["pelvic_drop_peak_deg"][side]["median"]
        stance_end = int(round(curve.events_pct[side]["toe-off"]))
        # each stride's peak over stance, from the plotted curve: the table's value
        peaks = np.nanmax(strides[:, : stance_end + 1], axis=1)
        assert float(np.median(peaks)) == pytest.approx(table, abs=0.5), side
        # and the mean curve's stance peak is within 0.5 deg of it too (no level offset)
        mean_peak = float(np.nanmax(np.nanmean(strides, axis=0)[: stance_end + 1]))
        assert mean_peak == pytest.approx(table, abs=0.5), side


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_report_rebuild_reproduces_summary_and_steps(analyzed, clip, tmp_path):
    src = analyzed(clip).out_dir
    out = tmp_path / "copy"
    out.mkdir()
    for name in ("track.npz", "pelvis.npz", "summary.json", "steps.csv"):
        if (src / name).exists():
            shutil.copy(src / name, out / name)
    before_summary = json.loads((out / "summary.json").read_text())
    before_steps = (out / "steps.csv").read_text()
    rebuild_report(out)
    assert (out / "steps.csv").read_text() == before_steps
    assert json.loads((out / "summary.json").read_text()) == before_summary
    assert (out / "report.html").is_file()


def test_a_failing_still_and_plot_cost_a_warning_not_the_numbers(analyzed, tmp_path, monkeypatch):
    from conftest import shared_clip

    import gaitvision.render.keyframes as keyframes
    import gaitvision.report.plots as plots
    from gaitvision.cli import main

    src = analyzed(SIDE).out_dir
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(src / "track.npz", out / "track.npz")  # no second pose pass

    def nan_still(*args, **kwargs):  # what a NaN in keyframes.json did on a real clip
        raise ValueError("Out of range float values are not JSON compliant: nan")

    def broken_plot(*args, **kwargs):
        raise RuntimeError("cannot draw")

    monkeypatch.setattr(keyframes, "write_keyframes", nan_still)
    monkeypatch.setattr(plots, "plot_gait_cycle", broken_plot)
    code = main(["analyze", str(shared_clip(SIDE)), "--out", str(out), "--no-video"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert (out / "steps.csv").read_text() == (src / "steps.csv").read_text()
    assert summary["cadence_spm"] == analyzed(SIDE).summary["cadence_spm"]
    problems = [w for w in summary["warnings"] if "could not be drawn" in w]
    assert any("stills" in w for w in problems) and any("cycle_" in w for w in problems)
    page = (out / "report.html").read_text()
    assert "could not be drawn" in page
