"""Passwords, tokens and the role table."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time

import pytest

from bridge.api.auth import (
    MAX_TOKEN_CHARS,
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
    assert stat.S_IMODE(os.stat(tmp_path / "api-secret").st_mode) == 0o600  # private from its creation
    s2 = load_or_create_secret(tmp_path)
    assert s1 == s2 and len(s1) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "api-secret").st_mode) == 0o600


# ---------------------------------------------------------------- each rule of the token on its own
SECRET = b"k" * 32


def _body(doc) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def _signed(signer: TokenSigner, body: str) -> str:
    return body + "." + base64.urlsafe_b64encode(
        hmac.new(SECRET, body.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()


def test_token_claims_are_what_was_issued():
    signer = TokenSigner(SECRET)
    assert signer.ttl_s == 8 * 3600  # one working shift
    tok = signer.issue("ann", "staff", now=1000.0, stamp="abc", site="s1")
    doc = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4)))
    assert doc == {"sub": "ann", "role": "staff", "exp": 1000 + 8 * 3600, "stp": "abc", "site": "s1"}
    c = signer.verify(tok, now=1000.0)
    assert (c.sub, c.role, c.exp, c.stamp, c.site) == ("ann", "staff", 29800, "abc", "s1")
    plain = signer.verify(signer.issue("bo", "admin", now=1000.0), now=1000.0)
    assert (plain.stamp, plain.site) == ("", "")
    assert "site" not in json.loads(base64.urlsafe_b64decode(
        signer.issue("bo", "admin").split(".")[0] + "=="))
    with pytest.raises(AuthError, match="unknown role"):
        signer.issue("ann", "root")


def test_expiry_without_an_explicit_clock_uses_the_wall_clock():
    signer = TokenSigner(SECRET, ttl_s=60)
    old = signer.issue("ann", "staff", now=time.time() - 61)
    with pytest.raises(AuthError, match="expired"):
        signer.verify(old)
    assert signer.verify(signer.issue("ann", "staff")).sub == "ann"


def test_well_signed_but_malformed_claims_are_invalid_not_a_crash():
    signer = TokenSigner(SECRET)
    bad_docs = [[], {"role": "staff", "exp": 2e9}, {"sub": "a", "exp": 2e9}, {"sub": "a", "role": "staff"},
                {"sub": "a", "role": "staff", "exp": "soon"}, {"sub": "a", "role": "root", "exp": 2e9}, "text"]
    for doc in bad_docs:
        with pytest.raises(AuthError, match="invalid token"):
            signer.verify(_signed(signer, _body(doc)), now=0.0)
    good = {"sub": "a", "role": "staff", "exp": 2e9}
    assert signer.verify(_signed(signer, _body(good)), now=0.0).exp == 2_000_000_000
    with pytest.raises(AuthError, match="invalid token"):
        signer.verify(_signed(signer, "not base64 json!"), now=0.0)
    for bad in ("." + _signed(signer, _body(good)).split(".")[1], _body(good) + ".", "é" + _signed(signer, _body(good))):
        with pytest.raises(AuthError, match="invalid token"):
            signer.verify(bad, now=0.0)


def test_token_length_limit():
    signer = TokenSigner(SECRET)
    by_length = {len(t): t for t in (signer.issue("a", "staff", now=0.0, stamp="s" * k) for k in range(2990, 3060))}
    assert signer.verify(by_length[MAX_TOKEN_CHARS], now=0.0).role == "staff"  # exactly the limit: read
    with pytest.raises(AuthError, match="invalid token"):
        signer.verify(by_length[MAX_TOKEN_CHARS + 2], now=0.0)  # (+1 is no base64 length)


def test_secret_of_exactly_16_bytes_is_enough():
    assert TokenSigner(b"x" * 16).ttl_s == 8 * 3600
    with pytest.raises(AuthError, match="16 bytes"):
        TokenSigner(b"x" * 15)


def test_claims_scope_and_permissions():
    from bridge.api.auth import VISITOR, Claims

    hub = Claims("ann", "staff", 0)
    site = Claims("bo", "staff", 0, site="s1")
    assert hub.sees("s1") and hub.sees("s2")
    assert site.sees("s1") and not site.sees("s2")
    assert site.can("monitor:read") and not site.can("users:manage")
    assert not Claims("x", "root", 0).can("relics:read")
    assert (VISITOR.sub, VISITOR.role) == ("", "visitor") and VISITOR.can("relics:read")


def test_existing_secret_is_made_private_again(tmp_path):
    (tmp_path / "api-secret").write_bytes(b"s" * 32)
    os.chmod(tmp_path / "api-secret", 0o644)
    assert load_or_create_secret(tmp_path) == b"s" * 32
    assert stat.S_IMODE(os.stat(tmp_path / "api-secret").st_mode) == 0o600


def test_error_texts_in_both_languages():
    signer = TokenSigner(SECRET, ttl_s=60)
    cases = [(lambda: hash_password(""), "empty password | 密码不能为空"),
             (lambda: TokenSigner(b"short"), "token secret shorter than 16 bytes | 令牌密钥过短"),
             (lambda: signer.verify("é.x"), "invalid token | 令牌无效"),
             (lambda: signer.verify("a.b"), "invalid token | 令牌无效"),
             (lambda: signer.verify(_signed(signer, _body([]))), "invalid token | 令牌无效"),
             (lambda: signer.verify(_signed(signer, _body({"sub": "a", "role": "root", "exp": 1}))),
              "invalid token | 令牌无效"),
             (lambda: signer.verify(signer.issue("a", "staff", now=0.0), now=60.0),
              "token expired; sign in again | 令牌已过期,请重新登录")]
    for call, text in cases:
        with pytest.raises(AuthError) as err:
            call()
        assert str(err.value) == text


def test_round_trip_for_every_body_length_and_a_missing_stamp():
    """Bodies of every length modulo 4 and 5 (base64 padding) read back; a claim left out reads as empty."""
    signer = TokenSigner(SECRET)
    for n in range(1, 90):
        tok = signer.issue("u" * n, "staff", now=0.0, stamp="x" * (n % 7))
        assert signer.verify(tok, now=0.0).sub == "u" * n
    no_stamp = signer.verify(_signed(signer, _body({"sub": "a", "role": "staff", "exp": 10})), now=0.0)
    assert (no_stamp.stamp, no_stamp.site) == ("", "")
