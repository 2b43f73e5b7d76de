"""Files for relics and records: inspection photos and 3D models.

Upload is the raw body with its ``Content-Type`` (no multipart): the
file store checks type against the content's signature, size and hash
(:mod:`bridge.store.files`); files are kept under their SHA-256, so a name
is a label only and can never reach the file system.
"""

from __future__ import annotations

import unicodedata

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bridge.api.context import CanReadRecords, CanWriteArchive, Service, Svc
from bridge.api.errors import ApiError, split_message
from bridge.api.params import MAX_ID, DbId
from bridge.errors import StorageError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.files import MEDIA_TYPES, add_file, read_file
from bridge.store.models import StoredFile

router = APIRouter(tags=["files"])


class FileOut(BaseModel):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    relic_id: int | None
    record_id: int | None
    created_at: str


def file_out(f: StoredFile) -> FileOut:
    return FileOut(id=f.id or 0, name=f.name, media_type=f.media_type, size=f.size, sha256=f.sha256,
                   relic_id=f.relic_id, record_id=f.record_id, created_at=from_us(f.created_at_us).isoformat())


def clean_name(name: str) -> str:
    """A display name without path parts or control characters; ApiError when nothing sensible is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    if not base or base in (".", "..") or len(base) > 200:
        raise ApiError("invalid", en="file name must be a plain name of 1-200 characters",
                       zh="文件名须为1至200个字符的普通名称")
    return base


UPLOAD_DOC = {"requestBody": {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                                             for t in MEDIA_TYPES}}}


@router.post("/api/files", response_model=FileOut, status_code=201, openapi_extra=UPLOAD_DOC,
             summary="upload a photo or 3D model / 上传照片或三维模型")
async def upload(*, request: Request, name: str = Query(..., min_length=1, max_length=400),
                 relic_id: int | None = Query(None, ge=1, le=MAX_ID), record_id: int | None = Query(None, ge=1, le=MAX_ID),
                 sha256: str | None = Query(None, pattern="^[0-9a-fA-F]{64}$"),
                 svc: Svc, _: CanWriteArchive) -> FileOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ApiError("unsupported_type", en=f"{media_type or 'none'}; allowed: {', '.join(MEDIA_TYPES)}",
                       zh=f"{media_type or '无'};允许:{', '.join(MEDIA_TYPES)}")
    label = clean_name(name)
    data = await request.body()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_keep, svc, data, media_type, label, relic_id, record_id, sha256)


def _keep(svc: Service, data: bytes, media_type: str, label: str, relic_id: int | None, record_id: int | None,
          sha256: str | None) -> FileOut:
    if relic_id is not None and q.get_relic(svc.store, relic_id) is None:
        raise ApiError("not_found", en=f"relic {relic_id}", zh=f"文物 {relic_id}")
    if record_id is not None and q.get_record(svc.store, record_id) is None:
        raise ApiError("not_found", en=f"record {record_id}", zh=f"记录 {record_id}")
    try:
        row = add_file(svc.store, svc.files, data, media_type, label, relic_id, record_id, sha256)
    except StorageError as exc:
        en, zh = split_message(str(exc))
        raise ApiError("invalid", en=en, zh=zh) from exc
    return file_out(row)


@router.get("/api/files", response_model=list[FileOut], summary="list files / 文件列表")
def files(*, relic_id: int | None = Query(None, ge=1, le=MAX_ID), svc: Svc,
          _: CanReadRecords) -> list[FileOut]:
    return [file_out(f) for f in q.list_files(svc.store, relic_id)]


@router.get("/api/files/{file_id}", summary="download a file / 下载文件",
            responses={200: {"content": {t: {} for t in MEDIA_TYPES}}})
def download(*, file_id: DbId, svc: Svc, _: CanReadRecords) -> Response:
    try:
        row, data = read_file(svc.store, svc.files, file_id)
    except StorageError as exc:
        raise ApiError("not_found", en=f"file {file_id}", zh=f"文件 {file_id}") from exc
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in row.name) or "file"
    return Response(data, media_type=row.media_type, headers={
        "Content-Disposition": f'attachment; filename="{ascii_name}"',
        "X-Content-Type-Options": "nosniff", "ETag": f'"{row.sha256}"'})
