"""``relic-twin hub``: a provincial hub that many museums report into.

::

    relic-twin hub ingest --sites DIR --db postgresql://... --broker mqtt://hub:1883 [--workers 2]
    relic-twin hub serve  --sites DIR --db postgresql://... [--host 0.0.0.0 --port 8000]
    relic-twin hub acl [--service USER]             # the hub broker's ACL (museum = user name)

``--sites DIR``: a folder holding one site per museum (each a folder of scenes or with a
``site.toml``); the hub decodes vendor topics with their scenes, and serves their overviews.
``ingest`` runs ``--workers`` processes, each an MQTT 5 client with a durable session subscribed to
``relic-hub/<site>/#`` for its share of the sites (:mod:`bridge.hub.workers`: the hub broker queues
for a worker across its own restarts), storing into the database (PostgreSQL: partitioned by month),
and a registrar on ``relic-hub/#`` that holds the readings of museums not in ``--sites`` in quarantine
(listed at ``/api/hub/unregistered``) and stores them once the site's folder is added and ``ingest``
restarted (:mod:`bridge.hub.registrar`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bridge.config import ConfigError, parse_broker_url
from bridge.errors import RelicTwinError
from bridge.site.model import Site, load_site


def load_sites(folder: Path) -> dict[str, Site]:
    """Every site under ``folder`` (a sub-folder per museum), by site id."""
    if not folder.is_dir():
        raise ConfigError(f"no folder {folder} | 文件夹不存在")
    out: dict[str, Site] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        site = load_site(sub)
        if site.id in out:
            raise ConfigError(f"{folder}: two sites with id {site.id!r} | 场馆编号重复")
        out[site.id] = site
    return out


def _worker(index: int, workers: int, broker: str, db: str | None, sites_dir: str | None,
            all_subscribed: Any, stop: threading.Event | None = None) -> None:
    """One ingest worker (a process of its own): its sites' durable subscriptions, store, until SIGTERM.

    all_subscribed : a barrier of every worker; once passed, filters of an earlier plan are dropped
    """
    from bridge.hub.decode import HubDecoder
    from bridge.hub.workers import HUB_INGEST, site_weights, stale_filters, tune_worker_gc, worker_subscriptions
    from bridge.ingest.ingestor import Ingestor
    from bridge.store import Store

    sites = load_sites(Path(sites_dir)) if sites_dir else {}
    weights = site_weights(sites)
    store = Store.open(url=db)
    done = stop or threading.Event()
    if stop is None:
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        signal.signal(signal.SIGINT, lambda *_: done.set())
    mine = worker_subscriptions(weights, index, workers)
    ingestor = Ingestor(store, parse_broker_url(broker), mine, decoder=HubDecoder(sites),
                        client_id=f"relic-hub-worker-{index}", settings=HUB_INGEST).start(timeout_s=60)
    print(f"worker {index} subscribed 已订阅: {' '.join(s.topic for s in mine) or '(no sites)'}", flush=True)
    if stop is None:  # a process of its own (not a test's thread): tune its collector
        tune_worker_gc()
    try:
        all_subscribed.wait(120)
        ingestor.unsubscribe(stale_filters(weights, index, workers))
    except threading.BrokenBarrierError:  # another worker failed: keep the old filters (duplicates, not losses)
        pass
    done.wait()
    ingestor.stop()
    store.close()


def _registrar(broker: str, db: str | None, sites: dict[str, Site], barrier: Any) -> tuple[Any, Any] | None:
    """The catch-all for sites not in ``--sites`` (:mod:`bridge.hub.registrar`), once every worker subscribed."""
    from bridge.hub.registrar import start_registrar, unregistered
    from bridge.store import Store

    try:
        barrier.wait(180)
        all_subscribed = True
    except threading.BrokenBarrierError:  # a worker failed: the registrar stores registered sites too
        all_subscribed = False
    store = Store.open(url=db)
    try:
        ingestor, _, released = start_registrar(store, parse_broker_url(broker), sites, marker=all_subscribed)
    except RelicTwinError as exc:
        print(f"relic-twin hub: registrar 登记守护未启动: {exc}", file=sys.stderr, flush=True)
        store.close()
        return None
    for site, n in released.items():
        print(f"registered site {site}: {n} held messages stored 已登记场馆 {site}: {n} 条暂存消息已入库", flush=True)
    held = [f"{r.site} ({r.messages})" for r in unregistered(store)]
    print(f"registrar on relic-hub/# 登记守护: holding unregistered sites 暂存未登记场馆: {', '.join(held) or '-'}",
          flush=True)
    return ingestor, store


def hub_main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="relic-twin hub", description="a provincial hub / 省级汇聚中心")
    sub = p.add_subparsers(dest="cmd", required=True)
    ing = sub.add_parser("ingest", help="ingest workers on a shared subscription / 接收进程")
    srv = sub.add_parser("serve", help="the hub's API over every site / 汇聚中心接口")
    acl = sub.add_parser("acl", help="print the hub broker's ACL / 输出代理访问控制表")
    acl.add_argument("--service", default=None, help="the account hub ingest signs in with / 汇聚接收账号")
    for sp in (ing, srv):
        sp.add_argument("--sites", type=Path, required=True, help="one folder per museum / 每个场馆一个文件夹")
        sp.add_argument("--db", default=None, help="database URL (PostgreSQL for a hub) / 数据库地址")
    ing.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="the hub's broker / 汇聚中心代理")
    ing.add_argument("--workers", type=int, default=2, help="ingest processes (default 2) / 接收进程数")
    ing.add_argument("--no-registrar", action="store_true",
                     help="no catch-all for museums not in --sites: only where the hub broker's password file "
                          "holds accounts for registered museums alone (another museum's bridge is refused and "
                          "queues at home) / 不启用未登记场馆暂存 (仅当代理只为已登记场馆开设账号时)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.cmd == "acl":
        from bridge.hub.bridge_config import hub_acl

        print(hub_acl(args.service), end="")
        return 0
    try:
        sites = load_sites(args.sites)
        if args.cmd == "ingest":
            parse_broker_url(args.broker)
            if not 1 <= args.workers <= 64:
                raise ConfigError("--workers: 1 to 64 | 进程数应为 1-64")
    except RelicTwinError as exc:
        print(f"relic-twin hub: {exc}", file=sys.stderr)
        return 1  # bad input (twin_engine/cli.py's convention: 2 is for a malformed command line)
    if args.cmd == "ingest":
        barrier = multiprocessing.Barrier(args.workers + 1)  # every worker, and the registrar here
        procs = [multiprocessing.Process(target=_worker, args=(i, args.workers, args.broker, args.db,
                                                               str(args.sites), barrier))
                 for i in range(args.workers)]
        for proc in procs:
            proc.start()
        print(f"hub ingest 汇聚接收: {args.workers} workers on relic-hub/<site>/#, "
              f"{len(sites)} sites: {', '.join(sites)}", flush=True)
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        registrar = None
        if args.no_registrar:
            try:
                barrier.wait(180)
            except threading.BrokenBarrierError:  # a worker failed: it says so itself
                pass
            print("no registrar 未启用登记守护: museums not in --sites must have no account on the hub broker",
                  flush=True)
        else:
            registrar = _registrar(args.broker, args.db, sites, barrier)
        while not stopping.is_set() and any(proc.is_alive() for proc in procs):
            stopping.wait(0.5)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join()
        if registrar is not None:
            registrar[0].stop()
            registrar[1].close()
        return 0
    import uvicorn

    from bridge.api import ApiSettings, create_app
    from bridge.api.server import config
    from bridge.store import Store

    store = Store.open(url=args.db)
    app = create_app(store, ApiSettings(), sites=sites)
    print(f"hub API 汇聚中心接口: http://{args.host}:{args.port}/api/hub/sites ({len(sites)} sites)", flush=True)
    uvicorn.Server(config(app, args.host, args.port, None, None, log_level="info")).run()
    store.close()
    return 0
