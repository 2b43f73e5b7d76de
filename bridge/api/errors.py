"""Errors as JSON, in both languages, and never a stack trace.

Every error response has one shape::

    {"error": {"code": "forbidden", "message": {"en": "...", "zh": "..."}, "details": [...]}}

:class:`ApiError` is what routes raise; the handlers installed by
:func:`install` turn it, FastAPI's validation errors, Starlette's HTTP
errors and any unexpected exception (logged, answered as 500 with no
detail) into that shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("relic_twin.api")

#: code -> (status, English, 中文)
MESSAGES: dict[str, tuple[int, str, str]] = {
    "unauthorized": (401, "sign in first", "请先登录"),
    "bad_credentials": (401, "wrong user name or password", "用户名或密码错误"),
    "token_invalid": (401, "invalid or expired token; sign in again", "令牌无效或已过期,请重新登录"),
    "forbidden": (403, "your role may not do this", "您的角色无权执行此操作"),
    "not_found": (404, "not found", "未找到"),
    "conflict": (409, "conflicts with what is stored", "与已有数据冲突"),
    "too_large": (413, "request body too large", "请求体过大"),
    "unsupported_type": (415, "file type not accepted", "不接受的文件类型"),
    "invalid": (422, "invalid request", "请求参数无效"),
    "too_many": (429, "too many requests; slow down", "请求过于频繁,请稍后再试"),
    "internal": (500, "internal error; it has been logged", "服务器内部错误,已记录"),
    "unavailable": (503, "not available on this server", "此服务器未提供该功能"),
}


class ApiError(Exception):
    """An error for the client: a code from :data:`MESSAGES`, optional extra texts (en, zh)."""

    def __init__(self, code: str, en: str | None = None, zh: str | None = None,
                 details: list[Any] | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        base_status, base_en, base_zh = MESSAGES[code]
        self.code = code
        self.status = status or base_status
        self.en = f"{base_en}: {en}" if en else base_en
        self.zh = f"{base_zh}:{zh}" if zh else base_zh
        self.details = details or []
        self.headers = headers
        super().__init__(self.en)


def split_message(text: str) -> tuple[str, str]:
    """Split relic-twin's ``"English | 中文"`` error texts into (en, zh)."""
    en, sep, zh = text.partition(" | ")
    return (en.strip(), zh.strip()) if sep else (text, text)


def body(code: str, en: str, zh: str, details: list[Any] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": {"en": en, "zh": zh}}
    if details:
        err["details"] = details
    return {"error": err}


def response(err: ApiError) -> JSONResponse:
    return JSONResponse(body(err.code, err.en, err.zh, err.details), status_code=err.status, headers=err.headers)


_STATUS_CODES = {s: c for c, (s, _, _) in MESSAGES.items() if c not in ("bad_credentials", "token_invalid")}


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"where": [str(p) for p in e.get("loc", ())], "problem": str(e.get("msg", ""))}
                   for e in exc.errors()]
        return response(ApiError("invalid", details=details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code)
        if code is None:
            en = str(exc.detail) if exc.detail else "request refused"
            return JSONResponse(body("http_error", en, "请求被拒绝"), status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return response(ApiError(code, headers=getattr(exc, "headers", None)))

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return response(ApiError("internal"))
