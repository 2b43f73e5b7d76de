"""A provincial hub: many museums' readings on one broker, one database, one API.

Each museum keeps its own box (broker, store, twin) and forwards its sensor
topics through a Mosquitto bridge (``relic-twin broker-config --bridge-to``)
into the hub's broker under ``relic-hub/<site>/<the museum's topic>``; the
hub's ingest workers share the load by site, each on a durable subscription
to its sites (:mod:`bridge.hub.workers` says why not an MQTT 5 shared
subscription), and store into PostgreSQL with the site named
(:mod:`bridge.hub.decode`).
"""
