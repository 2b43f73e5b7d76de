"""The hub's decoder: ``relic-hub/<site>/<museum topic>`` -> readings of that site and hall.

The site comes from the topic (the hub broker's ACL lets each museum's
bridge account write only under its own site: ``pattern write
relic-hub/%u/#``); the rest of the topic is decoded as the museum decodes it,
with the museum's scene subscriptions where the hub holds them (vendor topics
such as ``zigbee2mqtt/<device>`` need them: they name no hall; relic-twin's
own topics name the hall and need nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import paho.mqtt.client as mqtt

from bridge.ingest.ingestor import Decoder, Subscription
from bridge.readings import Decoded, Rejection, in_hall
from bridge.sensors import detect_format
from bridge.sensors.native import hall_from_topic
from bridge.site.model import NAME_MAX, Site
from bridge.twin.runtime import subscriptions_for

#: first topic level of everything forwarded to the hub
HUB_ROOT = "relic-hub"


def hub_topic(site: str, topic: str) -> str:
    """Where a museum's ``topic`` arrives on the hub."""
    return f"{HUB_ROOT}/{site}/{topic}"


def split_hub_topic(topic: str) -> tuple[str, str] | None:
    """(site, museum topic) of a hub topic; None when it is not one."""
    parts = topic.split("/", 2)
    if len(parts) != 3 or parts[0] != HUB_ROOT or not parts[1] or not parts[2] or len(parts[1]) > NAME_MAX:
        return None
    return parts[1], parts[2]


class HubDecoder:
    """A :data:`bridge.ingest.ingestor.Decoder` for hub topics; readings carry their site and hall.

    sites : the sites whose scenes the hub holds (their vendor topics decode; others need
        relic-twin's own topics)
    """

    def __init__(self, sites: Mapping[str, Site] | None = None, decode: Decoder | None = None) -> None:
        if decode is None:
            from bridge.sensors import decode as decode_message

            decode = decode_message
        self._decode: Callable[..., Decoded] = decode
        self._subs: dict[str, list[Subscription]] = {
            site_id: [s for h in site.halls for s in subscriptions_for(h.scene)] for site_id, site in (sites or {}).items()}
        self._cache: dict[str, Subscription | None] = {}
        self._formats: dict[str, str | None] = {}

    def _subscription(self, site: str, topic: str) -> Subscription | None:
        key = f"{site}/{topic}"
        if key not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = next((s for s in self._subs.get(site, ()) if mqtt.topic_matches_sub(s.topic, topic)),
                                    None)
        return self._cache[key]

    def __call__(self, fmt: str | None, topic: str, payload: bytes, received_at: datetime,
                 sensor_hint: str | None = None) -> Decoded:
        split = split_hub_topic(topic)
        if split is None:
            return Decoded(rejections=[Rejection(topic, payload, received_at,
                                                 f"not a hub topic ({HUB_ROOT}/<site>/<topic>) | 不是汇聚主题")])
        site, inner = split
        sub = self._subscription(site, inner)
        hall = hall_from_topic(inner) or (sub.hall if sub else "")
        if not hall:
            return Decoded(rejections=[Rejection(topic, payload, received_at,
                                                 f"site {site}: no hall for topic {inner} (the hub lacks this site's "
                                                 f"scenes) | 无法确定展厅")])
        if sub is not None:
            fmt = sub.format
        elif fmt is None:  # the convention of a topic does not change: detect it once per topic
            fmt = self._formats.get(inner)
            if fmt is None:
                if len(self._formats) > 100_000:
                    self._formats.clear()
                fmt = self._formats[inner] = detect_format(inner)
        decoded = self._decode(fmt, inner, payload, received_at, sub.sensor if sub else sensor_hint)
        decoded.readings = in_hall(decoded.readings, hall, site)
        return decoded
