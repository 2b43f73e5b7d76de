"""Files for relics and records: inspection photos and 3D models.

Upload either the raw body with its ``Content-Type`` (``curl --data-binary @a.png -H 'Content-Type:
image/png' '/api/files?name=a.png'``) or a form with the file in the field ``file`` (``curl -F
file=@a.png /api/files``: the name and, where the part's type is generic, the type come from its
file name). The file store checks type against the content's signature, size and hash
(:mod:`bridge.store.files`); files are kept under their SHA-256, so a name is a label only and can
never reach the file system. ``relic_id`` names a relic by archive number, catalogue number or name.
"""

from __future__ import annotations

import unicodedata
from email import policy
from email.parser import BytesParser
from pathlib import PurePosixPath

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bridge.api.context import CanReadRecords, CanWriteArchive, Service, Svc
from bridge.api.errors import ApiError, split_message
from bridge.api.params import MAX_ID, DbId
from bridge.api.routes_relics import find_relic
from bridge.errors import StorageError
from bridge.store import service_queries as q
from bridge.store.epoch import from_us
from bridge.store.files import MEDIA_TYPES, add_file, read_file
from bridge.store.models import StoredFile

router = APIRouter(tags=["files"])

#: a form part's file name -> media type, for parts sent as application/octet-stream (curl -F does
#: so for every extension it does not know)
EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
              ".tif": "image/tiff", ".tiff": "image/tiff", ".glb": "model/gltf-binary", ".gltf": "model/gltf+json",
              ".obj": "model/obj", ".stl": "model/stl", ".ply": "model/x-ply"}
FORM_FIELD = "file"


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


UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    **{t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
    "multipart/form-data": {"schema": {"type": "object", "required": [FORM_FIELD],
                                       "properties": {FORM_FIELD: {"type": "string", "format": "binary"}}}},
}}}


def form_file(content_type: str, body: bytes) -> tuple[bytes, str, str]:
    """The ``file`` field of a multipart/form-data body: (content, media type, file name)."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    msg = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if msg.is_multipart():
        for part in msg.iter_parts():
            if part.get_param("name", header="content-disposition") == FORM_FIELD:
                filename = part.get_filename() or ""
                media_type = part.get_content_type()
                if media_type not in MEDIA_TYPES:
                    media_type = EXTENSIONS.get(PurePosixPath(filename).suffix.lower(), media_type)
                return part.get_payload(decode=True) or b"", media_type, filename
    raise ApiError("invalid", en=f"a form upload needs the file in the field '{FORM_FIELD}' (curl -F {FORM_FIELD}=@photo.png)",
                   zh=f"表单上传须将文件放在字段 '{FORM_FIELD}' 中(curl -F {FORM_FIELD}=@photo.png)")


@router.post("/api/files", response_model=FileOut, status_code=201, openapi_extra=UPLOAD_DOC,
             summary="upload a photo or 3D model / 上传照片或三维模型")
async def upload(*, request: Request, name: str | None = Query(None, min_length=1, max_length=400),
                 relic_id: str | None = Query(None, min_length=1, max_length=500,
                                              description="archive number, catalogue number or name / 文物编号或名称"),
                 record_id: int | None = Query(None, ge=1, le=MAX_ID),
                 sha256: str | None = Query(None, pattern="^[0-9a-fA-F]{64}$"),
                 svc: Svc, _: CanWriteArchive) -> FileOut:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    data = await request.body()
    if media_type == "multipart/form-data":
        data, media_type, filename = form_file(content_type, data)
        name = name or filename
    if media_type not in MEDIA_TYPES:
        raise ApiError("unsupported_type", en=f"{media_type or 'none'}; allowed: {', '.join(MEDIA_TYPES)}",
                       zh=f"{media_type or '无'};允许:{', '.join(MEDIA_TYPES)}")
    if not name:
        raise ApiError("invalid", en="give the file's name: ?name=photo.png", zh="请给出文件名:?name=photo.png")
    label = clean_name(name)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_keep, svc, data, media_type, label, relic_id, record_id, sha256)


def _keep(svc: Service, data: bytes, media_type: str, label: str, relic: str | None, record_id: int | None,
          sha256: str | None) -> FileOut:
    relic_id = find_relic(svc, relic).id if relic is not None else None
    if record_id is not None and q.get_record(svc.store, record_id) is None:
        raise ApiError("not_found", en=f"record {record_id}", zh=f"记录 {record_id}")
    try:
        row = add_file(svc.store, svc.files, data, media_type, label, relic_id, record_id, sha256)
    except StorageError as exc:
        en, zh = split_message(str(exc))
        raise ApiError("invalid", en=en, zh=zh) from exc
    return file_out(row)


@router.get("/api/files", response_model=list[FileOut], summary="list files / 文件列表")
def files(*, relic_id: str | None = Query(None, min_length=1, max_length=500,
                                          description="archive number, catalogue number or name / 文物编号或名称"),
          svc: Svc, _: CanReadRecords) -> list[FileOut]:
    return [file_out(f) for f in q.list_files(svc.store, find_relic(svc, relic_id).id if relic_id else None)]


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
