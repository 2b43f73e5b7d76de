"""The twin service's HTTP API (FastAPI): REST, the live websocket feed, roles.

::

    from bridge.api import ApiSettings, create_app
    app = create_app(runtime, ApiSettings(data_dir=Path("data")))
"""

from bridge.api.app import create_app
from bridge.api.context import ApiSettings

__all__ = ["ApiSettings", "create_app"]
