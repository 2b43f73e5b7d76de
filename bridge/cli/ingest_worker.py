"""``python -m bridge.cli.ingest_worker``: one ingest worker, subscribing and storing until SIGTERM.

The hub runs several of these on an MQTT 5 shared subscription; the ingest itself is
:mod:`bridge.ingest.ingestor`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from bridge.config import parse_broker_url
from bridge.ingest.ingestor import Ingestor, IngestSettings, IngestStats, Subscription
from bridge.mqtt.client_ids import client_id, installation_id
from bridge.store import Store


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bridge.cli.ingest_worker",
        description="Store MQTT sensor messages, acknowledged after commit | 接收 MQTT 传感器消息并入库",
    )
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="mqtt://host:port | 消息代理地址")
    p.add_argument("--db", default=None, help="database URL (default SQLite in --data-dir) | 数据库地址")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder | 数据目录")
    p.add_argument("--topic", action="append", default=None, help="topic filter, repeatable (default relic-twin/#)")
    p.add_argument("--format", default=None, help="payload convention (default: detect from topic) | 载荷格式")
    p.add_argument("--client-id", default=None,
                   help="fixed MQTT client id (default relic-twin-<installation>-ingest-worker, stable for the "
                        "data folder) | 客户端标识")
    p.add_argument("--batch-size", type=int, default=IngestSettings.batch_size)
    p.add_argument("--mqtt5", action="store_true", help="MQTT 5 with session expiry instead of 3.1.1")
    p.add_argument("--progress-s", type=float, default=10.0, help="seconds between progress lines (0: none)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ingestor until SIGTERM or SIGINT; then commit, acknowledge and exit 0."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    topics = args.topic or ["relic-twin/#"]
    subs = [Subscription(t, args.format) for t in topics]
    settings = IngestSettings(batch_size=args.batch_size, protocol=5 if args.mqtt5 else 4)
    store = Store.open(url=args.db, data_dir=args.data_dir)
    name = args.client_id or client_id(installation_id(args.data_dir), "ingest", "worker")
    ingestor = Ingestor(store, parse_broker_url(args.broker), subs, client_id=name, settings=settings)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    ingestor.start(timeout_s=60)
    print(f"ingesting {', '.join(topics)} from {args.broker} into {store.url} | 正在接收", flush=True)
    while not done.wait(args.progress_s or None):
        print(_progress(ingestor.stats), flush=True)
    ingestor.stop()
    store.close()
    print(f"stopped 已停止: {_progress(ingestor.stats)}", flush=True)
    return 0


def _progress(s: IngestStats) -> str:
    return (
        f"received 已接收 {s.received}  stored 已存储 {s.stored}  duplicates 重复 {s.duplicates}  "
        f"rejected 已隔离 {s.rejections}"
    )




if __name__ == "__main__":
    sys.exit(main())
