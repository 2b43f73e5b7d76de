"""The report as a PDF (reportlab), its fonts embedded, readable printed in black and white.

Per hall: a summary table of every relic; per relic its figures with limits and a
verdict, its temperature/RH chart and its psychrometric chart; the hall's calendar of
daily risk and its light-exposure chart; alerts; data quality; sensor calibrations;
then an appendix with each figure's definition and source and the sources of the
material limits used. Every font in the file is the CJK font, embedded (subset).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from bridge.reports import charts
from bridge.reports.fonts import cjk_font
from bridge.reports.gather import HallReport, RelicReport
from bridge.reports.texts import Words, limit_text, number
from simulation.en15757 import historical_band
from simulation.light_dose import cumulative_exposure, pro_rata_budget
from simulation.quantities import QUANTITIES
from simulation.report_figures import METRICS

FONT = "RelicTwinCJK"
_GREY = colors.Color(0.85, 0.85, 0.85)
_WIDTH = A4[0] - 30 * mm
_PER_QUANTITY = frozenset({"mean", "min", "max", "in_range", "change_ok", "max_change"})


def _register_font() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    path, face, _ = cjk_font()
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=face))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=17, spaceBefore=8, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3),
    }


def _table(rows: list[list[str]], st: dict[str, ParagraphStyle], widths: Sequence[float],
           shade: Sequence[int] = ()) -> Table:
    """A table of paragraphs; header row grey with a rule; rows in ``shade`` grey (not met)."""
    data = [[Paragraph(_safe(c), st["cell"]) for c in row] for row in rows]
    t = Table(data, colWidths=[w * _WIDTH for w in widths], repeatRows=1)
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black), ("BACKGROUND", (0, 0), (-1, 0), _GREY),
             ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    for i in shade:
        style.append(("BACKGROUND", (0, i), (-1, i), colors.Color(0.93, 0.93, 0.93)))
        style.append(("LINEBELOW", (0, i), (-1, i), 0.4, colors.Color(0.5, 0.5, 0.5)))
    t.setStyle(TableStyle(style))
    return t


def _safe(text: str) -> str:
    """Escaped for a Paragraph; characters the CJK font lacks spelled out (NOₓ -> NOx)."""
    return escape(text.translate(_SPELL)).replace("\n", "<br/>")


_SPELL = str.maketrans({"ₓ": "x"})


def _image(png: bytes, width: float) -> Image:
    img = Image(io.BytesIO(png))
    scale = width / img.imageWidth
    img.drawWidth, img.drawHeight = width, img.imageHeight * scale
    return img


def _hourly(t_s: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly means: (hour starts as datetime64[s], means)."""
    if not t_s.size:
        return np.array([], dtype="datetime64[s]"), np.array([])
    hour = np.floor(t_s / 3600.0).astype(np.int64)
    keys, inv = np.unique(hour, return_inverse=True)
    sums = np.bincount(inv, weights=np.nan_to_num(v))
    counts = np.bincount(inv, weights=np.isfinite(v).astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    return (keys * 3600).astype("datetime64[s]"), means


def _fmt_time(t: datetime | None) -> str:
    return "—" if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _duration(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s / 60:.0f} min" if s < 3600 else f"{s / 3600:.1f} h"


class _Builder:
    def __init__(self, words: Words):
        self.w = words
        self.st = _styles()
        self.story: list = []
        self._charts: dict[tuple, tuple[bytes, bytes]] = {}

    def p(self, text: str, style: str = "body") -> None:
        self.story.append(Paragraph(_safe(text), self.st[style]))

    # --------------------------------------------------------------------------- sections
    def site(self, halls: Sequence[HallReport], name: Mapping[str, str]) -> None:
        """The site's first page: one row per hall, worst first by the share of its figures not met."""
        w = self.w
        self.p(w("文物保存环境月报", "Conservation environment report"), "title")
        if name:
            self.p(f"{w('馆', 'Site')}: {w.name(name)}", "h1")
        if halls:
            self.p(f"{w('统计期', 'Period')}: {_fmt_time(halls[0].start)} – {_fmt_time(halls[0].end)} UTC", "body")
        self.p(w("各展厅概览", "Halls at a glance"), "h2")
        rows = [[w("展厅", "Hall", "\n"), w("文物", "Relics", "\n"), w("未达标项 / 指标数", "Figures not met / all", "\n"),
                 w("告警（未确认）", "Alerts (unacknowledged)", "\n"), w("数据可用率", "Data used", "\n")]]
        ranked = []
        for h in halls:
            figs = [f for r in h.relics for f in r.figures if f.ok is not None]
            failed = sum(1 for f in figs if f.ok is False)
            shares = [0.0 if q.completeness.received == 0 else q.used_share for q in h.quality
                      if q.completeness.received == 0 or np.isfinite(q.used_share)]  # silent sensors count as 0
            used = f"{100 * float(np.mean(shares)):.0f} %" if shares else "—"
            unacked = sum(1 for a in h.alerts if a.acknowledged_at is None)
            ranked.append((failed / len(figs) if figs else 0.0, [
                w.name(h.scene.name, h.scene.id), str(len(h.relics)), f"{failed} / {len(figs)}",
                f"{len(h.alerts)} ({unacked})", used]))
        ranked.sort(key=lambda x: -x[0])
        rows += [r for _, r in ranked]
        self.story.append(_table(rows, self.st, (0.3, 0.12, 0.2, 0.22, 0.16), [i + 1 for i, (f, _) in
                                                                               enumerate(ranked) if f > 0]))
        self.p(w("灰底为有未达标项的展厅；数据可用率为各传感器质量为 ok 的读数占应有读数的平均值（无数据的传感器计为0）。",
                 "Grey: halls with figures not met. Data used: mean over sensors of the ok readings over the "
                 "readings their interval implies (a sensor that sent nothing counts as 0)."), "small")

    def hall(self, h: HallReport, first: bool) -> None:
        w = self.w
        if not first:
            self.story.append(PageBreak())
        self.p(w("文物保存环境月报", "Conservation environment report"), "title")
        self.p(f"{w('展厅', 'Hall')}: {w.name(h.scene.name, h.scene.id)}", "h1")
        self.p(f"{w('统计期', 'Period')}: {_fmt_time(h.start)} – {_fmt_time(h.end)} UTC;  "
               f"{w('生成于', 'generated')} {_fmt_time(datetime.now(UTC))} UTC")
        self.p(w("每个数字的定义与来源见附录。灰底行为未达标项。",
                 "Each figure's definition and source are in the appendix. Grey rows did not meet their limit."),
               "small")
        self.summary(h)
        for r in h.relics:
            self.relic(h, r)
        self.hall_charts(h)
        self.alerts(h)
        self.actions(h)
        self.quality(h)
        self.calibration(h)

    def summary(self, h: HallReport) -> None:
        w = self.w
        self.p(w("概览", "Summary"), "h2")
        head = [w("文物", "Relic", "\n"), w("材料", "Material", "\n"), w("温度达标", "T in range", "\n"), w("湿度达标", "RH in range", "\n"),
                w("24小时波动达标", "24 h change OK", "\n"), w("未达标项", "Figures not met", "\n")]
        rows, shade = [head], []
        for i, r in enumerate(h.relics, start=1):
            by = {(f.metric, f.quantity): f for f in r.figures}
            failed = [f for f in r.figures if f.ok is False]
            cells = [w.name(r.relic.name, r.relic.id), w(r.profile.zh, r.profile.en)]
            for key in (("in_range", "temperature"), ("in_range", "relative_humidity")):
                cells.append(number(by[key]) if key in by else w("无数据", "no data"))
            ch = [by[k] for k in (("change_ok", "temperature"), ("change_ok", "relative_humidity")) if k in by]
            cells.append(number(min(ch, key=lambda f: f.value)) if ch else "—")
            cells.append(str(len(failed)) if r.figures else w("无数据", "no data"))
            rows.append(cells)
            if failed:
                shade.append(i)
        self.story.append(_table(rows, self.st, (0.28, 0.2, 0.12, 0.12, 0.14, 0.14), shade))

    def relic(self, h: HallReport, r: RelicReport) -> None:
        w = self.w
        self.story.append(CondPageBreak(90 * mm))
        self.p(w.name(r.relic.name, r.relic.id, sep="  "), "h1")
        src = ", ".join(f"{w.quantity(q)} ← {s}" for q, s in sorted(r.sources.items()))
        self.p(f"{w('材料', 'Material')}: {w(r.profile.zh, r.profile.en)};  {w('传感器', 'Sensors')}: {src or '—'}",
               "small")
        if not r.figures:
            self.p(w("本期无该文物的有效读数。", "No valid readings for this relic in the period."))
            return
        rows = [[w("指标", "Figure", "\n"), w("数值", "Value", "\n"), w("限值", "Limit", "\n"), w("结论", "Verdict", "\n")]]
        shade = []
        for i, (label, value, limit, ok) in enumerate(self._rows(r), start=1):
            rows.append([label, value, limit, w.verdict(ok)])
            if ok is False:
                shade.append(i)
        self.story.append(_table(rows, self.st, (0.5, 0.2, 0.15, 0.15), shade))
        self.story.append(Spacer(1, 3 * mm))
        # relics of one material watched by the same sensors share their charts (drawn once)
        key = (tuple(sorted(r.sources.items())), r.profile.key)
        if key not in self._charts:
            self._charts[key] = (self._climate_png(r, h.start.timestamp()), self._psychro_png(r))
        climate, psychro = self._charts[key]
        self.story.append(KeepTogether([_image(climate, _WIDTH), Spacer(1, 2 * mm), _image(psychro, 0.55 * _WIDTH)]))

    def _rows(self, r: RelicReport) -> list[tuple[str, str, str, bool | None]]:
        """Per quantity (table order): mean (min–max), then its other figures; then the rest."""
        w = self.w
        by_q: dict[str, list] = {}
        for f in r.figures:
            by_q.setdefault(f.quantity if f.metric in _PER_QUANTITY else "", []).append(f)
        out = []
        for q in [q for q in QUANTITIES if q in by_q] + [""]:
            figs = {f.metric: f for f in by_q.get(q, [])}
            if {"mean", "min", "max"} <= set(figs):
                out.append((f"{w.quantity(q)}: {w('平均（最小–最大）', 'mean (min–max)')}",
                            f"{number(figs['mean'])} ({number(figs['min']).split(' ')[0]}–{number(figs['max'])})",
                            "", None))
            for key in METRICS:
                if key in figs and key not in ("mean", "min", "max"):
                    f = figs[key]
                    out.append((w.metric(f), number(f), limit_text(f), f.ok))
        return out

    def _climate_png(self, r: RelicReport, start_s: float) -> bytes:
        def hourly(q: str) -> charts.ClimateSeries | None:
            if q not in r.series or not r.series[q][1].size:
                return None
            return charts.ClimateSeries(*_hourly(*r.series[q]))

        band = None
        if r.history_rh is not None and r.history_rh[1].size >= 2:
            t, v = r.history_rh
            b = historical_band(t, v)
            mine = t >= start_s
            band = (t[mine].astype("datetime64[s]"), b.lower[mine], b.upper[mine])
        return charts.climate_chart(hourly("temperature"), hourly("relative_humidity"),
                                    r.profile.band("temperature"), r.profile.band("relative_humidity"), self.w, band)

    def _psychro_png(self, r: RelicReport) -> bytes:
        t = r.series.get("temperature")
        h = r.series.get("relative_humidity")
        if t is None or h is None or not t[1].size or not h[1].size:
            tc, rh = np.array([]), np.array([])
        else:
            th, hm = _hourly(*h)
            tt, tm = _hourly(*t)
            common, it, ih = np.intersect1d(tt, th, return_indices=True)
            tc, rh = tm[it], hm[ih]
        return charts.psychrometric_chart(tc, rh, r.profile.band("temperature"),
                                          r.profile.band("relative_humidity"), self.w)

    def hall_charts(self, h: HallReport) -> None:
        w = self.w
        self.story.append(PageBreak())
        self.p(w("每日风险日历", "Calendar of daily risk"), "h2")
        self.p(w("每格为该文物当日处于任一限值之外的时间比例：白色为全天达标，越深超限越久；斜线为无记录。",
                 "Each cell: share of the day the relic spent outside any of its limits; white = within limits all "
                 "day, darker = longer outside; crossed = no record."), "small")
        names = [w.name(r.relic.name, r.relic.id) for r in h.relics]
        shares = np.array([r.daily_outside for r in h.relics]) if h.relics else np.zeros((0, h.days))
        first = np.datetime64(h.start.astimezone(UTC).replace(tzinfo=None), "D")
        self.story.append(_image(charts.calendar_chart(names, shares, first, w), _WIDTH))
        curves = []
        for r in h.relics:
            if "illuminance" not in r.series or not r.series["illuminance"][1].size:
                continue
            t, lux = r.series["illuminance"]
            band = r.profile.band("illuminance")
            budget = None
            if band is not None and band.annual_exposure is not None:
                budget = pro_rata_budget(band.annual_exposure, t[-1] - h.start.timestamp())
            curves.append((w.name(r.relic.name, r.relic.id), t.astype("datetime64[s]"),
                           cumulative_exposure(t, lux), budget))
        if curves:
            self.p(w("累计曝光量与年度预算", "Light exposure accumulating against the budget"), "h2")
            self.p(w("粗线为累计曝光量，细线为按年曝光限值折算至当日的预算（同一线型为同一文物）。",
                     "Thick: accumulated lx·h; thin: the annual limit pro rata to each day (same dash = same relic)."),
                   "small")
            self.story.append(_image(charts.light_chart(curves, w), _WIDTH))

    def alerts(self, h: HallReport) -> None:
        w = self.w
        self.story.append(CondPageBreak(40 * mm))
        self.p(w("告警", "Alerts"), "h2")
        if not h.alerts:
            self.p(w("本期未产生告警。", "No alerts were raised in the period."))
            return
        acked = [a for a in h.alerts if a.acknowledged_at is not None]
        cleared = [a for a in h.alerts if a.cleared_at is not None]
        delays = sorted(a.ack_delay_s for a in acked if a.ack_delay_s is not None)
        median = _duration(delays[len(delays) // 2]) if delays else "—"
        self.p(w(f"产生 {len(h.alerts)} 条，已确认 {len(acked)} 条（确认用时中位数 {median}），已解除 {len(cleared)} 条。",
                 f"Raised {len(h.alerts)}, acknowledged {len(acked)} (median time to acknowledge {median}), "
                 f"resolved {len(cleared)}."))
        rows = [[w("级别", "Tier", "\n"), w("对象", "Target", "\n"), w("内容", "Message", "\n"), w("产生", "Raised", "\n"),
                 w("确认用时", "Acknowledged after", "\n"), w("解除", "Resolved", "\n")]]
        for a in h.alerts:
            rows.append([w({"red": "红", "yellow": "黄"}.get(a.tier, a.tier), a.tier), a.target,
                         w(a.message_zh, a.message_en, "\n"), _fmt_time(a.raised_at), _duration(a.ack_delay_s),
                         _fmt_time(a.cleared_at)])
        self.story.append(_table(rows, self.st, (0.07, 0.1, 0.4, 0.14, 0.13, 0.16)))

    def actions(self, h: HallReport) -> None:
        w = self.w
        self.story.append(CondPageBreak(30 * mm))
        self.p(w("情景模拟与调控", "What-if runs and control actions"), "h2")
        if not h.whatif:
            self.p(w("本期无情景模拟。", "No what-if runs in the period."))
        else:
            rows = [[w("时间", "When", "\n"), w("情景", "Scenario", "\n"), w("超限次数", "Limit crossings", "\n"),
                     w("超限文物", "Relics crossing a limit", "\n")]]
            names = {r.id: w.name(r.name, r.id) for r in h.scene.relics}
            for run in h.whatif:
                rows.append([_fmt_time(run.at), w.name(run.title, run.scenario) if run.title else run.scenario,
                             str(run.crossings), ", ".join(names.get(x, x) for x in run.relics) or "—"])
            self.story.append(_table(rows, self.st, (0.18, 0.3, 0.14, 0.38)))
        if not h.control:
            self.p(w("本期无调控指令记录。", "No control commands recorded in the period."))
            return
        rows = [[w("时间", "When", "\n"), w("设备", "Actuator", "\n"), w("决定者", "By", "\n"), w("原因", "Why", "\n"), w("指令", "Command", "\n")]]
        for a in h.control:
            rows.append([_fmt_time(a.at), a.actuator, a.who, a.why, a.after])
        self.story.append(Spacer(1, 2 * mm))
        self.story.append(_table(rows, self.st, (0.17, 0.15, 0.13, 0.35, 0.2)))

    def quality(self, h: HallReport) -> None:
        w = self.w
        self.story.append(CondPageBreak(40 * mm))
        self.p(w("数据质量", "Data quality"), "h2")
        self.p(w("完整率 = 收到读数 / 按标称间隔应有读数；可用率 = 质量为 ok 的读数（上述指标只用这些）/ 应有读数；"
                 "缺口为超过3个标称间隔无数据；电量：本期是否有低电量告警。",
                 "Completeness = readings received / readings the nominal interval implies; used = readings of "
                 "quality ok (the only ones in the figures above) / readings implied; a gap is a silence longer "
                 "than 3 nominal intervals; battery: whether a low-battery alert was raised in the period."), "small")
        rows = [[w("传感器", "Sensor", "\n"), w("指标", "Quantity", "\n"), w("标称间隔", "Interval", "\n"), w("完整率", "Complete", "\n"),
                 w("可用率", "Used", "\n"), w("缺口", "Gaps", "\n"), w("标记", "Flagged", "\n"), w("隔离", "Quarantined", "\n"),
                 w("电量", "Battery", "\n")]]
        shade = []
        for i, q in enumerate(h.quality, start=1):
            c = q.completeness
            interval = "—" if not np.isfinite(c.interval_s) else _duration(c.interval_s)
            share = "0 %" if c.received == 0 else ("—" if not np.isfinite(c.share) else f"{100 * c.share:.1f} %")
            gaps = f"{len(c.gaps)} ({c.gap_hours:.1f} h)" if c.gaps else "0"
            used = "—" if not np.isfinite(q.used_share) else f"{100 * q.used_share:.1f} %"
            low = h.battery_low_since(q.sensor)
            battery = "—" if low is None else w(f"低（{_fmt_time(low)[:10]}起）", f"low since {_fmt_time(low)[:10]}")
            rows.append([q.sensor, w.quantity(q.quantity), interval, share, used, gaps, str(q.flagged),
                         str(h.quarantined.get(q.sensor, 0)), battery])
            if c.received == 0 or c.gaps or q.flagged or low is not None:
                shade.append(i)
        self.story.append(_table(rows, self.st, (0.08, 0.19, 0.1, 0.1, 0.1, 0.13, 0.09, 0.1, 0.11), shade))

    def calibration(self, h: HallReport) -> None:
        w = self.w
        self.p(w("传感器校准", "Sensor calibration"), "h2")
        if not h.calibrations:
            self.p(w("未登记校准记录。", "No calibrations recorded."))
            return
        rows = [[w("传感器", "Sensor", "\n"), w("指标", "Quantity", "\n"), w("偏移", "Offset", "\n"), w("增益", "Gain", "\n"),
                 w("设定日期", "Set on", "\n"), w("设定人", "Set by", "\n"), w("下次校准", "Due", "\n")]]
        shade = []
        for i, c in enumerate(h.calibrations, start=1):
            due = c.due_at
            rows.append([c.sensor, w.quantity(c.quantity), f"{c.offset:+g}", f"{c.gain:g}", _fmt_time(c.set_at)[:10],
                         c.set_by, _fmt_time(due)[:10] + (" " + w("已到期", "DUE") if due <= h.end else "")])
            if due <= h.end:
                shade.append(i)
        self.story.append(_table(rows, self.st, (0.1, 0.2, 0.1, 0.1, 0.15, 0.15, 0.2), shade))

    def appendix(self, halls: Sequence[HallReport]) -> None:
        w = self.w
        self.story.append(PageBreak())
        self.p(w("附录：指标定义与来源", "Appendix: definitions and sources"), "h1")
        used = {f.metric for h in halls for r in h.relics for f in r.figures}
        rows = [[w("指标", "Figure", "\n"), w("定义", "Definition", "\n"), w("来源", "Source", "\n")]]
        for key, m in METRICS.items():
            if key in used:
                rows.append([w(m.zh, m.en, "\n"), w(m.definition_zh, m.definition_en, "\n"), m.source])
        self.story.append(_table(rows, self.st, (0.22, 0.5, 0.28)))
        self.p(w("材料限值的来源", "Sources of the material limits"), "h2")
        cited: dict[str, str] = {}
        for h in halls:
            for r in h.relics:
                cited.update(r.profile.sources)
        for key in sorted(cited):
            self.p(f"[{key}] {cited[key]}", "small")
        self.p(w("时间均为 UTC。冷表面温度取厅内各测点每小时最低温度（无表面传感器时的替代）。",
                 "All times are UTC. The cold surface is the lowest temperature any sensor of the hall measured in "
                 "each hour (standing in for a surface sensor)."), "small")


def write_pdf(halls: Sequence[HallReport], out: Path | io.BytesIO, lang: str = "both",
              site: Mapping[str, str] | None = None) -> None:
    """Write the report of ``halls`` to ``out`` (a path or a binary buffer) in ``lang``.

    site : the site's names ({"zh-CN", "en"}); with it (or with several halls) a site overview comes first
    """
    _register_font()
    words = Words(lang)
    b = _Builder(words)
    if site is not None or len(halls) > 1:
        b.site(halls, site or {})
    for i, h in enumerate(halls):
        b.hall(h, first=i == 0 and site is None and len(halls) <= 1)
    b.appendix(halls)
    target = str(out) if isinstance(out, Path) else out
    doc = SimpleDocTemplate(target, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=words("文物保存环境月报", "Conservation environment report"),
                            author="relic-twin")

    def footer(canvas: Canvas, doc_: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"relic-twin · {doc_.page}")
        canvas.restoreState()

    def canvasmaker(*args, **kw):  # every font of the file is the embedded CJK font
        return Canvas(*args, **{**kw, "initialFontName": FONT})

    doc.build(b.story, onFirstPage=footer, onLaterPages=footer, canvasmaker=canvasmaker)
