"""Fixtures of the clinic app's tests: a real ``gaitvision serve`` on a free port, its worker, a browser.

The server runs in a subprocess on a temporary data folder (real SQLite,
real files). ``GAITVISION_APP_WORKER=0`` lets a test start the analysis
worker itself (``python -m gaitvision.app.worker``) after seeding the clip's
``track.npz`` from the session's pose-pass cache (tests/fixtures/pose_cache.py),
so the suite runs the pose model on the bundled clip once per session; the
restart test lets the server start its own worker.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.browser import browser_factory  # noqa: F401 - a fixture, for ``browser`` below

ROOT = Path(__file__).resolve().parents[2]
SIDE_SAMPLE = ROOT / "sample_videos" / "side_left_60fps.mp4"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(worker: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GAITVISION_APP_WORKER="1" if worker else "0", GAITVISION_APP_VIDEO="0",
               GAITVISION_POSE_THREADS=os.environ.get("GAITVISION_TEST_POSE_THREADS", "1") or "1")
    return env


class AppServer:
    """``gaitvision serve --data DATA --port PORT`` in a subprocess."""

    def __init__(self, data: Path, *, worker: bool = False) -> None:
        self.data, self.worker_enabled = data, worker
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.log = data.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 90.0) -> AppServer:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gaitvision", "serve", "--data", str(self.data), "--port", str(self.port)],
                env=_env(self.worker_enabled), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                if self.get("/api/health")["status"] == "ok":
                    return self
            except (OSError, ValueError):
                time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s: {self.log.read_text()[-2000:]}")

    def start_worker(self) -> None:
        with open(self.log, "ab") as log:
            self.worker = subprocess.Popen([sys.executable, "-m", "gaitvision.app.worker", "--data", str(self.data)],
                                           env=_env(False), stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)

    def stop(self, *, hard: bool = False) -> None:
        for p in (self.worker, self.proc):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.worker = None

    # -- plain HTTP (no cookies: a script client) -------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                data: bytes | None = None) -> tuple[int, Any]:
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw, status, ctype = r.read(), r.status, r.headers.get("content-type", "")
        except urllib.error.HTTPError as err:
            raw, status, ctype = err.read(), err.code, err.headers.get("content-type", "")
        return status, (json.loads(raw) if "json" in ctype else raw)

    def get(self, path: str) -> Any:
        status, doc = self.request("GET", path)
        if status != 200:
            raise ValueError(f"GET {path}: {status} {doc!r}")
        return doc

    def wait_job(self, job_id: int, states: tuple[str, ...] = ("done", "failed"), timeout: float = 400.0,
                 until: Any = None) -> dict[str, Any]:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            job = self.get(f"/api/jobs/{job_id}")
            if job["state"] in states and (until is None or until(job)):
                return job
            time.sleep(0.3)
        raise AssertionError(f"job {job_id} did not reach {states} within {timeout:.0f} s: {job}")


def multipart(fields: dict[str, str], file_field: str, path: Path, filename: str | None = None
              ) -> tuple[bytes, dict[str, str]]:
    boundary = "gvtestboundary7d2a"
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
            f'filename="{filename or path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n')
    parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture(scope="session")
def browser(browser_factory: Callable[..., Any]) -> Any:  # noqa: F811 - the fixture imported above
    """Headless Debian chromium through Selenium (tests/fixtures/browser.py: skips without it, except in CI)."""
    return browser_factory(window_wh=(1400, 1400), who="the app's browser test")
