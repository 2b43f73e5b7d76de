"""Surviving mutants of the auth module that cannot change behaviour (tools/mutation.py)."""

from __future__ import annotations

from ._rules import Rule, same

EQUIVALENT: tuple[Rule, ...] = (
    (("auth",), *same('return base64.urlsafe_b64encode(data).rstrip(b"=").decode()',
                       'return base64.urlsafe_b64encode(data).rstrip(b"XX=XX").decode()'),
     "a body is base64 of JSON ending in '}', whose last character is 9, Q or 0, never X; a signature "
     "goes through the same function when issued and when checked"),
    (("auth",), *same('return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))',
                       'return base64.urlsafe_b64decode(text + "=" * (+len(text) % 4))'),
     "3 pad characters where 1 is needed: base64 decoding ignores surplus padding"),
    (("auth",), *same("secret = secrets.token_bytes(32)", "secret = secrets.token_bytes(None)"),
     "secrets.token_bytes(None) gives its default of 32 bytes"),
    (("auth",), *same("if not body or not sig or not hmac.compare_digest(self._sign(body), sig):",
                       "if not body and not sig or not hmac.compare_digest(self._sign(body), sig):"),
     "an empty body or signature then fails the digest comparison, or the empty body's JSON decoding"),
    (("auth",), *same('body, _, sig = token.partition(".")', 'body, _, sig = token.rpartition(".")'),
     "tokens the server signs hold one dot (base64url has none); with more, both splits fail the digest"),
)
