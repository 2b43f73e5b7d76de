"""The public web exhibit: the hall's relics, their hotspots, tours and craft texts as static pages.

``relic-twin publish --scene DIR --out FOLDER`` (:mod:`bridge.cli.publish`) calls
:func:`publish`; the output needs no server code and no CDN (a USB stick, ``file://``
or any static host). ``relic-twin serve`` also serves it at ``/exhibit/``.

Modules: ``glb`` (compressed glTF binary within a size budget), ``picture`` (a still
for the gallery), ``views`` (page data), ``texts`` (the exhibit's own words),
``vendor`` (the viewer from npm and its licences), ``voyager`` (Smithsonian Voyager
documents) and ``publish`` (the folder); a site's halls come from ``bridge.site``.
"""

from bridge.exhibit.publish import Published, publish

__all__ = ["Published", "publish"]
