"""The Python API: cheap package import, the CLI's option names, analyze/load on a shared clip."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys

import pytest

import gaitvision
from gaitvision import api, cli
from gaitvision.errors import ConfigError, OutputError


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _dests(p: argparse.ArgumentParser) -> set[str]:
    return {a.dest for a in p._actions if a.dest != "help"}


def test_import_gaitvision_is_cheap_and_exports_the_api_lazily():
    code = ("import sys, gaitvision; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('mediapipe', 'scipy', 'cv2', 'matplotlib') or m in ('gaitvision.api', 'gaitvision.pipeline')); "
            "print(heavy); f = gaitvision.analyze; print(f.__module__, 'analyze' in dir(gaitvision))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "gaitvision.api True"
    assert gaitvision.Result is api.Result and gaitvision.load is api.load and gaitvision.Options is api.Options
    with pytest.raises(AttributeError):
        gaitvision.no_such_name  # noqa: B018


def test_options_are_the_cli_analyze_options_by_the_same_names():
    names = {f.name for f in dataclasses.fields(api.Options)}
    assert _dests(_subparser("analyze")) == names | {"clip", "out", "quiet", "verbose"}
    # the CLI's defaults are the API's
    defaults = {a.dest: a.default for a in _subparser("analyze")._actions if a.dest in names}
    assert defaults == api.Options().to_dict()
    assert set(cli.BATCH_OPTIONS) <= names and set(cli.BATCH_OPTIONS) <= _dests(_subparser("batch"))


def test_unknown_option_names_the_closest():
    with pytest.raises(ConfigError, match="Did you mean 'no_video'"):
        gaitvision.analyze("clip.mp4", "out", no_vidoe=True)


@pytest.mark.parametrize("bad", [{"view": "top"}, {"threads": 0}, {"capture_fps": -30.0}, {"slow_motion": 0}])
def test_bad_option_value_is_a_config_error(bad):
    with pytest.raises(ConfigError):
        api.Options(**bad)


def test_options_map_to_the_pipeline_config():
    o = api.Options(view="rear", no_video=True, full_resolution=True, threads=1, workers=0, no_knee_outline=True,
                    patient_name="A. Runner", speed="10 km/h")
    c = o.config()
    assert (c.view, c.render.video, c.render.report, c.pose_threads, c.workers, c.knee_outline) == (
        "rear", False, True, 1, None, False)
    assert c.render.max_long_side_px > 10000
    assert o.session() == {"patient_name": "A. Runner", "treadmill_speed": "10 km/h"}
    assert api.Options(**o.to_dict()) == o


def test_docstrings_for_help():
    for obj in (gaitvision.analyze, gaitvision.load, gaitvision.Result, gaitvision.Options):
        assert obj.__doc__ and len(obj.__doc__.splitlines()) > 5, obj
    assert "no_video" in gaitvision.analyze.__doc__


def test_cli_analyze_goes_through_the_api(monkeypatch, tmp_path):
    seen = {}

    def fake(path, out=None, *, progress=None, **options):
        seen.update(path=path, out=out, options=options)
        raise OutputError("stop here")

    monkeypatch.setattr(api, "analyze", fake)
    monkeypatch.setattr(cli, "_configure_logging", lambda verbose: None)
    code = cli.main(["analyze", str(tmp_path / "c.mp4"), "--out", str(tmp_path / "o"), "--no-video",
                     "--threads", "1", "--quiet", "--speed", "9 km/h"])
    assert code == 1
    assert seen["options"] == {**api.Options().to_dict(), "no_video": True, "threads": 1, "speed": "9 km/h"}


def test_load_of_a_folder_that_is_not_an_analysis(tmp_path):
    with pytest.raises(OutputError, match="no summary.json"):
        gaitvision.load(tmp_path)


def test_error_line_is_the_clis():
    assert api.error_line(OutputError("x.mp4: bad\nmore")) == "x.mp4: bad"
    assert api.error_line(ValueError("boom")).startswith("internal error (ValueError: boom)")


@pytest.mark.video
def test_analyze_then_load_gives_the_same_measurement(tmp_path, pose_tracks):
    from conftest import shared_clip

    clip = shared_clip("synthetic/rear_neutral_30fps.mp4")
    out = tmp_path / "out"
    r = gaitvision.analyze(clip, out, no_video=True, no_report=True)
    assert isinstance(r, gaitvision.Result) and r.out_dir == out
    assert r.view == "rear" and r.cadence_spm == r.summary["cadence_spm"]
    assert r.summary == json.loads((out / "summary.json").read_text())
    assert r.warnings == tuple(r.summary["warnings"])
    assert r.files.summary.is_file() and r.files.steps.is_file() and r.files.track.is_file()
    assert r.files.video is None and r.files.report is None  # not asked for
    assert r.metric("knee_fppa_peak_deg")["left"]["median"] == r.summary["metrics"]["knee_fppa_peak_deg"]["left"][
        "median"]
    with pytest.raises(KeyError, match="needs a side view"):
        r.metric("foot_strike_angle_deg")
    loaded = gaitvision.load(out)
    assert loaded.summary == r.summary and loaded.track_from_cache is None
    assert loaded.measurement.summary_dict() == r.measurement.summary_dict()
    assert loaded.measurement.table.rows == r.measurement.table.rows
