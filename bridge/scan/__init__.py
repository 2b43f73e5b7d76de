"""Scans become the twin's relics and halls (open3d; no Panda3D here).

``read`` reads every scan format into arrays; ``relic`` cleans, scales,
stands up, meshes and decimates a relic scan; ``hall`` finds a room's floor,
walls and ceiling and turns them into the scene's floor plan and a light
shell; ``scene_doc`` writes the results into ``scene.toml`` and
``assets/SOURCES.md``; ``check`` tests that a scene's meshes load and draws
its plan over the scan.
"""
