"""What several subcommands do alike at their edges: load the scene they were given, and turn bad
input into one printed line and exit status 1 (never a traceback)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.climate import ClimateSettings
    from simulation.scene import Scene


class InputError(ValueError):
    """Bad input; the message is bilingual and says what to fix."""


def load_scene_or_report(folder: str | Path) -> Scene | None:
    """The scene in ``folder``; None after printing each of its errors to stderr (the caller exits 1)."""
    from simulation.scene import SceneError, load_scene

    try:
        return load_scene(folder)
    except SceneError as exc:
        print_scene_errors(exc)
        return None


def scene_and_climate(folder: str | Path, no_hvac: bool = False) -> tuple[Scene, ClimateSettings]:
    """The scene in ``folder`` and the climate model's settings from its ``[climate]`` (the air
    handling off with ``no_hvac``); :class:`InputError` with the scene's own errors otherwise."""
    from dataclasses import replace

    from simulation import climate
    from simulation.scene import SceneError, load_scene

    try:
        scene = load_scene(folder)
    except SceneError as exc:
        raise InputError("\n".join(exc.errors)) from None
    try:
        base = climate.settings_from_mapping(dict(scene.climate))
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"scene [climate]: {exc} / 场景气候参数无效") from None
    return scene, replace(base, hvac_supply_m3_h=0.0) if no_hvac else base


def print_scene_errors(exc: Exception) -> None:
    """A :class:`simulation.scene.SceneError`'s lines, one a line, to stderr."""
    for line in getattr(exc, "errors", [str(exc)]):
        print(line, file=sys.stderr)


def run_or_report(prog: str, cannot: tuple[str, str], work: Callable[[], str]) -> int:
    """Run ``work`` and print the text it returns (exit 0). An :class:`InputError` is printed as it
    is, any other ValueError (the model or the fit refusing the input) as ``cannot`` (English,
    Chinese) with the reason; both on stderr after the program's name, with exit status 1."""
    try:
        text = work()
    except InputError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"{prog}: {cannot[0]}: {exc} / {cannot[1]}", file=sys.stderr)
        return 1
    print(text)
    return 0
