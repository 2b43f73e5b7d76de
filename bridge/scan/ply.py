"""PLY files read and written with numpy: ASCII and binary, faces and triangle strips.

The PLY format (Turk, 1994; the ``plyfile`` and RPly readers follow it) is a
header of ``element NAME COUNT`` lines, each with ``property TYPE NAME`` or
``property list COUNT_TYPE ITEM_TYPE NAME`` lines, then the elements' rows in
order. :func:`read_elements` reads every element generically (so a ``camera``
record or ``edge`` list between the vertices and the faces is read and
skipped, not mistaken for faces); :func:`mesh_from_elements` picks out what a
scan needs. Triangle strips (``element tristrips`` with ``vertex_indices``,
``-1`` restarting a strip) become triangles with alternating winding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}
"""PLY type names (both spellings of the 1994 format) -> numpy dtype codes."""

ENCODINGS = {"ascii": "", "binary_little_endian": "<", "binary_big_endian": ">"}


class PlyError(ValueError):
    """A PLY file is malformed; the message is ``English | 中文``."""


@dataclass(frozen=True)
class Property:
    name: str
    dtype: str  # numpy code, item type for lists
    count_dtype: str | None = None  # set for list properties


@dataclass(frozen=True)
class Element:
    name: str
    count: int
    properties: tuple[Property, ...]


def parse_header(head: bytes) -> tuple[str, list[Element], int]:
    """(encoding, elements, header length in bytes) of a PLY file's first bytes."""
    end = head.find(b"end_header")
    if not head.startswith(b"ply") or end < 0:
        raise PlyError("not a PLY file (no 'ply' ... 'end_header' header) | 不是有效的 PLY 文件（缺少文件头）")
    stop = head.index(b"\n", end) + 1 if b"\n" in head[end:] else len(head)
    lines = head[:stop].decode("ascii", errors="replace").splitlines()
    encoding: str = ""
    elements: list[tuple[str, int, list[Property]]] = []
    props: list[Property] = []
    for no, line in enumerate(lines[1:], start=2):
        words = line.split()
        if not words or words[0] in ("comment", "obj_info", "end_header"):
            continue
        try:
            if words[0] == "format":
                encoding = words[1]
                if encoding not in ENCODINGS:
                    raise PlyError(f"header line {no}: unknown format {encoding!r} | 未知的 PLY 编码")
            elif words[0] == "element":
                props = []
                elements.append((words[1], int(words[2]), props))
            elif words[0] == "property":
                if not elements:
                    raise PlyError(f"header line {no}: property before any element | 属性出现在元素之前")
                if words[1] == "list":
                    props.append(Property(words[4], TYPES[words[3]], TYPES[words[2]]))
                else:
                    props.append(Property(words[2], TYPES[words[1]]))
            else:
                raise PlyError(f"header line {no}: unknown keyword {words[0]!r} | 文件头含未知关键字")
        except (IndexError, KeyError, ValueError) as exc:
            if isinstance(exc, PlyError):
                raise
            raise PlyError(f"header line {no}: cannot parse {line.strip()!r} | 无法解析文件头第 {no} 行") from None
    if not encoding:
        raise PlyError("header has no 'format' line | 文件头缺少 format 行")
    out = [Element(name, count, tuple(p)) for name, count, p in elements]
    return encoding, out, stop


def read_elements(path: Path) -> tuple[str, dict[str, dict[str, NDArray | list[NDArray]]]]:
    """(encoding, element name -> property name -> values) of a PLY file.

    Scalar properties come back as (count,) arrays; list properties as a
    (count, k) array when every row has k items, else a list of arrays.
    """
    data = Path(path).read_bytes()
    encoding, elements, start = parse_header(data[:65536] if b"end_header" in data[:65536] else data)
    body = data[start:]
    out: dict[str, dict[str, NDArray | list[NDArray]]] = {}
    if encoding == "ascii":
        tokens = body.split()
        pos = 0
        for el in elements:
            out[el.name], pos = _ascii_element(el, tokens, pos)
    else:
        order = ENCODINGS[encoding]
        pos = 0
        for el in elements:
            out[el.name], pos = _binary_element(el, body, pos, order)
    return encoding, out


def _short(el: Element) -> PlyError:
    return PlyError(f"file ends inside element {el.name!r} ({el.count} rows declared) | 文件不完整：{el.name} 数据被截断")


def _ascii_element(el: Element, tokens: list[bytes], pos: int) -> tuple[dict, int]:
    lists = [p for p in el.properties if p.count_dtype]
    if not lists:
        k = len(el.properties)
        need = el.count * k
        if pos + need > len(tokens):
            raise _short(el)
        try:
            arr = np.array(tokens[pos:pos + need], dtype=float).reshape(el.count, k)
        except ValueError:
            raise PlyError(f"element {el.name!r}: a value is not a number | {el.name} 含非数字内容") from None
        return {p.name: arr[:, i].astype(p.dtype) for i, p in enumerate(el.properties)}, pos + need
    cols: dict[str, list] = {p.name: [] for p in el.properties}
    try:
        for _ in range(el.count):
            for p in el.properties:
                if p.count_dtype:
                    n = int(tokens[pos])
                    cols[p.name].append(np.array(tokens[pos + 1:pos + 1 + n], dtype=float).astype(p.dtype))
                    pos += 1 + n
                else:
                    cols[p.name].append(float(tokens[pos]))
                    pos += 1
    except IndexError:
        raise _short(el) from None
    except ValueError:
        raise PlyError(f"element {el.name!r}: a value is not a number | {el.name} 含非数字内容") from None
    if pos > len(tokens):
        raise _short(el)
    return {p.name: _stack(cols[p.name]) if p.count_dtype else np.array(cols[p.name], p.dtype)
            for p in el.properties}, pos


def _binary_element(el: Element, body: bytes, pos: int, order: str) -> tuple[dict, int]:
    lists = [p for p in el.properties if p.count_dtype]
    if not lists:
        dt = np.dtype([(f"p{i}", order + p.dtype) for i, p in enumerate(el.properties)])
        need = el.count * dt.itemsize
        if pos + need > len(body):
            raise _short(el)
        rec = np.frombuffer(body, dtype=dt, count=el.count, offset=pos)
        return {p.name: rec[f"p{i}"].astype(p.dtype) for i, p in enumerate(el.properties)}, pos + need
    fast = _binary_fixed_lists(el, body, pos, order)
    if fast is not None:
        return fast
    cols: dict[str, list] = {p.name: [] for p in el.properties}
    try:
        for _ in range(el.count):
            for p in el.properties:
                if p.count_dtype:
                    cdt = np.dtype(order + p.count_dtype)
                    n = int(np.frombuffer(body, cdt, 1, pos)[0])
                    pos += cdt.itemsize
                    idt = np.dtype(order + p.dtype)
                    cols[p.name].append(np.frombuffer(body, idt, n, pos).astype(p.dtype))
                    pos += n * idt.itemsize
                else:
                    sdt = np.dtype(order + p.dtype)
                    cols[p.name].append(np.frombuffer(body, sdt, 1, pos)[0])
                    pos += sdt.itemsize
    except (ValueError, struct.error):
        raise _short(el) from None
    return {p.name: _stack(cols[p.name]) if p.count_dtype else np.array(cols[p.name], p.dtype)
            for p in el.properties}, pos


def _binary_fixed_lists(el: Element, body: bytes, pos: int, order: str) -> tuple[dict, int] | None:
    """Every list in the element has the same length as in its first row (triangles): one frombuffer."""
    fields, off = [], pos
    try:
        for i, p in enumerate(el.properties):
            if p.count_dtype:
                cdt = np.dtype(order + p.count_dtype)
                n = int(np.frombuffer(body, cdt, 1, off)[0])
                fields += [(f"n{i}", order + p.count_dtype), (f"p{i}", order + p.dtype, (n,))]
                off += cdt.itemsize + n * np.dtype(p.dtype).itemsize
            else:
                fields.append((f"p{i}", order + p.dtype))
                off += np.dtype(p.dtype).itemsize
        dt = np.dtype(fields)
        if el.count == 0 or pos + el.count * dt.itemsize > len(body):
            return None
        rec = np.frombuffer(body, dtype=dt, count=el.count, offset=pos)
    except (ValueError, IndexError):
        return None
    for i, p in enumerate(el.properties):
        if p.count_dtype and not np.all(rec[f"n{i}"] == dt[f"p{i}"].shape[0]):
            return None
    return {p.name: rec[f"p{i}"].astype(p.dtype) for i, p in enumerate(el.properties)}, pos + el.count * dt.itemsize


def _stack(rows: list[NDArray]) -> NDArray | list[NDArray]:
    if rows and all(len(r) == len(rows[0]) for r in rows):
        return np.stack(rows) if len(rows[0]) else np.zeros((len(rows), 0))
    return rows


# --- what a scan needs ----------------------------------------------------------------


def polygons_to_triangles(rows: NDArray | list[NDArray]) -> NDArray[np.int64]:
    """Faces (m, k) or a ragged list -> triangles (t, 3), polygons split as fans."""
    if isinstance(rows, np.ndarray):
        rows = rows.astype(np.int64)
        if rows.ndim == 2 and rows.shape[1] == 3:
            return rows
        if rows.ndim == 2 and rows.shape[1] > 3:
            k = rows.shape[1]
            return np.concatenate([rows[:, [0, j, j + 1]] for j in range(1, k - 1)])
        return np.zeros((0, 3), np.int64)
    tris = [np.column_stack([np.full(len(r) - 2, r[0]), r[1:-1], r[2:]]) for r in rows if len(r) >= 3]
    return np.concatenate(tris).astype(np.int64) if tris else np.zeros((0, 3), np.int64)


def strips_to_triangles(rows: NDArray | list[NDArray]) -> NDArray[np.int64]:
    """Triangle strips (``-1`` restarts a strip) -> triangles (t, 3).

    Triangle i of a strip is (v[i], v[i+1], v[i+2]), its winding flipped on odd
    i so that all face the same way; degenerate ones (a repeated index, used to
    join strips) are dropped.
    """
    seq = np.concatenate([np.asarray(r, np.int64).ravel() for r in rows]) if len(rows) else np.zeros(0, np.int64)
    tris = []
    for strip in np.split(seq, np.flatnonzero(seq < 0)):
        strip = strip[strip >= 0]
        if len(strip) < 3:
            continue
        a, b, c = strip[:-2], strip[1:-1], strip[2:]
        odd = np.arange(len(a)) % 2 == 1
        t = np.column_stack([a, np.where(odd, c, b), np.where(odd, b, c)])
        tris.append(t)
    if not tris:
        return np.zeros((0, 3), np.int64)
    t = np.concatenate(tris)
    good = (t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])
    return t[good]


COLOUR_NAMES = (("red", "green", "blue"), ("r", "g", "b"), ("diffuse_red", "diffuse_green", "diffuse_blue"))


def colours_of(vertex: dict[str, NDArray]) -> NDArray[np.uint8] | None:
    """(n, 3) uint8 RGB of a vertex element, or None: 16-bit values shifted, 0-1 floats scaled."""
    for names in COLOUR_NAMES:
        if all(n in vertex for n in names):
            rgb = np.column_stack([np.asarray(vertex[n]) for n in names])
            if rgb.dtype.kind == "f":
                rgb = rgb * (255.0 if np.nanmax(rgb, initial=0) <= 1.0 else 1.0)
            elif rgb.dtype.itemsize > 1 and np.max(rgb, initial=0) > 255:
                rgb = rgb / 257.0
            return np.clip(np.nan_to_num(rgb), 0, 255).round().astype(np.uint8)
    return None


def write_ply(path: Path, vertices: NDArray, colours: NDArray[np.uint8] | None = None,
              faces: NDArray | None = None, normals: NDArray | None = None, comment: str = "") -> int:
    """A binary little-endian PLY: float x y z [nx ny nz] [uchar red green blue alpha], faces as
    ``list uchar int vertex_indices``. vertices (n, 3); colours (n, 3|4) uint8; faces (m, 3);
    normals (n, 3). Returns the file size in bytes."""
    n = len(vertices)
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if normals is not None:
        fields += [("nx", "<f4"), ("ny", "<f4"), ("nz", "<f4")]
    if colours is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1"), ("alpha", "u1")]
    rec = np.zeros(n, dtype=fields)
    rec["x"], rec["y"], rec["z"] = np.asarray(vertices, float).T
    if normals is not None:
        rec["nx"], rec["ny"], rec["nz"] = np.asarray(normals, float).T
    if colours is not None:
        c = np.asarray(colours, np.uint8)
        rec["red"], rec["green"], rec["blue"] = c[:, 0], c[:, 1], c[:, 2]
        rec["alpha"] = c[:, 3] if c.shape[1] > 3 else 255
    head = ["ply", "format binary_little_endian 1.0"]
    head += [f"comment {line}" for line in comment.splitlines() if line.strip()]
    head.append(f"element vertex {n}")
    names = {"<f4": "float", "u1": "uchar"}
    head += [f"property {names[t]} {name}" for name, t in fields]
    body = [rec.tobytes()]
    if faces is not None:
        f = np.asarray(faces, np.int64)
        frec = np.zeros(len(f), dtype=[("n", "u1"), ("v", "<i4", (3,))])
        frec["n"], frec["v"] = 3, f
        head += [f"element face {len(f)}", "property list uchar int vertex_indices"]
        body.append(frec.tobytes())
    head.append("end_header")
    data = ("\n".join(head) + "\n").encode("ascii") + b"".join(body)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
