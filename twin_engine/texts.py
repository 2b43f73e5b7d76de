"""Every text the monitor shows, in Chinese (zh-CN) and English (en).

Quantity names and units come from ``simulation/quantities.py``; scene
names (hall, zones, relics) from the scene document. Everything else a
user reads is here, looked up with :func:`t` (``bridge/texts.py``'s lookup; scene
texts with its ``pick``).
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.texts import LANGS, lookup, pick

TEXTS: Mapping[str, Mapping[str, str]] = {
    "title": {"zh-CN": "文物数字孪生 · 实时监测", "en": "Relic twin · live monitor"},
    "legend": {"zh-CN": "图例", "en": "Legend"},
    "no_data": {"zh-CN": "无数据", "en": "no data"},
    "no_sensor": {"zh-CN": "无传感器", "en": "no sensor"},
    "stale": {"zh-CN": "过期或异常读数", "en": "stale or flagged reading"},
    "uncertain": {"zh-CN": "越灰越远离有效传感器", "en": "greyer = farther from a fresh sensor"},
    "field_method": {"zh-CN": "插值：{name}", "en": "Field: {name}"},
    "field_IDW": {"zh-CN": "反距离加权 IDW", "en": "inverse distance (IDW)"},
    "field_kriging": {"zh-CN": "克里金（高斯过程）", "en": "kriging (Gaussian process)"},
    "field_offsets": {"zh-CN": " + 传感器偏差校正", "en": " + sensor offsets"},
    "field_loo": {"zh-CN": "留一误差 {rmse}（IDW {idw}）", "en": "leave-one-out {rmse} (IDW {idw})"},
    "field_fallback": {"zh-CN": "未选模型：{why}", "en": "not chosen: {why}"},
    "field_pending": {"zh-CN": "尚未按历史选择", "en": "not yet chosen on history"},
    "alerts": {"zh-CN": "告警", "en": "Alerts"},
    "no_alerts": {"zh-CN": "无告警", "en": "No alerts"},
    "acknowledged": {"zh-CN": "已确认", "en": "acknowledged"},
    "ack_hint": {"zh-CN": "A 确认首条  J 跳到告警开始  PgUp/PgDn 翻页", "en": "A ack top  J jump to its start  PgUp/PgDn scroll"},
    "more_rows": {"zh-CN": "还有 {n} 条", "en": "+{n} more"},
    "open_for": {"zh-CN": "已持续 {d}", "en": "open {d}"},
    "no_alert_to_jump": {"zh-CN": "当前没有告警，J 无处可跳", "en": "No alert to jump to"},
    "esc_again": {"zh-CN": "再按一次 Esc 退出监测", "en": "Press Esc again to quit the monitor"},
    "axis_past": {"zh-CN": "-24 小时", "en": "-24 h"},
    "axis_now": {"zh-CN": "现在", "en": "now"},
    "axis_ahead": {"zh-CN": "+12 小时", "en": "+12 h"},
    "limit_word": {"zh-CN": "限值", "en": "limit"},
    "tier_red": {"zh-CN": "红色", "en": "red"},
    "tier_yellow": {"zh-CN": "黄色", "en": "yellow"},
    "relic": {"zh-CN": "文物", "en": "Relic"},
    "sensor": {"zh-CN": "传感器", "en": "Sensor"},
    "material": {"zh-CN": "材质", "en": "Material"},
    "era": {"zh-CN": "年代", "en": "Era"},
    "zone": {"zh-CN": "展区", "en": "Zone"},
    "case": {"zh-CN": "展柜", "en": "Case"},
    "limits": {"zh-CN": "限值", "en": "Limits"},
    "risk": {"zh-CN": "当前风险", "en": "Current risk"},
    "history_24h": {"zh-CN": "过去24小时", "en": "Last 24 h"},
    "forecast": {"zh-CN": "预测", "en": "Forecast"},
    "no_history": {"zh-CN": "历史数据尚未载入", "en": "history not loaded yet"},
    "stale_tag": {"zh-CN": "过期", "en": "stale"},
    "flagged_tag": {"zh-CN": "异常", "en": "flagged"},
    "time": {"zh-CN": "时间", "en": "Time"},
    "replay": {"zh-CN": "回放", "en": "Replay"},
    "live": {"zh-CN": "实时", "en": "Live"},
    "help": {
        "zh-CN": "Q/E 切换指标  T 温度  H 湿度  0-4 视角  方向键/拖动 旋转  右键 平移  滚轮 缩放  [ ] 回放  L 语言  P 执行建议  O 保持设备1小时  F 全屏  Esc 返回（连按两次退出）",
        "en": "Q/E quantity  T temp  H humidity  0-4 views  arrows/drag orbit  right-drag pan  wheel zoom  [ ] replay  L language  P apply advice  O hold machines 1 h  F full screen  Esc back (twice: quit)",
    },
    "mesh": {"zh-CN": "三维模型", "en": "3D model"},
    "stand_in": {"zh-CN": "替代模型（非本件文物扫描）", "en": "stand-in (not a scan of this object)"},
    "ack_button": {"zh-CN": "确认", "en": "Ack"},
    "hours_ago": {"zh-CN": "{h} 小时前", "en": "{h} h ago"},
    "replay_hint": {"zh-CN": "[ ] 逐小时回放  J 跳到告警开始  End 回到实时", "en": "[ ] step hours  J jump to alert start  End back to live"},
    "view_overview": {"zh-CN": "总览", "en": "Overview"},
    "conn_connected": {"zh-CN": "已连接", "en": "connected"},
    "conn_connecting": {"zh-CN": "正在连接…", "en": "connecting…"},
    "conn_reconnecting": {"zh-CN": "连接中断，正在重连…", "en": "connection lost, reconnecting…"},
    "conn_unreachable": {"zh-CN": "无法连接孪生服务", "en": "twin service unreachable"},
    "conn_refused": {"zh-CN": "登录被拒绝，请检查令牌 (--token)", "en": "sign-in refused: check the token (--token)"},
    "conn_waiting": {"zh-CN": "等待数据", "en": "waiting for data"},
    "conn_latest": {"zh-CN": "最新数据 {when}", "en": "latest data {when}"},
    "conn_no_data_since": {"zh-CN": "自 {when} 起无数据", "en": "no data since {when}"},
    "alerts_unknown": {"zh-CN": "未连接：告警未知", "en": "not connected: alerts unknown"},
    "actuator_on": {"zh-CN": "运行", "en": "on"},
    "actuator_off": {"zh-CN": "停止", "en": "off"},
    "actuator_pending": {"zh-CN": "等待设备确认", "en": "waiting for echo"},
    "actuator_unknown": {"zh-CN": "状态未知", "en": "state unknown"},
    "actuator_advice": {"zh-CN": "有建议（P 执行）", "en": "advice (P applies)"},
}


def t(key: str, lang: str = "en") -> str:
    """The text ``key`` in ``lang`` ("zh-CN"/"zh" or "en"); English when missing."""
    return lookup(TEXTS, key, lang)


__all__ = ["LANGS", "TEXTS", "pick", "t"]
