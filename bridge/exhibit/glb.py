"""A relic as a compressed glTF binary (GLB) for the web exhibit.

The mesh is placed in the relic's model frame (``bridge.meshes.frame_transform``:
base at 0, centred, scaled to its real height), turned from our z up to glTF's
y up (:data:`bridge.exhibit.voyager.Z_UP_TO_Y_UP`, front towards +z), quantised
(``KHR_mesh_quantization``: positions as 16-bit integers under the node's scale
and offset, normals as 8-bit, colours as 16-bit linear RGBA) and compressed with
meshoptimizer (``EXT_meshopt_compression``), whose browser decoder is a single
script with its WebAssembly inline, so the model also opens from ``file://``.

:func:`fit_budget` walks the project's levels of detail down (full scan, then
halving the faces to ``LOD_FAR_FACES``) until the file fits the byte budget.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import meshopt  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray

from bridge.exhibit.voyager import Z_UP_TO_Y_UP
from bridge.meshes import LOD_FAR_FACES, MeshArrays, decimate

GLB_BUDGET_BYTES = 1_000_000
"""Most bytes one relic's GLB may take: with the ~1.1 MB viewer and the page it keeps a
relic page under the issue's 3 MB for a phone on a slow link."""

WEB_MAX_FACES = 40_000
"""Most faces sent to a browser whatever the budget: a mid-range phone's GPU draws this at 60 fps."""

_BYTE, _UBYTE, _USHORT, _UINT, _FLOAT = 5120, 5121, 5123, 5125, 5126
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
EXTENSION = "EXT_meshopt_compression"


@dataclass(frozen=True)
class Glb:
    """A written model: its bytes, faces and vertices sent, and the level of detail chosen."""

    data: bytes
    faces: int
    vertices: int
    source_faces: int


def to_y_up(points: NDArray[np.floating]) -> NDArray[np.float64]:
    """(n, 3) z-up points or directions -> glTF's y up."""
    return np.asarray(points, float) @ Z_UP_TO_Y_UP.T


def srgb_to_linear(c: NDArray[np.float64]) -> NDArray[np.float64]:
    """sRGB components in [0, 1] to linear light (IEC 61966-2-1); glTF vertex colours are linear."""
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def encode_glb(arrays: MeshArrays, frame: NDArray[np.float64], name: str = "relic") -> bytes:
    """GLB bytes of ``arrays`` placed by ``frame`` ((4, 4), file -> model frame, z up)."""
    pos = to_y_up(arrays.vertices @ frame[:3, :3].T + frame[:3, 3])
    nrm = to_y_up(arrays.normals)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    indices, remap, unique = meshopt.reorder_mesh(arrays.faces.astype(np.uint32).ravel(), True, False)
    order = np.argsort(remap, kind="stable")[:unique]
    pos, nrm, rgba = pos[order], nrm[order], arrays.colours[order]

    lo, hi = pos.min(axis=0), pos.max(axis=0)
    step = max(float((hi - lo).max()), 1e-9) / 65535.0
    q_pos = np.zeros((len(pos), 4), np.uint16)
    q_pos[:, :3] = np.clip(np.round((pos - lo) / step), 0, 65535)
    q_nrm = np.zeros((len(nrm), 4), np.int8)
    q_nrm[:, :3] = np.clip(np.round(nrm * 127), -127, 127)
    linear = srgb_to_linear(rgba[:, :3] / 255.0)
    q_col = np.empty((len(rgba), 4), np.uint16)
    q_col[:, :3] = np.round(linear * 65535)
    q_col[:, 3] = np.round(rgba[:, 3] / 255.0 * 65535)

    views = [  # (raw rows, mode, component type, count type, normalised, target)
        (q_pos, "ATTRIBUTES", _USHORT, "VEC3", False, _ARRAY_BUFFER),
        (q_nrm, "ATTRIBUTES", _BYTE, "VEC3", True, _ARRAY_BUFFER),
        (q_col, "ATTRIBUTES", _USHORT, "VEC4", True, _ARRAY_BUFFER),
        (indices.astype(np.uint32), "TRIANGLES", _UINT, "SCALAR", False, _ELEMENT_ARRAY_BUFFER),
    ]
    packed = bytearray()
    fallback_len = 0
    buffer_views, accessors = [], []
    for i, (raw, mode, ctype, kind, normalised, target) in enumerate(views):
        stride = raw.itemsize * (raw.shape[1] if raw.ndim == 2 else 1)
        count = len(raw)
        data = meshopt.encode_gltf_buffer(raw, mode)
        offset = len(packed)
        packed += data + b"\0" * (-len(data) % 4)
        ext = {"buffer": 0, "byteOffset": offset, "byteLength": len(data), "byteStride": stride,
               "count": count, "mode": mode}
        view = {"buffer": 1, "byteOffset": fallback_len, "byteLength": stride * count, "target": target,
                "extensions": {EXTENSION: ext}}
        if target == _ARRAY_BUFFER:
            view["byteStride"] = stride
        buffer_views.append(view)
        fallback_len += stride * count
        acc = {"bufferView": i, "componentType": ctype, "count": count, "type": kind}
        if normalised:
            acc["normalized"] = True
        accessors.append(acc)
    accessors[0]["min"] = q_pos[:, :3].min(axis=0).astype(int).tolist()
    accessors[0]["max"] = q_pos[:, :3].max(axis=0).astype(int).tolist()

    doc = {
        "asset": {"version": "2.0", "generator": "relic-twin publish"},
        "extensionsUsed": [EXTENSION, "KHR_mesh_quantization"],
        "extensionsRequired": [EXTENSION, "KHR_mesh_quantization"],
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": name, "mesh": 0, "translation": lo.round(7).tolist(), "scale": [step] * 3}],
        "meshes": [{"name": name, "primitives": [{
            "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2}, "indices": 3, "material": 0}]}],
        "materials": [{"name": "vertex colour", "doubleSided": True,
                       "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0,
                                                "roughnessFactor": 0.75}}],
        "accessors": accessors,
        "bufferViews": buffer_views,
        "buffers": [{"byteLength": len(packed)},
                    {"byteLength": fallback_len, "extensions": {EXTENSION: {"fallback": True}}}],
    }
    return pack_glb(doc, bytes(packed))


def pack_glb(doc: dict, binary: bytes) -> bytes:
    """The GLB container (glTF 2.0 spec, "Binary glTF Layout"): header, JSON chunk, BIN chunk."""
    js = json.dumps(doc, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(js) + 8 + len(binary)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js
            + struct.pack("<I4s", len(binary), b"BIN\0") + binary)


def read_glb(data: bytes) -> tuple[dict, bytes]:
    """The JSON document and BIN chunk of a GLB (for checks and tests)."""
    magic, version, total = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or total != len(data):
        raise ValueError("not a glTF 2.0 binary / 不是 glTF 2.0 二进制文件")
    n, kind = struct.unpack_from("<I4s", data, 12)
    doc = json.loads(data[20:20 + n])
    m, _ = struct.unpack_from("<I4s", data, 20 + n)
    return doc, data[28 + n:28 + n + m]


def fit_budget(arrays: MeshArrays, frame: NDArray[np.float64], name: str,
               budget_bytes: int = GLB_BUDGET_BYTES) -> Glb:
    """The most detailed level (full, then halving down to ``LOD_FAR_FACES``) whose GLB fits ``budget_bytes``.

    Raises ValueError when even the far level does not fit.
    """
    faces = min(len(arrays.faces), WEB_MAX_FACES)
    while True:
        level = decimate(arrays, faces)
        data = encode_glb(level, frame, name)
        if len(data) <= budget_bytes:
            return Glb(data, len(level.faces), len(level.vertices), len(arrays.faces))
        if faces <= LOD_FAR_FACES:
            raise ValueError(f"{name}: {len(data)} bytes at {faces} faces, over the budget of {budget_bytes} / "
                             f"模型超出大小预算")
        faces = max(LOD_FAR_FACES, faces // 2)
