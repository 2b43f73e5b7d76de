"""Smithsonian Voyager import and export: moved to :mod:`bridge.exhibit.voyager`
(the web exhibit writes a Voyager document beside each relic); kept here for old imports."""

from bridge.exhibit.voyager import LANG_CODES, Z_UP_TO_Y_UP, export_voyager, import_voyager

__all__ = ["LANG_CODES", "Z_UP_TO_Y_UP", "export_voyager", "import_voyager"]
