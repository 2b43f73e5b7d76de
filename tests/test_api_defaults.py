"""The REST API as a newcomer meets it: history and export default to the hall's newest data (not
the wall clock), ``curl -F file=@photo.png`` uploads, a relic is named the same way everywhere (archive
number, catalogue number or name), and the relic list carries each relic's annotations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from tests.fixtures_api import Api, serve

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from serve(tmp_path_factory.mktemp("api-defaults"))


def test_history_and_export_default_to_the_newest_data(api: Api) -> None:
    # the seeded readings are two days from T0 (2026-11-20), weeks before the wall clock
    with api.client("staff") as c:
        h = c.get("/api/history", params={"sensor": "S01", "quantity": "temperature"}).json()
        csv_text = c.get("/api/export", params={"sensor": "S01", "quantity": "temperature"}).text
        stats = c.get("/api/stats", params={"sensor": "S01", "quantity": "temperature"}).json()
    points = h["series"][0]["points"]
    assert len(points) == 144  # the last 24 h of 10-minute readings, up to the newest
    assert points[-1]["time"].startswith("2026-11-21T23:50")
    assert h["end"].startswith("2026-11-21T23:50:01")
    assert len(csv_text.strip().splitlines()) == 1 + 144
    assert stats["statistics"]["count"] == 144


def test_relic_named_by_id_catalogue_number_or_name(api: Api) -> None:
    with api.client("curator") as c:
        listed = c.get("/api/relics").json()
        ding = next(r for r in listed if r["catalogue_number"] == "ding")
        by_id = c.get(f"/api/relics/{ding['id']}").json()
        by_number = c.get("/api/relics/ding").json()
        by_name = c.get(f"/api/relics/{ding['name']['en']}").json()
        by_zh = c.get(f"/api/relics/{ding['name']['zh-CN']}").json()
        missing = c.get("/api/relics/no-such-relic")
        hist_by_name = c.get("/api/history", params={"relic": ding["name"]["en"], "quantity": "temperature"})
        hist_by_id = c.get("/api/history", params={"relic": ding["id"], "quantity": "temperature"})
    assert by_id == by_number == by_name == by_zh
    assert ding["annotations"] and ding["annotations"] == by_id["annotations"]
    assert missing.status_code == 404 and missing.json()["error"]["message"]["zh"]
    assert hist_by_name.status_code == hist_by_id.status_code == 200
    assert hist_by_name.json() == hist_by_id.json()


def test_form_upload_with_curl_field_file(api: Api) -> None:
    with api.client("curator") as c:
        form = c.post("/api/files", params={"relic_id": "ding"}, files={"file": ("inspection.png", PNG, "image/png")})
        generic = c.post("/api/files", params={"relic_id": "1"},
                         files={"file": ("photo.png", PNG, "application/octet-stream")})
        wrong_field = c.post("/api/files", files={"photo": ("photo.png", PNG, "image/png")})
        raw_without_name = c.post("/api/files", content=PNG, headers={"Content-Type": "image/png"})
        listed = c.get("/api/files", params={"relic_id": "ding"}).json()
    assert form.status_code == 201, form.text
    body = form.json()
    assert body["name"] == "inspection.png" and body["media_type"] == "image/png"
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest() and body["size"] == len(PNG)
    assert generic.status_code == 201 and generic.json()["media_type"] == "image/png"
    assert wrong_field.status_code == 422 and "-F file=@" in wrong_field.json()["error"]["message"]["en"]
    assert raw_without_name.status_code == 422 and "name=" in raw_without_name.json()["error"]["message"]["en"]
    assert body["id"] in {f["id"] for f in listed}
