"""The monthly report e-mail: due on the configured morning, sent once per recipient to a real local
SMTP server with the PDF, CSV and XLSX attached; a failed send is stored and retried."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from datetime import UTC, datetime

import pytest

from bridge.config import ConfigError
from bridge.reports.schedule import month_due, schedule_settings_from_env, send_monthly, sent_to
from bridge.store import Store
from simulation.materials import load_profiles
from simulation.paths import scenes_dir
from simulation.scene import load_scene
from tests.test_dissemination import _Smtp


def test_settings_and_due_month():
    assert schedule_settings_from_env({}) is None
    with pytest.raises(ConfigError, match="RELIC_TWIN_SMTP_URL"):
        schedule_settings_from_env({"RELIC_TWIN_REPORT_EMAILS": "a@b.example"})
    with pytest.raises(ConfigError, match="RELIC_TWIN_REPORT_DAY"):
        schedule_settings_from_env({"RELIC_TWIN_REPORT_EMAILS": "a@b.example", "RELIC_TWIN_SMTP_URL": "smtp://m",
                                    "RELIC_TWIN_REPORT_DAY": "31"})
    s = schedule_settings_from_env({"RELIC_TWIN_REPORT_EMAILS": "a@b.example", "RELIC_TWIN_SMTP_URL": "smtp://m"})
    assert month_due(datetime(2026, 12, 1, 5, 59, tzinfo=UTC), s) is None
    assert month_due(datetime(2026, 12, 1, 6, 0, tzinfo=UTC), s) == "2026-11"
    assert month_due(datetime(2027, 1, 15, tzinfo=UTC), s) == "2026-12"


def test_monthly_report_reaches_a_real_smtp_server_once(tmp_path):
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    _Smtp.messages.clear()
    store = Store.open(data_dir=tmp_path)
    scene = load_scene(scenes_dir() / "demo_hall")
    now = datetime(2026, 12, 1, 7, tzinfo=UTC)
    try:
        s = schedule_settings_from_env({"RELIC_TWIN_REPORT_EMAILS": "director@museum.example,bureau@gov.example",
                                        "RELIC_TWIN_SMTP_URL": f"smtp://127.0.0.1:{smtp.server_address[1]}",
                                        "RELIC_TWIN_REPORT_LANG": "en"})

        def flaky(url, msg, timeout_s):  # the bureau's server refuses the first time
            if msg["To"].startswith("bureau") and not flaky.failed:
                flaky.failed = True
                raise OSError("550 mailbox busy")
            from bridge.alerts.dissemination import smtp_send

            smtp_send(url, msg, timeout_s)

        flaky.failed = False
        assert send_monthly(store, [scene], load_profiles(), s, now, tmp_path / "reports", send=flaky) == [
            "director@museum.example"]
        assert send_monthly(store, [scene], load_profiles(), s, now, tmp_path / "reports", send=flaky) == [
            "bureau@gov.example"]
        assert send_monthly(store, [scene], load_profiles(), s, now, tmp_path / "reports", send=flaky) == []
    finally:
        smtp.shutdown()
        smtp.server_close()
    assert (tmp_path / "reports" / "2026-11" / "relic-twin-2026-11.pdf").is_file()
    assert len(_Smtp.messages) == 2
    msg = email.message_from_bytes(_Smtp.messages[0], policy=email.policy.default)
    assert "2026-11" in msg["Subject"] and "示范展厅" in msg["Subject"]
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert names == ["relic-twin-2026-11.csv", "relic-twin-2026-11.pdf", "relic-twin-2026-11.xlsx"]
    pdf = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".pdf"))
    assert pdf.get_content().startswith(b"%PDF")
    subject = msg["Subject"]
    assert sent_to(store, subject) == {"director@museum.example", "bureau@gov.example"}
    store.close()
