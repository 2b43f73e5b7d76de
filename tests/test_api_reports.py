"""GET /api/reports: curator and admin only; PDF, CSV and XLSX of the served hall's figures."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bridge.readings import Reading
from tests.fixtures_api import T0, Api, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Api:
    for a in serve(tmp_path_factory.mktemp("api_reports")):
        # the silk painting's case sensor S04: 40 lx for 12 h, then dark for 12 h, for two days
        a.store.add_readings([Reading("S04", "illuminance", T0 + timedelta(minutes=10 * i),
                                      40.0 if (i // 72) % 2 == 0 else 0.0, "lx") for i in range(288)])
        yield a


def test_reports_need_a_curator(api: Api):
    for role in ("visitor", "staff"):
        with api.client(role) as c:
            r = c.get("/api/reports", params={"month": "2026-11"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    with api.client() as c:
        assert c.get("/api/reports", params={"month": "2026-11"}).status_code == 401


def test_csv_has_the_figures_and_pdf_is_a_pdf(api: Api):
    with api.client("curator") as c:
        r = c.get("/api/reports", params={"from": "2026-11-20", "to": "2026-11-22", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {(x["relic"], x["quantity"], x["figure"]): x for x in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))}
    # trapezoid over 10-min samples: 142 intervals at 40 lx and three ramps (down, up, down) at 20 lx
    lux = rows[("silk_painting", "illuminance", "lux_hours")]
    assert float(lux["value"]) == pytest.approx((142 * 40 + 3 * 20) / 6, rel=1e-6)
    assert float(lux["limit"]) == pytest.approx(50_000 * 2 / 365, rel=1e-6) and lux["met"] == "0"
    with api.client("admin") as c:
        pdf = c.get("/api/reports", params={"month": "2026-11", "lang": "zh"})
        xlsx = c.get("/api/reports", params={"month": "2026-11", "format": "xlsx"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")  # a zip: the XLSX container


def test_bad_periods_are_refused_in_both_languages(api: Api):
    with api.client("curator") as c:
        r = c.get("/api/reports", params={"month": "2026-13"})
        assert r.status_code == 422 and r.json()["error"]["message"]["zh"]
        r = c.get("/api/reports", params={"from": "2026-11-22", "to": "2026-11-20"})
        assert r.status_code == 422 and "起始" in r.json()["error"]["message"]["zh"]
        assert c.get("/api/reports").status_code == 422
        assert c.get("/api/reports", params={"month": "2026-11", "hall": "nowhere"}).status_code == 404
        assert c.get("/api/reports", params={"month": "2026-11", "hall": "demo_hall", "format": "csv"}).status_code == 200
