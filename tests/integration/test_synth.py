"""The synthetic runner: the generator's own truth, and the pipeline on the committed samples.

(a) With the ``synth`` extra installed, a 10-frame render runs and its truth
    is self-consistent: the foot in contact moves with the belt, events
    alternate left/right, the projected landmarks match the camera model.
    Skipped, saying why, when torch/anny/numba are not installed.
(b) The committed clips in ``sample_videos/`` are analysed with the real
    pipeline (real MediaPipe) and every metric that has a truth is within
    the accuracy bars of the metrics issue: initial contacts <= 1 frame
    (median), knee FPPA <= 3 deg, strike angle <= 3 deg (near foot),
    cadence <= 1 %. Pelvic drop (<= 2 deg) is asserted only when it is not
    read from MediaPipe's hip points (which do not follow the pelvis).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures.synth_extra import skip_without_synth

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
SIDE = "side_left_60fps"
REAR = "rear_valgus_60fps"


# ----------------------------------------------------------------------------- (a)
def test_synth_extra_missing_gives_install_hint(monkeypatch):
    """Without the extra, rendering fails with one clear error naming the extra."""
    import gaitvision.synth._deps as deps
    from gaitvision.errors import GaitvisionError
    from gaitvision.synth import SynthSpec, render_clip

    monkeypatch.setattr(deps.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GaitvisionError, match=r"pip install 'gaitvision\[synth\]'"):
        render_clip(SynthSpec(), "never-written.mp4")
    assert not Path("never-written.mp4").exists()


def test_cli_synth_missing_extra_exit_code(tmp_path):
    """`gaitvision synth` without the extra: exit 1, one line naming the extra, no traceback."""
    code = ("import importlib.util, sys; importlib.util.find_spec = lambda *a, **k: None; "
            "from gaitvision.cli import main; sys.exit(main(['synth', 'x.mp4', '--frames', '2']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("gaitvision: error:"), proc.stderr
    assert "pip install 'gaitvision[synth]'" in lines[0]
    assert not (tmp_path / "x.mp4").exists()


def test_gait_model_contact_is_exact():
    """Kinematics alone (numpy): the stance foot's contact point moves at belt speed, no skating."""
    from gaitvision.synth.kinematics import GaitModel
    from gaitvision.synth.spec import GaitSpec

    for strike in ("rearfoot", "forefoot"):
        gm = GaitModel(GaitSpec(strike=strike, valgus_deg={"L": 10, "R": 2}, pelvic_drop_deg=4))
        sk = gm.sk
        ic, to = gm.contact_times("L", 0.0, 2 * gm.T)[1]
        ts = np.linspace(ic, to, 60)
        # the contact point is the heel (or toe) pivot, then the toe pivot after heel-off
        pivots = []
        for t in ts:
            st = gm.state(t)
            _, which = gm.foot_pitch_stance((t - ic) / gm.Tc)
            p = sk.heel_pivot["L"] if which == "heel" else sk.toe_pivot["L"]
            pivots.append((which, gm.foot_points("L", st.legs["L"], p[None])[0]))
        for (w0, p0), (w1, p1), t0, t1 in zip(pivots, pivots[1:], ts, ts[1:], strict=False):
            assert abs(p0[2]) < 1e-9 and abs(p1[2]) < 1e-9          # on the belt
            if w0 == w1:
                assert (p1[0] - p0[0]) / (t1 - t0) == pytest.approx(-gm.v, abs=1e-6)
                assert p1[1] == pytest.approx(p0[1], abs=1e-9)
        # valgus and drop are calibrated to the requested peaks
        assert gm._stance_fppa_peak("L") == pytest.approx(10.0, abs=0.05)
        assert gm._stance_fppa_peak("R") == pytest.approx(2.0, abs=0.05)
        assert max(gm.obliquity_deg(t) for t in ts) == pytest.approx(4.0, abs=0.05)


@pytest.fixture(scope="module")
def short_render(tmp_path_factory):
    skip_without_synth()
    from gaitvision.synth import CameraSpec, RenderSpec, SynthSpec, render_clip

    out = tmp_path_factory.mktemp("synth") / "tiny.mp4"
    spec = SynthSpec(name="tiny", camera=CameraSpec(view="side-left", width=180, height=320),
                     render=RenderSpec(fps=60, duration_s=1.0, supersample=1, noise_sigma=0.0))
    doc = render_clip(spec, out, max_frames=10)
    return out, doc


def test_short_render_writes_h264_and_truth(short_render):
    import av

    out, doc = short_render
    truth = json.loads(out.with_name("tiny.truth.json").read_text())
    assert truth["format"] == "gaitvision-synth-truth/1"
    assert set(truth) >= {"video", "camera", "spec", "landmarks_2d_px", "landmarks_3d_m",
                          "events", "steps", "summary"}
    with av.open(str(out)) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"
        frames = list(c.decode(st))
    assert len(frames) == 10 and (frames[0].width, frames[0].height) == (180, 320)
    img = frames[5].to_ndarray(format="rgb24")
    assert img.std() > 10  # a scene, not a blank frame
    assert len(truth["landmarks_2d_px"]["25"]) == 10


def test_short_render_truth_is_self_consistent(short_render):
    _, doc = short_render
    qa = doc["qa"]
    # the body's joints are exactly where the kinematics put them
    assert qa["max_joint_vs_kinematics_m"] < 1e-6
    # the shoe in contact moves with the belt: under 1 mm per frame of slip
    assert qa["max_contact_slip_mm_per_frame"] is not None
    assert qa["max_contact_slip_mm_per_frame"] < 1.0
    # projection: the stored 2D landmarks are the camera model applied to the 3D ones
    K, R = np.array(doc["camera"]["K"]), np.array(doc["camera"]["R_world_to_cam"])
    pos = np.array(doc["camera"]["position_m"])
    p3 = np.array(doc["landmarks_3d_m"]["27"])
    c = (p3 - pos) @ R.T
    uv = np.stack([K[0, 0] * c[:, 0] / c[:, 2] + K[0, 2], K[1, 1] * c[:, 1] / c[:, 2] + K[1, 2]], 1)
    assert np.abs(uv - np.array(doc["landmarks_2d_px"]["27"])).max() < 0.01


def test_event_truth_alternates_left_right():
    """Events of a full gait model alternate L/R, with contact time and cadence as specified."""
    from gaitvision.synth.kinematics import GaitModel
    from gaitvision.synth.spec import GaitSpec

    gm = GaitModel(GaitSpec(cadence_spm=170, duty_factor=0.33))
    ev = sorted((ic, s) for s in ("L", "R") for ic, _ in gm.contact_times(s, 0.0, 4.0))
    sides = [s for _, s in ev]
    assert all(a != b for a, b in zip(sides, sides[1:], strict=False))
    steps = np.diff([t for t, _ in ev])
    assert 60.0 / steps.mean() == pytest.approx(170.0, rel=1e-9)
    for ic, to in gm.contact_times("R", 0.0, 4.0):
        assert to - ic == pytest.approx(0.33 * 120 / 170)


# ----------------------------------------------------------------------------- (b)
def _sample(name: str) -> tuple[Path, dict]:
    clip = SAMPLES / f"{name}.mp4"
    if not clip.exists():
        pytest.skip(f"sample clip {clip} is missing")
    return clip, json.loads(clip.with_name(f"{name}.truth.json").read_text())


@pytest.fixture(scope="module")
def analysed_samples(tmp_path_factory):
    from gaitvision.config import AnalysisConfig, RenderConfig
    from gaitvision.pipeline import analyze_video

    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            clip, truth = _sample(name)
            out = tmp_path_factory.mktemp(name)
            res = analyze_video(clip, out, AnalysisConfig(render=RenderConfig(video=False)))
            cache[name] = (res, truth)
        return cache[name]

    return get


def _steps(res, side: str) -> list[dict]:
    return [r for r in res.measurement.table.rows if r["side"] == side and not r["excluded_reason"]]


@pytest.mark.video
def test_sample_side_clip_against_truth(analysed_samples):
    res, truth = analysed_samples(SIDE)
    s = res.summary
    t = truth["summary"]
    assert s["view"] == "side-left"
    assert s["cadence_spm"] == pytest.approx(t["cadence_spm"], rel=0.01)
    # initial contacts within 1 frame (median), each side
    for side, S in (("left", "L"), ("right", "R")):
        true_ic = np.array([f for f in truth["events"][S]["ic_frame_mesh"] if f is not None])
        found = [r["ic_frame"] for r in _steps(res, side)]
        assert len(found) >= 8, side
        err = [int(np.min(np.abs(true_ic - f))) for f in found]
        assert np.median(err) <= 1, (side, err)
    # strike angle on the near (left) foot within 3 deg of the truth at the contact frame
    fsa = s["metrics"]["foot_strike_angle_deg"]["left"]["median"]
    assert fsa == pytest.approx(t["L"]["foot_strike_angle_deg_2d"], abs=3.0)
    assert s["metrics"]["foot_strike_pattern"]["left"]["pattern"] == "rearfoot"


@pytest.mark.video
def test_sample_rear_clip_against_truth(analysed_samples):
    res, truth = analysed_samples(REAR)
    s = res.summary
    t = truth["summary"]
    assert s["view"] == "rear"
    assert s["cadence_spm"] == pytest.approx(t["cadence_spm"], rel=0.01)
    f = s["metrics"]["knee_fppa_peak_deg"]
    assert f["left"]["median"] > f["right"]["median"]
    d = s["metrics"]["pelvic_drop_peak_deg"]
    assert d["source"] in ("waistband", "markers")
    for side, S in (("left", "L"), ("right", "R")):
        assert d[side]["median"] == pytest.approx(t[S]["pelvic_drop_peak_deg_2d"], abs=2.0)


@pytest.mark.video
def test_sample_rear_clip_fppa_against_truth(analysed_samples):
    """Knee FPPA within 3 deg of the truth on both legs (the metrics issue's valgus bar).

    Needs the knee from the leg's outline and the hip widening: with
    MediaPipe's own knee this body read 8.1/4.0 for a true 13.1/5.7.
    """
    res, truth = analysed_samples(REAR)
    assert res.summary["knee_centre"]["source"] == "leg outline"
    assert res.summary["knee_centre"]["outline_fraction"] > 0.9
    f = res.summary["metrics"]["knee_fppa_peak_deg"]
    t = truth["summary"]
    assert f["left"]["median"] == pytest.approx(t["L"]["fppa_peak_deg_2d"], abs=3.0)
    assert f["right"]["median"] == pytest.approx(t["R"]["fppa_peak_deg_2d"], abs=3.0)


@pytest.mark.video
def test_sample_rear_clip_pelvic_drop(analysed_samples):
    res, truth = analysed_samples(REAR)
    drop = res.summary["metrics"].get("pelvic_drop_peak_deg")
    assert drop is not None
    if drop.get("source") == "mediapipe_hips":
        pytest.xfail("pelvic drop is read from MediaPipe's hip points, which do not follow the "
                     "pelvis (metrics.md); the image-based pelvis measurement owns this bar")
    t = truth["summary"]
    for side, S in (("left", "L"), ("right", "R")):
        assert drop[side]["median"] == pytest.approx(t[S]["pelvic_drop_peak_deg_2d"], abs=2.0)


def test_sample_truth_files_are_consistent():
    """The committed truth files: format, alternating events, sizes within budget."""
    for name in (SIDE, REAR):
        clip, truth = _sample(name)
        assert clip.stat().st_size <= 5 * 1024 * 1024
        assert truth["format"] == "gaitvision-synth-truth/1"
        assert truth["video"]["fps"] == 60 and truth["video"]["n_frames"] >= 450
        ev = sorted((t, s) for s in ("L", "R") for t in truth["events"][s]["ic_time_s"])
        assert all(a[1] != b[1] for a, b in zip(ev, ev[1:], strict=False))
        assert truth["qa"]["max_contact_slip_mm_per_frame"] < 1.0
        assert math.isclose(truth["summary"]["cadence_spm"], truth["spec"]["gait"]["cadence_spm"],
                            rel_tol=1e-6)
