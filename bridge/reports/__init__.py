"""Monthly and on-demand conservation reports for supervisors, lenders and insurers.

    halls = build_report(store, [scene], profiles, start, end)
    write_report(halls, Path("out/2026-11.pdf"), lang="both")   # + .csv and .xlsx beside it

- :mod:`.gather`: the store -> per hall, relic and sensor what the report shows;
- :mod:`.charts`: matplotlib charts that read in black and white;
- :mod:`.pdf`: the PDF (reportlab), its CJK font embedded;
- :mod:`.tables`: the same figures as CSV and XLSX;
- :mod:`.period`: ``--month 2026-11`` / ``--from ... --to ...`` -> a UTC period;
- :mod:`.schedule`: the monthly e-mail to supervisors.

The figures themselves are computed in :mod:`simulation.report_figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from bridge.reports.gather import HallReport, hall_report
from bridge.store import Store
from simulation.materials import MaterialProfile
from simulation.scene import Scene

__all__ = ["HallReport", "build_report", "write_report"]


def build_report(store: Store, scenes: Sequence[Scene], profiles: Mapping[str, MaterialProfile], start: datetime,
                 end: datetime, data_dir: Path | None = None, site: str | None = None) -> list[HallReport]:
    """The report of each hall over ``[start, end)``; ``data_dir``: where what-if runs and the control's
    audit trail are kept (see :func:`bridge.reports.gather.hall_report`).

    site : on a hub, the museum the halls belong to: only its rows are read. The hub stores what the
        museum's bridge forwards, raw: calibrations are the museum's own (its box applies them), so a
        hub report lists none (the hub's calibration table names no site and must not lend one museum's
        to another).
    """
    from bridge.ingest.calibration import list_calibrations

    out = []
    for s in scenes:
        if site is not None:
            out.append(hall_report(store, s, profiles, start, end, (), data_dir, site=site))
            continue
        # the calibration in force at the period's end for each sensor and quantity (and when it falls due)
        cal = [c for c in list_calibrations(store, [x.id for x in s.sensors], history=True, hall=s.id)
               if c.set_at < end]
        newest = {(c.sensor, c.quantity): c for c in sorted(cal, key=lambda c: (bool(c.hall), c.set_at))}
        out.append(hall_report(store, s, profiles, start, end, tuple(newest.values()), data_dir))
    return out


def write_report(halls: Sequence[HallReport], pdf: Path, lang: str = "both",
                 site: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``pdf`` and, beside it, the same figures as ``.csv`` and ``.xlsx``; the paths written.

    site : the site's names ({"zh-CN", "en"}) for a site report (an overview of its halls comes first)
    """
    from bridge.reports.pdf import write_pdf
    from bridge.reports.tables import write_csv, write_xlsx

    pdf.parent.mkdir(parents=True, exist_ok=True)
    write_pdf(halls, pdf, lang, site)
    csv_path, xlsx_path = pdf.with_suffix(".csv"), pdf.with_suffix(".xlsx")
    write_csv(halls, csv_path)
    write_xlsx(halls, xlsx_path)
    return [pdf, csv_path, xlsx_path]
