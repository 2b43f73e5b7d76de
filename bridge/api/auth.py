"""Users, roles and tokens for the twin service.

- Passwords are kept as argon2id hashes (argon2-cffi's defaults follow
  RFC 9106's second recommended option: t=3, m=64 MiB, p=4).
- Tokens are ``base64url(claims).base64url(HMAC-SHA256(secret, claims))``
  with an expiry (``exp``, seconds since the epoch) and the user's token
  stamp (``stp``); the secret lives in ``<data dir>/api-secret`` (created
  once, mode 0600) unless given. The service checks the stamp against the
  user's row on every request: changing a user's role, password or active
  flag, or removing the user, ends their tokens at once.
- Four roles, each allowed a set of permissions (:data:`PERMISSIONS`):
  visitor (public relic content only), staff (monitoring, acknowledging
  alerts), curator (archive, profiles, thresholds, what-if), admin (users,
  settings). A higher role holds every permission of the lower ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bridge.errors import RelicTwinError
from bridge.store.private import private_dir

ROLES: tuple[str, ...] = ("visitor", "staff", "curator", "admin")

#: permission -> the least role that holds it
PERMISSION_MIN_ROLE: dict[str, str] = {
    "relics:read": "visitor",        # names, era, material, annotations
    "monitor:read": "staff",         # readings, history, statistics, sensors, live feed, alerts
    "alerts:ack": "staff",
    "quarantine:read": "staff",
    "records:read": "staff",         # preservation records and files
    "archive:write": "curator",      # relics, records, files
    "whatif:run": "curator",
    "reports:read": "curator",      # conservation reports (PDF, CSV, XLSX)
    "thresholds:write": "curator",
    "devices:adopt": "curator",      # unknown devices: list them, adopt them into the scene
    "control:operate": "staff",      # climate control: apply a recommendation, manual override
    "control:policy": "curator",     # climate control: off / advise / auto per actuator
    "control:audit": "curator",      # climate control: the audit trail (who decided what, and why)
    "users:manage": "admin",
    "settings:write": "admin",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(p for p, least in PERMISSION_MIN_ROLE.items() if ROLES.index(least) <= ROLES.index(role))
    for role in ROLES
}

#: Default token lifetime: one working shift (8 h), so a kiosk or monitor signs in once a day.
TOKEN_TTL_S = 8 * 3600

#: longest token text looked at (ours are about 150 characters)
MAX_TOKEN_CHARS = 4096

#: argon2-cffi's default parameters (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4);
#: tests pass a cheaper hasher, never production code.
DEFAULT_HASHER = PasswordHasher()


class AuthError(RelicTwinError):
    """Sign-in refused or token invalid; ``str(err)`` is English | 中文."""


@dataclass(frozen=True)
class Claims:
    """Who a token speaks for: user name, role, expiry (s since epoch), the user's token stamp, and
    the site the user belongs to on a hub ('' = every site)."""

    sub: str
    role: str
    exp: int
    stamp: str = ""
    site: str = ""

    def sees(self, site: str) -> bool:
        """Whether this caller may read or change ``site`` (a hub's users are scoped to one site)."""
        return not self.site or self.site == site

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


VISITOR = Claims(sub="", role="visitor", exp=0)


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    """argon2id hash (PHC string) of ``password``."""
    if not password:
        raise AuthError("empty password | 密码不能为空")
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; the hash string carries its own argon2 parameters."""
    try:
        return DEFAULT_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and checks signed, expiring tokens."""

    def __init__(self, secret: bytes, ttl_s: int = TOKEN_TTL_S) -> None:
        if len(secret) < 16:
            raise AuthError("token secret shorter than 16 bytes | 令牌密钥过短")
        self._secret = secret
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def issue(self, username: str, role: str, now: float | None = None, stamp: str = "", site: str = "") -> str:
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r} | 未知角色")
        exp = int((time.time() if now is None else now) + self.ttl_s)
        doc = {"sub": username, "role": role, "exp": exp, "stp": stamp, **({"site": site} if site else {})}
        body = _b64(json.dumps(doc, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float | None = None) -> Claims:
        """The claims of a valid token; AuthError when forged, malformed or expired (never another error)."""
        if not token.isascii() or len(token) > MAX_TOKEN_CHARS:
            raise AuthError("invalid token | 令牌无效")  # compare_digest refuses non-ASCII text
        body, _, sig = token.partition(".")
        if not body or not sig or not hmac.compare_digest(self._sign(body), sig):
            raise AuthError("invalid token | 令牌无效")
        try:
            doc = json.loads(_unb64(body))
            claims = Claims(sub=str(doc["sub"]), role=str(doc["role"]), exp=int(doc["exp"]),
                            stamp=str(doc.get("stp", "")), site=str(doc.get("site", "")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AuthError("invalid token | 令牌无效") from exc
        if claims.role not in ROLES:
            raise AuthError("invalid token | 令牌无效")
        if claims.exp <= (time.time() if now is None else now):
            raise AuthError("token expired; sign in again | 令牌已过期,请重新登录")
        return claims


def load_or_create_secret(data_dir: Path) -> bytes:
    """The token secret in ``<data_dir>/api-secret``, created (32 random bytes, mode 0600) if absent."""
    path = Path(data_dir) / "api-secret"
    if path.exists():
        os.chmod(path, 0o600)
        return path.read_bytes()
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secret)
    return secret
