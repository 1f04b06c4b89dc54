"""A fast start: ``gaitvision --help`` and every subcommand's ``--help`` import no heavy library.

Module-set assertions, not timings (bench/throughput.py --startup times the start). Each command runs in a
fresh ``python -X importtime -m gaitvision`` process, and the test reads the modules it imported from
``-X importtime``'s lines on stderr.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from gaitvision import cli

#: the libraries a command may import only when it runs: none is needed to parse options or print help
HEAVY = ("scipy", "mediapipe", "matplotlib", "av", "cv2", "torch", "sqlalchemy", "fastapi", "uvicorn", "jinja2",
         "anny", "numba", "dask", "tqdm")
#: the help never needs numpy either (~0.1 s of the 0.5 s budget); the analysis path does
HELP_HEAVY = (*HEAVY, "numpy")


def _subcommands() -> list[str]:
    sub = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def _imported(args: list[str], code: str | None = None) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The top-level packages a fresh ``python -X importtime`` process imported, and the process."""
    cmd = [sys.executable, "-X", "importtime", *(["-c", code] if code else ["-m", "gaitvision", *args])]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0]
             for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    names.discard("package")  # the header line: "import time: self [us] | cumulative | imported package"
    return names, proc


def test_the_parser_has_the_subcommands_this_test_walks():
    assert {"analyze", "batch", "report", "compare", "serve", "synth", "info"} <= set(_subcommands())


@pytest.mark.parametrize("args", [["--help"], ["--version"], []] + [[c, "--help"] for c in _subcommands()],
                         ids=lambda a: " ".join(a) or "no-args")
def test_help_imports_no_heavy_library(args):
    names, proc = _imported(args)
    assert proc.returncode == (2 if not args else 0), proc.stderr[-2000:]
    assert "gaitvision" in names and "argparse" in names  # the -X importtime lines were read
    assert "usage: gaitvision" in proc.stdout or "gaitvision 0" in proc.stdout or "usage:" in proc.stderr
    assert not names & set(HELP_HEAVY), f"{' '.join(args)} imported {sorted(names & set(HELP_HEAVY))}"


def test_a_wrong_option_fails_without_heavy_imports():
    names, proc = _imported(["analyze", "clip.mp4", "--view", "upside-down"])
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert not names & set(HELP_HEAVY), sorted(names & set(HELP_HEAVY))


def test_import_gaitvision_is_light_and_still_serves_landmark_track():
    code = "import gaitvision; t = gaitvision.LandmarkTrack; print(t.__module__)"
    names, proc = _imported([], code=code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "gaitvision.track"
    # numpy comes with LandmarkTrack (asked for here), nothing heavier
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    names, proc = _imported([], code="import gaitvision, gaitvision.errors, gaitvision.config")
    assert proc.returncode == 0 and not names & set(HELP_HEAVY), sorted(names & set(HELP_HEAVY))


def test_the_path_to_the_first_frame_leaves_scipy_and_the_report_libraries_for_later():
    """What ``analyze`` imports before its first frame: the pipeline, the video reader; not SciPy.

    MediaPipe itself (which brings OpenCV and matplotlib.pyplot with it) loads when the pose model is
    made; SciPy is only for measuring, after the pose pass, and the app's libraries never.
    """
    code = "import gaitvision.pipeline, gaitvision.api, gaitvision.pose.blazepose, gaitvision.pose.parallel"
    names, proc = _imported([], code=code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "av" in names  # the video reader is on this path: the test sees real imports
    late = {"scipy", "mediapipe", "matplotlib", "torch", "sqlalchemy", "fastapi", "uvicorn", "jinja2"}
    assert not names & late, sorted(names & late)
