"""The ingest's decode-and-store work in a process of its own (``IngestSettings.store_process``).

One Python process cannot read the broker's socket and decode and store at the same time: paho's
network thread and the writer share one interpreter lock, so the ingest ran at about two thirds
of what a bare subscriber receives. With ``store_process`` the ingestor's process only receives,
batches and acknowledges; each batch's raw messages go down a pipe to :func:`serve`, which
decodes and commits them exactly as the writer thread does (:meth:`Ingestor._write`: the same
decoders, hall stamping, retries while the database is away, one message at a time after a
batch the database refused) and answers with what it stored. The ingestor acknowledges the
batch only after that answer: the commit-then-acknowledge guarantee is unchanged, and a crash
of either process loses nothing acknowledged (the broker redelivers the rest).

For the plain ingest (``relic-twin ingest``, a hub's ingest workers): no governance, calibration
or identity hooks, whose state lives in the ingestor's process; the ingestor refuses them with
``store_process``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from bridge.errors import StorageError
from bridge.readings import Reading

log = logging.getLogger(__name__)

#: one message for the store process: (subscription index or -1, topic, payload, received at, hall, site)
Item = tuple[int, str, bytes, datetime, str, str]


def serve(url: str, hall: str, subscriptions: Sequence[Any], settings: Any, conn: Connection) -> None:
    """The store process: decode and commit each batch sent down ``conn``; answer
    ``(stored readings or None, stored, duplicates, rejections)``, or ``None`` when stopped first."""
    from bridge.ingest.ingestor import Ingestor, _Pending
    from bridge.store import Store

    store = Store.open(url, migrate=False, hall=hall)
    # the ingestor's own writer methods, never connected: it only decodes and writes
    core = Ingestor(store, ("127.0.0.1", 1), list(subscriptions), settings=settings)
    conn.send("ready")
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            items, want_readings = job
            batch = [_Pending(0, 1, 0, topic, payload, received_at, subscriptions[i] if i >= 0 else None, h, s)
                     for i, topic, payload, received_at, h, s in items]
            before = (core.stats.stored, core.stats.duplicates, core.stats.rejections)
            stored = core._write(batch)
            if stored is None:
                conn.send(None)
                return
            conn.send((stored if want_readings else None, core.stats.stored - before[0],
                       core.stats.duplicates - before[1], core.stats.rejections - before[2]))
    except (EOFError, KeyboardInterrupt):
        return
    except Exception:  # the ingestor stops acknowledging; say why
        log.exception("the ingest's store process failed | 入库进程出错")
        raise
    finally:
        store.close()


class StoreProcess:
    """The ingestor's end of the pipe to :func:`serve`."""

    def __init__(self, url: str, hall: str, subscriptions: Sequence[Any], settings: Any) -> None:
        self.url = url  # the database the process opens (its password too: it connects on its own)
        ctx = mp.get_context("spawn")  # no fork of a process holding paho's threads
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=serve, args=(url, hall, list(subscriptions), settings, child),
                                 name="ingest-store", daemon=True)
        self._proc.start()
        child.close()
        try:  # started when it has imported and opened the store: its start-up is not the ingest's time
            if not self._conn.poll(120) or self._conn.recv() != "ready":
                raise RuntimeError("no answer")
        except (EOFError, OSError, RuntimeError) as exc:
            self._proc.kill()
            raise StorageError(f"the ingest's store process did not start: {exc} | 入库进程未能启动") from exc

    def write(self, items: list[Item], want_readings: bool
              ) -> tuple[list[Reading] | None, int, int, int] | None:
        """Decode and commit ``items`` there; None when the process is gone (nothing to acknowledge)."""
        try:
            self._conn.send((items, want_readings))
            answer: tuple[list[Reading] | None, int, int, int] | None = self._conn.recv()
            return answer
        except (EOFError, OSError, BrokenPipeError):
            log.error("the ingest's store process has gone | 入库进程已退出")
            return None

    def stop(self, timeout_s: float = 10.0) -> None:
        try:
            self._conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._proc.join(timeout_s)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._conn.close()
