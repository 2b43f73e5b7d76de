"""The API's role checks one rule at a time (bridge/api/context.py), fast: a real SQLite store, real
signed tokens, and a small FastAPI app served in process, so each rule has a test that fails alone.

test_api_roles.py checks every route against every role through a real server; this file pins the
rules it relies on: the bearer header's form, each of the token's checks against its user's row,
401 for no sign-in and 403 for a role too low, and which hall a request means.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI

from bridge.api import context
from bridge.api.auth import PERMISSIONS, ROLES, VISITOR, Claims, TokenSigner
from bridge.api.context import ApiSettings, HallView, Service, bearer, check, claims_of, require
from bridge.api.errors import ApiError, install
from bridge.readings import Reading
from bridge.store import Store
from bridge.store import service_queries as q
from bridge.store.files import FileLimits, LocalFileStore
from bridge.twin.live import TwinState
from simulation.scene import load_scene

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"context-secret-0123456789"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
T = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the roles and one user of each role (copied for each test: fast)."""
    path = tmp_path_factory.mktemp("context") / "template.sqlite"
    with Store.open(url=f"sqlite:///{path}") as s:
        q.ensure_roles(s, {r: ",".join(sorted(p)) for r, p in PERMISSIONS.items()})
        for role in ROLES:
            q.add_user(s, role, role, "not-a-hash")
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path):
    db = tmp_path / "db.sqlite"
    shutil.copyfile(template, db)
    s = Store.open(url=f"sqlite:///{db}", migrate=False)
    yield s
    s.close()


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET)


def _error(exc: pytest.ExceptionInfo[ApiError]) -> tuple[str, int, dict[str, str] | None]:
    return exc.value.code, exc.value.status, exc.value.headers


# ---------------------------------------------------------------------- the bearer header


class _Req:
    """What bearer() reads of a request: its headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc.def", "abc.def"),
    ("bearer abc.def", "abc.def"),  # the scheme is case-insensitive (RFC 7235 section 2.1)
    ("BEARER abc.def", "abc.def"),
    ("Bearer   abc.def  ", "abc.def"),  # surrounding blanks are not part of the token
    ("Bearer ", None),
    ("Bearer    ", None),
    ("Bearer", None),
    ("Basic abc.def", None),
    ("Bearerabc.def", None),
    ("", None),
])
def test_bearer_reads_the_token_of_the_bearer_scheme_only(header: str, token: str | None) -> None:
    assert bearer(_Req({"authorization": header})) == token  # type: ignore[arg-type]


def test_no_authorization_header_is_no_token() -> None:
    assert bearer(_Req({})) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the token against its user


def test_no_token_is_the_visitor(store: Store, signer: TokenSigner) -> None:
    assert claims_of(None, signer, store) is VISITOR
    assert claims_of(None, signer) is VISITOR


def test_a_valid_token_gives_its_claims(store: Store, signer: TokenSigner) -> None:
    stamp = q.get_user(store, "curator").token_stamp
    claims = claims_of(signer.issue("curator", "curator", stamp=stamp), signer, store)
    assert (claims.sub, claims.role, claims.stamp) == ("curator", "curator", stamp)


@pytest.mark.parametrize("token", ["forged.token", "", "x" * 10, "a.b.c"])
def test_a_bad_token_is_token_invalid_with_the_bearer_challenge(store: Store, signer: TokenSigner,
                                                                token: str) -> None:
    with pytest.raises(ApiError) as exc:
        claims_of(token, signer, store)
    assert _error(exc) == ("token_invalid", 401, {"WWW-Authenticate": "Bearer"})


def test_a_token_of_another_secret_is_refused(store: Store, signer: TokenSigner) -> None:
    other = TokenSigner(b"another-secret-0123456789")
    stamp = q.get_user(store, "admin").token_stamp
    with pytest.raises(ApiError) as exc:
        claims_of(other.issue("admin", "admin", stamp=stamp), signer, store)
    assert _error(exc) == ("token_invalid", 401, {"WWW-Authenticate": "Bearer"})


def test_an_expired_token_is_refused(store: Store, signer: TokenSigner) -> None:
    stamp = q.get_user(store, "staff").token_stamp
    token = signer.issue("staff", "staff", now=datetime.now(UTC).timestamp() - signer.ttl_s - 1, stamp=stamp)
    with pytest.raises(ApiError) as exc:
        claims_of(token, signer, store)
    assert _error(exc) == ("token_invalid", 401, {"WWW-Authenticate": "Bearer"})


@pytest.mark.parametrize("wrong", ["missing user", "inactive", "other role", "old stamp"])
def test_each_check_against_the_user_row_refuses_alone(store: Store, signer: TokenSigner, wrong: str) -> None:
    """Only one thing is wrong each time; without the store the signature alone is trusted."""
    user, role, stamp = "staff", "staff", q.get_user(store, "staff").token_stamp
    if wrong == "missing user":
        user = "ghost"
    elif wrong == "inactive":
        q.update_user(store, "staff", active=False)
        stamp = q.get_user(store, "staff").token_stamp
    elif wrong == "other role":
        role = "admin"
    else:
        stamp = "0" * 16
    token = signer.issue(user, role, stamp=stamp)
    with pytest.raises(ApiError) as exc:
        claims_of(token, signer, store)
    assert _error(exc) == ("token_invalid", 401, {"WWW-Authenticate": "Bearer"})
    assert claims_of(token, signer).sub == user  # the row is only consulted with a store


# ---------------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", ROLES)
def test_check_allows_what_the_role_holds_and_refuses_the_rest(role: str) -> None:
    claims = Claims(sub=f"u-{role}", role=role, exp=0)
    check(claims, "relics:read")  # every role, the visitor too
    if role == "admin":
        check(claims, "users:manage")
    else:
        with pytest.raises(ApiError) as exc:
            check(claims, "users:manage")
        assert _error(exc) == ("forbidden", 403, None)
        assert exc.value.en == "your role may not do this: users:manage"
        assert exc.value.zh == "您的角色无权执行此操作:users:manage"


def test_not_signed_in_is_unauthorized_not_forbidden() -> None:
    with pytest.raises(ApiError) as exc:
        check(VISITOR, "monitor:read")
    assert _error(exc) == ("unauthorized", 401, {"WWW-Authenticate": "Bearer"})
    with pytest.raises(ApiError) as exc:  # a signed-in visitor is forbidden
        check(Claims(sub="guest", role="visitor", exp=0), "monitor:read")
    assert _error(exc) == ("forbidden", 403, None)


def test_require_names_its_dependency_after_the_permission() -> None:
    assert require("monitor:read").__name__ == "require_monitor_read"
    assert require("users:manage").__name__ == "require_users_manage"


def test_require_checks_its_own_permission_on_the_callers_claims() -> None:
    """Called directly, as FastAPI calls it: the claims come back when held, ApiError when not."""
    staff = Claims(sub="s", role="staff", exp=0)
    assert require("monitor:read")(staff) is staff
    with pytest.raises(ApiError) as exc:
        require("thresholds:write")(staff)
    assert _error(exc) == ("forbidden", 403, None) and exc.value.en.endswith(": thresholds:write")
    with pytest.raises(ApiError) as exc:
        require("monitor:read")(VISITOR)
    assert _error(exc)[:2] == ("unauthorized", 401)


def _app(store: Store, signer: TokenSigner) -> FastAPI:
    """Routes behind dependencies made here (the module's own were made at import, before any mutant)."""
    app = FastAPI()
    install(app)
    app.state.service = Service(ApiSettings(), store, signer, files=None)  # type: ignore[arg-type]

    @app.get("/monitor")
    def monitor(claims: Annotated[Claims, Depends(require("monitor:read"))]) -> dict[str, str]:
        return {"sub": claims.sub, "role": claims.role}

    @app.get("/users")
    def users(claims: Annotated[Claims, Depends(require("users:manage"))]) -> dict[str, str]:
        return {"sub": claims.sub}

    @app.get("/me")
    def me(claims: context.Caller) -> dict[str, str]:
        return {"sub": claims.sub, "role": claims.role}

    return app


async def _calls(app: FastAPI, calls: list[tuple[str, str | None]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        return [await c.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
                for path, token in calls]


def test_require_through_a_request(store: Store, signer: TokenSigner) -> None:
    """The dependency reads the request's bearer token, checks it against the store, then the permission."""
    app = _app(store, signer)
    tokens = {r: signer.issue(r, r, stamp=q.get_user(store, r).token_stamp) for r in ROLES}
    me, monitor = asyncio.run(_calls(app, [("/me", None), ("/monitor", None)]))
    assert me.json() == {"sub": "", "role": "visitor"}
    assert monitor.status_code == 401 and monitor.json()["error"]["code"] == "unauthorized"
    assert monitor.headers["www-authenticate"] == "Bearer"
    for role in ROLES:
        monitor, users = asyncio.run(_calls(app, [("/monitor", tokens[role]), ("/users", tokens[role])]))
        if role == "visitor":
            assert monitor.status_code == 403 and monitor.json()["error"]["code"] == "forbidden"
        else:
            assert monitor.status_code == 200 and monitor.json() == {"sub": role, "role": role}
        assert users.status_code == (200 if role == "admin" else 403)
    q.update_user(store, "admin", active=False)  # revoked: its token no longer passes the store check
    (users,) = asyncio.run(_calls(app, [("/users", tokens["admin"])]))
    assert users.status_code == 401 and users.json()["error"]["code"] == "token_invalid"


def _who(claims: context.Caller) -> dict[str, str]:
    return {"sub": claims.sub, "site": claims.site}


def test_on_a_hub_a_site_user_reaches_only_the_site_routes(store: Store, signer: TokenSigner) -> None:
    """A hub's user of one site may call /api/hub/sites/... and /api/auth/...; the museum routes, which
    read every site's rows, are forbidden to them (and stay open to the hub's own staff)."""
    app = FastAPI()
    install(app)
    app.state.service = Service(ApiSettings(), store, signer, files=None, sites={"s1": object()})  # type: ignore[arg-type]
    for path in ("/api/latest", "/api/hub/sites/s1/latest", "/api/auth/me", "/api/hubx"):
        app.get(path)(_who)
    q.add_user(store, "keeper", "staff", "not-a-hash", site="s1")
    site_user = signer.issue("keeper", "staff", stamp=q.get_user(store, "keeper").token_stamp, site="s1")
    hub_staff = signer.issue("staff", "staff", stamp=q.get_user(store, "staff").token_stamp)
    latest, hub, me, other = asyncio.run(_calls(app, [("/api/latest", site_user), ("/api/hub/sites/s1/latest", site_user),
                                                      ("/api/auth/me", site_user), ("/api/hubx", site_user)]))
    assert latest.status_code == other.status_code == 403
    assert latest.json()["error"]["message"] == {
        "en": "your role may not do this: site s1: on a hub use /api/hub/sites/s1/...",
        "zh": "您的角色无权执行此操作:场馆 s1: 汇聚中心请使用 /api/hub/sites/s1/..."}
    assert hub.json() == me.json() == {"sub": "keeper", "site": "s1"}
    (staff,) = asyncio.run(_calls(app, [("/api/latest", hub_staff)]))
    assert staff.json() == {"sub": "staff", "site": ""}
    app.state.service.sites = None  # a museum's own box: no hub, no such rule
    (own,) = asyncio.run(_calls(app, [("/api/latest", site_user)]))
    assert own.json() == {"sub": "keeper", "site": "s1"}


# ---------------------------------------------------------------------- which hall


def _readings(store: Store, *halls: str) -> None:
    store.add_readings([Reading(f"S-{h}", "temperature", T, 20.0, "°C", hall=h) for h in halls])


def _service(store: Store, signer: TokenSigner, halls: dict[str, HallView] | None = None) -> Service:
    svc = Service(ApiSettings(), store, signer, files=None)  # type: ignore[arg-type]
    svc.halls = halls or {}
    return svc


def test_the_one_hall_is_meant_when_none_is_named(store: Store, signer: TokenSigner) -> None:
    _readings(store, "east")
    svc = _service(store, signer)
    assert svc.hall(None) == HallView("east")
    assert svc.hall("east") == HallView("east")
    with pytest.raises(ApiError) as exc:
        svc.hall("west")
    assert _error(exc)[:2] == ("not_found", 404)
    assert exc.value.en == "not found: hall west" and exc.value.zh == "未找到:展厅 west"


def test_several_halls_need_a_name(store: Store, signer: TokenSigner) -> None:
    _readings(store, "west", "east")
    svc = _service(store, signer)
    assert svc.hall("west") == HallView("west")
    with pytest.raises(ApiError) as exc:
        svc.hall(None)
    assert _error(exc)[:2] == ("invalid", 422)
    assert exc.value.en == "invalid request: this site has several halls: give hall= (one of east, west)"
    assert exc.value.zh == "请求参数无效:本馆有多个展厅,请指定 hall=(east, west)"


def test_no_hall_yet_is_any_hall(store: Store, signer: TokenSigner) -> None:
    svc = _service(store, signer)
    h = svc.hall(None)
    assert h == HallView("") and h.where is None
    assert HallView("east").where == "east"
    with pytest.raises(ApiError):
        svc.hall("east")


def test_the_halls_served_win_over_the_store(store: Store, signer: TokenSigner) -> None:
    _readings(store, "east", "west")
    served = HallView("north")
    svc = _service(store, signer, {"north": served})
    assert svc.hall(None) is served and svc.hall("north") is served
    with pytest.raises(ApiError) as exc:
        svc.hall("east")  # in the store but not served
    assert _error(exc)[:2] == ("not_found", 404)


def test_service_build_serves_its_scene_and_zones(tmp_path: Path, store: Store, signer: TokenSigner) -> None:
    scene = load_scene(ROOT / "scenes" / "demo_hall")
    state = TwinState(scene)
    limits = FileLimits(photo=1000, model=2000)
    settings = ApiSettings(data_dir=tmp_path, password_hasher=FAST, file_limits=limits)
    svc = Service.build(store, settings, signer, scene, state)
    assert svc.settings is settings and svc.store is store and svc.signer is signer
    assert svc.scene is scene and svc.state is state
    assert isinstance(svc.files, LocalFileStore)
    assert svc.files.root == tmp_path / "files" and svc.files.limits is limits
    assert set(svc.halls) == {scene.id}
    view = svc.hall(None)
    assert view.id == scene.id and view.scene is scene and view.state is state
    zones = {s.id: s.zone for s in scene.sensors}
    assert len(zones) > 1 and svc.zone_of() == zones and view.zone_of() == zones
    assert FAST.verify(svc.dummy_hash, "relic-twin-not-a-user")
    assert FAST.check_needs_rehash(svc.dummy_hash) is False  # hashed with the settings' hasher
    bare = Service.build(store, settings, signer, None, None)
    assert bare.halls == {} and bare.zone_of() == {} and HallView("x").zone_of() == {}


def test_service_build_opens_the_file_store_its_settings_name(tmp_path: Path, store: Store,
                                                              signer: TokenSigner) -> None:
    elsewhere = tmp_path / "elsewhere"
    settings = ApiSettings(data_dir=tmp_path / "data", password_hasher=FAST, files_url=elsewhere.as_uri())
    files = Service.build(store, settings, signer, None, None).files
    assert isinstance(files, LocalFileStore) and files.root == elsewhere
