"""Which hall a command or request means.

Sensor ids are unique only within a hall, so whatever names a sensor also
names its hall. The hall may be left out only where the site has one: then
it is that hall; a site (or store) with several halls asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.errors import ConfigError

#: The hall of ``scenes/demo_hall``, the scene every program used when none was named
#: (also what readings stored before halls existed are assigned to: migration 0007).
DEFAULT_HALL = "demo_hall"


def resolve_hall(given: str | None, known: Iterable[str]) -> str:
    """The hall meant: ``given``; else the only one of ``known``; else :data:`DEFAULT_HALL` when none is known.

    Raises ConfigError when ``given`` is None and several halls are known.
    """
    halls = sorted({h for h in known if h})
    if given:
        return given
    if len(halls) == 1:
        return halls[0]
    if not halls:
        return DEFAULT_HALL
    names = ", ".join(halls)
    raise ConfigError(f"this site has several halls: give --hall (one of {names}) | 本馆有多个展厅,请用 --hall 指定({names})")
