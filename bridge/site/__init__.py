"""Sites and halls: a museum (site) holds halls and storerooms, each a scene.

- :mod:`bridge.site.halls`: which hall a command means when it names none;
- :mod:`bridge.site.model`: a site read from a folder of scenes or a ``site.toml``.
"""
