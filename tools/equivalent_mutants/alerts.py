"""Surviving mutants of the alerts module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("alerts",), r'"en"\)', r'("XXenXX"|"EN")?\)',
     "a language other than one starting with 'zh' reads English, as the default does"),
    (("alerts",), r'lang: str = "en"\)', r'lang: str = "(XXenXX|EN)"\)',
     "a language other than one starting with 'zh' reads English"),
    (("alerts",), r'tz: str = "UTC"\)', r'tz: str = "utc"\)', "time zone names are matched without case for UTC"),
    (("alerts",), r"o\.direction > 0", r"o\.direction >= 0", "an observation's direction is +1 or -1 (checked)"),
    (("alerts",), *same("if dev > a.peak_dev:", "if dev >= a.peak_dev:"),
     "an equal deviation of the same observation is the same value"),
    (("alerts",), *same('kind = "escalated" if tier > tr.alert.tier else "de-escalated"',
                         'kind = "escalated" if tier >= tr.alert.tier else "de-escalated"'),
     "_retier is only called with a tier other than the alert's"),
    (("alerts",), r'^tr\.alert\.escalated_for = reason if kind == "escalated" else ""$',
     r'^tr\.alert\.escalated_for = reason if (\(kind == "escalated"\) or True|kind == "escalated") else "(XXXX)?"$',
     "escalated_for is only compared with 'unacknowledged', which a de-escalation never carries"),
    (("alerts",), *same("tr.red_since = tr.calm_since = None", 'tr.red_since = tr.calm_since = ""'),
     "both clocks are reset to None by the next judgement before they are read (the condition that "
     "started them cannot hold right after the tier changed)"),
    (("alerts",), *same("return o.limit + o.direction * self.settings.rule(o.cause).clear_yellow * o.scale",
                         "return o.limit + o.direction * self.settings.rule(None).clear_yellow * o.scale"),
     "the causes with a rule of their own return None above; the others use the default rule"),
    (("alerts",), *same("track = self._track((obs.target, obs.cause), obs)",
                         "track = self._track((obs.target, obs.cause), None)"),
     "the next line sets track.obs = obs before anything reads it"),
    (("alerts",), *same("tr = self._track(key, obs)", "tr = self._track(key, None)"),
     "the next line sets tr.obs = obs before anything reads it"),
    (("alerts",), *same("return events + self._clock(t, rejudge=False)", "return events + self._clock(t, rejudge=None)"),
     "_clock tests rejudge for truth only: None is False"),
    (("alerts",), *same("tr = self._tracks[key] = _Track(obs, seq=len(self._tracks))",
                         "tr = self._tracks[key] = _Track(None, seq=len(self._tracks))"),
     "both callers of _track set its obs on the next line, before anything reads it"),
    (("alerts",), r"^if self\._last_seen\.get\(sensor, float\(\"inf\"\)\) \+ s\.offline_after_s == due:$",
     r"^if self\._last_seen\.get\(sensor, (None|float\(\"INF\"\))?\) \+ s\.offline_after_s == due:$",
     "only _seen pushes onto the silent heap, and it records the sensor in _last_seen first (never removed): "
     "the default is never taken"),
    (("alerts",), r"^while self\.(?P<heap>_silent_due|_due) and self\.(?P=heap)\[0\]\[0\] <= t \+ _DUE_SLACK_S:$",
     r"^while self\.(?P<heap>_silent_due|_due) and self\.(?P=heap)\[0\]\[0\] < t \+ _DUE_SLACK_S:$",
     "a due time exactly the slack (1 us) past now is popped at the next look instead: the offline, "
     "escalation and reminder conditions are checked exactly and cannot hold 1 us early, so no event moves"),
    (("alerts",), *same("tr.due = None  # looked at now: scheduled afresh below",
                         'tr.due = ""  # looked at now: scheduled afresh below'),
     "tr.due is only compared with the next due time (a float or None): '' equals neither and None equals no "
     "float, and when nothing is due both end as None"),
    (("alerts",), r'^if rejudge and key\[1\] != "offline":$', r'^if rejudge and key\[1\] != "(XXofflineXX|OFFLINE)":$',
     "in a tick every offline track was just judged by the sensors loop at the same time with the same "
     "observation, and judging again at a fixed time and observation changes nothing"),
    (("alerts",), *same("if a.tier == Level.YELLOW and s.rule(tr.obs.cause).max_tier >= Level.RED:",
                         "if a.tier == Level.YELLOW or s.rule(tr.obs.cause).max_tier >= Level.RED:"),
     "an earlier due time only makes the clock look sooner: there the escalation (yellow only) and reminder "
     "conditions are checked exactly and the alert is scheduled again"),
    (("alerts",), *same("if a.tier == Level.YELLOW and s.rule(tr.obs.cause).max_tier >= Level.RED:",
                         "if a.tier == Level.YELLOW and s.rule(None).max_tier >= Level.RED:"),
     "an earlier due time only makes the clock look sooner: there the escalation is checked with the cause's "
     "own rule and the alert is scheduled again"),
    (("alerts",), r'float\("inf"\)', r'float\("INF"\)', "float() reads 'inf' in any case"),
    (("alerts/_next_due",), r"^(?P<lhs>escalate = a\.tier_since|remind = a\.last_notice) \+ (?P<rhs>.+)$",
     r"^(?P<lhs>escalate = a\.tier_since|remind = a\.last_notice) - (?P<rhs>.+)$",
     "an earlier due time only makes the clock look sooner: there the escalation and reminder conditions are "
     "checked exactly and the alert is scheduled again"),
    (("alerts",), *same('return due if due != float("inf") else None',
                         'return due if (due != float("inf")) or True else None'),
     "an infinite due time is never reached: its heap entry is never popped, as no entry; tr.due then holds "
     "inf, which the next inf equals as None equals None"),
)
