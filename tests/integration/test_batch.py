"""``gaitvision batch``: discovery and naming, fingerprints and markers, and real batches over shared clips.

The batches run ``python -m gaitvision batch`` in a subprocess (exit code,
SIGTERM). Their pose passes are the cost: each clip's output folder is
seeded with the session's cached track (``pose_tracks.seed``; the batch
carries a finished or stale folder's ``track.npz`` into its work folder and
the pipeline checks the fingerprint), so the two shared clips' real pose
passes run once per session, and the batches here run none (asserted
from ``batch.json`` and ``done.json``). The clips are analysed with
``--no-video --no-report``: what is tested is the batch, not the drawing.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gaitvision import __version__
from gaitvision.batch import state
from gaitvision.batch.inputs import find_clips
from gaitvision.batch.job import ClipJob, ClipOutcome, finished_outcome
from gaitvision.batch.table import columns, row
from gaitvision.errors import ConfigError

REAR = "synthetic/rear_neutral_30fps.mp4"  # 240 frames, the shortest shared clips
SIDE = "real/treadmill_side_male_30fps.mp4"  # 360 frames
#: relative path in the batch input -> shared clip
GOOD = {"visits/2024/rear.mp4": REAR, "side.mp4": SIDE, "copy_of_rear.mp4": REAR}
BAD = {"notes.mp4": "not a readable video file", "empty.mp4": "the file is empty"}
FAST = ("--no-video", "--no-report", "--quiet")


def run_batch_cli(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "gaitvision", "batch", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=1500, env=env)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- discovery, naming, markers (no video) ------------------------------------------------


def test_folder_search_names_and_skips(tmp_path):
    src = tmp_path / "in"
    (src / "2024" / "anna").mkdir(parents=True)
    (src / ".hidden").mkdir()
    for rel in ("2024/anna/run.mp4", "2024/anna/run.MOV", "top.mp4", ".hidden/x.mp4", ".dot.mp4", "notes.txt"):
        (src / rel).write_bytes(b"x")
    (src / "2024" / "loop").symlink_to(src / "2024")  # a symlink loop is searched once
    out = src / "out"
    out.mkdir()
    (out / "old.mp4").write_bytes(b"x")  # the batch's own output folder is not input
    clips = find_clips(src, exclude=out)
    assert [(c.relative, c.name) for c in clips] == [
        ("2024/anna/run.MOV", "2024__anna__run_mov"),
        ("2024/anna/run.mp4", "2024__anna__run_mp4"),
        ("top.mp4", "top"),
    ]
    assert all(c.path.is_absolute() for c in clips)


def test_list_input_relative_to_the_list(tmp_path):
    (tmp_path / "a").mkdir()
    listing = tmp_path / "clips.txt"
    listing.write_text("# visits\na/one.mp4\n\n/elsewhere/two.mov\na/one.mp4\n", encoding="utf-8")
    clips = find_clips(listing)
    assert [(c.relative, c.name) for c in clips] == [("/elsewhere/two.mov", "elsewhere__two"),
                                                      ("a/one.mp4", "a__one")]
    assert clips[1].path == tmp_path / "a" / "one.mp4"  # a missing clip is kept: its analysis says why


def test_no_clips_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no video found"):
        find_clips(tmp_path)
    with pytest.raises(ConfigError, match="no such folder"):
        find_clips(tmp_path / "missing")
    (tmp_path / "empty.txt").write_text("\n# nothing\n")
    with pytest.raises(ConfigError, match="lists no clip"):
        find_clips(tmp_path / "empty.txt")


def test_fingerprint_follows_content_not_mtime(tmp_path):
    clip = tmp_path / "c.mp4"
    clip.write_bytes(os.urandom(3 << 20))
    fp = state.Fingerprint.of(clip)
    os.utime(clip, ns=(1, 1))  # copied to another disk: same clip
    assert fp.same_content(state.Fingerprint.of(clip).to_dict())
    data = bytearray(clip.read_bytes())
    data[-10] ^= 0xFF  # the last MiB changed
    clip.write_bytes(bytes(data))
    assert not fp.same_content(state.Fingerprint.of(clip).to_dict())


def test_marker_requires_content_version_and_options(tmp_path):
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"abc")
    fp = state.Fingerprint.of(clip)
    opts = {"view": "auto", "no_video": True, "threads": 1}
    state.write_done(tmp_path, clip="c.mp4", fingerprint=fp, options=opts, extra={})
    done = state.read_done(tmp_path)
    assert state.matches(done, fp, opts)
    assert state.matches(done, fp, {**opts, "threads": 2})  # the landmarks do not depend on it
    assert not state.matches(done, fp, {**opts, "view": "rear"})
    assert not state.matches({**done, "gaitvision_version": __version__ + ".old"}, fp, opts)
    clip.write_bytes(b"abd")
    assert not state.matches(done, state.Fingerprint.of(clip), opts)
    assert not state.matches(None, fp, opts)


def test_promote_replaces_and_a_half_promoted_folder_is_recovered(tmp_path):
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"abc")
    job = ClipJob(clip, "c.mp4", "c", tmp_path / "out", {"view": "auto"})
    job.final.mkdir(parents=True)
    (job.final / "summary.json").write_text("{}")  # an older analysis, no marker
    job.work.mkdir(parents=True)
    (job.work / "summary.json").write_text('{"view": "rear"}')
    assert finished_outcome(job) is None  # nothing finished: the work folder has no done.json
    state.write_done(job.work, clip="c.mp4", fingerprint=state.Fingerprint.of(clip), options=job.options, extra={})
    # a run stopped between the two renames: the old folder aside, the new one still in work
    job.final.rename(job.work.with_name("c.old"))
    found = finished_outcome(job)
    assert found is not None and found.status == "ok" and found.summary == {"view": "rear"}
    assert (job.final / state.DONE).is_file() and not job.work.exists()
    assert not job.work.with_name("c.old").exists()


def test_row_has_every_column_and_empty_cells_for_absent_values():
    summary = {"view": "rear", "cadence_spm": 163.4, "metrics": {
        "knee_fppa_peak_deg": {"left": {"median": 3.5, "ci95": [1.0, 6.0]}, "right": {"median": 4.0}},
    }}
    r = row(ClipOutcome("a.mp4", "a", "ok", summary=summary))
    assert set(r) <= set(columns())
    assert r["knee_fppa_peak_deg_left_median"] == 3.5
    assert (r["knee_fppa_peak_deg_left_ci95_lo"], r["knee_fppa_peak_deg_left_ci95_hi"]) == (1.0, 6.0)
    assert r["knee_fppa_peak_deg_right_median"] == 4.0 and "knee_fppa_peak_deg_right_ci95_lo" not in r
    failed = row(ClipOutcome("b.mp4", "b", "failed", reason="b.mp4: the file is empty (0 bytes)."))
    assert failed["reason"] and "view" not in failed


# -- real batches over the shared clips ------------------------------------------------------


@pytest.fixture(scope="module")
def batch_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 shared clips (symlinks), a second copy of one, a text file named .mp4 and a zero-byte file."""
    from conftest import shared_clip

    root = tmp_path_factory.mktemp("batch_input")
    for rel, shared in GOOD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("copy"):
            shutil.copyfile(shared_clip(shared), root / rel)
        else:
            (root / rel).symlink_to(shared_clip(shared))
    (root / "notes.mp4").write_text("this is a text file, not a video\n", encoding="utf-8")
    (root / "empty.mp4").write_bytes(b"")
    return root


def seeded_out(pose_tracks, batch_input: Path, out: Path) -> Path:
    """An output folder whose clip folders hold the session's cached tracks (no done.json)."""
    for clip in find_clips(batch_input):
        if clip.relative in GOOD:
            assert pose_tracks.seed(clip.path, out / clip.name)
    return out


def mtimes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("*/*") if p.is_file()}


@pytest.fixture(scope="module")
def first_run(batch_input, pose_tracks, tmp_path_factory):
    out = seeded_out(pose_tracks, batch_input, tmp_path_factory.mktemp("batch_out") / "out")
    proc = run_batch_cli(batch_input, "--out", out, *FAST, cwd=out.parent)
    return out, proc


@pytest.mark.video
def test_batch_analyses_good_clips_and_lists_bad_ones(first_run):
    out, proc = first_run
    assert proc.returncode == 1, proc.stderr
    assert "2 of 5 clips failed" in proc.stderr
    rows = {r["clip"]: r for r in read_csv(out / "batch.csv")}
    assert set(rows) == set(GOOD) | set(BAD)
    for rel, why in BAD.items():
        assert rows[rel]["status"] == "failed" and why in rows[rel]["reason"], rows[rel]
        assert "\n" not in rows[rel]["reason"] and rel in rows[rel]["reason"]
        assert not (out / rows[rel]["output"]).exists()
    for rel in GOOD:
        r = rows[rel]
        assert r["status"] == "ok" and r["reason"] == "", r
        summary = json.loads((out / r["output"] / "summary.json").read_text())
        assert (out / r["output"] / state.DONE).is_file()
        assert r["view"] == summary["view"] == ("rear" if "rear" in rel else "side-left")
        assert float(r["cadence_spm"]) == summary["cadence_spm"]
        for key, entry in summary["metrics"].items():
            for side in ("left", "right"):
                if isinstance(entry.get(side), dict) and "median" in entry[side]:
                    assert float(r[f"{key}_{side}_median"]) == entry[side]["median"]
                    if "ci95" in entry[side]:
                        assert [float(r[f"{key}_{side}_ci95_{e}"]) for e in ("lo", "hi")] == entry[side]["ci95"]
    # the copy is the same clip: the same numbers
    same = [c for c in columns() if c not in ("clip", "output")]
    assert {c: rows["copy_of_rear.mp4"][c] for c in same} == {c: rows["visits/2024/rear.mp4"][c] for c in same}
    assert list(rows["side.mp4"]) == columns()
    doc = json.loads((out / "batch.json").read_text())
    assert doc["complete"] and doc["counts"] == {"clips": 5, "ok": 3, "failed": 2, "not_run": 0,
                                                 "analysed_now": 3}
    # no pose pass: every track came from the seeded cache
    assert all(c["pose_seconds"] == 0 for c in doc["clips"])
    for rel in GOOD:
        assert json.loads((out / rows[rel]["output"] / state.DONE).read_text())["track_from_cache"] is True
    assert not any((out / state.WORK).iterdir())  # nothing left half-made


@pytest.mark.video
def test_rerun_analyses_nothing_again(first_run, batch_input):
    out, _ = first_run
    before_csv, before = (out / "batch.csv").read_text(), mtimes(out)
    proc = run_batch_cli(batch_input, "--out", out, *FAST, cwd=out.parent)
    assert proc.returncode == 1, proc.stderr
    assert (out / "batch.csv").read_text() == before_csv
    assert mtimes(out) == before  # no summary, step table or track rewritten: no pose pass, no measuring
    doc = json.loads((out / "batch.json").read_text())
    assert doc["counts"]["analysed_now"] == 0
    assert "3 ok (0 analysed now, 3 already done)" in proc.stdout


@pytest.mark.video
def test_sigterm_midway_then_rerun_equals_an_uninterrupted_run(first_run, batch_input, pose_tracks, tmp_path):
    reference, _ = first_run
    out = seeded_out(pose_tracks, batch_input, tmp_path / "out")
    cmd = [sys.executable, "-m", "gaitvision", "batch", str(batch_input), "--out", str(out), "--workers", "1", *FAST]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 900
    while not any(out.glob(f"*/{state.DONE}")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no clip finished"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "Run the same command again to resume" in err
    stopped = {r["clip"]: r for r in read_csv(out / "batch.csv")}
    unfinished = [rel for rel in GOOD if stopped[rel]["status"] != "ok"]
    assert unfinished, "the batch finished before SIGTERM reached it"
    assert all(stopped[rel]["status"] == "not run" for rel in unfinished)
    assert not json.loads((out / "batch.json").read_text())["complete"]
    for rel in unfinished:  # a partial output never looks finished
        assert not (out / stopped[rel]["output"] / state.DONE).exists()
        assert not (out / stopped[rel]["output"] / "summary.json").exists()
    resumed = run_batch_cli(batch_input, "--out", out, *FAST, cwd=tmp_path)
    assert resumed.returncode == 1, resumed.stderr
    assert (out / "batch.csv").read_text() == (reference / "batch.csv").read_text()
    doc = json.loads((out / "batch.json").read_text())
    assert doc["complete"] and doc["counts"]["analysed_now"] == len(unfinished)
    assert all(c["pose_seconds"] == 0 for c in doc["clips"])


def _pool_workers(pid: int) -> list[int]:
    """The batch's pool worker processes (children running multiprocessing's spawn_main)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmd = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"spawn_main" in cmd:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.video
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the pool's workers through /proc")
def test_a_killed_worker_costs_a_retry_not_the_batch(first_run, batch_input, pose_tracks, tmp_path):
    reference, _ = first_run
    out = seeded_out(pose_tracks, batch_input, tmp_path / "out")
    cmd = [sys.executable, "-m", "gaitvision", "batch", str(batch_input), "--out", str(out), "--workers", "1", *FAST]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = out / state.WORK / find_clips(batch_input)[0].name  # copy_of_rear: a good clip, analysed first
    deadline = time.monotonic() + 900
    while not (first.is_dir() and _pool_workers(proc.pid)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first clip never started"
        time.sleep(0.05)
    killed = _pool_workers(proc.pid)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would
    killed_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    _, err = proc.communicate(timeout=1500)
    assert proc.returncode == 1, err
    assert (out / "batch.csv").read_text() == (reference / "batch.csv").read_text()
    assert not any((out / state.WORK).glob(f"*/{state.DONE}"))
    # the clip the worker died on was analysed again, by the new pool
    assert json.loads((out / first.name / state.DONE).read_text())["finished"] >= killed_at


@pytest.mark.video
def test_dask_local_cluster_gives_the_local_engines_values(first_run, batch_input, pose_tracks, tmp_path):
    pytest.importorskip("distributed", reason="the dask engine needs the 'cluster' extra (dask[distributed])")
    reference, _ = first_run
    out = seeded_out(pose_tracks, batch_input, tmp_path / "out")
    proc = run_batch_cli(batch_input, "--out", out, "--engine", "dask", "--workers", "2", *FAST, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert (out / "batch.csv").read_text() == (reference / "batch.csv").read_text()
    doc = json.loads((out / "batch.json").read_text())
    assert doc["engine"] == "dask" and doc["workers"] == 2 and doc["counts"]["analysed_now"] == len(GOOD)


def test_default_workers_one_per_core_within_memory():
    from gaitvision.batch.engines import default_workers

    assert default_workers(2, 16 << 30) == 2
    assert default_workers(16, 3 << 30) == 3  # ~1 GiB per clip
    assert default_workers(4, 1) == 1
