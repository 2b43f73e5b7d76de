"""Surviving mutants of the risk module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("risk",), r'^def label\(self, lang: str = "en"\) -> str:$', r'^def label\(self, lang: str = "(XXenXX|EN)"\) -> str:$',
     "any default not starting with 'zh' reads English"),
    (("risk",), *same('change_band = Band(f"{quantity}_change_24h", None, band.max_change_24h, sources=band.sources)',
                       'change_band = Band(None, None, band.max_change_24h, sources=band.sources)'),
     "the change band's quantity is only looked up in reference spans, emptied for this check; the name is passed"),
    (("risk",), r'^change_band = Band\(f"\{quantity\}_change_24h", None, band\.max_change_24h, sources=band\.sources\)$',
     r'^change_band = Band\(f"\{quantity\}_change_24h", None, band\.max_change_24h, (sources=None)?\)$',
     "a band's sources are not read in grading"),
    (("risk",), *same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, reference_spans={}), check=None)'),
     "without a name the check takes the change band's quantity, the same name"),
    (("risk",), *same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, reference_spans={}), )'),
     "without a name the check takes the change band's quantity, the same name"),
    (("risk",), *same('return assess_series(t, r, change_band, replace(s, reference_spans={}), check=f"{quantity}_change_24h")',
                       'return assess_series(t, r, change_band, replace(s, ), check=f"{quantity}_change_24h")'),
     "reference spans are keyed by quantity; no span is named '<quantity>_change_24h'"),
    (("risk",), r'float\("nan"\)', r'float\("NAN"\)', "float() reads 'nan' in any case"),
    (("risk",), *same("return np.where(np.isnan(v), np.nan, d)", "return np.where(None, np.nan, d)"),
     "d is already NaN where v is: np.maximum propagates NaN"),
)
