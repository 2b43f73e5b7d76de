"""The monthly report by e-mail: on the first morning of each month, last month's report to supervisors.

Configured by environment, beside the alert e-mail settings (:mod:`bridge.alerts.dissemination`)::

    RELIC_TWIN_REPORT_EMAILS=director@museum.example,bureau@heritage.example   recipients
    RELIC_TWIN_SMTP_URL, RELIC_TWIN_EMAIL_FROM                                 as for alerts
    RELIC_TWIN_REPORT_LANG=both                                                zh | en | both
    RELIC_TWIN_REPORT_DAY=1  RELIC_TWIN_REPORT_HOUR=6                           when (UTC)

Each month's report is written under ``<data>/reports/<YYYY-MM>/`` (PDF, CSV, XLSX) and sent
once to each recipient with the three files attached; every send, or the reason it failed, is
stored as a ``notification`` row (channel ``report``), which is also how a restarted service
knows a month was already sent. A failed send is tried again at the next check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import col, select

from bridge.alerts.dissemination import smtp_send
from bridge.config import ConfigError
from bridge.reports import build_report, write_report
from bridge.reports.period import month_period
from bridge.store import Store
from bridge.store.epoch import to_us
from bridge.store.models import Notification
from simulation.materials import MaterialProfile
from simulation.scene import Scene

log = logging.getLogger("relic_twin.reports")

CHANNEL = "report"
MEDIA = {".pdf": ("application", "pdf"), ".csv": ("text", "csv"),
         ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


@dataclass(frozen=True)
class ScheduleSettings:
    """Who gets the monthly report, how it is sent, and when (day of month and hour, UTC)."""

    emails: tuple[str, ...]
    smtp_url: str
    email_from: str = "relic-twin@localhost"
    lang: str = "both"
    day: int = 1
    hour: int = 6
    timeout_s: float = 30.0


def schedule_settings_from_env(env: Mapping[str, str]) -> ScheduleSettings | None:
    """The schedule, or None when no recipient is set; ConfigError naming the variable otherwise."""
    emails = tuple(a.strip() for a in env.get("RELIC_TWIN_REPORT_EMAILS", "").split(",") if a.strip())
    if not emails:
        return None
    if any("@" not in a or any(c in a for c in "\r\n<>") for a in emails):
        raise ConfigError("RELIC_TWIN_REPORT_EMAILS: expected comma-separated e-mail addresses | 邮箱地址格式错误")
    smtp = env.get("RELIC_TWIN_SMTP_URL", "")
    if not smtp.startswith(("smtp://", "smtps://")):
        raise ConfigError("RELIC_TWIN_REPORT_EMAILS is set but RELIC_TWIN_SMTP_URL is not smtp(s)://host | "
                          "未设置邮件服务器")
    lang = env.get("RELIC_TWIN_REPORT_LANG", "both")
    if lang not in ("zh", "en", "both"):
        raise ConfigError("RELIC_TWIN_REPORT_LANG: expected zh, en or both | 语言须为 zh、en 或 both")
    try:
        day, hour = int(env.get("RELIC_TWIN_REPORT_DAY", "1")), int(env.get("RELIC_TWIN_REPORT_HOUR", "6"))
    except ValueError:
        raise ConfigError("RELIC_TWIN_REPORT_DAY / _HOUR: expected whole numbers | 应为整数") from None
    if not (1 <= day <= 28 and 0 <= hour <= 23):
        raise ConfigError("RELIC_TWIN_REPORT_DAY: 1-28, RELIC_TWIN_REPORT_HOUR: 0-23 | 日期须为1-28，小时0-23")
    return ScheduleSettings(emails, smtp, env.get("RELIC_TWIN_EMAIL_FROM", "relic-twin@localhost"), lang, day, hour)


def month_due(now: datetime, settings: ScheduleSettings) -> str | None:
    """Last month (``YYYY-MM``) once this month's send time has come, else None."""
    now = now.astimezone(UTC)
    if (now.day, now.hour) < (settings.day, settings.hour):
        return None
    first = now.replace(day=1)
    last = first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)
    return f"{last:%Y-%m}"


def _subject(month: str, scenes: Sequence[Scene]) -> str:
    names = "、".join(s.name.get("zh-CN", s.id) for s in scenes)
    en = ", ".join(s.name.get("en", s.id) for s in scenes)
    return f"[relic-twin] {month} 文物保存环境月报 {names} / Conservation report {month}: {en}"


def sent_to(store: Store, subject: str) -> set[str]:
    """Addresses the report of ``subject`` was sent to successfully."""
    with store.session() as s:
        rows = s.exec(select(Notification).where(Notification.channel == CHANNEL, Notification.subject == subject,
                                                 col(Notification.ok).is_(True)))
        return {n.address for n in rows}


def send_monthly(store: Store, scenes: Sequence[Scene], profiles: Mapping[str, MaterialProfile],
                 settings: ScheduleSettings, now: datetime, out_dir: Path,
                 send: Callable[[str, EmailMessage, float], None] = smtp_send) -> list[str]:
    """Send last month's report to every recipient that has not had it yet; the addresses sent to now."""
    month = month_due(now, settings)
    if month is None:
        return []
    subject = _subject(month, scenes)
    todo = [a for a in settings.emails if a not in sent_to(store, subject)]
    if not todo:
        return []
    start, end = month_period(month)
    files = write_report(build_report(store, scenes, profiles, start, end, out_dir.parent),
                         out_dir / month / f"relic-twin-{month}.pdf", settings.lang)
    done = []
    for address in todo:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, settings.email_from, address
        msg.set_content(f"附件为 {month} 的文物保存环境月报（PDF）及其数据（CSV、XLSX）。\n"
                        f"Attached: the conservation report for {month} (PDF) and its figures (CSV, XLSX).\n")
        for f in files:
            main, sub = MEDIA[f.suffix]
            msg.add_attachment(f.read_bytes(), maintype=main, subtype=sub, filename=f.name)
        error = ""
        try:
            send(settings.smtp_url, msg, settings.timeout_s)
            done.append(address)
        except OSError as exc:  # smtplib errors are OSErrors: kept, and tried again at the next check
            error = f"{type(exc).__name__}: {exc}"
            log.warning("monthly report to %s failed: %s", address, error)
        with store.session() as s:
            s.add(Notification(alert_id=None, channel=CHANNEL, address=address, tier="", subject=subject,
                               sent_at_us=to_us(now), ok=not error, error=error))
            s.commit()
    return done


class MonthlyReports:
    """A thread that checks every ``every_s`` whether a monthly report is due, and sends it."""

    def __init__(self, store: Store, scenes: Sequence[Scene], profiles: Mapping[str, MaterialProfile],
                 settings: ScheduleSettings, out_dir: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 every_s: float = 600.0):
        self.args = (store, scenes, profiles, settings)
        self.out_dir, self.clock, self.every_s = out_dir, clock, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="monthly-reports", daemon=True)

    def start(self) -> MonthlyReports:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                send_monthly(*self.args, now=self.clock(), out_dir=self.out_dir)
            except Exception:  # noqa: BLE001 (a report that cannot be built must not stop the service)
                log.exception("monthly report failed / 月报生成失败")
            if self._stop.wait(self.every_s):
                return
