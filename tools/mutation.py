"""Mutation testing of the core: mutmut over each core module against its own fast tests.

    python tools/mutation.py                      # every module, in the order below
    python tools/mutation.py risk alerts          # only these (the others keep their last result)
    python tools/mutation.py --budget-min 20 ...  # stop a module after 20 min (reported as partial)
    python tools/mutation.py --rerun decoders     # after adding tests: the last run's survivors again

Each module runs alone in ``.mutation/<name>/`` (ignored by git): links to the project's folders and
a copy of ``pyproject.toml`` with a ``[tool.mutmut]`` table naming the module's files and its tests,
so mutmut (https://mutmut.readthedocs.io) mutates only that module and runs only those tests (and of
those, per mutant, only the ones that reach the mutated function). mutmut keeps its results there,
which ``--keep`` reuses (only after a change of the module itself: mutmut's cache does not notice changed
tests, so by default each run starts afresh). Runs under ``nice -n 19``: the machine is shared.

Results go to ``docs/mutation.json`` (one entry per module, kept across runs) and are written out
as ``docs/mutation.txt``, whose last line is ``core mutation score: NN %``:

    score = (killed + timeout) / (mutants - equivalent)

A mutant that survives, or that no selected test reaches ("no tests"), counts against the score
unless it is listed in :data:`EQUIVALENT` with the reason it cannot change behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".mutation"
RESULTS = ROOT / "docs" / "mutation.json"
REPORT = ROOT / "docs" / "mutation.txt"
LINKS = ("simulation", "bridge", "twin_engine", "tests", "scenes", "assets")


@dataclass(frozen=True)
class Module:
    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]


# The core, small pure modules first; each with the fast tests that exercise it (not the whole suite).
MODULES: tuple[Module, ...] = (
    Module("psychrometrics", ("simulation/psychrometrics.py",), ("tests/test_psychrometrics.py", "tests/test_metrics.py")),
    Module("preservation_index", ("simulation/preservation_index.py",), ("tests/test_metrics.py",)),
    Module("risk", ("simulation/risk.py",), ("tests/test_risk.py",)),
    Module("alerts", ("simulation/alerts.py",), ("tests/test_alerts.py",)),
    Module("auth", ("bridge/api/auth.py",), ("tests/test_auth.py",)),
    Module("governance", ("bridge/ingest/governance.py",), ("tests/test_governance.py",)),
    Module("cleaning", ("simulation/cleaning.py",), ("tests/test_cleaning.py",)),
    Module("decoders", tuple(f"bridge/sensors/{m}.py" for m in (
        "native", "message", "senml", "zigbee2mqtt", "tasmota", "shelly", "ttn", "ha_discovery", "units")),
        ("tests/test_decoders.py", "tests/test_decoders_fast.py", "tests/test_decoders_rules.py",
         "tests/test_decoders_encode.py")),
    # the role checks one rule at a time in process (test_api_roles.py's real server takes 30 s a mutant)
    Module("api_roles", ("bridge/api/context.py",), ("tests/test_api_context.py",)),
    Module("ingestor", ("bridge/ingest/ingestor.py",), ("tests/test_ingest.py", "tests/test_ingest_rules.py")),
    # calibration: not the 7-day real-house fit and the 3-day synthetic one (10 s a mutant); the magnitudes
    # file fits one-cell rooms on 1-2.5 day records instead
    Module("calibration", ("simulation/calibration.py",),
           ("tests/test_calibration_magnitudes.py",
            "tests/test_climate_calibration.py::test_hourly_metrics_follow_guideline_14_definitions",
            "tests/test_climate_calibration.py::test_fit_refuses_unknown_parameters")),
    Module("forecast", ("simulation/forecast.py",),
           ("tests/test_forecast_rules.py", "tests/test_forecast.py", "tests/test_forecast_real.py")),
    Module("climate", ("simulation/climate.py",), ("tests/test_climate_magnitudes.py", "tests/test_climate.py")),
)

# Surviving mutants that cannot change behaviour: (modules, removed line, added line, reason), the lines
# as regular expressions matched against the mutant's one-line diff (mutmut's names such as
# x_f__mutmut_7 change when code moves; a changed line no longer matches and must be judged again).
# Each entry was checked by reading the code of the modules it names.
_ASARRAY_FLOAT = (r"np\.asarray\((?P<a>[^()]+), dtype=float\)", r"np\.asarray\((?P<a>[^()]+), (dtype=None)?\)")


def _same(removed: str, added: str) -> tuple[str, str]:
    """An exact one-line change, as the pair of regular expressions :func:`equivalent` matches."""
    return "^" + re.escape(removed) + "$", "^" + re.escape(added) + "$"


EQUIVALENT: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("psychrometrics", "preservation_index", "risk"), *_ASARRAY_FLOAT,
     "dtype=float dropped: on numeric input the float arithmetic that follows promotes ints alike"),
    (("risk",), r'^def label\(self, lang: str = "en"\) -> str:$', r'^def label\(self, lang: str = "(XXenXX|EN)"\) -> str:$',
     "any default not starting with 'zh' reads English"),
    (("risk",), *_same('change_band = Band(f"{quantity}_change_24h", None, band.max_change_24h, sources=band.sources)',
                       'change_band = Band(None, None, band.max_change_24h, sources=band.sources)'),
     "the change band's quantity is only looked up in reference spans, emptied for this check; the name is passed"),
    (("risk",), r'^change_band = Band\(f"\{quantity\}_change_24h", None, band\.max_change_24h, sources=band\.sources\)$',
     r'^change_band = Band\(f"\{quantity\}_change_24h", None, band\.max_change_24h, (sources=None)?\)$',
     "a band's sources are not read in grading"),
    (("risk",), *_same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, reference_spans={}), check=None)'),
     "without a name the check takes the change band's quantity, the same name"),
    (("risk",), *_same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, reference_spans={}), )'),
     "without a name the check takes the change band's quantity, the same name"),
    (("risk",), *_same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, ), check=f"{quantity}_change_24h")'),
     "reference spans are keyed by quantity; no span is named '<quantity>_change_24h'"),
    (("risk",), r'float\("nan"\)', r'float\("NAN"\)', "float() reads 'nan' in any case"),
    (("risk",), *_same("return np.where(np.isnan(v), np.nan, d)", "return np.where(None, np.nan, d)"),
     "d is already NaN where v is: np.maximum propagates NaN"),
    (("governance",), r'^order = np\.argsort\(tt, kind="stable"\)$', r'^order = np\.argsort\(tt, (kind=None|kind="STABLE")?\)$',
     "the missing instants are never equal to a reading's time: no ties to keep in order"),
    (("alerts",), r'"en"\)', r'("XXenXX"|"EN")?\)',
     "a language other than one starting with 'zh' reads English, as the default does"),
    (("alerts",), r'lang: str = "en"\)', r'lang: str = "(XXenXX|EN)"\)',
     "a language other than one starting with 'zh' reads English"),
    (("alerts",), r'tz: str = "UTC"\)', r'tz: str = "utc"\)', "time zone names are matched without case for UTC"),
    (("alerts",), r"o\.direction > 0", r"o\.direction >= 0", "an observation's direction is +1 or -1 (checked)"),
    (("alerts",), *_same("if dev > a.peak_dev:", "if dev >= a.peak_dev:"),
     "an equal deviation of the same observation is the same value"),
    (("alerts",), *_same('kind = "escalated" if tier > tr.alert.tier else "de-escalated"',
                         'kind = "escalated" if tier >= tr.alert.tier else "de-escalated"'),
     "_retier is only called with a tier other than the alert's"),
    (("alerts",), r'^tr\.alert\.escalated_for = reason if kind == "escalated" else ""$',
     r'^tr\.alert\.escalated_for = reason if (\(kind == "escalated"\) or True|kind == "escalated") else "(XXXX)?"$',
     "escalated_for is only compared with 'unacknowledged', which a de-escalation never carries"),
    (("alerts",), *_same("tr.red_since = tr.calm_since = None", 'tr.red_since = tr.calm_since = ""'),
     "both clocks are reset to None by the next judgement before they are read (the condition that "
     "started them cannot hold right after the tier changed)"),
    (("alerts",), *_same("return o.limit + o.direction * self.settings.rule(o.cause).clear_yellow * o.scale",
                         "return o.limit + o.direction * self.settings.rule(None).clear_yellow * o.scale"),
     "the causes with a rule of their own return None above; the others use the default rule"),
    (("auth",), *_same('return base64.urlsafe_b64encode(data).rstrip(b"=").decode()',
                       'return base64.urlsafe_b64encode(data).rstrip(b"XX=XX").decode()'),
     "a body is base64 of JSON ending in '}', whose last character is 9, Q or 0, never X; a signature "
     "goes through the same function when issued and when checked"),
    (("auth",), *_same('return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))',
                       'return base64.urlsafe_b64decode(text + "=" * (+len(text) % 4))'),
     "3 pad characters where 1 is needed: base64 decoding ignores surplus padding"),
    (("auth",), *_same("secret = secrets.token_bytes(32)", "secret = secrets.token_bytes(None)"),
     "secrets.token_bytes(None) gives its default of 32 bytes"),
    (("auth",), *_same("if not body or not sig or not hmac.compare_digest(self._sign(body), sig):",
                       "if not body and not sig or not hmac.compare_digest(self._sign(body), sig):"),
     "an empty body or signature then fails the digest comparison, or the empty body's JSON decoding"),
    (("auth",), *_same('body, _, sig = token.partition(".")', 'body, _, sig = token.rpartition(".")'),
     "tokens the server signs hold one dot (base64url has none); with more, both splits fail the digest"),
    (("climate",), *_same("return state.w_sat if state.w_sat is not None else vapour_density(state.t, 100.0)",
                          "return state.w_sat if (state.w_sat is not None) and False else vapour_density(state.t, 100.0)"),
     "w_sat is a cache: step() sets it to vapour_density(t, 100) of the same new t; recomputing gives the same"),
    (("climate",), *_same("return pt, rh_from_vapour_density(pt, pw), zt, rh_from_vapour_density(zt, zw) if len(zt) else zt",
                          "return pt, rh_from_vapour_density(pt, pw), zt, rh_from_vapour_density(zt, zw) if (len(zt)) or True else zt"),
     "without zones zt is an empty float array, and so is rh_from_vapour_density of two empty arrays"),
    (("climate",), r"\.reshape\(len\(rec\), -1\)", r"\.reshape\(len\(rec\), -2\)",
     "numpy reads a negative size as 'the rest' whatever its value (numpy 2.4; -1 is the documented one)"),
    (("forecast",), r"^v = np\.asarray\(values, dtype=float\)$", r"^v = np\.asarray\(values, (dtype=None)?\)$",
     "forecast() only checks the shape; forecast_many reads the values as float"),
    (("forecast",), *_same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(None)"),
     "float keys group the sensors as the integer ones do (only equality of keys is used)"),
    (("forecast",), *_same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) + 1e-9).astype(int)"),
     "the ratio is a whole number only for a length of 1 (1.25^k is not whole for k > 0): its key moves from 0 to "
     "1, a bucket no other length falls in"),
    (("forecast",), *_same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) - 1.000000001).astype(int)"),
     "every key moves down by one: the same groups"),
    (("forecast",), *_same("length = np.maximum(t - first, 1)", "length = np.maximum(t - first, 2)"),
     "a row of length 1 then shares a key only with rows of length 2, and every group keeps at least 2 columns "
     "below: the same columns and origins"),
    (("forecast",), *_same("out.append((rows, int(min(t, max(length[rows].max(), 2)))))",
                           "out.append((rows, int(min(t, max(length[rows].max(), 3)))))"),
     "a group whose rows hold at most 2 readings gets one more leading empty column: it adds no scored window "
     "(its origin's value is missing), so the same backtest, random-walk band and forecast"),
    (("forecast",), *_same("holt = None", 'holt = ""'),
     "holt is read only through `if holt` (both are false) or replaced by holt_states"),
    (("forecast",), *_same('if {"holt", "holt_damped"} & set(settings.candidates):',
                           'if {"holt", "holt_damped"} | set(settings.candidates):'),
     "Holt states computed when no Holt candidate is tried are never read (candidate_forecasts uses them only "
     "for those candidates): slower, the same forecast"),
    (("calibration",), *_same("train = slice(0, int(np.searchsorted(data.times_s, t0 + train_days * day)))", "train = slice(None, int(np.searchsorted(data.times_s, t0 + train_days * day)))"),
     "a slice from None starts at 0"),
    (("calibration",), *_same("train = slice(0, int(np.searchsorted(data.times_s, t0 + train_days * day)))", "train = slice(int(np.searchsorted(data.times_s, t0 + train_days * day)))"),
     "slice(stop) is slice(None, stop)"),
    # Holt states are computed once per block (an optimisation); without them candidate_forecasts computes
    # the same states per chunk from the single-precision copy: the same forecast to float32 rounding
    # (at most 3e-6 K measured on 20 °C series), the precision the backtest is scored and issued in
    (("forecast",), r'^if \{"holt", "holt_damped"\} & set\(settings\.candidates\):$',
     r'^if \{"(XXholtXX|HOLT|holt)", "(XXholt_dampedXX|HOLT_DAMPED|holt_damped)"\} & set\(settings\.candidates\):$',
     "Holt states precomputed for fewer candidate names: computed per chunk instead, equal to float32 rounding"),
    (("forecast",), *_same("holt = holt_states(y, np.append(origins, y.shape[1] - 1), step_s)", "holt = None"),
     "Holt states not precomputed: computed per chunk instead, equal to float32 rounding"),
    (("forecast",), r"^holt\.rows\(slice\(i, i \+ CHUNK\)\) if holt else None,$",
     r"^(None,|holt\.rows\(slice\(i, i \+ CHUNK\)\) if \(holt\) and False else None,)$",
     "precomputed Holt states not passed: computed per chunk instead, equal to float32 rounding"),
    # _buffer: scratch arrays reused across chunks (an optimisation); every value is written before it is read
    (("forecast",), r"^buf = work\.get\(key\)$", r"^buf = (None|work\.get\(None\))$",
     "no cached scratch array: a fresh one, the same values"),
    (("forecast",), *_same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=None)):'),
     'the shapes zipped have the same length (ndim checked before)'),
    (("forecast",), *_same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, )):'),
     'the shapes zipped have the same length (ndim checked before)'),
    (("forecast",), *_same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim == len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):'),
     'a fresh scratch array every time: the same values'),
    (("forecast",), *_same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b <= s for b, s in zip(buf.shape, shape, strict=True)):'),
     'a fresh scratch array when one of the same size is cached: the same values'),
    (("forecast",), *_same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) and any(b < s for b, s in zip(buf.shape, shape, strict=True)):'),
     'within a block the first chunk has the most rows and every other size is fixed, so a cached buffer is never too small: reused as before'),
    (("climate",), r"^model\._epoch \+= 1$", r"^model\._epoch (-= 1|\+= 2)$",
     "the epoch only keys cached factorisations: any step that never repeats an earlier value does"),
    (("calibration",), r"np\.asarray\((?P<a>[^()]+), float\)", r"np\.asarray\((?P<a>[^()]+), (None)?\)",
     "float dropped: the records are numeric, and the means and differences that follow are float alike"),
    (("calibration",), *_same("hour = np.floor(np.asarray(times_s) / 3600.0).astype(np.int64)",
                              "hour = np.floor(np.asarray(times_s) / 3600.0).astype(None)"),
     "hours as whole floats group alike (only their equality is used)"),
    (("calibration",), r'float\("nan"\)', r'float\("NAN"\)', "float() reads 'nan' in any case"),
    (("calibration",), r"zip\(names, \(float\(v\) for v in x\), strict=True\)",
     r"zip\(names, \(float\(v\) for v in x\), (strict=False|strict=None)?\)",
     "the optimiser's x has one value per name"),
    (("forecast",), r"^y32 = y\.astype\(np\.float32\)", r"^y32 = y\.astype\(None\)",
     "the backtest scored in double instead of single precision: the same forecast to float32 rounding"),
    (("calibration",), *_same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 / (hi - lo), hi - 1e-9 * (hi - lo))"),
     "a start below the bounds moves to within 1e-7 of them instead of 1e-9 of the range: strictly inside "
     "either way (scipy's trf also makes it so), the same fit"),
    (("calibration",), *_same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi + lo), hi - 1e-9 * (hi - lo))"),
     "a start below the bounds moves to 1e-9 of (hi + lo) inside them instead of 1e-9 of the range: the same fit"),
    (("calibration",), *_same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 / (hi - lo))"),
     "a start above the bounds moves to within 1e-7 of them instead of 1e-9 of the range: the same fit"),
    (("calibration",), *_same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi + lo))"),
     "a start above the bounds moves to 1e-9 of (hi + lo) inside them instead of 1e-9 of the range: the same fit"),
    # fit: the model runs only up to the last scored sample (an optimisation); the model is causal, so a
    # longer run gives the same values at the scored samples, and only times_s[:2] (the step) and the first
    # complete indoor row are read of the other arrays
    (("calibration",), r"^stop = idx\[-1\] \+ 1$", r"^stop = (None|idx\[-1\] \+ 2)$",
     "a run longer than the last scored sample: the same values at the scored ones (the model is causal)"),
    (("calibration",), r"^cut = replace\(data, times_s=data\.times_s\[:stop\], t_in=data\.t_in\[:stop\], rh_in=data\.rh_in\[:stop\],$",
     r"^cut = replace\(data, (t_in=data\.t_in\[:stop\], rh_in=data\.rh_in\[:stop\],|times_s=data\.times_s\[:stop\], t_in=data\.t_in\[:stop\], t_out=data\.t_out\[:stop\], rh_out=data\.rh_out\[:stop\], heat_w=data\.heat_w\[:stop\]\))$",
     "an array left whole: times_s gives only the step, rh_in only its first complete row; the run's length is "
     "t_in's"),
    (("calibration",), r"^t_out=data\.t_out\[:stop\], rh_out=data\.rh_out\[:stop\], heat_w=data\.heat_w\[:stop\]\)$",
     r"^(rh_out=data\.rh_out\[:stop\], heat_w=data\.heat_w\[:stop\]\)|t_out=data\.t_out\[:stop\], heat_w=data\.heat_w\[:stop\]\)|t_out=data\.t_out\[:stop\], rh_out=data\.rh_out\[:stop\], \))$",
     "a forcing array left whole: the run reads it only up to t_in's (cut) length"),
    (("calibration",), r"x_scale=1\.0,$", r"x_scale=None,$",
     "scipy (1.17) reads x_scale=None as 1.0 for the 'trf' method used with bounds"),
    (("climate",), r"^hvac_i_t=i_t, hvac_i_w=i_w, w_sat=w_sat\)$", r"^hvac_i_t=i_t, hvac_i_w=i_w, (w_sat=None)?\)$",
     "the saturation cache not kept: the next step computes vapour_density(t, 100) of the same t again"),
    (("api_roles",), *_same('auth = request.headers.get("authorization", "")',
                            'auth = request.headers.get("authorization", "XXXX")'),
     "without the header, any default without a space before a token reads as no bearer token"),
    (("decoders",), *_same('ignored += add_table(msg, sensor, rest, table, time, STATUS_KEYS, prefix="decoded_payload.")',
                           'ignored = add_table(msg, sensor, rest, table, time, STATUS_KEYS, prefix="decoded_payload.")'),
     "ttn: the list is still empty there, so adding to it is assigning"),
    (("decoders",), *_same('msg.add(sensor, quantity, m["measurementValue"], unit, time, key=f"messages.{mid}")',
                           'msg.add(sensor, quantity, m["measurementValue"], None, time, key=f"messages.{mid}")'),
     "ttn: every SenseCAP unit (°C, %RH, lx) is the quantity's canonical one, which no unit means too"),
    (("decoders",), r"^msg\.add\((?P<a>device|name), quantity, (?P<b>text|body\[field\]), unit, (?P<c>msg\.received_at|time), "
                    r"key=(?P<d>name|f\"\{comp\}\.\{field\}\")\)$",
     r"^msg\.add\((?P<a>device|name), quantity, (?P<b>text|body\[field\]), None, (?P<c>msg\.received_at|time), "
     r"key=(?P<d>name|f\"\{comp\}\.\{field\}\")\)$",
     "shelly: every unit of its tables (°C, %RH, lx, °) is the quantity's canonical one, which no unit means too"),
    (("decoders",), *_same('kind, _, index = comp.partition(":")', 'kind, _, index = comp.rpartition(":")'),
     "shelly: a status topic's component matches <kind>:<digits> (_STATUS_COMPONENT), one colon"),
    (("decoders",), *_same('name = device if index in ("", "0") else f"{device}:{index}"',
                           'name = device if index in ("XXXX", "0") else f"{device}:{index}"'),
     "shelly: a status topic's component always has an index (<kind>:<digits>), never ''"),
    (("decoders",), *_same('temp_unit = "°" + str(data.get("TempUnit", "C"))',
                           'temp_unit = "°" + str(data.get("TempUnit", "c"))'),
     "tasmota: units are compared without case: °c is °C"),
    (("decoders",), *_same('path = tuple(a or b for a, b in _PATH.findall(match.group(2) or ""))',
                           'path = tuple(a or b for a, b in _PATH.findall(match.group(2) or "XXXX"))'),
     "ha_discovery: a path step starts with '.' or '[', so 'XXXX' holds none, as '' does"),
    (("decoders",), *_same('json.dumps(body, ensure_ascii=False).encode("utf-8")))',
                           'json.dumps(body, ensure_ascii=False).encode("UTF-8")))'),
     "native.encode: codec names are matched without case"),
    (("decoders",), *_same('data = _JSON.decode(payload.decode("utf-8"))', 'data = _JSON.decode(payload.decode("UTF-8"))'),
     "native fast path: codec names are matched without case"),
    (("decoders",), *_same("return Decoded(readings, [], {})", "return Decoded(readings, [], )"),
     "native fast path: a Decoded's status defaults to an empty dict"),
    (("decoders",), *_same("if len(_TOPIC_SENSORS) >= _TOPIC_CACHE_MAX:", "if len(_TOPIC_SENSORS) > _TOPIC_CACHE_MAX:"),
     "native: the bound of a cache of checked topic sensors, one entry more; every lookup gives the same id"),
    (("decoders",), r'^self\.reject\(why\("no_quantity", keys=_short\(", "\.join\(map\(str, keys\)\) or "none", 120\)\)\)$',
     r'^self\.reject\(why\("no_quantity", keys=_short\(", "\.join\(map\(str, keys\)\) or "none", (121)?\)\)\)$',
     "native: a message reaches nothing_known with meta keys only (sensor, time, units: 19 characters; "
     "any other key gave a reading, a rejection, a status or a pending UV), so the 120-character cut "
     "(or 121, or the default 60) never applies"),
    (("ingestor/_decode_pending",), r"^continue$", r"^break$",
     "_decode_pending: a batch is decoded whole, once; the later calls (message by message) pass one message"),
    (("ingestor",), *_same(
        "items = [(self._sub_index.get(id(p.subscription), -1), p.topic, p.payload, p.received_at, p.hall, p.site)",
        "items = [(self._sub_index.get(id(p.subscription), -2), p.topic, p.payload, p.received_at, p.hall, p.site)"),
     "the store process reads any negative index as 'no subscription' (i >= 0 else None)"),
    (("ingestor",), *_same("status = p.decoded.status if p.decoded is not None else None",
                           "status = p.decoded.status if (p.decoded is not None) or True else None"),
     "every message of a batch is decoded before its status is reported (only the store process leaves "
     "them undecoded, and it refuses an on_status hook)"),
    (("ingestor",), *_same('sensor = status.get("sensor") if status else None',
                           'sensor = status.get("sensor") if (status) or True else None'),
     "a Decoded's status is a dict: an empty one gives None from .get as the guard does"),
)

COUNTED = ("killed", "timeout", "survived", "no_tests", "suspicious", "segfault", "skipped")


def _pyproject(m: Module) -> str:
    base = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    cfg = {
        "source_paths": ["simulation", "bridge"],
        "only_mutate": list(m.files),
        "pytest_add_cli_args_test_selection": list(m.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x"],
        "also_copy": ["scenes", "assets", "twin_engine"],
    }
    lines = ["", "[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in cfg.items()]
    return base + "\n".join(lines) + "\n"


def prepare(m: Module) -> Path:
    d = WORK / m.name
    d.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        link = d / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    text = _pyproject(m)
    tomllib.loads(text)  # fail here, not inside mutmut
    if not (d / "pyproject.toml").exists() or (d / "pyproject.toml").read_text(encoding="utf-8") != text:
        (d / "pyproject.toml").write_text(text, encoding="utf-8")
    return d


def run_module(m: Module, budget_s: float | None, children: int, keep: bool = False,
               again: list[str] | None = None) -> dict:
    """Run mutmut over one module.

    keep : reuse mutmut's cached results (it tests only the mutants without one, e.g. of changed functions)
    again : with the cache, test only these mutants again (the last run's survivors, after new tests)
    """
    d = prepare(m)
    if not keep and not again:  # mutmut's cache does not notice changed tests: start afresh unless asked not to
        shutil.rmtree(d / "mutants", ignore_errors=True)
    t0 = time.monotonic()
    cmd = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *(again or [])]
    with open(d / "run.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=d, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=budget_s)
            stopped = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            stopped = True
    elapsed = time.monotonic() - t0
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], cwd=d, capture_output=True, text=True)
    stats_file = d / "mutants" / "mutmut-cicd-stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    survivors = _survivors(d)
    counts = {k: int(stats.get(k, 0)) for k in COUNTED}
    return {
        "files": list(m.files), "tests": list(m.tests), "total": int(stats.get("total", 0)), **counts,
        "survivors": survivors, "seconds": round(elapsed), "stopped": stopped or proc.returncode not in (0, None),
        "returncode": proc.returncode, "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


_SURVIVORS = """
import json
from mutmut.__main__ import SourceFileMutationData, status_by_exit_code, walk_mutatable_files
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for path in walk_mutatable_files():
    m = SourceFileMutationData(path=path)
    m.load()
    for k, v in m.exit_code_by_key.items():
        status = status_by_exit_code[v]
        if status in ("survived", "no tests", "suspicious"):
            diff = get_diff_for_mutant(k, path=m.path).splitlines()
            out[k] = {"status": status, "diff": [x for x in diff if x[:1] in "-+" and x[:3] not in ("---", "+++")]}
print(json.dumps(out))
"""


def _survivors(d: Path) -> dict[str, dict]:
    """Surviving mutants of the run in ``d``: name -> {status, diff lines}; read in one process."""
    r = subprocess.run([sys.executable, "-c", _SURVIVORS], cwd=d, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"reading mutmut's results failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout)


def equivalent(module: str, diff: list[str], mutant: str = "") -> str | None:
    """The reason a survivor's change cannot alter behaviour, or None.

    An entry's module may name one function as ``module/function`` (for a line that is common).
    """
    removed = [x[1:].strip() for x in diff if x.startswith("-")]
    added = [x[1:].strip() for x in diff if x.startswith("+")]
    if len(removed) != 1 or len(added) != 1:
        return None
    r, n = removed[0], added[0]
    for modules, old, new, why in EQUIVALENT:
        if not any(m.partition("/")[0] == module and (not m.partition("/")[2] or
                                                      f"{m.partition('/')[2]}__mutmut_" in mutant) for m in modules):
            continue
        for a in re.finditer(old, r):
            for b in re.finditer(new, n):
                if a.groupdict() == b.groupdict() and r[: a.start()] + r[a.end():] == n[: b.start()] + n[b.end():]:
                    return why
    return None


def score(name: str, r: dict) -> tuple[int, int, int]:
    """(detected, counted, equivalent) of one module's result."""
    equivalent_n = sum(1 for k, s in r["survivors"].items() if equivalent(name, s["diff"], k))
    detected = r["killed"] + r["timeout"] + r["segfault"]
    return detected, r["total"] - equivalent_n, equivalent_n


def write_report(results: dict) -> str:
    out = ["Mutation testing of the core (make mutation; tools/mutation.py, mutmut).",
           "score = (killed + timeout) / (mutants - equivalent); survivors and mutants no selected test",
           "reaches ('no tests') count against it. Each module runs against its own fast tests only.", ""]
    det = cnt = 0
    not_run = []
    for m in MODULES:
        r = results.get(m.name)
        if r is None:
            not_run.append(m.name)
            continue
        d, c, eq = score(m.name, r)
        checked = sum(r[k] for k in COUNTED)
        partial = checked < r["total"] or r["stopped"]
        c -= r["total"] - checked  # a partial run's unchecked mutants are left out, and said so below
        pct = 100.0 * d / c if c else 0.0
        out.append(f"{m.name:<20} {pct:5.1f} %  killed {d} of {c}"
                   f" (survived {r['survived']}, no tests {r['no_tests']}, equivalent {eq},"
                   f" suspicious {r['suspicious']}){'  PARTIAL: ' + str(checked) + ' of ' + str(r['total']) + ' checked' if partial else ''}")
        out.append(f"{'':<20} {', '.join(r['files'])}  <-  {', '.join(r['tests'])}  ({r['seconds']} s, {r['at']})")
        for name, sv in sorted(r["survivors"].items()):
            why = equivalent(m.name, sv["diff"], name)
            out.append(f"{'':<22}{sv['status']}: {name.rpartition('.')[2]}" + (f"  [equivalent: {why}]" if why else ""))
            out.extend(f"{'':<26}{line}" for line in sv["diff"])
        det += d
        cnt += c
    if not_run:
        out.append("")
        out.append(f"not run yet (no result, not in the score): {', '.join(not_run)}")
        out.append(f"  run them with: make mutation MUTATION_ARGS=\"{' '.join(not_run)}\"")
    out.append("")
    out.append(f"core mutation score: {100.0 * det / cnt if cnt else 0.0:.0f} %")
    text = "\n".join(out) + "\n"
    REPORT.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("modules", nargs="*", help=f"of: {', '.join(m.name for m in MODULES)} (default: all)")
    p.add_argument("--budget-min", type=float, default=None, help="stop a module after this many minutes")
    p.add_argument("--children", type=int, default=2, help="mutants tested at once (default 2)")
    p.add_argument("--keep", action="store_true", help="reuse mutmut's cached results (source changes only)")
    p.add_argument("--rerun", action="store_true",
                   help="reuse mutmut's cache and test again only the last run's survivors, against the tests as "
                        "they are now (new tests in the selected files are found; a changed selection or source "
                        "needs a full run or --keep)")
    p.add_argument("--report-only", action="store_true", help="rewrite docs/mutation.txt from docs/mutation.json")
    a = p.parse_args(argv)
    by_name = {m.name: m for m in MODULES}
    unknown = [n for n in a.modules if n not in by_name]
    if unknown:
        p.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if not a.report_only:
        for name in a.modules or list(by_name):
            m = by_name[name]
            print(f"== {name}: {', '.join(m.files)} <- {', '.join(m.tests)}", flush=True)
            last = results.get(name)
            again = sorted(last["survivors"]) if a.rerun and last else None
            result = run_module(m, a.budget_min * 60 if a.budget_min else None, a.children, a.keep or a.rerun, again)
            if (a.rerun or a.keep) and last:  # the time is the whole module's: the first run's and the later ones'
                result["seconds"] += last["seconds"]
                result["reruns"] = last.get("reruns", 0) + 1
            # read again: another run (of other modules) may have written its results meanwhile
            results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
            results[name] = result
            RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            d, c, _ = score(name, results[name])
            c -= results[name]["total"] - sum(results[name][k] for k in COUNTED)  # unchecked: left out
            print(f"   {name}: {100.0 * d / c if c else 0:.1f} % ({d} of {c} checked) in {results[name]['seconds']} s",
                  flush=True)
    print(write_report(results), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
