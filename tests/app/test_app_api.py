"""The app's JSON API and pages through the framework's test client: real SQLite and files in a tmp folder.

No analysis runs here (the worker is off): these are the endpoints' contracts,
bad input (each a clear 4xx, nothing stored half-way), restart marking,
migrations, CSRF, the access token and the no-external-URL rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gaitvision.app.db import Database, Job
from gaitvision.app.server import create_app, serve
from gaitvision.app.settings import AppSettings
from gaitvision.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SIDE_SAMPLE = ROOT / "sample_videos" / "side_left_60fps.mp4"


def _settings(tmp_path: Path, **kw) -> AppSettings:
    return AppSettings(data=tmp_path / "data", start_worker=False, annotated_video=False, **kw)


@pytest.fixture
def client(tmp_path: Path):
    settings = _settings(tmp_path)
    with TestClient(create_app(settings)) as c:
        c.settings = settings  # type: ignore[attr-defined]
        yield c


def _files(settings: AppSettings) -> list[Path]:
    return [p for p in settings.data.rglob("*") if p.is_file() and p.parent != settings.data]


def _patient(client, name="Ann Example") -> int:
    r = client.post("/api/patients", json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["schema_version"] == 1


def test_patients_create_search_edit_delete(client):
    a = _patient(client, "Ann Example")
    b = _patient(client, "Bob Runner")
    assert client.patch(f"/api/patients/{b}", json={"external_id": "R-17", "notes": "left knee"}).status_code == 200
    names = [p["name"] for p in client.get("/api/patients", params={"q": "r-17"}).json()["patients"]]
    assert names == ["Bob Runner"]
    assert len(client.get("/api/patients").json()["patients"]) == 2
    assert client.delete(f"/api/patients/{a}").status_code == 200
    assert client.get(f"/api/patients/{a}").status_code == 404
    r = client.post("/api/patients", json={"name": "  "})
    assert r.status_code == 400 and "name" in r.json()["error"]
    assert client.post("/api/patients", content=b"not json", headers={"content-type": "application/json"}
                       ).status_code == 400


def test_unknown_patient_visit_job_are_404_with_a_message(client):
    for method, path in (("get", "/api/patients/99"), ("get", "/api/visits/99"), ("get", "/api/jobs/99"),
                         ("post", "/api/patients/99/visits"), ("delete", "/api/visits/99"),
                         ("get", "/api/clips/99/overlay"), ("get", "/api/nothing/here")):
        r = getattr(client, method)(path, **({"json": {}} if method == "post" else {}))
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]


def test_visit_crud_and_json_visit_without_clip(client):
    pid = _patient(client)
    r = client.post(f"/api/patients/{pid}/visits", json={"date": "2026-11-02", "speed": "10 km/h", "shoes": "A"})
    assert r.status_code == 201 and r.json()["job_id"] is None
    vid = r.json()["visit_id"]
    assert client.patch(f"/api/visits/{vid}", json={"notes": "felt fine"}).json()["notes"] == "felt fine"
    doc = client.get(f"/api/visits/{vid}").json()
    assert doc["visit"]["date"] == "2026-11-02" and doc["clips"] == [] and doc["summary"] is None
    assert client.post(f"/api/patients/{pid}/visits", json={"date": "2.11.2026"}).status_code == 400


def test_a_text_file_uploaded_as_a_clip_is_refused_and_nothing_is_stored(client, tmp_path):
    pid = _patient(client)
    fake = tmp_path / "clip.mp4"
    fake.write_text("this is not a video\n" * 50)
    r = client.post(f"/api/patients/{pid}/visits", files={"clip": ("clip.mp4", fake.read_bytes(), "video/mp4")},
                    data={"view": "side"})
    assert r.status_code == 400
    assert "not a video" in r.json()["error"] and str(client.settings.data) not in r.json()["error"]
    assert client.get(f"/api/patients/{pid}").json()["visits"] == []
    assert _files(client.settings) == []


def test_upload_too_large_is_413_and_nothing_is_stored(tmp_path):
    settings = _settings(tmp_path, max_upload_bytes=100_000)
    with TestClient(create_app(settings)) as c:
        pid = _patient(c)
        r = c.post(f"/api/patients/{pid}/visits", files={"clip": ("a.mp4", SIDE_SAMPLE.read_bytes(), "video/mp4")})
        assert r.status_code == 413 and "limit" in r.json()["error"]
        assert c.get(f"/api/patients/{pid}").json()["visits"] == []
        assert _files(settings) == []


def test_upload_is_stored_under_a_generated_name_and_queued(client):
    pid = _patient(client)
    r = client.post(f"/api/patients/{pid}/visits",
                    files={"clip": ("../../etc/evil name.MOV", SIDE_SAMPLE.read_bytes(), "application/octet-stream")},
                    data={"view": "side", "speed": "11 km/h"})
    assert r.status_code == 201, r.text
    ids = r.json()
    job = client.get(f"/api/jobs/{ids['job_id']}").json()
    assert (job["state"], job["progress"], job["error"]) == ("queued", 0.0, None)
    doc = client.get(f"/api/visits/{ids['visit_id']}").json()
    (clip,) = doc["clips"]
    assert clip["original_name"] == "evil name.MOV" and clip["codec"] == "h264" and clip["playable"]
    files = _files(client.settings)
    assert len(files) == 1 and files[0].name == "clip.mp4"  # the probed type, not the name's
    assert files[0].read_bytes() == SIDE_SAMPLE.read_bytes()
    assert re.fullmatch(r"[0-9a-f]{32}", files[0].parent.name)
    # a second side clip for the same visit is refused; a correction has no analysed clip yet
    r2 = client.post(f"/api/visits/{ids['visit_id']}/clips", files={"clip": ("b.mp4", SIDE_SAMPLE.read_bytes())},
                     data={"view": "side"})
    assert r2.status_code == 400 and "already has a side clip" in r2.json()["error"]
    r3 = client.post(f"/api/visits/{ids['visit_id']}/corrections", json={"type": "exclude_step", "step": 3})
    assert r3.status_code == 404 and "no analysed clip" in r3.json()["error"]
    assert client.delete(f"/api/visits/{ids['visit_id']}").status_code == 200
    assert _files(client.settings) == [] and not files[0].parent.exists()


def test_a_restart_marks_running_jobs_interrupted(tmp_path):
    settings = _settings(tmp_path)
    with TestClient(create_app(settings)) as c:
        pid = _patient(c)
        ids = c.post(f"/api/patients/{pid}/visits", files={"clip": ("a.mp4", SIDE_SAMPLE.read_bytes())}).json()
    db = Database(settings.db_path)
    with db.session() as s:
        s.get(Job, ids["job_id"]).state = "running"
    db.dispose()
    with TestClient(create_app(settings)) as c:
        job = c.get(f"/api/jobs/{ids['job_id']}").json()
        assert job["state"] == "interrupted" and job["interrupted"] == 1
        assert len(_files(settings)) == 1  # the clip is kept
    from gaitvision.app.worker import claim_next_job

    db = Database(settings.db_path)
    assert claim_next_job(db) == ids["job_id"]  # the worker runs it again
    db.dispose()


def test_schema_version_and_a_newer_database_is_refused(tmp_path):
    settings = _settings(tmp_path)
    settings.ensure_dirs()
    db = Database(settings.db_path)
    assert db.version_before == 0 and db.schema_version() == 1
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    db.dispose()
    with pytest.raises(ConfigError, match="newer"):
        Database(settings.db_path)


def test_csrf_and_foreign_origin_are_refused(client):
    page = client.get("/")
    token = page.cookies.get("gv_csrf")
    assert token and f'content="{token}"' in page.text
    # a browser (it has the cookie) without the page's token
    r = client.post("/api/patients", json={"name": "X"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    assert client.post("/api/patients", json={"name": "X"}, headers={"X-CSRF-Token": token}).status_code == 201
    client.cookies.clear()
    r = client.post("/api/patients", json={"name": "X"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_token_is_required_when_set(tmp_path):
    with TestClient(create_app(_settings(tmp_path, token="s3cret"))) as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        r = c.get("/?token=s3cret", follow_redirects=False)
        assert r.status_code == 303 and r.cookies.get("gv_token") == "s3cret"
        assert c.get("/api/health").status_code == 200  # the cookie now


def test_non_loopback_host_needs_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("GAITVISION_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="token"):
        serve(data=tmp_path / "d", host="0.0.0.0", port=1)


def test_user_text_is_escaped_and_no_page_or_asset_names_another_host(client):
    pid = _patient(client, '<script>alert("x")</script>')
    vid = client.post(f"/api/patients/{pid}/visits", json={"shoes": "<img src=x onerror=1>"}).json()["visit_id"]
    pages = {p: client.get(p) for p in ("/", f"/patients/{pid}", f"/visits/{vid}", f"/visits/{vid}/handout")}
    for path, r in pages.items():
        assert r.status_code == 200, path
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "&lt;script&gt;" in pages["/"].text
    static = Path(__file__).resolve().parents[2] / "gaitvision" / "app" / "static"
    assets = {f"/static/{p.name}": client.get(f"/static/{p.name}").text for p in static.iterdir()}
    assert {"/static/app.js", "/static/review.js", "/static/app.css"} <= set(assets)
    svg_ns = "http://www.w3.org/2000/svg"  # an XML namespace name, never fetched
    for path, body in {**{k: v.text for k, v in pages.items()}, **assets}.items():
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", body.replace(svg_ns, ""), re.I), path
    assert client.get("/docs").status_code == 404  # the interactive docs would load a CDN's scripts


def test_an_avi_named_mp4_is_stored_by_its_probed_type_and_waits_for_its_browser_copy(client, tmp_path):
    from tests.app.test_app_media import _mpeg4_avi

    src = tmp_path / "phone.mp4"
    _mpeg4_avi(src)
    pid = _patient(client)
    ids = client.post(f"/api/patients/{pid}/visits", files={"clip": ("phone.mp4", src.read_bytes())}).json()
    (clip,) = client.get(f"/api/visits/{ids['visit_id']}").json()["clips"]
    assert (clip["codec"], clip["playable"]) == ("mpeg4", False)
    assert [p.name for p in _files(client.settings)] == ["clip.avi"]
    r = client.get(f"/api/clips/{clip['id']}/video")
    assert r.status_code == 404 and "browser-playable copy" in r.json()["error"]


def test_a_failed_analysis_keeps_the_clip_and_shows_gaitvisions_one_line_reason(client, tmp_path):
    from gaitvision.app.worker import run_worker
    from tests.app.test_app_media import _mpeg4_avi

    src = tmp_path / "short.avi"
    _mpeg4_avi(src, n=12)  # half a second: refused before the pose model runs
    pid = _patient(client)
    ids = client.post(f"/api/patients/{pid}/visits", files={"clip": ("short.avi", src.read_bytes())}).json()
    assert run_worker(client.settings, once=True) == 0
    job = client.get(f"/api/jobs/{ids['job_id']}").json()
    assert job["state"] == "failed" and job["progress"] < 1
    assert "too few steps" in job["error"] and "\n" not in job["error"]
    assert job["error"].startswith("short.avi: ") and str(client.settings.data) not in job["error"]
    assert "Record 20-30 s" in job["error"]
    assert [p.name for p in _files(client.settings)] == ["clip.avi"]  # the upload is kept
    again = client.post(f"/api/clips/{ids['clip_id']}/analyse")
    assert again.status_code == 201 and client.get(f"/api/jobs/{again.json()['job_id']}").json()["state"] == "queued"
