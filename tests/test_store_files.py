"""File storage: type, size and hash checks; local folder and S3-compatible (SigV4) back ends."""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bridge.errors import ConfigError, StorageError
from bridge.store import Store
from bridge.store.files import (
    FileLimits,
    LocalFileStore,
    S3FileStore,
    add_file,
    check_content,
    open_file_store,
    read_file,
    sign_v4,
    sniff,
)
from bridge.store.models import Relic


def png_1x1() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


STL_BINARY = b"relic".ljust(80, b" ") + struct.pack("<I", 1) + b"\x00" * 50
SAMPLES = {
    "image/png": png_1x1(),
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "image/webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8,
    "image/tiff": b"II*\x00\x08\x00\x00\x00" + b"\x00" * 8,
    "model/gltf-binary": b"glTF\x02\x00\x00\x00" + struct.pack("<I", 12),
    "model/gltf+json": b'{"asset": {"version": "2.0"}, "meshes": []}',
    "model/obj": b"# bowl\no bowl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n",
    "model/stl": STL_BINARY,
    "model/x-ply": b"ply\nformat ascii 1.0\nelement vertex 0\nend_header\n",
}


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_sniff_recognises_each_kept_type(media_type: str) -> None:
    assert sniff(SAMPLES[media_type]) == media_type
    assert check_content(SAMPLES[media_type], media_type) == hashlib.sha256(SAMPLES[media_type]).hexdigest()


@pytest.mark.parametrize(
    ("data", "media_type", "why"),
    [
        (b"MZ\x90\x00 executable", "image/jpeg", "not image/jpeg"),
        (SAMPLES["image/png"], "image/jpeg", "content is image/png"),
        (b"", "image/png", "empty"),
        (b"#!/bin/sh\nrm -rf /\n", "model/obj", "unrecognised"),
        (SAMPLES["image/png"], "application/x-msdownload", "not kept"),
        (b'{"not": "gltf"}', "model/gltf+json", "unrecognised"),
    ],
)
def test_check_content_refuses(data: bytes, media_type: str, why: str) -> None:
    with pytest.raises(StorageError, match=why):
        check_content(data, media_type)


def test_size_limit_and_declared_hash() -> None:
    png = SAMPLES["image/png"]
    with pytest.raises(StorageError, match="exceeds the photo limit"):
        check_content(png, "image/png", limits=FileLimits(photo=len(png) - 1))
    good = hashlib.sha256(png).hexdigest()
    assert check_content(png, "image/png", sha256=good.upper()) == good
    with pytest.raises(StorageError, match="damaged upload"):
        check_content(png, "image/png", sha256="0" * 64)


def test_local_store_is_content_addressed_and_detects_corruption(tmp_path: Path) -> None:
    files = LocalFileStore(tmp_path / "files")
    blob = files.put(SAMPLES["model/stl"], "model/stl")
    again = files.put(SAMPLES["model/stl"], "model/stl")
    assert blob == again
    path = files.path(blob.sha256)
    assert path == tmp_path / "files" / blob.sha256[:2] / blob.sha256
    assert blob.location == path.resolve().as_uri()
    assert files.get(blob.sha256) == SAMPLES["model/stl"]
    assert files.exists(blob.sha256)
    path.write_bytes(STL_BINARY[:-1] + b"\x01")  # a flipped byte on disk
    with pytest.raises(StorageError, match="corrupt"):
        files.get(blob.sha256)
    files.delete(blob.sha256)
    assert not files.exists(blob.sha256)
    with pytest.raises(StorageError):
        files.path("../../etc/passwd")


def test_add_and_read_file_records_it_in_the_database(database_url: str, tmp_path: Path) -> None:
    files = open_file_store(None, data_dir=tmp_path)
    with Store.open(url=database_url) as store:
        with store.session() as s:
            relic = Relic(catalogue_number="GZ-0001", name_zh="青铜鼎", name_en="bronze ding", material="bronze")
            s.add(relic)
            s.commit()
            s.refresh(relic)
        row = add_file(store, files, SAMPLES["image/jpeg"], "image/jpeg", "inspection-2024.jpg", relic_id=relic.id)
        assert row.id is not None and row.size == len(SAMPLES["image/jpeg"])
        got, data = read_file(store, files, row.id)
        assert (got.name, got.relic_id, got.sha256) == ("inspection-2024.jpg", relic.id, row.sha256)
        assert data == SAMPLES["image/jpeg"]
        with pytest.raises(StorageError):
            add_file(store, files, b"not a photo", "image/jpeg", "x.jpg")


def test_sigv4_matches_the_aws_documented_example() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object"
    headers = sign_v4(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9"},
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "us-east-1",
        datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert headers["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_s3_store_against_a_fake_bucket() -> None:
    objects: dict[str, bytes] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=minio/")
        assert request.headers["x-amz-content-sha256"] == hashlib.sha256(request.content).hexdigest()
        path = request.url.path
        if request.method == "PUT":
            objects[path] = request.content
            return httpx.Response(200)
        if path not in objects:
            return httpx.Response(404)
        if request.method == "DELETE":
            del objects[path]
            return httpx.Response(204)
        return httpx.Response(200, content=objects[path] if request.method == "GET" else b"")

    files = S3FileStore(
        "http://127.0.0.1:9000", "relics", "scans", "minio", "secret", transport=httpx.MockTransport(handler)
    )
    data = SAMPLES["model/gltf-binary"]
    blob = files.put(data, "model/gltf-binary")
    assert blob.location == f"s3://relics/scans/{blob.sha256[:2]}/{blob.sha256}"
    assert list(objects) == [f"/relics/scans/{blob.sha256[:2]}/{blob.sha256}"]
    assert files.exists(blob.sha256) and files.get(blob.sha256) == data
    objects[next(iter(objects))] = data + b"x"
    with pytest.raises(StorageError, match="corrupt"):
        files.get(blob.sha256)
    files.delete(blob.sha256)
    assert not files.exists(blob.sha256)
    with pytest.raises(StorageError, match="no file"):
        files.get(blob.sha256)


def test_open_file_store_urls(tmp_path: Path, monkeypatch) -> None:
    assert isinstance(open_file_store(None, tmp_path), LocalFileStore)
    local = open_file_store(f"file://{tmp_path}/blobs")
    assert isinstance(local, LocalFileStore) and local.root == tmp_path / "blobs"
    s3 = open_file_store("s3://key:pw@relics/scans?endpoint=http://127.0.0.1:9000")
    assert isinstance(s3, S3FileStore)
    assert (s3.endpoint, s3.bucket, s3.prefix, s3.access_key) == ("http://127.0.0.1:9000", "relics", "scans/", "key")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ConfigError):
        open_file_store("s3://relics/scans")
    with pytest.raises(ConfigError):
        open_file_store("ftp://example.org/x")
