"""Surviving mutants of the forecast module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import ASARRAY_FLOAT, Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("forecast",), r"^v = np\.asarray\(values, dtype=float\)$", r"^v = np\.asarray\(values, (dtype=None)?\)$",
     "forecast() only checks the shape; forecast_many reads the values as float"),
    (("forecast",), *same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(None)"),
     "float keys group the sensors as the integer ones do (only equality of keys is used)"),
    (("forecast",), *same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) + 1e-9).astype(int)"),
     "the ratio is a whole number only for a length of 1 (1.25^k is not whole for k > 0): its key moves from 0 to "
     "1, a bucket no other length falls in"),
    (("forecast",), *same("key = np.ceil(np.log(length) / np.log(1.25) - 1e-9).astype(int)", "key = np.ceil(np.log(length) / np.log(1.25) - 1.000000001).astype(int)"),
     "every key moves down by one: the same groups"),
    (("forecast",), *same("length = np.maximum(t - first, 1)", "length = np.maximum(t - first, 2)"),
     "a row of length 1 then shares a key only with rows of length 2, and every group keeps at least 2 columns "
     "below: the same columns and origins"),
    (("forecast",), *same("out.append((rows, int(min(t, max(length[rows].max(), 2)))))",
                           "out.append((rows, int(min(t, max(length[rows].max(), 3)))))"),
     "a group whose rows hold at most 2 readings gets one more leading empty column: it adds no scored window "
     "(its origin's value is missing), so the same backtest, random-walk band and forecast"),
    (("forecast",), *same("holt = None", 'holt = ""'),
     "holt is read only through `if holt` (both are false) or replaced by holt_states"),
    (("forecast",), *same('if {"holt", "holt_damped"} & set(settings.candidates):',
                           'if {"holt", "holt_damped"} | set(settings.candidates):'),
     "Holt states computed when no Holt candidate is tried are never read (candidate_forecasts uses them only "
     "for those candidates): slower, the same forecast"),
    # Holt states are computed once per block (an optimisation); without them candidate_forecasts computes
    # the same states per chunk from the single-precision copy: the same forecast to float32 rounding
    # (at most 3e-6 K measured on 20 °C series), the precision the backtest is scored and issued in
    (("forecast",), r'^if \{"holt", "holt_damped"\} & set\(settings\.candidates\):$',
     r'^if \{"(XXholtXX|HOLT|holt)", "(XXholt_dampedXX|HOLT_DAMPED|holt_damped)"\} & set\(settings\.candidates\):$',
     "Holt states precomputed for fewer candidate names: computed per chunk instead, equal to float32 rounding"),
    (("forecast",), *same("holt = holt_states(y, np.append(origins, y.shape[1] - 1), step_s)", "holt = None"),
     "Holt states not precomputed: computed per chunk instead, equal to float32 rounding"),
    (("forecast",), r"^holt\.rows\(slice\(i, i \+ CHUNK\)\) if holt else None,$",
     r"^(None,|holt\.rows\(slice\(i, i \+ CHUNK\)\) if \(holt\) and False else None,)$",
     "precomputed Holt states not passed: computed per chunk instead, equal to float32 rounding"),
    # _buffer: scratch arrays reused across chunks (an optimisation); every value is written before it is read
    (("forecast",), r"^buf = work\.get\(key\)$", r"^buf = (None|work\.get\(None\))$",
     "no cached scratch array: a fresh one, the same values"),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=None)):'),
     'the shapes zipped have the same length (ndim checked before)'),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, )):'),
     'the shapes zipped have the same length (ndim checked before)'),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim == len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):'),
     'a fresh scratch array every time: the same values'),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b <= s for b, s in zip(buf.shape, shape, strict=True)):'),
     'a fresh scratch array when one of the same size is cached: the same values'),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) and any(b < s for b, s in zip(buf.shape, shape, strict=True)):'),
     'within a block the first chunk has the most rows and every other size is fixed, so a cached buffer is never too small: reused as before'),
    (("forecast",), r"^y32 = y\.astype\(np\.float32\)", r"^y32 = y\.astype\(None\)",
     "the backtest scored in double instead of single precision: the same forecast to float32 rounding"),
    (("forecast",), *same("for k in range(1, c):", "for k in range(c):"),
     "_replay: persistence against itself is never better than (1 - margin) times itself (errors are >= 0)"),
    (("forecast",), *same("if L <= r:", "if L < r:"),
     "_replay: at L == r the only slot written is cum[0], zero, which past already holds"),
    (("forecast",), *same("cum = np.zeros((c + 1, n, r + 1, h), dtype=np.float32)",
                           "cum = np.zeros((c + 1, n, r + 2, h), dtype=np.float32)"),
     "_replay: one more slot of the cumulative sums, never read"),
    (("forecast",), r"^(?P<v>cum|past) = np\.zeros\(\((?P<a>[^()]+)\), dtype=np\.float32\)$",
     r"^(?P<v>cum|past) = np\.zeros\(\((?P<a>[^()]+)\), (dtype=None)?\)$",
     "_replay's sums in double instead of single precision: the same choices to float32 rounding"),
    (("forecast",), r"^pick = np\.zeros\(\(n, r, h\), dtype=np\.int16\)$", r"^pick = np\.zeros\(\(n, r, h\), (dtype=None)?\)$",
     "_replay's picks held as floats: whole numbers, turned into indices (astype(np.intp)) where read"),
    (("forecast",), *same('if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=True)):',
                           'if buf is None or buf.ndim != len(shape) or any(b < s for b, s in zip(buf.shape, shape, strict=False)):'),
     'the shapes zipped have the same length (ndim checked before)'),
    # the scratch arrays in double precision: every value written into them is the same float32 arithmetic's
    # (or exact in double), as with y32 and _replay's sums below: the same forecast to float32 rounding
    (("forecast",), r"^buf = work\[key\] = np\.empty\(shape, dtype=np\.float32\)$",
     r"^buf = work\[key\] = np\.empty\(shape, (dtype=None)?\)$",
     "scratch arrays in double instead of single precision: the same forecast to float32 rounding"),
    (("forecast",), r"^return buf\[tuple\(slice\(0, s\) for s in shape\)\]$",
     r"^return buf\[tuple\(slice\((None, )?s\) for s in shape\)\]$",
     "slice(None, s) and slice(s) are slice(0, s)"),
    (("forecast",), r'_buffer\(work, "(errs|ae|ae_base|d|f_half)", ', r'_buffer\(work, (None|"XX\w+XX"|"[A-Z_]+"), ',
     "the key only names a scratch slot; the five keys (errs, ae, ae_base, d, f_half) stay distinct under any "
     "one of these renamings (None, XX..XX, upper case), so the same slot under another name"),
    (("forecast",), *same('f_half = _buffer(work, "f_half", (n, origins.size + 1, h))', "f_half = None"),
     "f_half is only the out= of the half candidates' sum: out=None gives a fresh array of the same float32 values"),
    (("forecast",), r"^f = np\.add\(base, fc\[name\[len\(HALF\) :\]\], out=f_half\)$",
     r"^f = np\.add\(base, fc\[name\[len\(HALF\) :\]\], (out=None)?\)$",
     "a fresh array instead of the scratch one: the same float32 values (both operands are float32 by then)"),
    (("forecast",), *same("total_base = np.zeros((n, h))", "total_base = None"),
     "persistence is candidate 0 (all_names puts it first), so total_base is assigned before it is read"),
    (("forecast",), *same("base = snap(np.where(np.isfinite(base), base, np.float32(0.0)), res, grid)",
                           "base = snap(np.where(np.isfinite(base), base, np.float32(1.0)), res, grid)"),
     "the fill lands only where the origin's reading is missing, which is never scored (scored needs a finite "
     "base): those errors are weighted 0 and set to NaN before the band; the last column (now) is a reading"),
    (("forecast",), r'^elif name == "persistence":$', r'^elif name == "(XXpersistenceXX|PERSISTENCE)":$',
     "persistence then takes the general branch: its forecast, NaN filled from base (the same values, 0 where "
     "the reading is missing) and snapped like base: the same array as base"),
    (("forecast",), *same("f = fc[name].astype(np.float32, copy=False)", "f = fc[name].astype(None, copy=False)"),
     "candidate forecasts in double instead of single precision: the same forecast to float32 rounding"),
    (("forecast",), r"^f = fc\[name\]\.astype\(np\.float32, copy=False\)$",
     r"^f = fc\[name\]\.astype\(np\.float32, (copy=None|copy=True)?\)$",
     "a copy instead of a view: the same values, and fc[name] is replaced by it right after"),
    (("forecast",), r"^(?P<v>total|part|d2) = (?P<e>.+)\.astype\(np\.float64\)(?P<r>.*)$",
     r"^(?P<v>total|part|d2) = (?P<e>.+)\.astype\(None\)(?P<r>.*)$",
     "astype(None) is float64"),
    (("forecast",), *same('total = np.einsum("nrh->nh", ae).astype(np.float64)', 'total = np.einsum("NRH->NH", ae).astype(np.float64)'),
     "einsum subscripts are any letters: upper case sums the same axes"),
    (("forecast",), *same('d2 = np.einsum("nrh,nrh->nh", d, d).astype(np.float64)', 'd2 = np.einsum("NRH,NRH->NH", d, d).astype(np.float64)'),
     "einsum subscripts are any letters: upper case sums the same axes"),
    (("forecast",), r'^with np\.errstate\(invalid="ignore", divide="ignore"\):$', r'^with np\.errstate\(invalid="ignore", (divide=None)?\):$',
     "no division by zero happens there to ignore: where n_scored (or n_part) is 0 every weight is 0, so the sums "
     "divided are 0 or NaN (0/0 and NaN/0 raise 'invalid', not 'divide'); n_eff >= 1"),
    (("forecast",), *same("mae_parts[c] = np.moveaxis(part / n_part, 1, 0)", "mae_parts[c] = np.moveaxis(part * n_part, 1, 0)"),
     "mae_parts is only compared between candidates in the same part, sensor and lead, which share n_part >= 0: "
     "multiplying keeps the order (0 where n_part = 0, where 0/0 gave NaN: both compare false)"),
    (("forecast",), r"^significant\[c\] (?P<o>\|?=) (?P<p>\(?)gain > (?P<k>crit|crit_half) \* se(?P<r>.*)$",
     r"^significant\[c\] (?P<o>\|?=) (?P<p>\(?)gain >= (?P<k>crit|crit_half) \* se(?P<r>.*)$",
     "a gain exactly equal to crit x se: with se = 0 that is a zero gain, equal MAE, which the margin test then "
     "refuses; with se > 0, an exact float tie of two data-derived numbers (crit irrational), no constructible case"),
    (("forecast",), *same("first = np.where(valid.any(axis=1), np.argmax(valid, axis=1), t - 1)",
                           "first = np.where(valid.any(axis=1), np.argmax(valid, axis=1), t + 1)"),
     "a row without readings: length max(t - (t + 1), 1) = 1, as with t - 1"),
    (("forecast",), *same("first = np.where(valid.any(axis=1), np.argmax(valid, axis=1), t - 1)",
                           "first = np.where(valid.any(axis=1), np.argmax(valid, axis=1), t - 2)"),
     "a row without readings gets length 2 and joins the rows of length 2, whose group keeps 2 columns as before; "
     "its own forecast is blanked (an all-NaN row is always dead: stale = t > t - 1) and rows are forecast "
     "independently within a group"),
    (("forecast",), *same("span = np.maximum(np.minimum(origins[-1], t - 1 - lead) - origins[0] + 1, 0).astype(float)",
                           "span = np.maximum(np.minimum(origins[-1], t - 1 - lead) - origins[0] + 1, 0).astype(None)"),
     "astype(None) is float64, as astype(float)"),
    (("forecast",), *same("span = np.maximum(np.minimum(origins[-1], t - 1 - lead) - origins[0] + 1, 0).astype(float)",
                           "span = np.maximum(np.minimum(origins[-1], t - 1 - lead) - origins[0] + 1, 1).astype(float)"),
     "span <= 0 exactly where no window has closed at that lead (n_scored 0): n_eff is 1 either way (clipped, "
     "then at most n_scored, at least 1) and the lead's MAE is NaN, so no candidate is eligible whatever the "
     "evidence says"),
    (("forecast",), *same("n_eff = np.clip(span / lead, 1.0, None)[None, :] * np.ones((n, 1))",
                           "n_eff = np.clip(span / lead, 1.0, None)[None, :] / np.ones((n, 1))"),
     "dividing by ones is multiplying by ones"),
    (("forecast",), *same("n_eff = np.clip(span / lead, 1.0, None)[None, :] * np.ones((n, 1))",
                           "n_eff = np.clip(span / lead, None, None)[None, :] * np.ones((n, 1))"),
     "the next line takes the maximum with 1 after the minimum with n_scored: max(min(x, m), 1) = "
     "max(min(max(x, 1), m), 1) for m >= 0"),
    (("forecast",), r"^truth = np\.where\(truth_idx < t, y32\[:, np\.clip\(truth_idx, 0, t - 1\)\], np\.nan\)",
     r"^truth = np\.where\(truth_idx < t, y32\[:, np\.clip\(truth_idx, (None|1), t - 1\)\], np\.nan\)",
     "truth_idx = origin + lead >= 1 (origins >= 0, leads >= 1): the lower clip never acts"),
    (("forecast",), *same("weight = scored.astype(np.float32)", "weight = scored.astype(None)"),
     "weights are 0 and 1, exact in both precisions; every array they multiply or are added into keeps its "
     "own dtype (in-place and out= float32 arrays)"),
    (("forecast",), *same("truth = np.where(scored, truth, np.float32(0.0))", "truth = np.where(scored, truth, np.float32(1.0))"),
     "unscored windows' errors are multiplied by weight 0 before any sum, their signs are read only into the "
     "band's errors, which are set to NaN where not scored (err[~scored] = nan) before the quantiles"),
    (("forecast",), r"^y32, np\.append\(origins, t - 1\), h, step_s, tuple\(dict\.fromkeys\(\(\"persistence\",\) \+ s\.candidates\)\), holt$",
     r"^y32, np\.append\(origins, t - 1\), h, step_s, tuple\(dict\.fromkeys\(\(\"persistence\",\) \+ s\.candidates\)\), (None|\))$",
     "precomputed Holt states not passed: computed per chunk instead, equal to float32 rounding"),
    (("forecast",), r"^y32, np\.append\(origins, t - 1\), h, step_s, tuple\(dict\.fromkeys\(\(\"persistence\",\) \+ s\.candidates\)\), holt\n\)$",
     r"^y32, np\.append\(origins, t - 1\), h, step_s, tuple\(dict\.fromkeys\(\(\"persistence\",\) \+ s\.candidates\)\), \)$",
     "precomputed Holt states not passed (candidate_forecasts' holt defaults to None): computed per chunk "
     "instead, equal to float32 rounding"),
    (("forecast",), r"^mean, lo, hi, chosen = \(np\.concatenate\(a\) for a in zip\(\*parts, strict=True\)\)$",
     r"^mean, lo, hi, chosen = \(np\.concatenate\(a\) for a in zip\(\*parts, (strict=None|strict=False)?\)\)$",
     "every part is a 4-tuple: zip's strictness never acts"),
    (("forecast/clip_to_limits",), *ASARRAY_FLOAT,
     "limits read as given: whole or decimal numbers compare and clip the float forecast alike (np.clip keeps "
     "the float dtype of mean, lower, upper)"),
    (("forecast/forecast_many",), *ASARRAY_FLOAT,
     "values read as given: np.where(np.isfinite(y), y, np.nan) right after makes numeric input float before "
     "any arithmetic"),
)
