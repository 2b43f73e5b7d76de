"""Sign-in, the caller's identity, and user management (admin)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from bridge.api.auth import ROLES, hash_password, verify_password
from bridge.api.context import Caller, CanUsers, Svc
from bridge.api.errors import ApiError
from bridge.errors import StorageError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.models import User

router = APIRouter(tags=["users"])

USERNAME = r"^[A-Za-z0-9_.@-]{1,64}$"
ROLE = "^(visitor|staff|curator|admin)$"


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


class Me(BaseModel):
    username: str
    role: str
    permissions: list[str]


class UserIn(BaseModel):
    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=8, max_length=1024)
    role: str = Field(pattern=ROLE)
    display_name: str = Field(default="", max_length=200)


class UserPatch(BaseModel):
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    role: str | None = Field(default=None, pattern=ROLE)
    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    username: str
    role: str
    display_name: str
    active: bool
    created_at: str


def user_out(u: User) -> UserOut:
    return UserOut(username=u.username, role=u.role_id, display_name=u.display_name, active=u.active,
                   created_at=from_us(u.created_at_us).isoformat())


def _sign_out(request: Request, username: str) -> None:
    """End the user's open live feeds now (their REST calls already fail: the token stamp changed)."""
    hub = getattr(request.app.state, "hub", None)
    if hub is not None:
        hub.revoke(username)


def address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/api/auth/token", response_model=TokenOut, summary="sign in / 登录",
             responses={429: {"description": "too many failed sign-ins for this account; wait Retry-After"}})
def sign_in(*, login: Login, request: Request, svc: Svc) -> TokenOut:
    where = address(request)
    wait = svc.throttle.wait(login.username)
    if wait > 0:
        q.audit(svc.store, "sign_in_failed", actor=login.username, address=where, ok=False, detail="throttled")
        raise ApiError("too_many", en="too many failed sign-ins for this account",
                       zh="该账号登录失败次数过多", headers={"Retry-After": str(math.ceil(wait))})
    user = q.get_user(svc.store, login.username)
    ok = verify_password(user.password_hash if user else svc.dummy_hash, login.password)
    if user is None or not ok or not user.active or user.role_id not in ROLES:
        svc.throttle.failed(login.username)
        q.audit(svc.store, "sign_in_failed", actor=login.username, address=where, ok=False,
                detail="no such user" if user is None else "wrong password" if not ok else "disabled")
        raise ApiError("bad_credentials", headers={"WWW-Authenticate": "Bearer"})
    svc.throttle.succeeded(login.username)
    q.audit(svc.store, "sign_in", actor=user.username, address=where)
    token = svc.signer.issue(user.username, user.role_id, stamp=user.token_stamp, site=user.site)
    return TokenOut(access_token=token, expires_in=svc.signer.ttl_s, role=user.role_id)


@router.get("/api/auth/me", response_model=Me, summary="who am I / 当前用户")
def me(*, claims: Caller) -> Me:
    from bridge.api.auth import PERMISSIONS

    return Me(username=claims.sub, role=claims.role, permissions=sorted(PERMISSIONS[claims.role]))


@router.get("/api/users", response_model=list[UserOut], summary="list users / 用户列表")
def users(*, svc: Svc, _: CanUsers) -> list[UserOut]:
    return [user_out(u) for u in q.list_users(svc.store)]


@router.post("/api/users", response_model=UserOut, status_code=201, summary="add a user / 添加用户")
def add_user(*, new: UserIn, request: Request, svc: Svc, claims: CanUsers) -> UserOut:
    try:
        row = q.add_user(svc.store, new.username, new.role, hash_password(new.password, svc.settings.password_hasher), new.display_name)
    except StorageError as exc:
        raise ApiError("conflict", en=f"user {new.username} exists", zh=f"用户 {new.username} 已存在") from exc
    q.audit(svc.store, "user_add", actor=claims.sub, target=new.username, address=address(request),
            detail=f"role={new.role}")
    return user_out(row)


@router.patch("/api/users/{username}", response_model=UserOut, summary="change a user / 修改用户")
def change_user(*, username: Annotated[str, Path(max_length=64)], patch: UserPatch, request: Request,
                svc: Svc, claims: CanUsers) -> UserOut:
    changes: dict[str, object] = {}
    if patch.password is not None:
        changes["password_hash"] = hash_password(patch.password, svc.settings.password_hasher)
    if patch.role is not None:
        changes["role_id"] = patch.role
    if patch.active is not None:
        changes["active"] = patch.active
    if patch.display_name is not None:
        changes["display_name"] = patch.display_name
    row = q.update_user(svc.store, username, **changes)
    if row is None:
        raise ApiError("not_found", en=f"user {username}", zh=f"用户 {username}")
    if any(k in q.REVOKING_FIELDS for k in changes):
        _sign_out(request, username)
    shown = {k: ("(new)" if k == "password_hash" else v) for k, v in changes.items()}
    q.audit(svc.store, "user_change", actor=claims.sub, target=username, address=address(request),
            detail=", ".join(f"{k.removesuffix('_hash').removesuffix('_id')}={v}" for k, v in shown.items()))
    return user_out(row)


@router.delete("/api/users/{username}", status_code=204, summary="remove a user / 删除用户")
def remove_user(*, username: Annotated[str, Path(max_length=64)], request: Request, svc: Svc,
                claims: CanUsers) -> None:
    if username == claims.sub:
        raise ApiError("conflict", en="you cannot remove yourself", zh="不能删除自己")
    if not q.remove_user(svc.store, username):
        raise ApiError("not_found", en=f"user {username}", zh=f"用户 {username}")
    _sign_out(request, username)
    q.audit(svc.store, "user_remove", actor=claims.sub, target=username, address=address(request))


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str
    address: str
    ok: bool
    detail: str


@router.get("/api/audit", response_model=list[AuditOut], tags=["audit"],
            summary="audit log: sign-ins, failed sign-ins, admin actions / 审计日志")
def audit_log(*, svc: Svc, _: CanUsers, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
              action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None) -> list[AuditOut]:
    return [AuditOut(id=e.id or 0, at=from_us(e.at_us).isoformat(), actor=e.actor, action=e.action, target=e.target,
                     address=e.address, ok=e.ok, detail=e.detail)
            for e in q.list_audit(svc.store, limit, before_id, action)]
