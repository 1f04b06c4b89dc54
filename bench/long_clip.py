"""Time and memory of the whole pipeline on a generated long clip.

    python bench/long_clip.py [MINUTES] [WIDTHxHEIGHT] [FPS]

Writes a clip (default 5 min, 144x256, 30 fps) to a temporary folder, then
runs ``analyze_video`` on it with the pose model replaced by the exact
synthetic runner (tests/fixtures/synthetic.py), so the numbers show the
cost of everything around the model: decoding, cleaning, events, metrics,
the annotated video and the report. Prints the time of each stage and the
peak resident memory (Linux /proc). A benchmark, not a test: the suite only
checks that memory does not grow with the clip (test_hostile.py).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fixtures.clips import moving_bar_frames, stub_pose_pass, write_clip  # noqa: E402

import gaitvision.pipeline as pipeline  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def main(minutes: float = 5.0, size: str = "144x256", fps: float = 30.0) -> None:
    w, h = (int(v) for v in size.split("x"))
    n = int(minutes * 60 * fps)
    stages: dict[str, float] = {}

    stub = stub_pose_pass(w, h)

    def fake_pose_pass(path, **kwargs):
        t0 = time.perf_counter()
        tr = stub(path, **kwargs)
        stages["decode (pose pass, model stubbed)"] = time.perf_counter() - t0
        return tr

    pipeline.track_video_parallel = fake_pose_pass
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        clip = write_clip(Path(tmp) / "long.mp4", moving_bar_frames(n, width=w, height=h, fps=fps))
        print(f"wrote {n} frames {w}x{h} in {time.perf_counter() - t0:.1f} s")
        base = peak = rss_mb()
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb())
                time.sleep(0.02)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.perf_counter()
        last = [t0]

        def progress(stage, i, total):
            if stage == "render" and i == 1:
                stages["measure"] = time.perf_counter() - last[0] - stages.get("decode (pose pass, model stubbed)", 0)
                last[0] = time.perf_counter()

        r = pipeline.analyze_video(clip, Path(tmp) / "out", progress=progress)
        total = time.perf_counter() - t0
        done.set()
        th.join()
    stages["render + report + files"] = total - sum(stages.values())
    for k, v in stages.items():
        print(f"{k:36s} {v:7.1f} s")
    print(f"{'total':36s} {total:7.1f} s   cadence {r.summary['cadence_spm']}")
    print(f"memory: {base:.0f} MB before, peak {peak:.0f} MB (+{peak - base:.0f} MB); "
          f"the decoded frames would take {n * w * h * 3 / 2**20:.0f} MB")

if __name__ == "__main__":
    main(*(float(a) if i != 1 else a for i, a in enumerate(sys.argv[1:])))
