"""Surviving mutants of the cleaning module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

_CLIP = "the index clipped here is used only where `inside` holds (0 < pos < idx.size, so 0 <= pos - 1 <= idx.size - 2 " \
        "and 1 <= pos <= idx.size - 1): a changed bound moves only rows that `fill` leaves out"

EQUIVALENT: tuple[Rule, ...] = (
    (("cleaning/_runs",), r"^strict=True\)\)$", r"^(strict=(None|False))?\)\)$",
     "the starts (d == 1) and stops (d == -1) of a 0/1 mask padded with 0 at both ends are equally many"),
    (("cleaning/missing_times",), r"zip\(t\[:-1\], t\[1:\], strict=True\)", r"zip\(t\[:-1\], t\[1:\], (strict=(None|False))?\)",
     "t[:-1] and t[1:] are equally long"),
    (("cleaning",), *same("d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))",
                          "d = np.diff(np.concatenate([[0], mask.astype(None), [0]]))"),
     "astype(None) is float64: the differences of 0.0 and 1.0 are exactly -1, 0, 1 as with int8"),
    (("cleaning",), *same("w[:, half] = np.nan", "w[:, half] = None"),
     "None stored into a float array is NaN"),
    (("cleaning",), *same('warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN side -> NaN median',
                          'warnings.simplefilter("ignore", )  # all-NaN side -> NaN median'),
     "the block calls only np.nanmedian on float arrays, whose only warnings are RuntimeWarnings (all-NaN "
     "slice, and invalid values under a warning errstate): ignoring every category ignores the same ones"),
    (("cleaning",), r"^full = np\.full\(v\.shape, np\.inf\)$", r"^full = np\.full\(v\.shape, None\)$",
     "the margin is read only where `ok` is False (elsewhere k * scale is stored): there None becomes NaN "
     "in excursion's float conversion and makes no excursion, as inf does, and the rule's flag is already False"),
    (("cleaning/impute",), *same("prev = idx[np.clip(pos - 1, 0, idx.size - 1)]", "prev = idx[np.clip(pos - 1, None, idx.size - 1)]"), _CLIP),
    (("cleaning/impute",), *same("prev = idx[np.clip(pos - 1, 0, idx.size - 1)]", "prev = idx[np.clip(pos - 1, 0, None)]"), _CLIP),
    (("cleaning/impute",), *same("prev = idx[np.clip(pos - 1, 0, idx.size - 1)]", "prev = idx[np.clip(pos - 1, 0, idx.size + 1)]"), _CLIP),
    (("cleaning/impute",), *same("prev = idx[np.clip(pos - 1, 0, idx.size - 1)]", "prev = idx[np.clip(pos - 1, 0, idx.size - 2)]"), _CLIP),
    (("cleaning/impute",), *same("nxt = idx[np.clip(pos, 0, idx.size - 1)]", "nxt = idx[np.clip(pos, None, idx.size - 1)]"), _CLIP),
    (("cleaning/impute",), *same("nxt = idx[np.clip(pos, 0, idx.size - 1)]", "nxt = idx[np.clip(pos, 1, idx.size - 1)]"), _CLIP),
    (("cleaning/outside",), *same('with np.errstate(invalid="ignore"):', "with np.errstate(invalid=None):"),
     "the block only compares; numpy 2 compares NaN and inf quietly even under errstate(all='raise') "
     "(checked with numpy 2.4.6), so no floating-point error can arise for the setting to govern"),
    (("cleaning/step_flags",), *same("last_t = -np.inf", "last_t = +np.inf"),
     "last_t is read first at the first valid reading, where ref is NaN and resets whatever dt is "
     "(dt = -inf only makes the unused allowance max_step); every later reading sees a real last_t"),
)
