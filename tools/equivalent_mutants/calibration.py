"""Surviving mutants of the calibration module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("calibration",), *same("train = slice(0, int(np.searchsorted(data.times_s, t0 + train_days * day)))", "train = slice(None, int(np.searchsorted(data.times_s, t0 + train_days * day)))"),
     "a slice from None starts at 0"),
    (("calibration",), *same("train = slice(0, int(np.searchsorted(data.times_s, t0 + train_days * day)))", "train = slice(int(np.searchsorted(data.times_s, t0 + train_days * day)))"),
     "slice(stop) is slice(None, stop)"),
    (("calibration",), r"np\.asarray\((?P<a>[^()]+), float\)", r"np\.asarray\((?P<a>[^()]+), (None)?\)",
     "float dropped: the records are numeric, and the means and differences that follow are float alike"),
    (("calibration",), *same("hour = np.floor(np.asarray(times_s) / 3600.0).astype(np.int64)",
                              "hour = np.floor(np.asarray(times_s) / 3600.0).astype(None)"),
     "hours as whole floats group alike (only their equality is used)"),
    (("calibration",), r'float\("nan"\)', r'float\("NAN"\)', "float() reads 'nan' in any case"),
    (("calibration",), r"zip\(names, \(float\(v\) for v in x\), strict=True\)",
     r"zip\(names, \(float\(v\) for v in x\), (strict=False|strict=None)?\)",
     "the optimiser's x has one value per name"),
    (("calibration",), *same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 / (hi - lo), hi - 1e-9 * (hi - lo))"),
     "a start below the bounds moves to within 1e-7 of them instead of 1e-9 of the range: strictly inside "
     "either way (scipy's trf also makes it so), the same fit"),
    (("calibration",), *same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi + lo), hi - 1e-9 * (hi - lo))"),
     "a start below the bounds moves to 1e-9 of (hi + lo) inside them instead of 1e-9 of the range: the same fit"),
    (("calibration",), *same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 / (hi - lo))"),
     "a start above the bounds moves to within 1e-7 of them instead of 1e-9 of the range: the same fit"),
    (("calibration",), *same("x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))", "x0 = np.clip(x0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi + lo))"),
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
    (("calibration/fit",), r"x_scale=1\.0,\s", r"",
     "x_scale left out: scipy (1.17) reads its default (None) as 1.0 for the 'trf' method used with bounds"),
    (("calibration/fit",), r"x_scale=1\.0,", r"x_scale=2\.0,",
     "one uniform x_scale: trf's trust region and Coleman-Li scaling are set in x / x_scale and its steps "
     "multiplied back (every parameter is bounded on both sides, so each is scaled alike): the same "
     "iterates, up to rounding (checked on one- and two-parameter fits: the same runs to every digit)"),
    (("calibration/fit",), r"rh_in=data\.rh_in\[:stop\],\s", r"",
     "rh_in left whole in the cut record: simulate_record reads it only at the first complete row (the "
     "start), and the residual reads data.rh_in itself"),
    (("calibration/simulate_record",), *same("hvac = settings.hvac_supply_m3_h > 0",
                                              "hvac = settings.hvac_supply_m3_h >= 0"),
     "with no supply the forcing says HVAC on, but climate runs the air handler only if its supply is > 0"),
    (("calibration/simulate_record",), r"hvac_on=hvac,\s", r"",
     "the forcing's default hvac_on=True: climate runs the air handler only if its supply is > 0, which is "
     "exactly when hvac is True"),
)
