"""What every route reaches: settings, the store, the twin's state, the signer; and the role checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import Depends, Request

from bridge.api.auth import DEFAULT_HASHER, VISITOR, AuthError, Claims, TokenSigner, hash_password
from bridge.api.errors import ApiError
from bridge.api.throttle import AccountThrottle
from bridge.api.whatif_jobs import Limits as WhatIfLimits
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.files import FileLimits, FileStore, open_file_store
from bridge.twin.live import TwinState
from simulation.scene import Scene


@dataclass(frozen=True)
class ApiSettings:
    """How the API behaves; defaults suit one small museum.

    data_dir : where the token secret, files and what-if outputs live
    secret : token secret; None reads (or creates) ``<data_dir>/api-secret``
    token_ttl_s : token lifetime, s
    rate_per_s, burst : requests per second per client, and the burst allowed above it
        (a monitor polls a few endpoints every few seconds; 20/s with a burst of 100
        leaves room for page loads and stops a runaway script)
    login_per_min : sign-in attempts per minute per client (slows password guessing)
    max_body : largest JSON request body, bytes
    max_upload : largest file upload, bytes (the file store's own limits apply too)
    max_points : most raw points one history request returns (ask for buckets beyond)
    files_url : file store URL (see :func:`bridge.store.files.open_file_store`)
    exhibit_dir : a published web exhibit (``relic-twin publish``) served at ``/exhibit/``; None: not served
    whatif : caps on queued what-if runs per user and in total, and how many finished runs are kept
    limits_clock : the rate limits' clock, seconds (monotonic; a test passes one it moves itself)
    """

    data_dir: Path = Path("data")
    secret: bytes | None = None
    token_ttl_s: int = 8 * 3600
    rate_per_s: float = 20.0
    burst: int = 100
    login_per_min: int = 10
    max_body: int = 1 * 2**20
    max_upload: int = 64 * 2**20
    max_points: int = 50_000
    files_url: str | None = None
    exhibit_dir: Path | None = None
    file_limits: FileLimits = field(default_factory=FileLimits)
    password_hasher: PasswordHasher = DEFAULT_HASHER
    whatif: WhatIfLimits = field(default_factory=WhatIfLimits)
    limits_clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class HallView:
    """One hall as the routes see it: its id, and its scene and live state when the service runs it."""

    id: str
    scene: Scene | None = None
    state: TwinState | None = None

    @property
    def where(self) -> str | None:
        """The ``hall=`` of store queries (None, any hall, only when the store holds none yet)."""
        return self.id or None

    def zone_of(self) -> dict[str, str]:
        return {s.id: s.zone for s in self.scene.sensors} if self.scene else {}


@dataclass
class Service:
    """The live objects behind the API (one per app)."""

    settings: ApiSettings
    store: Store
    signer: TokenSigner
    files: FileStore
    scene: Scene | None = None
    state: TwinState | None = None
    jobs: Any = None  # bridge.api.whatif_jobs.JobRunner, set by create_app
    on_ack: Callable[[str, str], bool] | None = None  # (engine alert key, username): the live twin's acknowledge
    on_adopt: Callable[[str, str], None] | None = None  # (hall, sensor): the live ingest accepts it from now on
    dummy_hash: str = ""  # verified against when a user does not exist (same timing as a wrong password)
    halls: dict[str, HallView] = field(default_factory=dict)  # the halls served, by id (empty: the store's)
    site: Any = None  # bridge.site.model.Site when serving a whole site
    sites: Any = None  # site id -> bridge.site.model.Site when serving as a provincial hub
    runtime: Any = None  # the running twin (TwinRuntime or SiteRuntime), None over a bare store
    throttle: AccountThrottle = field(default_factory=AccountThrottle)  # failed sign-ins per account
    tickets: Any = None  # bridge.api.live_route.Tickets, set by create_app
    control: Any = None  # bridge.control.runtime.ControlRuntime of the hall, when control runs
    controls: dict[str, Any] = field(default_factory=dict)  # a site's: hall -> its ControlRuntime

    @classmethod
    def build(cls, store: Store, settings: ApiSettings, signer: TokenSigner, scene: Scene | None,
              state: TwinState | None) -> Service:
        files = open_file_store(settings.files_url, settings.data_dir, settings.file_limits)
        svc = cls(settings, store, signer, files, scene, state)
        if scene is not None:
            svc.halls = {scene.id: HallView(scene.id, scene, state)}
        svc.dummy_hash = hash_password("relic-twin-not-a-user", settings.password_hasher)
        return svc

    def zone_of(self) -> dict[str, str]:
        return {s.id: s.zone for s in self.scene.sensors} if self.scene else {}

    def hall(self, name: str | None) -> HallView:
        """The hall a request names; ``name`` may be left out only where the site has one hall.

        Raises ApiError not_found for a hall not served, invalid when several could be meant.
        """
        known = self.halls or {h: HallView(h) for h in self.store.halls() if h}
        if name is not None:
            if name not in known:
                raise ApiError("not_found", en=f"hall {name}", zh=f"展厅 {name}")
            return known[name]
        if len(known) == 1:
            return next(iter(known.values()))
        if not known:
            return HallView("")
        names = ", ".join(sorted(known))
        raise ApiError("invalid", en=f"this site has several halls: give hall= (one of {names})",
                       zh=f"本馆有多个展厅,请指定 hall=({names})")


def service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def claims_of(token: str | None, signer: TokenSigner, store: Store | None = None) -> Claims:
    """The caller's claims: a visitor when no token, ApiError when the token is bad.

    With ``store``, the token must also still match its user: the user exists, is active, holds
    the token's role and the same token stamp (see :func:`bridge.store.service_queries.update_user`).
    """
    if token is None:
        return VISITOR
    try:
        claims = signer.verify(token)
    except AuthError as exc:
        raise ApiError("token_invalid", headers={"WWW-Authenticate": "Bearer"}) from exc
    if store is not None:
        user = q.get_user(store, claims.sub)
        if user is None or not user.active or user.role_id != claims.role or user.token_stamp != claims.stamp:
            raise ApiError("token_invalid", headers={"WWW-Authenticate": "Bearer"})
    return claims


#: what a user scoped to one site may call on a hub: the site routes (each checks the site) and who am I
HUB_SCOPED_PATHS = ("/api/hub/sites", "/api/auth/")


def current(request: Request) -> Claims:
    svc = service(request)
    claims = claims_of(bearer(request), svc.signer, svc.store)
    if svc.sites is not None and claims.site and not request.url.path.startswith(HUB_SCOPED_PATHS):
        # the museum routes read and change the whole store, every site's rows: on a hub they are the
        # hub staff's; a site's users go through /api/hub/sites/{site}/..., which keeps to their site
        raise ApiError("forbidden", en=f"site {claims.site}: on a hub use /api/hub/sites/{claims.site}/...",
                       zh=f"场馆 {claims.site}: 汇聚中心请使用 /api/hub/sites/{claims.site}/...")
    return claims


def check(claims: Claims, permission: str) -> None:
    if claims.can(permission):
        return
    if not claims.sub:
        raise ApiError("unauthorized", headers={"WWW-Authenticate": "Bearer"})
    raise ApiError("forbidden", en=permission, zh=permission)


def require(permission: str) -> Callable[..., Claims]:
    """A dependency: the caller's claims, after checking they hold ``permission``."""

    def dep(claims: Annotated[Claims, Depends(current)]) -> Claims:
        check(claims, permission)
        return claims

    dep.__name__ = f"require_{permission.replace(':', '_')}"
    return dep


Svc = Annotated[Service, Depends(service)]
Caller = Annotated[Claims, Depends(current)]
CanReadRelics = Annotated[Claims, Depends(require("relics:read"))]
CanMonitor = Annotated[Claims, Depends(require("monitor:read"))]
CanAck = Annotated[Claims, Depends(require("alerts:ack"))]
CanQuarantine = Annotated[Claims, Depends(require("quarantine:read"))]
CanReadRecords = Annotated[Claims, Depends(require("records:read"))]
CanWriteArchive = Annotated[Claims, Depends(require("archive:write"))]
CanWhatIf = Annotated[Claims, Depends(require("whatif:run"))]
CanThresholds = Annotated[Claims, Depends(require("thresholds:write"))]
CanAdopt = Annotated[Claims, Depends(require("devices:adopt"))]
CanOperate = Annotated[Claims, Depends(require("control:operate"))]
CanSetPolicy = Annotated[Claims, Depends(require("control:policy"))]
CanReadControlAudit = Annotated[Claims, Depends(require("control:audit"))]
CanUsers = Annotated[Claims, Depends(require("users:manage"))]
CanSettings = Annotated[Claims, Depends(require("settings:write"))]
