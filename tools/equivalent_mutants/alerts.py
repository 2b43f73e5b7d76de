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
)
