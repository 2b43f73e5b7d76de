"""Which hub ingest worker takes which site: durable, non-shared subscriptions, a set of sites each.

Why not one MQTT 5 shared subscription (``$share/hub/relic-hub/#``) for all workers: Mosquitto 2.0
does not save shared subscriptions in its persistence file (``persist__subs_save`` walks the normal
subscriptions only; 2.1 adds the shared ones), so after a hub broker restart a museum's bridge that
reconnects before the workers do delivers into no subscription, the hub acknowledges, and the
readings are gone (the link-outage test lost 4 390 of 10 000 that way, 1 run in 3). A *non-shared*
subscription of a persistent session (fixed client id, ``clean_start=False``, a session expiry) is
saved and restored before the broker accepts a connection, so whatever arrives while a worker is
away is queued in its session (``max_queued_messages``) and delivered when it is back.

So the load is shared by site instead of by message: worker ``i`` of ``n`` subscribes to
``relic-hub/<site>/#`` for the sites :func:`assign_sites` gives it, balanced by sensor count.
A site the hub's ``--sites`` folder does not list has no subscriber: register a museum there
(and restart ``hub ingest``) before its bridge reports.

When the plan changes (another ``--workers``, a site added), each worker subscribes its new sites
first; only once every worker has (``hub ingest`` waits for all of them) does each drop the
filters of sites now another's (:func:`stale_filters`): a message is then queued for one
worker or, for that moment, two (the store keeps one), never for none.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence

from bridge.hub.decode import HUB_ROOT
from bridge.ingest.ingestor import IngestSettings, Subscription

#: MQTT 5 with a session expiry (one week: the broker keeps each worker's queue while it is away);
#: reconnect within half a second of a hub broker restart. Keepalive 120 s: a worker busy writing a
#: large batch may starve paho's network thread of the interpreter lock, and a broker that drops it
#: for a missed PINGREQ costs a reconnect and a redelivery. Receive maximum three batches: while one
#: batch commits, the broker is already sending the next (with the receive maximum equal to the
#: batch, a backlog drains in stop-and-go: a full batch in flight, nothing more until its acks)
HUB_INGEST = IngestSettings(protocol=5, reconnect_min_s=0.25, reconnect_max_s=0.5, keepalive_s=120,
                            batch_size=2000, receive_maximum=6000)
#: the filter of hub versions before durable per-site subscriptions; dropped where a session still holds it
OLD_SHARED_FILTER = f"$share/hub/{HUB_ROOT}/#"


#: young-generation threshold of a worker's garbage collector (CPython's default: 700 allocations)
WORKER_GC_THRESHOLD = 50_000


def tune_worker_gc() -> None:
    """The collector of an ingest worker process, once started: what was loaded is frozen out of
    every collection (modules, SQLAlchemy's tables: nothing a reading's path frees), and the young
    generation is collected after 50 000 allocations instead of 700. A worker allocates about ten
    objects a reading and keeps thousands of messages in flight; with the defaults the collector
    ran every seventy readings and walked them all again in the older generations."""
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, 10, 10)


def site_filter(site: str) -> str:
    """The topic filter of everything ``site``'s bridge forwards to the hub."""
    return f"{HUB_ROOT}/{site}/#"


def assign_sites(weights: Mapping[str, int], workers: int) -> list[list[str]]:
    """Sites per worker: heaviest first, each to the worker with least weight so far (ties: lowest index).

    weights : sensors (or expected readings per minute) per site id; workers : >= 1.
    Deterministic for the same input, so every worker process computes the same plan.
    """
    if workers < 1:
        raise ValueError("workers must be >= 1")
    plan: list[list[str]] = [[] for _ in range(workers)]
    load = [0] * workers
    for site in sorted(weights, key=lambda s: (-max(1, weights[s]), s)):
        k = min(range(workers), key=lambda i: (load[i], i))
        plan[k].append(site)
        load[k] += max(1, weights[site])
    return [sorted(p) for p in plan]


def worker_subscriptions(weights: Mapping[str, int], index: int, workers: int) -> list[Subscription]:
    """The durable subscriptions of worker ``index`` (0-based) of ``workers``."""
    return [Subscription(site_filter(s)) for s in assign_sites(weights, workers)[index]]


def stale_filters(weights: Mapping[str, int], index: int, workers: int) -> list[str]:
    """Filters worker ``index``'s session may hold from an earlier plan and must drop (sites now another's)."""
    mine = set(assign_sites(weights, workers)[index])
    return [OLD_SHARED_FILTER, *(site_filter(s) for s in sorted(weights) if s not in mine)]


def site_weights(sites: Mapping[str, object]) -> dict[str, int]:
    """Sensors per site of ``load_sites``' answer (``Site`` objects; a site without scenes weighs 1)."""
    out: dict[str, int] = {}
    for site_id, site in sites.items():
        halls: Sequence[object] = getattr(site, "halls", ())
        out[site_id] = max(1, sum(len(getattr(h.scene, "sensors", ())) for h in halls))  # type: ignore[attr-defined]
    return out
