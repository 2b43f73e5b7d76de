"""How the hub's ingest workers share the sites (bridge/hub/workers.py): balanced, deterministic, and a
change of plan drops only filters that another worker now holds."""

from __future__ import annotations

from bridge.hub.workers import OLD_SHARED_FILTER, assign_sites, site_filter, stale_filters, worker_subscriptions


def test_sites_are_dealt_heaviest_first_to_the_least_loaded_worker() -> None:
    weights = {"big": 500, "a": 100, "b": 100, "c": 100, "d": 100, "e": 50}
    assert assign_sites(weights, 2) == [["big"], ["a", "b", "c", "d", "e"]]
    assert assign_sites(weights, 1) == [sorted(weights)]
    assert assign_sites({"x": 1}, 3) == [["x"], [], []]
    ten = {f"site{i:02d}": 500 for i in range(10)}
    assert [len(p) for p in assign_sites(ten, 2)] == [5, 5]
    assert assign_sites(dict(reversed(ten.items())), 2) == assign_sites(ten, 2)  # the same plan in every process


def test_each_site_is_subscribed_by_exactly_one_worker_and_the_others_drop_it() -> None:
    weights = {f"m{i}": i + 1 for i in range(7)}
    for n in (1, 2, 3):
        held = [s.topic for k in range(n) for s in worker_subscriptions(weights, k, n)]
        assert sorted(held) == sorted(site_filter(s) for s in weights)  # every site once
        for k in range(n):
            mine = {s.topic for s in worker_subscriptions(weights, k, n)}
            stale = set(stale_filters(weights, k, n))
            assert OLD_SHARED_FILTER in stale and not mine & stale
            assert mine | stale == {site_filter(s) for s in weights} | {OLD_SHARED_FILTER}


def test_a_worker_drops_a_stale_site_and_keeps_its_own(tmp_path, mosquitto_broker) -> None:
    import json
    import time

    from fixtures_broker import Publisher

    from bridge.hub.decode import HubDecoder, hub_topic
    from bridge.hub.workers import HUB_INGEST
    from bridge.ingest.ingestor import Ingestor, Subscription
    from bridge.store import Store

    store = Store.open(url=f"sqlite:///{tmp_path / 'hub.sqlite'}")
    old_plan = [Subscription(site_filter("a")), Subscription(site_filter("b"))]
    worker = Ingestor(store, (mosquitto_broker.host, mosquitto_broker.port), old_plan, decoder=HubDecoder(),
                      client_id="hub-w0", settings=HUB_INGEST).start()
    pub = Publisher(mosquitto_broker.host, mosquitto_broker.port, client_id="hub-w0-pub")
    try:
        assert worker.unsubscribe(stale_filters({"a": 1, "b": 1}, 0, 2)) is True  # b is worker 1's now
        pub.publish([(hub_topic(site, "relic-twin/h/S01"), json.dumps({"time": 1767225600, "temperature": 20}).encode())
                     for site in ("a", "b")])
        assert pub.wait_acked(2, 10)
        deadline = time.monotonic() + 10
        while store.count_readings() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert [r.site for r in store.latest()] == ["a"]
    finally:
        pub.close()
        worker.stop()
        store.close()


def test_a_worker_process_freezes_what_it_loaded_and_collects_young_objects_rarely() -> None:
    import gc

    from bridge.hub.workers import WORKER_GC_THRESHOLD, tune_worker_gc

    before = gc.get_threshold()
    try:
        tune_worker_gc()
        assert gc.get_threshold()[0] == WORKER_GC_THRESHOLD > 700
        assert gc.get_freeze_count() > 1000  # modules, classes, tables: out of every collection
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
