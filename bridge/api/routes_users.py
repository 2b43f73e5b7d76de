"""Sign-in, the caller's identity, and user management (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request
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


@router.post("/api/auth/token", response_model=TokenOut, summary="sign in / 登录")
def sign_in(*, login: Login, svc: Svc) -> TokenOut:
    user = q.get_user(svc.store, login.username)
    ok = verify_password(user.password_hash if user else svc.dummy_hash, login.password)
    if user is None or not ok or not user.active or user.role_id not in ROLES:
        raise ApiError("bad_credentials", headers={"WWW-Authenticate": "Bearer"})
    token = svc.signer.issue(user.username, user.role_id)
    return TokenOut(access_token=token, expires_in=svc.signer.ttl_s, role=user.role_id)


@router.get("/api/auth/me", response_model=Me, summary="who am I / 当前用户")
def me(*, claims: Caller) -> Me:
    from bridge.api.auth import PERMISSIONS

    return Me(username=claims.sub, role=claims.role, permissions=sorted(PERMISSIONS[claims.role]))


@router.get("/api/users", response_model=list[UserOut], summary="list users / 用户列表")
def users(*, svc: Svc, _: CanUsers) -> list[UserOut]:
    return [user_out(u) for u in q.list_users(svc.store)]


@router.post("/api/users", response_model=UserOut, status_code=201, summary="add a user / 添加用户")
def add_user(*, new: UserIn, svc: Svc,
             _: CanUsers) -> UserOut:
    try:
        row = q.add_user(svc.store, new.username, new.role, hash_password(new.password, svc.settings.password_hasher), new.display_name)
    except StorageError as exc:
        raise ApiError("conflict", en=f"user {new.username} exists", zh=f"用户 {new.username} 已存在") from exc
    return user_out(row)


@router.patch("/api/users/{username}", response_model=UserOut, summary="change a user / 修改用户")
def change_user(*, username: str, patch: UserPatch, svc: Svc,
                _: CanUsers) -> UserOut:
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
    return user_out(row)


@router.delete("/api/users/{username}", status_code=204, summary="remove a user / 删除用户")
def remove_user(*, username: str, request: Request, svc: Svc,
                claims: CanUsers) -> None:
    if username == claims.sub:
        raise ApiError("conflict", en="you cannot remove yourself", zh="不能删除自己")
    if not q.remove_user(svc.store, username):
        raise ApiError("not_found", en=f"user {username}", zh=f"用户 {username}")
