"""The conservation report over HTTP (curator and up): ``GET /api/reports``.

    GET /api/reports?month=2026-11&lang=both&format=pdf
    GET /api/reports?from=2026-11-01&to=2026-11-15&format=xlsx

The same report as ``relic-twin report`` for the served hall (or, under ``serve --site``, the whole
site, or its ``hall=``): PDF (default), or the same figures as CSV or XLSX.
"""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from bridge.api.context import Svc, require
from bridge.api.errors import ApiError
from bridge.errors import ConfigError

router = APIRouter(tags=["reports"])

CanReport = Annotated[object, Depends(require("reports:read"))]

MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/api/reports", summary="conservation report / 保存环境报告",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})
def report(*, svc: Svc, _: CanReport,
           month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (UTC)")] = None,
           start: Annotated[str | None, Query(alias="from", max_length=40, description="ISO 8601")] = None,
           end: Annotated[str | None, Query(alias="to", max_length=40, description="ISO 8601, excluded")] = None,
           hall: Annotated[str | None, Query(max_length=64, description="one hall of a site (default: all)")] = None,
           lang: Literal["zh", "en", "both"] = "both",
           format: Literal["pdf", "csv", "xlsx"] = "pdf") -> Response:
    from bridge.reports import build_report
    from bridge.reports.period import period
    from simulation.materials import load_profiles

    site = None
    if hall is None and svc.site is not None:  # a whole site: an overview, then every hall
        scenes, site = [h.scene for h in svc.site.halls], dict(svc.site.name)
    else:
        scene = svc.hall(hall).scene if hall is not None or svc.halls else svc.scene
        scenes = [scene] if scene is not None else []
    if not scenes:
        raise ApiError("unavailable", en="no hall is served", zh="未加载展厅")
    try:
        t0, t1 = period(month, start, end)
    except ConfigError as exc:
        en, _, zh = str(exc).partition(" / ")
        raise ApiError("invalid", en=en, zh=zh or en) from None
    halls = build_report(svc.store, scenes, load_profiles(), t0, t1, svc.settings.data_dir)
    body = render(halls, format, lang, site)
    who = svc.site.id if site is not None else scenes[0].id
    name = f"relic-twin-{who}-{month or f'{t0:%Y%m%d}-{t1:%Y%m%d}'}.{format}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def render(halls: list, format: str, lang: str, site: dict[str, str] | None) -> bytes:
    from bridge.reports.pdf import write_pdf
    from bridge.reports.tables import write_csv, write_xlsx

    if format == "csv":
        text = io.StringIO()
        write_csv(halls, text)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    buf = io.BytesIO()
    if format == "xlsx":
        write_xlsx(halls, buf)
    else:
        write_pdf(halls, buf, lang, site)
    return buf.getvalue()
