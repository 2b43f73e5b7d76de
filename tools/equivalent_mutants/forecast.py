"""Surviving mutants of the forecast module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

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
)
