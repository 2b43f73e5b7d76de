"""Passwords, tokens and the role table."""

from __future__ import annotations

import os
import stat

import pytest

from bridge.api.auth import (
    PERMISSION_MIN_ROLE,
    PERMISSIONS,
    ROLES,
    AuthError,
    TokenSigner,
    hash_password,
    load_or_create_secret,
    verify_password,
)


def test_password_hash_is_argon2id_and_verifies():
    h = hash_password("s3cret pass")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "s3cret pass")
    assert not verify_password(h, "s3cret pasS")
    assert not verify_password("not a hash", "s3cret pass")
    assert hash_password("s3cret pass") != h  # salted


def test_empty_password_refused():
    with pytest.raises(AuthError):
        hash_password("")


def test_token_round_trip_and_expiry():
    signer = TokenSigner(b"k" * 32, ttl_s=60)
    tok = signer.issue("ann", "curator", now=1000.0)
    c = signer.verify(tok, now=1059.0)
    assert (c.sub, c.role, c.exp) == ("ann", "curator", 1060)
    with pytest.raises(AuthError, match="expired"):
        signer.verify(tok, now=1060.0)


def test_forged_or_tampered_tokens_refused():
    signer = TokenSigner(b"k" * 32)
    tok = signer.issue("ann", "staff")
    body, sig = tok.split(".")
    other = TokenSigner(b"x" * 32).issue("ann", "admin")
    for bad in (other, body + "." + sig[:-2] + "AA", other.split(".")[0] + "." + sig, "garbage", "", "a.b"):
        with pytest.raises(AuthError):
            signer.verify(bad)


def test_short_secret_refused():
    with pytest.raises(AuthError):
        TokenSigner(b"short")


def test_roles_are_nested_and_match_the_issue():
    for lower, higher in zip(ROLES[:-1], ROLES[1:], strict=True):
        assert PERMISSIONS[lower] < PERMISSIONS[higher]
    assert PERMISSIONS["visitor"] == {"relics:read"}
    assert {"monitor:read", "alerts:ack"} <= PERMISSIONS["staff"]
    assert "archive:write" not in PERMISSIONS["staff"]
    assert {"archive:write", "whatif:run", "thresholds:write"} <= PERMISSIONS["curator"]
    assert "users:manage" not in PERMISSIONS["curator"]
    assert PERMISSIONS["admin"] == set(PERMISSION_MIN_ROLE)


def test_secret_created_once_private(tmp_path):
    s1 = load_or_create_secret(tmp_path)
    s2 = load_or_create_secret(tmp_path)
    assert s1 == s2 and len(s1) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "api-secret").st_mode) == 0o600
