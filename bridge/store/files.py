"""File storage for inspection photos and 3D models: checked, content-addressed.

Every file is checked before it is kept:

- type: the declared media type must be one we keep (:data:`MEDIA_TYPES`)
  and must match the content's signature (magic bytes), so a renamed
  executable is not stored as ``photo.jpg``;
- size: at most the limit for its kind (:class:`FileLimits`), never empty;
- hash: its SHA-256 is computed, compared with the one the sender
  declared (when given), and is its key; reading it back re-checks the
  hash, so silent corruption is reported, not served.

Blobs live in a local folder (default ``<data dir>/files``) or in
S3-compatible storage (AWS S3, MinIO) given by URL; the ``stored_file``
table records each file's hash, type, size, name and location.

URLs for :func:`open_file_store`::

    None or file:///srv/relic-twin/files
    s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1
        (credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or s3://KEY:SECRET@bucket/...)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx

from bridge.errors import ConfigError, StorageError
from bridge.store.epoch import to_us
from bridge.store.models import StoredFile
from bridge.store.private import private_dir

#: Media types we keep, with their kind (which size limit applies).
MEDIA_TYPES: dict[str, str] = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/webp": "photo",
    "image/tiff": "photo",
    "model/gltf-binary": "model",
    "model/gltf+json": "model",
    "model/obj": "model",
    "model/stl": "model",
    "model/x-ply": "model",
}


@dataclass(frozen=True)
class FileLimits:
    """Largest file kept per kind, bytes.

    photo : 64 MiB holds an uncompressed 16-bit TIFF of a 20 MP camera
    model : 512 MiB holds a photogrammetry scan of a few million faces as GLB
    """

    photo: int = 64 * 2**20
    model: int = 512 * 2**20

    def for_kind(self, kind: str) -> int:
        return int(getattr(self, kind))


@dataclass(frozen=True)
class Blob:
    """A checked file as kept: sha256 (hex), media type, size in bytes, location URL."""

    sha256: str
    media_type: str
    size: int
    location: str


def _looks_like_obj(data: bytes) -> bool:
    keys = {b"v", b"vt", b"vn", b"vp", b"f", b"o", b"g", b"s", b"l", b"mtllib", b"usemtl"}
    lines = [ln.strip() for ln in data[:4096].splitlines()]
    words = [ln.split()[0] for ln in lines if ln and not ln.startswith(b"#")]
    return bool(words) and all(w in keys for w in words[:-1] or words) and b"v" in words


def sniff(data: bytes) -> str | None:
    """The media type the content's signature shows, None when unrecognised."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[:4] == b"glTF":
        return "model/gltf-binary"
    if data.startswith((b"ply\n", b"ply\r\n")):
        return "model/x-ply"
    if len(data) >= 84 and 84 + 50 * struct.unpack_from("<I", data, 80)[0] == len(data):
        return "model/stl"  # binary STL: 80-byte header, count, 50 bytes per triangle
    if data.lstrip().startswith(b"solid") and b"facet" in data[:4096]:
        return "model/stl"
    if data.lstrip().startswith(b"{"):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        return "model/gltf+json" if isinstance(doc, dict) and "asset" in doc else None
    if _looks_like_obj(data):
        return "model/obj"
    return None


def check_content(data: bytes, media_type: str, sha256: str | None = None, limits: FileLimits = FileLimits()) -> str:
    """Check type, size and (if given) hash of ``data``; return its SHA-256 hex digest.

    Raises StorageError with a reason (English | 中文) when the file must not be kept.
    """
    kind = MEDIA_TYPES.get(media_type)
    if kind is None:
        raise StorageError(
            f"media type {media_type!r} is not kept; allowed: {', '.join(MEDIA_TYPES)} | 不支持的文件类型"
        )
    if not data:
        raise StorageError("empty file | 空文件")
    limit = limits.for_kind(kind)
    if len(data) > limit:
        raise StorageError(f"{len(data)} bytes exceeds the {kind} limit of {limit} | 文件过大")
    found = sniff(data)
    if found != media_type:
        raise StorageError(f"content is {found or 'unrecognised'}, not {media_type} | 文件内容与类型不符")
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and sha256.lower() != digest:
        raise StorageError(f"SHA-256 {digest} differs from the declared {sha256} (damaged upload) | 校验和不符")
    return digest


class FileStore(Protocol):
    """Where blobs live, keyed by their SHA-256."""

    def put(self, data: bytes, media_type: str, sha256: str | None = None) -> Blob: ...

    def get(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...


def _verified(data: bytes, sha256: str, where: str) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StorageError(f"{where} is corrupt: its SHA-256 no longer matches | 文件已损坏")
    return data


class LocalFileStore:
    """Blobs in a local folder: ``<root>/<sha[:2]>/<sha>``, written atomically."""

    def __init__(self, root: Path, limits: FileLimits = FileLimits()) -> None:
        self.root = Path(root)
        self.limits = limits

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StorageError(f"not a SHA-256 hex digest: {sha256!r} | 无效的校验和")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, media_type: str, sha256: str | None = None) -> Blob:
        digest = check_content(data, media_type, sha256, self.limits)
        path = self.path(digest)
        if not path.exists():
            private_dir(path.parent)
            private_dir(self.root)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")  # mode 0600
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return Blob(digest, media_type, len(data), path.resolve().as_uri())

    def get(self, sha256: str) -> bytes:
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"no file {sha256} in {self.root} | 文件不存在") from exc
        return _verified(data, sha256, str(path))

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


# ---------------------------------------------------------------------- S3 (Signature Version 4)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_v4(
    method: str,
    url: str,
    headers: dict[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """Headers for an AWS Signature Version 4 request (Authorization, x-amz-date, x-amz-content-sha256).

    Follows https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html;
    every header in ``headers`` (plus host) is signed.
    """
    parts = urlsplit(url)
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {k.lower(): str(v).strip() for k, v in headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    signed["x-amz-content-sha256"] = payload_sha256
    names = sorted(signed)
    query = sorted(parse_qs(parts.query, keep_blank_values=True).items())
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, vs in query for v in sorted(vs)
    )
    canonical = "\n".join(
        [
            method,
            quote(unquote(parts.path) or "/", safe="/-_.~"),
            canonical_query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {k: v for k, v in signed.items() if k != "host"}
    out["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out


class S3FileStore:
    """Blobs in an S3-compatible bucket (path-style URLs, as MinIO serves them)."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        prefix: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        limits: FileLimits = FileLimits(),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.limits = limits
        self.client = httpx.Client(transport=transport, timeout=60)

    def url(self, sha256: str) -> str:
        return f"{self.endpoint}/{self.bucket}/{self.prefix}{sha256[:2]}/{sha256}"

    def _request(
        self, method: str, sha256: str, body: bytes = b"", extra: dict[str, str] | None = None
    ) -> httpx.Response:
        url = self.url(sha256)
        payload = hashlib.sha256(body).hexdigest()
        headers = sign_v4(
            method, url, extra or {}, payload, self.access_key, self.secret_key, self.region, datetime.now(UTC)
        )
        try:
            return self.client.request(method, url, content=body or None, headers=headers)
        except httpx.HTTPError as exc:
            raise StorageError(f"S3 {method} {url} failed | 对象存储请求失败: {exc}") from exc

    def put(self, data: bytes, media_type: str, sha256: str | None = None) -> Blob:
        digest = check_content(data, media_type, sha256, self.limits)
        resp = self._request("PUT", digest, data, {"content-type": media_type})
        if resp.status_code != 200:
            raise StorageError(f"S3 PUT refused ({resp.status_code}): {resp.text[:200]} | 对象存储拒绝写入")
        return Blob(digest, media_type, len(data), f"s3://{self.bucket}/{self.prefix}{digest[:2]}/{digest}")

    def get(self, sha256: str) -> bytes:
        resp = self._request("GET", sha256)
        if resp.status_code == 404:
            raise StorageError(f"no file {sha256} in s3://{self.bucket} | 文件不存在")
        if resp.status_code != 200:
            raise StorageError(f"S3 GET refused ({resp.status_code}) | 对象存储拒绝读取")
        return _verified(resp.content, sha256, self.url(sha256))

    def exists(self, sha256: str) -> bool:
        return self._request("HEAD", sha256).status_code == 200

    def delete(self, sha256: str) -> None:
        resp = self._request("DELETE", sha256)
        if resp.status_code not in (200, 204, 404):
            raise StorageError(f"S3 DELETE refused ({resp.status_code}) | 对象存储拒绝删除")


def open_file_store(url: str | None, data_dir: Path = Path("data"), limits: FileLimits = FileLimits()) -> FileStore:
    """The file store named by ``url`` (see the module docstring); None: ``<data_dir>/files``."""
    if not url:
        return LocalFileStore(Path(data_dir) / "files", limits)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalFileStore(Path(unquote(parts.path)), limits)
    if parts.scheme == "s3":
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        key = unquote(parts.username or "") or os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret = unquote(parts.password or "") or os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not key or not secret:
            raise ConfigError("S3 file store needs credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) | 缺少凭据")
        endpoint = q.get("endpoint", f"https://s3.{q.get('region', 'us-east-1')}.amazonaws.com")
        return S3FileStore(
            endpoint, parts.hostname or "", parts.path, key, secret, q.get("region", "us-east-1"), limits
        )
    raise ConfigError(f"file store URL must be file:// or s3://, got {url!r} | 文件存储地址无效")


def add_file(
    store,
    files: FileStore,
    data: bytes,
    media_type: str,
    name: str,
    relic_id: int | None = None,
    record_id: int | None = None,
    sha256: str | None = None,
) -> StoredFile:
    """Check and keep a file, and record it in ``stored_file``; returns the row (with its id)."""
    blob = files.put(data, media_type, sha256)
    row = StoredFile(
        sha256=blob.sha256,
        media_type=blob.media_type,
        size=blob.size,
        name=name,
        location=blob.location,
        relic_id=relic_id,
        record_id=record_id,
        created_at_us=to_us(datetime.now(UTC)),
    )
    with store.session() as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def read_file(store, files: FileStore, file_id: int) -> tuple[StoredFile, bytes]:
    """The record and the (hash-verified) content of stored file ``file_id``."""
    with store.session() as session:
        row = session.get(StoredFile, file_id)
    if row is None:
        raise StorageError(f"no stored file {file_id} | 文件记录不存在")
    return row, files.get(row.sha256)
