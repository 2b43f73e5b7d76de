"""Surviving mutants of the api_roles module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("api_roles",), *same('auth = request.headers.get("authorization", "")',
                            'auth = request.headers.get("authorization", "XXXX")'),
     "without the header, any default without a space before a token reads as no bearer token"),
)
