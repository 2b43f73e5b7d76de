"""Level of detail for relics in the hall view.

In the monitor's overview a relic covers a few dozen pixels, yet its scan
has 10-25 thousand triangles; seven of them hold a software renderer
(Mesa llvmpipe) to single-digit frame rates. :func:`relic_lod` puts a
decimated copy (quadric edge collapse, Garland and Heckbert 1997, via
``fast_simplification``) in front of the full scan in a ``LODNode``: the
full mesh shows when the camera comes within ``near_m``.

The decimated geometry is cached as ``.bam`` beside ``meshes.py``'s cache,
keyed by the PLY's hash and the face budget. A relic made by ``relic-twin scan
relic`` ships its own hall copy beside its mesh (``<name>-hall.ply``, see
``bridge/scan/relic.py``): that file is used as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import BamFile, Filename, LMatrix4f, LODNode, NodePath

from bridge.meshes import LOD_FAR_FACES, decimate  # the levels of detail the web exhibit uses too
from twin_engine import meshes

LOD_VERSION = "1"


def low_poly_geom(path: Path, max_faces: int) -> tuple[NodePath, np.ndarray]:
    """Decimated GeomNode of ``path`` in file coordinates and the full mesh's bounds (2, 3)."""
    digest = meshes.file_hash(path)
    bam = meshes.cache_dir() / f"{path.stem}-{digest[:20]}-lod{max_faces}-v{LOD_VERSION}.bam"
    if bam.is_file():
        bf = BamFile()
        if bf.openRead(Filename.fromOsSpecific(str(bam))):
            node = bf.readNode()
            bf.close()
            if node is not None:
                np_ = NodePath(node)
                tag = np_.getTag("full_bounds")
                if tag:
                    return np_, np.array([float(v) for v in tag.split()]).reshape(2, 3)
    arrays = meshes.read_mesh(path)
    hall_copy = path.with_name(f"{path.stem}-hall{path.suffix}")
    low = meshes.read_mesh(hall_copy) if hall_copy.is_file() else decimate(arrays, max_faces)
    np_ = NodePath(meshes.make_geom_node(f"{path.stem}-lod", low))
    bounds = arrays.bounds
    np_.setTag("full_bounds", " ".join(f"{v:.9g}" for v in bounds.ravel()))
    try:
        bam.parent.mkdir(parents=True, exist_ok=True)
        np_.writeBamFile(Filename.fromOsSpecific(str(bam)))
    except OSError:
        pass
    return np_, bounds


def relic_lod(path: Path, height_m: float, loader: Any = None, max_faces: int = LOD_FAR_FACES, near_m: float = 5.0) -> NodePath:
    """A relic model (base at z = 0, ``height_m`` tall) that swaps its full scan
    for a ``max_faces`` copy beyond ``near_m`` metres from the camera."""
    path = Path(path)
    full = meshes.load_relic_model(path, height_m, loader=loader)
    low, bounds = low_poly_geom(path, max_faces)
    m = meshes.frame_transform(bounds, height_m)
    low.setMat(LMatrix4f(*m.T.ravel().tolist()))
    lod = LODNode(f"lod-{path.stem}")
    root = NodePath(lod)
    full.reparentTo(root)
    lod.addSwitch(near_m, 0.0)
    holder = root.attachNewNode("low")
    low.reparentTo(holder)
    lod.addSwitch(1e6, near_m)
    return root
