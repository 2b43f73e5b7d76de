"""``relic-twin quarantine``: list the input kept in quarantine, newest first.

Every payload or file row that could not become a reading (undecodable,
physically impossible, duplicate, unreadable file) is stored raw with its
source (MQTT topic or ``file:line``), the time it arrived and the reason.
This command prints them; ``--raw`` shows each payload's bytes in full.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bridge.errors import RelicTwinError

PREVIEW_BYTES = 80
"""Payload bytes shown per item unless ``--raw``."""


class Item(Protocol):
    """One quarantined input (``bridge.store.QuarantineItem``)."""

    @property
    def source(self) -> str: ...

    @property
    def payload(self) -> bytes: ...

    @property
    def payload_size(self) -> int: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def reason(self) -> str: ...


class QuarantineView(Protocol):
    """What the listing needs of a store (``bridge.store.Store`` has it)."""

    def quarantine(self, limit: int = 100) -> Sequence[Item]: ...

    def count_quarantine(self) -> int: ...


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin quarantine",
                                description="list quarantined input with its reason / 列出隔离数据及原因")
    p.add_argument("--limit", type=int, default=50, help="items shown, newest first (default 50) / 显示条数")
    p.add_argument("--source", default=None,
                   help="only sources containing this text (a file, a topic) / 按来源筛选")
    p.add_argument("--raw", action="store_true", help="print whole payloads / 显示完整原始数据")
    p.add_argument("--db", default=None, help="database URL (default SQLite in --data-dir) / 数据库地址")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="data folder / 数据目录")
    return p


def preview(payload: bytes, full: bool = False) -> str:
    """Printable form of a raw payload: text when it decodes, else escaped bytes."""
    body = payload if full else payload[:PREVIEW_BYTES]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text + ("…" if not full and len(payload) > PREVIEW_BYTES else "")


def format_item(item: Item, full: bool = False) -> list[str]:
    """Lines describing one quarantined item."""
    return [f"{item.received_at.isoformat()}  {item.source}",
            f"    reason 原因: {item.reason}",
            f"    payload 原始数据 ({item.payload_size} B): {preview(item.payload, full)}"]


def _open_store(db: str | None, data_dir: Path) -> QuarantineView:
    from bridge.store import Store

    return Store.open(url=db, data_dir=data_dir)


def quarantine_main(argv: list[str],
                    open_view: Callable[[str | None, Path], QuarantineView] | None = None) -> int:
    """Run ``relic-twin quarantine``; 0 on success, 2 on a storage error."""
    args = _parser().parse_args(argv)
    try:
        view = (open_view or _open_store)(args.db, args.data_dir)
        total = view.count_quarantine()
        items = list(view.quarantine(limit=total if args.source else args.limit))
    except RelicTwinError as exc:
        print(f"storage error 存储错误: {exc}", file=sys.stderr)
        return 2
    if args.source:
        items = [i for i in items if args.source in i.source][: args.limit]
    print(f"{total} items in quarantine, {len(items)} shown / 隔离区共 {total} 条，显示 {len(items)} 条")
    for item in items:
        for line in format_item(item, args.raw):
            print(line)
    return 0
