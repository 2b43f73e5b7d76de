"""Storage that loses nothing: readings, quarantine and the archive (SQLite or PostgreSQL).

Public API::

    from bridge.store import Store
    store = Store.open(url=None, data_dir=Path("data"))
"""

from bridge.store.queries import Series, ZoneStats
from bridge.store.store import DATABASE_URL_ENV, QuarantineItem, Store, WriteResult, database_url

__all__ = ["DATABASE_URL_ENV", "QuarantineItem", "Series", "Store", "WriteResult", "ZoneStats", "database_url"]
