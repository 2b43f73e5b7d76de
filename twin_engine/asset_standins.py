"""Procedural stand-in relics: ding, hanging scroll, lacquer box, meiping vase.

Each builder returns a :class:`trimesh.Trimesh` in metres, z up, base at
z = 0, centred on the z axis, the front facing -y, with per-vertex RGBA
colours. They are stand-ins for scans we do not have (see
``assets/SOURCES.md``); the shapes follow the textbook profiles of each
object type:

- ding: round bowl, two upright loop handles (耳) on the rim, three legs
  (足); cast bronze with a green malachite/azurite patina (Scott 2002,
  *Copper and Bronze in Art*, Getty, ch. 4-5).
- hanging scroll (立轴): silk painting panel in a paper-backed silk
  mounting, a top stave and a bottom roller with end knobs (轴头).
- lacquer box: round lidded box, cinnabar-red lacquer with gilt flowers
  (描金).
- meiping (梅瓶): small mouth, short neck, broad shoulder tapering to a
  narrow foot; cobalt blue under a clear glaze (青花).
"""

from __future__ import annotations

import numpy as np
import trimesh
from numpy.typing import NDArray

Colour = tuple[int, int, int]


def lathe(profile: NDArray[np.float64], sections: int) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """Revolve a profile about z.

    profile : (n, 2) float, (radius m, z m), ordered along the surface.
    Returns vertices (n*sections, 3) m, faces (2*(n-1)*sections, 3), and
    the (n*sections, 2) surface parameters (theta rad, profile index).
    """
    n = len(profile)
    theta = np.linspace(0.0, 2 * np.pi, sections, endpoint=False)
    r, z = profile[:, 0], profile[:, 1]
    x = np.outer(r, np.cos(theta))
    y = np.outer(r, np.sin(theta))
    zz = np.repeat(z[:, None], sections, axis=1)
    verts = np.stack([x, y, zz], axis=-1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n - 1), np.arange(sections), indexing="ij")
    a = i * sections + j
    b = i * sections + (j + 1) % sections
    c = (i + 1) * sections + (j + 1) % sections
    d = (i + 1) * sections + j
    faces = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    params = np.stack([np.tile(theta, n), np.repeat(np.arange(n, dtype=float), sections)], axis=-1)
    return verts, faces.astype(np.int64), params


def tube(path: NDArray[np.float64], radius: NDArray[np.float64] | float, sides: int = 12) -> trimesh.Trimesh:
    """Sweep a circle of ``radius`` (m, scalar or (n,)) along ``path`` (n, 3) m; ends capped."""
    n = len(path)
    rad = np.broadcast_to(np.asarray(radius, dtype=float), (n,))
    tang = np.gradient(path, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    ref = np.array([0.0, 0.0, 1.0]) if abs(tang[0, 2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    normal = np.cross(tang[0], ref)
    normal /= np.linalg.norm(normal)
    rings = []
    ang = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    for k in range(n):  # parallel transport of the frame
        normal = normal - tang[k] * np.dot(normal, tang[k])
        normal /= np.linalg.norm(normal)
        binormal = np.cross(tang[k], normal)
        ring = path[k] + rad[k] * (np.outer(np.cos(ang), normal) + np.outer(np.sin(ang), binormal))
        rings.append(ring)
    verts = np.concatenate(rings + [path[:1], path[-1:]])
    faces = []
    for k in range(n - 1):
        for s in range(sides):
            a, b = k * sides + s, k * sides + (s + 1) % sides
            c, d = b + sides, a + sides
            faces += [[a, b, c], [a, c, d]]
    c0, c1 = n * sides, n * sides + 1
    for s in range(sides):
        faces.append([c0, (s + 1) % sides, s])
        faces.append([c1, (n - 1) * sides + s, (n - 1) * sides + (s + 1) % sides])
    return trimesh.Trimesh(verts, np.asarray(faces), process=False)


def _coloured(verts: NDArray[np.float64], faces: NDArray[np.int64], rgb: NDArray[np.float64]) -> trimesh.Trimesh:
    m = trimesh.Trimesh(verts, faces, process=False)
    rgba = np.concatenate([np.clip(rgb, 0, 255), np.full((len(rgb), 1), 255.0)], axis=1).astype(np.uint8)
    m.visual.vertex_colors = rgba
    return m


def _paint(mesh: trimesh.Trimesh, rgb: Colour) -> trimesh.Trimesh:
    return _coloured(mesh.vertices, mesh.faces, np.tile(np.asarray(rgb, float), (len(mesh.vertices), 1)))


def _noise(p: NDArray[np.float64], seed: int, scale: float) -> NDArray[np.float64]:
    """Smooth pseudo-noise in [-1, 1] from a few random plane waves; p (n, 3) m."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(p))
    for _ in range(6):
        k = rng.normal(size=3) / scale
        out += np.sin(p @ k + rng.uniform(0, 2 * np.pi))
    return out / 6.0 * 2.0


def _join(parts: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    m = trimesh.util.concatenate(parts)
    return m


def _smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


# --- ding ------------------------------------------------------------------------


def bronze_ding(height_m: float = 0.45) -> trimesh.Trimesh:
    """A tripod ding: hemispherical bowl on three cabriole legs, two loop handles."""
    s = height_m / 0.45
    leg_h, bowl_r, bowl_d = 0.13 * s, 0.17 * s, 0.19 * s
    t = np.linspace(0, 1, 22)
    outer = np.stack([bowl_r * np.sin(0.08 + t * (np.pi / 2 - 0.08)), leg_h + bowl_d * (1 - np.cos(0.08 + t * (np.pi / 2 - 0.08)))], 1)
    outer[:, 1] -= outer[0, 1] - leg_h
    top = outer[-1, 1]
    lip = np.array([[bowl_r * 1.03, top + 0.005 * s], [bowl_r * 1.06, top + 0.018 * s], [bowl_r * 0.96, top + 0.02 * s]])
    inner = outer[::-1].copy()
    inner[:, 0] *= 0.93
    inner[:, 1] = inner[:, 1] * 0.96 + 0.03 * s
    profile = np.concatenate([[[0.0, leg_h]], outer, lip, inner, [[0.0, inner[-1, 1]]]])
    v, f, par = lathe(profile, 96)
    # patina: green malachite over dark bronze, a raised taotie band on the belly
    z = v[:, 2]
    nz = _noise(v, 1, 0.03 * s)
    base = np.array([62, 88, 70]) + np.outer(nz, [18, 22, 14])
    row = np.arange(len(v)) // 96
    outer_rows = (row >= 1) & (row <= len(outer))
    band = (z > leg_h + 0.09 * s) & (z < leg_h + 0.16 * s) & outer_rows
    theta = par[:, 0]
    # a stylised mask repeated six times: eyes, a central ridge (扉棱) and spiral fill (云雷纹)
    phase = (theta * 6 / (2 * np.pi)) % 1.0
    zz = (z - leg_h - 0.125 * s) / (0.035 * s)
    eyes = (np.hypot((np.abs(phase - 0.5) - 0.17) * 9, zz * 1.6) < 0.5)
    ridge = np.abs(phase - 0.5) < 0.015
    spiral = np.sin(phase * 2 * np.pi * 8) * np.sin(zz * 5) > 0.35
    motif = eyes | ridge | spiral
    base[band & motif] = [40, 58, 48]
    base[band & ~motif] = [96, 122, 96]
    inside = row > len(outer) + len(lip)
    base[inside] = base[inside] * 0.6
    bowl = _coloured(v, f, base)
    parts = [bowl]
    for k in range(3):  # cabriole legs, thick at the knee, bent outwards
        a = np.pi / 2 + k * 2 * np.pi / 3
        d = np.array([np.cos(a), np.sin(a), 0.0])
        u = np.linspace(0, 1, 16)
        rr = bowl_r * (0.55 + 0.12 * np.sin(u * np.pi))
        path = d[None] * rr[:, None] + np.outer(leg_h + 0.04 * s - u * (leg_h + 0.04 * s), [0, 0, 1])
        path[:, 2] = np.maximum(path[:, 2], 0.0)
        radius = s * (0.024 - 0.010 * u + 0.012 * np.exp(-((u - 0.15) / 0.12) ** 2))
        leg = tube(path, radius, 12)
        parts.append(_coloured(leg.vertices, leg.faces, np.array([55, 80, 64]) + np.outer(_noise(leg.vertices, 2, 0.02 * s), [15, 20, 12])))
    for side in (-1, 1):  # upright loop handles on the rim
        u = np.linspace(0, np.pi, 24)
        w, hh = 0.05 * s, 0.085 * s
        path = np.stack([np.full_like(u, side * bowl_r * 0.98), w * np.cos(u), top + 0.01 * s + hh * np.sin(u) ** 0.7], 1)
        loop = tube(path, 0.011 * s, 10)
        parts.append(_coloured(loop.vertices, loop.faces, np.array([60, 90, 72]) + np.outer(_noise(loop.vertices, 3, 0.02 * s), [15, 20, 12])))
    return _join(parts)


# --- hanging scroll ----------------------------------------------------------------


def _landscape(u: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ink-and-colour landscape on silk; u, w in [0, 1] across and up the painting. RGB (n, 3)."""
    silk = np.array([214, 196, 160], float)
    out = np.tile(silk, (len(u), 1))
    ridges = [
        (0.85, 0.12, 3.0, 0.0, [60, 70, 72]),  # far peaks, pale
        (0.62, 0.15, 5.0, 1.3, [70, 92, 84]),  # middle mountains, blue-green
        (0.35, 0.10, 7.0, 2.1, [50, 56, 50]),  # near rocks, dark ink
    ]
    for top, amp, freq, ph, ink in ridges:
        crest = top + amp * (0.6 * np.sin(freq * u + ph) + 0.4 * np.sin(2.3 * freq * u + 2 * ph))
        body = _smoothstep((crest - w) / 0.06)
        fade = np.where(w < crest - 0.25, 0.35, 1.0)
        a = (body * fade)[:, None] * 0.75
        out = out * (1 - a) + np.asarray(ink, float) * a
    water = (w < 0.2) & (w > 0.12)
    out[water] = out[water] * 0.85 + np.array([150, 160, 150]) * 0.15
    return out


def hanging_scroll(height_m: float = 1.5) -> trimesh.Trimesh:
    """A hanging scroll: silk panel in a mounting, top stave, bottom roller with knobs."""
    s = height_m / 1.5
    width, roller_r = 0.5 * s, 0.018 * s
    z0, z1 = roller_r * 2, height_m - 0.02 * s
    nu, nw = 56, 150
    uu, ww = np.meshgrid(np.linspace(0, 1, nu), np.linspace(0, 1, nw))
    x = (uu - 0.5) * width
    z = z0 + ww * (z1 - z0)
    y = -0.0015 * s + 0.002 * s * np.sin(ww * 9)  # silk never hangs perfectly flat
    front = np.stack([x, y, z], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(nw - 1), np.arange(nu - 1), indexing="ij")
    a = i * nu + j
    faces = np.concatenate([np.stack([a, a + 1, a + nu + 1], -1).reshape(-1, 3), np.stack([a, a + nu + 1, a + nu], -1).reshape(-1, 3)])
    # painting window inside the mounting: brocade border, then pale silk bands (惊燕 bands up top)
    pu, pw = uu.ravel(), ww.ravel()
    pz = z.ravel()
    rgb = np.tile(np.array([88, 104, 122], float), (len(pu), 1))  # blue-grey mounting silk
    pl, pr, pb, pt = 0.08, 0.92, 0.16, 0.72
    inside = (pu > pl) & (pu < pr) & (pw > pb) & (pw < pt)
    rgb[inside] = _landscape((pu[inside] - pl) / (pr - pl), (pw[inside] - pb) / (pt - pb))
    frame = ((pu > pl - 0.03) & (pu < pr + 0.03) & (pw > pb - 0.02) & (pw < pt + 0.02)) & ~inside
    rgb[frame] = [176, 150, 96]  # gold-ochre inner border (圈)
    heaven = pw > 0.82
    rgb[heaven] = [96, 110, 128]
    straps = heaven & (np.abs(pu - 0.35) < 0.02) | heaven & (np.abs(pu - 0.65) < 0.02)
    rgb[straps] = [170, 150, 110]  # the two hanging straps (惊燕)
    seal = inside & (np.abs(pu - 0.8) < 0.02) & (np.abs(pw - 0.62) < 0.015)
    rgb[seal] = [170, 40, 30]  # artist's red seal
    del pz
    panel = _coloured(front, faces, rgb)
    back = trimesh.creation.box(extents=[width, 0.002 * s, z1 - z0])
    back.apply_translation([0, 0.0015 * s, (z0 + z1) / 2])
    parts = [panel, _paint(back, (120, 110, 95))]
    roller = trimesh.creation.cylinder(radius=roller_r, height=width + 0.02 * s, sections=24)
    roller.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    roller.apply_translation([0, 0, roller_r])
    parts.append(_paint(roller, (92, 60, 38)))
    for side in (-1, 1):
        knob = trimesh.creation.cylinder(radius=roller_r * 1.35, height=0.04 * s, sections=24)
        knob.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
        knob.apply_translation([side * (width / 2 + 0.03 * s), 0, roller_r])
        parts.append(_paint(knob, (226, 220, 196)))  # bone or jade knobs
    stave = trimesh.creation.box(extents=[width + 0.01 * s, 0.012 * s, 0.02 * s])
    stave.apply_translation([0, 0, z1])
    parts.append(_paint(stave, (80, 62, 44)))
    u = np.linspace(0, np.pi, 20)
    cord = tube(np.stack([0.1 * s * np.cos(u), np.zeros_like(u), z1 + 0.01 * s + 0.06 * s * np.sin(u)], 1), 0.002 * s, 6)
    parts.append(_paint(cord, (120, 60, 40)))
    return _join(parts)


# --- lacquer box -----------------------------------------------------------------------


def lacquer_box(height_m: float = 0.18) -> trimesh.Trimesh:
    """A round lidded box in cinnabar lacquer with gilt flowers on the lid."""
    s = height_m / 0.18
    r = 0.16 * s
    body_h, lid_h = 0.095 * s, 0.085 * s
    prof = np.array([
        [0.0, 0.0], [r * 0.9, 0.0], [r * 0.92, 0.006 * s], [r * 0.97, 0.01 * s], [r, 0.02 * s], [r, body_h - 0.004 * s],
        [r * 0.985, body_h], [r * 0.995, body_h + 0.002 * s], [r * 1.005, body_h + 0.004 * s],
        [r * 1.005, body_h + lid_h * 0.55], [r * 0.98, body_h + lid_h * 0.78], [r * 0.9, body_h + lid_h * 0.93],
    ])
    dome = np.linspace(0.9, 0.0, 26)
    dome_pts = np.stack([r * dome, body_h + lid_h * (0.93 + 0.07 * (1 - dome ** 2))], 1)
    profile = np.concatenate([prof, dome_pts[1:]])
    v, f, par = lathe(profile, 160)
    rgb = np.tile(np.array([168, 36, 28], float), (len(v), 1))
    rgb += np.outer(_noise(v, 4, 0.01 * s), [10, 4, 3])
    seam = np.abs(v[:, 2] - body_h) < 0.003 * s
    rgb[seam] = [40, 18, 14]  # black lacquer line at the lid seam
    rad = np.hypot(v[:, 0], v[:, 1]) / r
    theta = par[:, 0]
    top = v[:, 2] > body_h + lid_h * 0.9
    # gilt: a central five-petal flower, a ring of leaves, a border band
    petal = rad < 0.28 * (0.55 + 0.45 * np.abs(np.cos(2.5 * theta)))
    leaves = (np.abs(rad - 0.55) < 0.12 * np.abs(np.sin(4 * theta + 6 * rad)) ** 0.5) & (rad > 0.4) & (rad < 0.7)
    border = np.abs(rad - 0.8) < 0.025
    gilt = top & (petal | leaves | border)
    rgb[gilt] = [212, 170, 80]
    wall_band = (v[:, 2] > body_h + lid_h * 0.2) & (v[:, 2] < body_h + lid_h * 0.45) & (np.sin(theta * 24) > 0.6)
    rgb[wall_band] = [200, 160, 76]
    return _coloured(v, f, rgb)


# --- meiping vase ------------------------------------------------------------------------


def meiping_profile(height_m: float = 0.4) -> NDArray[np.float64]:
    """Outer profile (n, 2) of a meiping: (radius m, z m), foot to mouth."""
    z = np.linspace(0, 1, 70)
    # radius as a fraction of height: narrow foot, widest at the shoulder (~0.78 h), short neck
    body = 0.105 + 0.16 * np.sin(np.clip(z / 0.8, 0, 1) * np.pi * 0.5) ** 2.2
    shoulder = np.where(z > 0.78, body[np.searchsorted(z, 0.78)] * np.cos((z - 0.78) / 0.16 * np.pi / 2).clip(0.2, 1), body)
    neck = np.where(z > 0.92, 0.055, shoulder)
    lip = np.where(z > 0.975, 0.065, neck)
    foot = np.where(z < 0.02, 0.1, lip)
    prof = np.stack([foot * height_m, z * height_m], 1)
    return np.concatenate([[[0.0, 0.0]], prof, [[0.04 * height_m, height_m], [0.04 * height_m, height_m * 0.9]]])


def meiping_vase(height_m: float = 0.4) -> trimesh.Trimesh:
    """A meiping by lathe, blue-and-white: lotus scroll on the belly, petal panels at the foot."""
    profile = meiping_profile(height_m)
    v, f, par = lathe(profile, 160)
    rgb = np.tile(np.array([236, 238, 236], float), (len(v), 1))
    zf = v[:, 2] / height_m
    th = par[:, 0]
    cobalt = np.array([32, 52, 128], float)
    lines = (np.abs(zf - 0.14) < 0.006) | (np.abs(zf - 0.2) < 0.006) | (np.abs(zf - 0.72) < 0.006) | (np.abs(zf - 0.66) < 0.006)
    # 缠枝莲: a wavy stem with lotus blossoms between 0.22 and 0.64 of the height
    stem = np.abs(zf - (0.43 + 0.08 * np.sin(6 * th))) < 0.012
    bloom_c = np.stack([np.arange(6) * np.pi / 3 + np.pi / 12, 0.43 + 0.08 * np.sin(6 * (np.arange(6) * np.pi / 3 + np.pi / 12))], 1)
    bloom = np.zeros(len(v), bool)
    for tc, zc in bloom_c:
        dth = np.angle(np.exp(1j * (th - tc)))
        dr = np.hypot(dth * 0.32, (zf - zc))
        bloom |= (dr < 0.07) & (np.cos(5 * np.arctan2(zf - zc, dth * 0.32)) > -0.3)
    leaf = (np.abs(zf - (0.43 - 0.08 * np.sin(6 * th + 0.6))) < 0.03) & (np.sin(12 * th) > 0.7)
    # 莲瓣: petal panels at the foot; 云肩: cloud collar on the shoulder
    petals = (zf > 0.02) & (zf < 0.13) & (np.abs(np.sin(8 * th)) * 0.11 > zf - 0.02)
    collar = (zf > 0.74) & (zf < 0.9) & (np.cos(4 * th) * 0.06 + 0.82 > zf)
    collar_edge = (zf > 0.74) & (np.abs(np.cos(4 * th) * 0.06 + 0.82 - zf) < 0.01)
    blue = lines | stem | bloom | leaf | petals | collar_edge
    rgb[blue] = cobalt
    rgb[collar & ~collar_edge] = [120, 140, 196]
    rgb[zf < 0.005] = [200, 180, 150]  # unglazed foot ring
    return _coloured(v, f, rgb)


STANDINS = {
    "bronze_ding": bronze_ding,
    "hanging_scroll": hanging_scroll,
    "lacquer_box": lacquer_box,
    "meiping_vase": meiping_vase,
}
"""Builder per stand-in mesh name (file stem under assets/meshes)."""
