"""The report's figures as tables: CSV (figures) and XLSX (figures, daily risk, data quality, alerts, actions).

One row per figure, in both languages whatever the PDF's language, so a spreadsheet
can be filtered by hall, relic, quantity or figure. Values are in the unit named on
the row; ``met`` is 1/0, empty when the figure has no limit.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bridge.reports.gather import HallReport
from simulation.quantities import QUANTITIES
from simulation.report_figures import METRICS, unit_of

FIGURE_COLUMNS = ("hall", "relic", "relic_zh", "relic_en", "profile", "quantity", "figure", "figure_zh",
                  "figure_en", "value", "unit", "limit", "met", "start_utc", "end_utc")


def _num(v: float | None) -> float | str:
    return "" if v is None or not math.isfinite(v) else round(float(v), 6)


def figure_rows(halls: Sequence[HallReport]) -> Iterator[tuple[Any, ...]]:
    """One tuple per figure, in :data:`FIGURE_COLUMNS` order."""
    for h in halls:
        for r in h.relics:
            for f in r.figures:
                m = METRICS[f.metric]
                yield (h.scene.id, r.relic.id, r.relic.name.get("zh-CN", ""), r.relic.name.get("en", ""),
                       r.profile.key, f.quantity, f.metric, m.zh, m.en, _num(f.value), unit_of(f), _num(f.limit),
                       "" if f.ok is None else int(f.ok), h.start.isoformat(), h.end.isoformat())


def write_csv(halls: Sequence[HallReport], out: Path | io.StringIO) -> None:
    """The figures as UTF-8 CSV (with a BOM, so spreadsheet programs read the Chinese right)."""
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            _write(fh, halls)
    else:
        _write(out, halls)


def _write(fh: Any, halls: Sequence[HallReport]) -> None:
    w = csv.writer(fh)
    w.writerow(FIGURE_COLUMNS)
    w.writerows(figure_rows(halls))


def write_xlsx(halls: Sequence[HallReport], out: Path | io.BytesIO) -> None:
    """Sheets: figures, daily_risk (share of each day outside limits), data_quality, alerts."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "figures"
    ws.append(FIGURE_COLUMNS)
    for row in figure_rows(halls):
        ws.append(list(row))
    daily = wb.create_sheet("daily_risk")
    daily.append(("hall", "relic", "date", "share_outside_limits"))
    for h in halls:
        for r in h.relics:
            for d, share in enumerate(r.daily_outside):
                day = date.fromordinal(h.start.date().toordinal() + d)
                daily.append((h.scene.id, r.relic.id, day.isoformat(), _num(share)))
    quality = wb.create_sheet("data_quality")
    quality.append(("hall", "sensor", "quantity", "quantity_zh", "interval_s", "received", "expected",
                    "completeness", "used", "gaps", "gap_hours", "flagged", "quarantined", "battery_low_since"))
    for h in halls:
        for q in h.quality:
            c = q.completeness
            quality.append((h.scene.id, q.sensor, q.quantity, QUANTITIES[q.quantity].zh if q.quantity in QUANTITIES
                            else q.quantity, _num(c.interval_s), c.received, c.expected, _num(c.share), _num(q.used_share), len(c.gaps),
                            _num(c.gap_hours), q.flagged, h.quarantined.get(q.sensor, 0),
                            (low.isoformat() if (low := h.battery_low_since(q.sensor)) else "")))
    alerts = wb.create_sheet("alerts")
    alerts.append(("hall", "id", "tier", "cause", "target", "message_zh", "message_en", "raised_utc",
                   "acknowledged_utc", "ack_delay_s", "resolved_utc"))
    for h in halls:
        for a in h.alerts:
            alerts.append((h.scene.id, a.id, a.tier, a.cause, a.target, a.message_zh, a.message_en,
                           a.raised_at.isoformat(), a.acknowledged_at.isoformat() if a.acknowledged_at else "",
                           _num(a.ack_delay_s), a.cleared_at.isoformat() if a.cleared_at else ""))
    actions = wb.create_sheet("actions")
    actions.append(("hall", "kind", "when_utc", "what", "by", "why", "detail"))
    for h in halls:
        for run in h.whatif:
            actions.append((h.scene.id, "what-if", run.at.isoformat(), run.scenario, "", "",
                            f"{run.crossings} crossings: {', '.join(run.relics)}"))
        for a in h.control:
            actions.append((h.scene.id, "control", a.at.isoformat(), a.actuator, a.who, a.why, a.after))
    wb.save(out)
