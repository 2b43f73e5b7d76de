"""The ingestor as a separate process, for tests that SIGKILL it.

    python tests/ingest_worker.py --broker mqtt://127.0.0.1:PORT --db URL --ready FILE --ack-log FILE
        [--pause-at-commit K --paused FILE]

--ready: written once subscribed. --ack-log: one line ``sensor time_us`` per
reading of every committed-and-acknowledged batch (written after the ack).
--pause-at-commit K: the K-th batch commit stops just before COMMIT (rows
inserted, transaction open), writes --paused and sleeps, so the test can
SIGKILL the process in the middle of a batch write.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from bridge.config import parse_broker_url  # noqa: E402
from bridge.ingest.ingestor import Ingestor, IngestSettings, Subscription  # noqa: E402
from bridge.store import Store  # noqa: E402
from bridge.store.epoch import to_us  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--broker", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--client-id", default="relic-twin-test-bridge")
    p.add_argument("--ready", type=Path, required=True)
    p.add_argument("--ack-log", type=Path, required=True)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--pause-at-commit", type=int, default=0)
    p.add_argument("--paused", type=Path)
    args = p.parse_args()

    store = Store.open(url=args.db)
    commits = 0

    def before_commit(_conn: object) -> None:
        nonlocal commits
        commits += 1
        if args.pause_at_commit and commits == args.pause_at_commit:
            assert args.paused is not None
            args.paused.write_text(str(os.getpid()))
            time.sleep(120)

    event.listen(store.engine, "commit", before_commit)
    log = args.ack_log.open("a", buffering=1)

    def on_stored(readings: list) -> None:
        log.write("".join(f"{r.sensor} {to_us(r.time)}\n" for r in readings))

    ingestor = Ingestor(
        store,
        parse_broker_url(args.broker),
        [Subscription("relic-twin/#", "native")],
        on_stored=on_stored,
        client_id=args.client_id,
        settings=IngestSettings(batch_size=args.batch_size),
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    ingestor.start(timeout_s=30)
    args.ready.write_text(str(os.getpid()))
    done.wait()
    ingestor.stop()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
