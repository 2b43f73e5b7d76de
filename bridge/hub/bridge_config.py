"""The Mosquitto bridge a museum's broker forwards to the hub with (``broker-config --bridge-to``).

What the section says, and why (Mosquitto 2.x, mosquitto.conf(5), "Configuring Bridges"):

- ``cleansession false`` (and ``local_cleansession false``): both ends keep the
  bridge's session, so while the link is down the museum's broker queues every
  QoS 1 message for the hub (up to ``max_queued_messages``, and on disk with
  ``persistence true``) and sends it when the link is back: store and forward;
- one ``topic <sensor topic> out 1 "" relic-hub/<site>/`` per sensor topic of the
  site's scenes: QoS 1 both ways, the museum's topic kept whole under the site's
  prefix (the hub strips it: :mod:`bridge.hub.decode`); alerts and status are not sent;
- TLS (``mqtts://``): ``bridge_cafile`` (the hub's CA), TLS 1.2 at least, the
  hub's host name checked; credentials ``remote_username`` / ``remote_password``
  (the hub's ACL lets the user write only ``relic-hub/<user>/#``: the site id);
- ``restart_timeout 5 30``: reconnect after 5 s, backing off to 30 s. Whatever the bridge delivers
  before the hub's workers are back is queued in their durable sessions (:mod:`bridge.hub.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.config import parse_broker_url
from bridge.hub.decode import HUB_ROOT


def bridge_section(site: str, url: str, topics: Sequence[str], *, cafile: str | None = None,
                   client_id: str | None = None, restart_s: tuple[int, int] = (5, 30)) -> str:
    """The ``connection`` section forwarding ``topics`` of ``site`` to the hub at ``url``.

    url : ``mqtt[s]://[user:password@]host[:port]`` of the hub's broker; ``mqtts`` needs ``cafile``
    """
    hub = parse_broker_url(url)
    if hub.tls and not cafile:
        raise ValueError("a TLS bridge (mqtts://) needs the hub's CA certificate: --bridge-cafile / "
                         "TLS 桥接需要汇聚中心的 CA 证书: --bridge-cafile")
    host = f"[{hub.host}]" if ":" in hub.host else hub.host
    lines = [
        f"# forward site {site}'s sensor topics to the hub, store-and-forward through link outages",
        f"# 将场馆 {site} 的传感器主题桥接到汇聚中心, 断网期间本地排队, 恢复后补发",
        f"connection relic-hub-{site}",
        f"address {host}:{hub.port}",
        f"remote_clientid {client_id or f'relic-museum-{site}'}",
        "bridge_protocol_version mqttv311",
        "cleansession false",
        "local_cleansession false",
        "bridge_attempt_unsubscribe false",
        "start_type automatic",
        f"restart_timeout {restart_s[0]} {restart_s[1]}",
        "try_private true",
        "notifications false",
    ]
    if hub.username:
        lines.append(f"remote_username {hub.username}")
    if hub.password:
        lines.append(f"remote_password {hub.password}")
    if hub.tls:
        lines += [f"bridge_cafile {cafile}", "bridge_tls_version tlsv1.2", "bridge_insecure false"]
    for topic in dict.fromkeys(topics):
        lines.append(f'topic {topic} out 1 "" {HUB_ROOT}/{site}/')
    return "\n".join(lines) + "\n"


def hub_acl(service: str | None = None) -> str:
    """The hub broker's ACL: each museum's bridge account (user name = site id) writes only its own site.

    service : the account of ``hub ingest`` (its workers and registrar): reads every site, and writes
        the registrar's start marker under the empty site (``relic-hub//registrar/``), which no
        museum's account can name
    """
    head = ""
    if service:
        head = (f"# the hub's ingest account / 汇聚中心接收账号\nuser {service}\ntopic read {HUB_ROOT}/#\n"
                f"topic write {HUB_ROOT}//registrar/#\n\n")
    return (f"{head}# each museum writes only under its own site / 每个场馆只能写入自己的主题\n"
            f"pattern write {HUB_ROOT}/%u/#\n")
