"""``serve`` offline: the API docs page and the web exhibit come from local files, never a CDN;
the exhibit is published again only when its sources change."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from fixtures_api import FAST, SECRET, build
from fixtures_browser import console_errors, wait_for

from bridge.api import ApiSettings
from bridge.api.server import ThreadedServer


@pytest.fixture(scope="module")
def server(tmp_path_factory, exhibit_dir):
    tmp = tmp_path_factory.mktemp("serve")
    settings = ApiSettings(data_dir=tmp, secret=SECRET, rate_per_s=10_000, burst=10_000, login_per_min=10_000,
                           password_hasher=FAST, exhibit_dir=exhibit_dir)
    app, store, _ = build(tmp, settings)
    with ThreadedServer(app) as srv:
        yield srv
    store.close()


def test_docs_and_exhibit_are_served_from_local_files(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        docs = c.get("/api/docs")
        assert docs.status_code == 200
        assert "/api/docs-assets/swagger-ui-bundle.js" in docs.text
        assert "http://" not in docs.text and "https://" not in docs.text  # no CDN
        js = c.get("/api/docs-assets/swagger-ui-bundle.js")
        assert js.status_code == 200 and len(js.content) > 100_000 and "javascript" in js.headers["content-type"]
        assert c.get("/api/docs-assets/package.json").status_code == 404  # only the listed files
        assert c.get("/api/docs-assets/..%2F..%2Fpackage.json").status_code == 404
        assert c.get("/exhibit", follow_redirects=True).text.count('class="card"') == 7
        glb = c.get("/exhibit/demo_hall/ding/ding.glb")
        assert glb.status_code == 200 and glb.content[:4] == b"glTF"
        assert "兽面纹青铜鼎" in c.get("/exhibit/demo_hall/ding.html").text
        assert "/api/docs" not in c.get("/api/openapi.json").json()["paths"]


def test_docs_page_renders_offline_in_chromium(server, chromium):
    console_errors(chromium)
    chromium.get(server.url + "/api/docs")
    title = wait_for(chromium, "document.querySelector('.swagger-ui .info .title')"
                               " && document.querySelector('.swagger-ui .info .title').textContent", 60)
    assert "relic-twin" in title
    wait_for(chromium, "document.querySelectorAll('.opblock').length > 10", 30)  # the routes are listed
    assert console_errors(chromium) == []
    urls = chromium.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(u.startswith(server.url) for u in urls), urls


def test_exhibit_is_published_again_only_when_its_sources_change(tmp_path: Path, exhibit_dir: Path):
    import shutil

    from bridge.exhibit.publish import publish_if_changed
    from simulation.paths import scenes_dir
    from simulation.scene import load_scene

    hall = tmp_path / "hall"
    shutil.copytree(scenes_dir() / "demo_hall", hall, ignore=shutil.ignore_patterns("scenarios"))
    out = tmp_path / "exhibit"
    publish_if_changed([load_scene(hall)], out)
    index = out / "index.html"
    os.utime(index, (1, 1))
    publish_if_changed([load_scene(hall)], out)
    assert index.stat().st_mtime == 1  # unchanged sources: kept
    text = (hall / "scene.toml").read_text(encoding="utf-8")
    (hall / "scene.toml").write_text(text.replace("Demo hall", "Renamed hall", 1), encoding="utf-8")
    publish_if_changed([load_scene(hall)], out)
    assert index.stat().st_mtime > 1 and "Renamed hall" in index.read_text(encoding="utf-8")
