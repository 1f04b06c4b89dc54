"""The PT's report on the shared clips: stills, plots, report.html and the comparison page.

Real MediaPipe analyses (session fixture ``analyzed``), real frames, and a
real headless browser (Debian's chromium via Selenium). The browser tests
skip only when chromium is not installed *and* this is not CI; in CI
(``CI=true``) a missing browser is a failure.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import cv2
import numpy as np
import pytest
from conftest import shared_clip
from fixtures.browser import browser_factory  # noqa: F401 - a fixture, for ``browser`` below

from gaitvision.render.keyframes import (
    KeyframeChoice,
    crop_and_scale,
    draw_still,
    read_frames,
    stored_geometry,
)
from gaitvision.report.data import load_folder

pytestmark = pytest.mark.video

SIDE = "real/treadmill_side_male_30fps.mp4"
REAR = "synthetic/rear_valgus_60fps.mp4"


# ---------------------------------------------------------------------------
# files written by the pipeline
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("clip, event", [(SIDE, "initial_contact"), (REAR, "midstance")])
def test_pipeline_writes_the_report(analyzed, clip, event):
    out = analyzed(clip).out_dir
    for name in ("report.html", "summary.json", f"keyframes/left_{event}.png",
                 f"keyframes/right_{event}.png", f"keyframes/left_right_{event}.png",
                 "keyframes/keyframes.json"):
        assert (out / name).is_file(), name
    cycles = sorted(p.name for p in (out / "plots").glob("cycle_*.png"))
    assert cycles == (["cycle_foot_angle.png", "cycle_knee_flexion.png"] if clip == SIDE
                      else ["cycle_knee_fppa.png", "cycle_pelvic_drop.png"])
    # one per-step plot per numeric steps.csv column (data-driven), plus timing
    folder = load_folder(out)
    from gaitvision.report.data import metric_columns

    expected = {f"steps_{c}.png" for c in metric_columns(folder.columns, folder.rows)
                if c not in ("step_time_s", "contact_time_s")}
    assert expected and expected <= {p.name for p in (out / "plots").glob("steps_*.png")}
    assert not [p for p in out.rglob("*") if "partial" in p.name]
    page = (out / "report.html").read_text()
    # the report plays the analysed clip itself (H.264 MP4: no copy), by a relative path, and
    # draws the overlay over it: no annotated.mp4 unless asked for
    assert not (out / "annotated.mp4").exists() and not (out / "browser.mp4").exists()
    src = re.search(r'<video [^>]*src="([^"]+)" data-overlay="overlay-data"', page).group(1)
    assert not src.startswith(("/", "file:")) and (out / unquote(src)).resolve() == shared_clip(clip).resolve()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)


# ---------------------------------------------------------------------------
# stills: the numbers drawn are the numbers in steps.csv
# ---------------------------------------------------------------------------


def _stills(out):
    return json.loads((out / "keyframes" / "keyframes.json").read_text())


def _row(folder, step):
    (row,) = [r for r in folder.rows if r["step"] == step]
    return row


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_still_values_equal_steps_csv(analyzed, clip):
    res = analyzed(clip)
    folder = load_folder(res.out_dir)
    doc = _stills(res.out_dir)
    side_view = folder.side_view
    assert {s["side"] for s in doc["stills"]} == {"left", "right"}
    for st in doc["stills"]:
        row = _row(folder, st["step"])
        assert row["side"] == st["side"] and not row["excluded_reason"]
        assert st["frame"] == (row["ic_frame"] if side_view else row["knee_fppa_peak_frame"])
        # the values recorded as drawn are steps.csv's, to the last digit
        assert st["values"] and all(row[k] == v for k, v in st["values"].items())
        if side_view:
            assert st["drawn"]["strike_deg"] == row["foot_strike_angle_deg"]
            assert st["drawn"]["knee_flexion_deg"] == row["knee_flexion_ic_deg"]
            assert f"foot angle {row['foot_strike_angle_deg']:+.0f} deg" in st["caption"][1]
            assert f"knee bend {row['knee_flexion_ic_deg']:.0f} deg" in st["caption"][1]
        else:
            assert st["drawn"]["fppa_deg"] == row["knee_fppa_peak_deg"]
            assert f"{abs(row['knee_fppa_peak_deg']):.0f} deg" in st["caption"][1]
        assert f"frame {st['frame']}" in st["caption"][2] and f"frame {st['frame']})" in st["drawn"]["step_label"]
        # the most representative step: closest to that side's median
        key, med = st["chosen_by"]["metric"], st["chosen_by"]["side_median"]
        assert med == res.summary["metrics"][key][st["side"]]["median"]
        cands = [r[key] for r in folder.rows if r["side"] == st["side"] and not r["excluded_reason"]
                 and r[key] is not None]
        assert abs(row[key] - med) == pytest.approx(min(abs(v - med) for v in cands))


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_still_redrawn_from_steps_csv_is_identical(analyzed, clip):
    """Redraw the still from steps.csv's values: same pixels; a value off by 1 deg: not."""
    res = analyzed(clip)
    folder = load_folder(res.out_dir)
    doc = _stills(res.out_dir)
    geo = stored_geometry(res.out_dir)
    st = doc["stills"][0]
    row = _row(folder, st["step"])
    frame = read_frames(shared_clip(clip), [st["frame"]])[st["frame"]]
    png = cv2.cvtColor(cv2.imread(str(res.out_dir / "keyframes" / st["file"])), cv2.COLOR_BGR2RGB)
    key = st["chosen_by"]["metric"]

    def draw(r):
        choice = KeyframeChoice(st["side"], st["event"], st["frame"], r, key, st["chosen_by"]["side_median"],
                                st["video_step"])
        img, _ = draw_still(frame, track=res.measurement.track, choice=choice,
                            geometry=geo[(r["side"], r["ic_frame"])], side_view=folder.side_view)
        return img

    assert np.array_equal(draw(row), png)
    main = "foot_strike_angle_deg" if folder.side_view else "knee_fppa_peak_deg"
    off = dict(row, **{main: row[main] + 1.0})
    assert not np.array_equal(draw(off), png)


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_still_overlay_changes_pixels_only_near_the_runner(analyzed, clip):
    res = analyzed(clip)
    doc = _stills(res.out_dir)
    track = res.measurement.track
    for st in doc["stills"]:
        img = cv2.cvtColor(cv2.imread(str(res.out_dir / "keyframes" / st["file"])), cv2.COLOR_BGR2RGB)
        w, h = st["photo_wh"]
        photo = img[:h]
        assert photo.shape[1] == w
        raw = read_frames(shared_clip(clip), [st["frame"]])[st["frame"]]
        ref, scale = crop_and_scale(raw, tuple(st["crop_xywh"]), height_px=h)
        changed = np.abs(photo.astype(int) - ref.astype(int)).max(axis=2) > 0
        # the crop is the runner: it holds every landmark, with a modest margin
        pts = track.xy[st["frame"]]
        pts = pts[np.isfinite(pts).all(axis=1)]
        x, y, cw, ch = st["crop_xywh"]
        assert (pts[:, 0] >= x).all() and (pts[:, 0] <= x + cw).all()
        assert (pts[:, 1] >= y).all() and (pts[:, 1] <= y + ch).all()
        assert ch <= 1.7 * np.ptp(pts[:, 1])
        # drawn where the leg landmarks are
        for part in ("hip", "knee", "ankle"):
            p = (track.landmark(f"{st['side']}_{part}")[st["frame"]] - [x, y]) * scale
            cx, cy = int(round(p[0])), int(round(p[1]))
            assert changed[max(0, cy - 6): cy + 7, max(0, cx - 6): cx + 7].any(), part
        # and nowhere else: not above the hips (head, torso, background) nor below the feet
        legs = np.array([(track.landmark(f"{s}_{p}")[st["frame"]] - [x, y]) * scale
                         for s in ("left", "right") for p in ("hip", "knee", "ankle", "heel", "foot_index")])
        top = int(legs[:, 1].min()) - 60
        bottom = int(legs[:, 1].max()) + 60
        assert not changed[: max(0, top)].any()
        assert not changed[bottom:].any()
        assert 0.01 < changed.mean() < 0.2


# ---------------------------------------------------------------------------
# a real headless browser
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(browser_factory):  # noqa: F811 - the fixture imported above
    """Debian's chromium driven by Selenium, with its console and network logs (tests/fixtures/browser.py)."""
    return browser_factory(window_wh=(1200, 1600), logs=True, who="the report's browser test")


#: the browser's own pages (its new-tab page loads modules of its own in the background): not the report's
_BROWSER_SCHEMES = ("chrome:", "chrome-untrusted:", "chrome-extension:", "devtools:", "about:")


def _requests(driver):
    """The URLs the page asked for (the browser's own internal pages left out)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if not url.startswith(_BROWSER_SCHEMES):
                urls.append(url)
    return urls


def _open(driver, page: Path):
    driver.get_log("performance")  # drop earlier entries
    driver.get_log("browser")
    driver.get(page.resolve().as_uri())
    for _ in range(100):
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.1)


def _check_page(driver, page: Path, allowed_dirs, shot: Path):
    _open(driver, page)
    # every image decoded
    deadline = time.time() + 10
    while True:
        imgs = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        if all(c for c, _, _ in imgs) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert imgs and all(c and w > 0 and h > 0 for c, w, h in imgs), imgs
    # every video loads and plays: readyState >= 2 and currentTime advances
    n_videos = driver.execute_script("return document.querySelectorAll('video').length")
    for i in range(n_videos):
        state = driver.execute_async_script(
            """
            const [i, done] = [arguments[0], arguments[arguments.length - 1]];
            const v = document.querySelectorAll('video')[i];
            const t0 = Date.now();
            (function wait() {
              if (v.readyState >= 2) {
                const before = v.currentTime;
                v.muted = true;
                v.play().then(() => setTimeout(() => {
                  done({ready: v.readyState, before: before, after: v.currentTime, error: null,
                        w: v.videoWidth});
                  v.pause();
                }, 1200)).catch(e => done({error: String(e)}));
              } else if (Date.now() - t0 > 10000 || v.error) {
                done({ready: v.readyState, error: v.error ? v.error.message || v.error.code : 'timeout'});
              } else { setTimeout(wait, 100); }
            })();
            """, i)
        assert state.get("error") is None, state
        assert state["ready"] >= 2 and state["w"] > 0, state
        assert state["after"] > state["before"] + 0.3, state
    # nothing but the output folder(s) was requested
    for url in _requests(driver):
        if url.startswith("data:"):
            continue
        u = urlparse(url)
        assert u.scheme == "file", url
        path = Path(unquote(u.path)).resolve()
        assert any(path.is_relative_to(d.resolve()) for d in allowed_dirs), url
    # no console errors
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    driver.save_screenshot(str(shot))
    print(f"\nscreenshot: {shot}")
    assert shot.stat().st_size > 10_000
    return n_videos


def _pdf_pages(driver) -> int:
    from selenium.webdriver.common.print_page_options import PrintOptions

    po = PrintOptions()
    po.page_width, po.page_height = 21.0, 29.7  # A4
    po.background = True
    pdf = base64.b64decode(driver.print_page(po))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_report_in_a_real_browser(analyzed, browser, clip, tmp_path_factory):
    out = analyzed(clip).out_dir
    shots = tmp_path_factory.mktemp("screenshots")
    n_videos = _check_page(browser, out / "report.html", [out, shared_clip(clip).parent],
                           shots / f"report_{Path(clip).stem}.png")
    assert n_videos == 1
    texts = browser.execute_script("return document.body.innerText")
    assert "What we found" in texts and "Recording quality" in texts and "Every step" in texts
    # the printed handout: two A4 pages
    assert 1 <= _pdf_pages(browser) <= 2


def _wait_js(driver, script, *args, timeout=20.0):
    deadline = time.time() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


@pytest.mark.parametrize("clip", [SIDE, REAR])
def test_report_overlay_is_drawn_at_the_frame_shown(analyzed, browser, clip):
    """Opened from disk: seek the clip to a step's measured frame; the canvas shows that frame's skeleton.

    The frame on screen is the one the video element presents
    (requestVideoFrameCallback's media time mapped to a frame with the
    track's own times): it must be the step's frame, and the hip's dot of
    the step's side must be painted where track.npz's measured track has it
    at that frame, in that side's colour.
    """
    res = analyzed(clip)
    out = res.out_dir
    _open(browser, out / "report.html")
    ov = browser.execute_script("return GVReport.state.overlay;")
    track = res.measurement.track
    assert ov["t"] == pytest.approx((res.measurement.prepared.source.time_s).tolist(), abs=1e-6)
    assert _wait_js(browser, "return document.querySelector('video').readyState >= 2;"), "the clip did not load"
    steps = [s for s in ov["steps"] if s["frame"] is not None and not s["excluded"]]
    for step in (steps[1], steps[len(steps) // 2]):
        f, side = step["frame"], step["side"]
        browser.execute_script("GVReport.seekFrame(arguments[0]);", f)
        settled = _wait_js(browser, """
            const v = document.querySelector('video'), st = GVReport.state;
            return !v.seeking && v.readyState >= 2 && st.frame === arguments[0] &&
                   Math.abs(v.currentTime - st.offset - st.overlay.t[arguments[0]]) < 1 / 30 ? st.frame : null;
        """, f)
        assert settled == f, (settled, f, browser.execute_script("return GVReport.state.frame;"))
        now, offset = browser.execute_script(
            "return [document.querySelector('video').currentTime, GVReport.state.offset];")
        t = ov["t"]
        assert abs(offset) < 0.5 * (t[1] - t[0]) and t[f] <= now - offset < t[f + 1]
        hip = track.landmark(f"{side}_hip")[f]
        x, y = ov["landmarks"][f"{side}_hip"]["x"][f], ov["landmarks"][f"{side}_hip"]["y"][f]
        assert (x, y) == (round(float(hip[0]), 1), round(float(hip[1]), 1))
        px = browser.execute_script("""
            const c = document.getElementById('overlay'), g = c.getContext('2d');
            const at = (x, y) => Array.from(g.getImageData(Math.round(x), Math.round(y), 1, 1).data);
            const v = document.querySelector('video');
            return {hip: at(arguments[0], arguments[1]), corner: at(c.width - 3, 3), w: c.width, h: c.height,
                    shown: c.getBoundingClientRect().width, video: v.getBoundingClientRect().width};
        """, x, y)
        assert [px["w"], px["h"]] == ov["frame_size"] and abs(px["shown"] - px["video"]) < 1
        r, g, b, a = px["hip"]
        if side == "left":
            assert a == 255 and b > 200 and r < 100, px  # the left leg's blue (40, 120, 255)
        else:
            assert a == 255 and r > 200 and b < 60, px  # the right leg's orange (255, 140, 0)
        assert px["corner"][3] == 0
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_comparison_page_in_a_real_browser(analyzed, browser, tmp_path):
    a = analyzed(SIDE).out_dir
    b = tmp_path / "later session"
    shutil.copytree(a, b)
    out = tmp_path / "cmp out"
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "compare", str(a), str(b), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "compare.json").read_text())
    verdicts = {r["verdict"] for r in doc["rows"]}
    assert "real change" not in verdicts and "within measurement error" in verdicts
    # both sessions play the analysed clip itself (no annotated.mp4 by default)
    n = _check_page(browser, out / "compare.html", [a, b, out, shared_clip(SIDE).parent], tmp_path / "compare.png")
    assert n == 2
    assert browser.execute_script("return document.images.length") >= 2  # the same moment, A | B


# ---------------------------------------------------------------------------
# hostile text, rebuilding
# ---------------------------------------------------------------------------


def test_html_injection_is_shown_not_executed(analyzed, browser, tmp_path):
    src = analyzed(SIDE)
    # '/' cannot be in a file name: the path spells out the whole tag
    clip_dir = tmp_path / "<script>alert(1)<"
    clip_dir.mkdir()
    clip = clip_dir / "script>.mp4"
    shutil.copyfile(shared_clip(SIDE), clip)
    assert "<script>alert(1)</script>.mp4" in str(clip)
    out = tmp_path / "out <b>x &amp; y"
    out.mkdir()
    shutil.copyfile(src.out_dir / "track.npz", out / "track.npz")  # same content: no new pose pass
    proc = subprocess.run(
        [sys.executable, "-m", "gaitvision", "analyze", str(clip), "--out", str(out), "--quiet",
         "--patient-name", "<img src=x onerror=alert(2)>", "--note", "<script>alert(3)</script>"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    page = (out / "report.html").read_text()
    assert "<script>alert" not in page.lower() and "<img src=x" not in page
    # the only scripts: the overlay's data (never run) and the drawing script, allowed by its hash
    tags = [m.group(1) for m in re.finditer(r"<script([^>]*)>", page)]
    assert tags == [' type="application/json" id="overlay-data"', ""]
    _open(browser, out / "report.html")
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - no alert may be open
    assert browser.execute_script("return document.scripts.length") == 2
    assert browser.execute_script("return document.querySelectorAll('img[onerror]').length") == 0
    text = browser.execute_script("return document.body.innerText")
    assert "<script>alert(1)</script>.mp4" in text  # the clip's path, shown as text
    assert "<img src=x onerror=alert(2)>" in text and "<script>alert(3)</script>" in text
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_report_rebuilds_without_the_pose_model(analyzed, tmp_path, monkeypatch):
    src = analyzed(REAR).out_dir
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    before = {p.name: p.read_bytes() for p in (out / "keyframes").glob("*.png")}
    for p in [out / "report.html", *(out / "plots").glob("*.png"), *(out / "keyframes").glob("*.png")]:
        p.unlink()

    import gaitvision.pose.blazepose as pose

    def no_pose(*a, **k):
        raise AssertionError("the pose model must not run to rebuild a report")

    monkeypatch.setattr(pose, "track_video", no_pose)
    from gaitvision.report import rebuild_report

    files = rebuild_report(out, session={"patient_name": "Rebuilt Patient"})
    assert files.report.is_file() and "Rebuilt Patient" in files.report.read_text()
    after = {p.name: p.read_bytes() for p in (out / "keyframes").glob("*.png")}
    assert after == before  # the same stills, pixel for pixel
    assert sorted(p.name for p in (out / "plots").glob("*.png")) == sorted(
        p.name for p in (src / "plots").glob("*.png"))


def test_report_cli_without_the_clip_keeps_stills(analyzed, tmp_path):
    src = analyzed(REAR).out_dir
    out = tmp_path / "moved"
    shutil.copytree(src, out)
    summary = json.loads((out / "summary.json").read_text())
    summary["input"]["path"] = str(tmp_path / "gone.mp4")
    (out / "summary.json").write_text(json.dumps(summary))
    (out / "report.html").unlink()
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "report", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / "report.html").read_text()
    assert "data:image/jpeg;base64," in page  # the existing stills are embedded
    proc = subprocess.run([sys.executable, "-m", "gaitvision", "report", str(out), "--clip",
                           str(shared_clip(SIDE))], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "is not the clip this folder analysed" in proc.stderr


def test_rebuilt_report_keeps_faces_blurred(analyzed, tmp_path):
    """A report rebuilt from an analysis run with --blur-faces blurs the stills again."""
    pytest.importorskip("gaitvision.render.privacy")
    src = analyzed(REAR).out_dir
    out = tmp_path / "blurred"
    shutil.copytree(src, out)
    summary = json.loads((out / "summary.json").read_text())
    summary["config"]["render"]["blur_faces"] = True
    (out / "summary.json").write_text(json.dumps(summary))
    from gaitvision.io.tracks import load_track
    from gaitvision.render.privacy import face_boxes
    from gaitvision.report import rebuild_report

    rebuild_report(out)
    raw, _ = load_track(out / "track.npz")
    for st in _stills(out)["stills"]:
        sharp = cv2.imread(str(src / "keyframes" / st["file"]))
        blurred = cv2.imread(str(out / "keyframes" / st["file"]))
        x0, y0, x1, y1 = face_boxes(raw)[st["frame"]]
        cx, cy, s = st["crop_xywh"][0], st["crop_xywh"][1], st["scale"]
        fx, fy = int(((x0 + x1) / 2 - cx) * s), int(((y0 + y1) / 2 - cy) * s)
        face = (slice(max(0, fy - 10), fy + 10), slice(max(0, fx - 10), fx + 10))
        assert np.abs(sharp[face].astype(int) - blurred[face].astype(int)).mean() > 2, st["file"]
        # below the hips nothing but the overlay differs
        assert np.array_equal(sharp[-200:], blurred[-200:])
