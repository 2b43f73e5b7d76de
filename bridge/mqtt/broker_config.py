"""``relic-twin broker-config``: a locked-down Mosquitto configuration for a scene.

::

    relic-twin broker-config --scene scenes/demo_hall --out DIR [--port 8883]
                             (--make-certs [--host NAME ...] | --cafile CA --certfile CRT --keyfile KEY)

writes into DIR:

``mosquitto.conf``
    two TLS listeners (TLS 1.2 at least), no anonymous clients, persistence,
    and the queue limits the ingest path needs (see ``tests/fixtures_broker.py``):

    - the *device* listener (``--port``, 8883) knows only the device accounts
      (``passwd``, ``acl``) and sets ``use_username_as_clientid``: a device's
      client id is its sensor id whatever it asks for, so no device can take
      another's session, nor the service's;
    - the *service* listener (``--service-port``, 8884) knows only the bridge
      service's account (``passwd-service``, ``acl-service``); the service picks
      its own client ids there (``relic-twin-<installation>-<role>-<hall>``,
      :mod:`bridge.mqtt.client_ids`), which no device can reach: a device cannot
      sign in on this listener, and sensor ids starting ``relic-twin-`` are refused.
``passwd``, ``passwd-service`` (mode 0600)
    one credential per sensor of the scene (user name = sensor id), and the
    bridge service's, as Mosquitto 2.x PBKDF2-SHA512 hashes
    (``$7$<iterations>$<base64 salt>$<base64 hash>``, what ``mosquitto_passwd``
    writes: 12-byte salt, 101 iterations, 64-byte key).
``acl``, ``acl-service``
    each device may write only its own topics (its scene ``topic`` plus the
    companion topics its payload convention uses: availability, LWT); the
    bridge may read everything and write the alert topics.
``device-credentials.csv`` (mode 0600)
    sensor id, user name, clear password and topic, to configure each device.
``bridge.env`` (mode 0600)
    ``RELIC_TWIN_BROKER_URL`` with the bridge's credentials and the service port, and
    ``SSL_CERT_FILE`` naming the CA, for ``relic-twin serve``.
``certs/`` (with ``--make-certs``)
    a self-signed CA (``ca.crt``, ``ca.key``: keep the key off the broker)
    and a server certificate for the ``--host`` names (``server.crt``,
    ``server.key``), made with the ``cryptography`` package when it is
    installed, else with the ``openssl`` program.

Exit status: 0 written; 2 bad input (scene, paths, existing credentials
without ``--force``); 1 a tool failed (openssl).
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import hmac
import io
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.errors import RelicTwinError
from bridge.mqtt.client_ids import SERVICE_PREFIX
from bridge.sensors import shelly, tasmota, zigbee2mqtt
from simulation.paths import scenes_dir

if TYPE_CHECKING:
    from simulation.scene import Scene

#: Mosquitto 2.x ``mosquitto_passwd`` defaults (src/password_mosq.c: SALT_LEN 12, PW_DEFAULT_ITERATIONS 101).
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
HASH_BYTES = 64  # SHA-512 output

BRIDGE_USER = "relic-twin-bridge"
PASSWORD_BYTES = 24  # secrets.token_urlsafe(24): 32 URL-safe characters, 192 random bits
CERT_DAYS = 825  # the longest server-certificate life Apple platforms accept
CA_DAYS = 3650
# How long a session's queue holds its messages while its reader is away: the local service (`serve`
# stopped) or, with --bridge-to, the hub (a link outage). Mosquitto drops, with no error to the sender,
# what a client's queue holds beyond max_queued_messages (mosquitto.conf(5)), so the limit is sized
# from the scene: every sensor's topic at one message a minute (the fleet's and the hub benchmark's
# rate; a slower sensor only leaves room) for QUEUE_DAYS days, never below QUEUE_FLOOR. In memory a
# queued reading is a few hundred bytes: 50 sensors for a week is ~500 000 messages, ~150 MB.
QUEUE_DAYS = 7
QUEUE_MESSAGES_PER_SENSOR_DAY = 24 * 60
QUEUE_FLOOR = 200_000


def queue_limit(n_topics: int, days: float = QUEUE_DAYS) -> int:
    """``max_queued_messages`` for ``n_topics`` sensor topics held ``days`` days (at least QUEUE_FLOOR)."""
    return max(QUEUE_FLOOR, int(n_topics * QUEUE_MESSAGES_PER_SENSOR_DAY * days))


class BrokerConfigError(RelicTwinError):
    """Bad input; ``str(err)`` is English / 中文."""


class ToolError(BrokerConfigError):
    """A program we run (openssl) failed."""


class UsageError(BrokerConfigError):
    """A missing or conflicting option (certificates, ``--force``, the port): exit status 2."""


# ---------------------------------------------------------------------- password hashes


def mosquitto_hash(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The Mosquitto 2.x password-file hash of ``password``: ``$7$<iterations>$<b64 salt>$<b64 hash>``."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def check_mosquitto_hash(hashed: str, password: str) -> bool:
    """True when ``password`` matches a ``$7$`` (PBKDF2-SHA512) or ``$6$`` (salted SHA-512) hash."""
    parts = hashed.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7":
            salt, want = base64.b64decode(parts[3]), base64.b64decode(parts[4])
            got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]), len(want))
        elif len(parts) == 4 and parts[1] == "6":
            salt, want = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            got = hashlib.sha512(password.encode("utf-8") + salt).digest()
        else:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(got, want)


# ---------------------------------------------------------------------- topics


@dataclass(frozen=True)
class Device:
    """One broker account: a scene sensor (or the bridge) and the topics it may write."""

    sensor: str
    username: str
    password: str
    topic: str
    write: tuple[str, ...]


def device_topics(topic: str, fmt: str | None, sensor_id: str) -> list[str]:
    """The topics a device of convention ``fmt`` publishes when its data arrive on ``topic``.

    Its own ``topic`` first, then the companion topics the convention's
    decoder reads (:mod:`bridge.sensors`): Zigbee2MQTT ``<topic>/availability``;
    Tasmota ``tele/<device>/+`` (SENSOR, STATE and the LWT; ``<device>/tele/+`` or
    ``<device>/+`` for the other FullTopics); Shelly
    ``<id>/online`` (Gen2) or ``shellies/<id>/sensor/+`` and ``.../online``
    (Gen1); Home Assistant discovery configs ``homeassistant/+/<id>/#``.
    Native, SenML and TTN devices write their one topic.
    """
    out = [topic]
    if fmt == "zigbee2mqtt" and (parts := zigbee2mqtt.split_topic(topic)) and not parts[1]:
        out.append(f"{topic}/availability")
    elif fmt == "tasmota" and (tparts := tasmota.split_any_topic(topic)):
        dev = tparts[0]
        out.append(f"tele/{dev}/+" if topic.startswith("tele/") else
                   f"{dev}/tele/+" if topic.startswith(f"{dev}/tele/") else f"{dev}/+")
    elif fmt == "shelly" and (sparts := shelly.split_topic(topic)):
        gen, dev, _ = sparts
        out += [f"shellies/{dev}/sensor/+", f"shellies/{dev}/online"] if gen == "gen1" else [f"{dev}/online", f"{dev}/status/+"]
    elif fmt == "ha_discovery":
        out.append(f"homeassistant/+/{sensor_id}/#")
    return list(dict.fromkeys(t for t in out if t))


def _check_username(name: str) -> str:
    if not name or any(c.isspace() for c in name) or ":" in name or "#" in name or "+" in name:
        raise BrokerConfigError(f"sensor id {name!r} cannot be a broker user name (no spaces, ':', '#', '+') / "
                                f"传感器编号 {name!r} 不能用作代理用户名(不可含空格、':'、'#'、'+')")
    return name


def _check_device_name(name: str) -> str:
    """A device's user name is its client id: it must never look like one of the service's."""
    if name.startswith(SERVICE_PREFIX):
        raise BrokerConfigError(f"sensor id {name!r} starts with {SERVICE_PREFIX!r}, kept for the service's "
                                f"client ids / 传感器编号 {name!r} 不能以 {SERVICE_PREFIX!r} 开头(服务专用)")
    return _check_username(name)


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def accounts(scene: Scene, bridge_user: str, alert_topic: str) -> tuple[list[Device], Device]:
    """One :class:`Device` per scene sensor, and the bridge's account."""
    devices = [Device(s.id, _check_device_name(s.id), new_password(), s.topic,
                      tuple(device_topics(s.topic, s.format, s.id))) for s in scene.sensors]
    names = [d.username for d in devices] + [bridge_user]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise BrokerConfigError(f"user names used twice: {', '.join(clash)} / 用户名重复: {', '.join(clash)}")
    bridge = Device("", _check_username(bridge_user), new_password(), "#", (alert_topic,))
    return devices, bridge


# ---------------------------------------------------------------------- file texts


def passwd_text(users: Iterable[Device]) -> str:
    return "".join(f"{u.username}:{mosquitto_hash(u.password)}\n" for u in users)


def acl_text(devices: Sequence[Device], scene_id: str) -> str:
    """The device listener's ACL."""
    lines = [f"# relic-twin broker ACL for scene {scene_id} / 场景 {scene_id} 的代理访问控制表",
             "# Each device writes only its own topics; anything else it publishes is dropped.",
             "# 每个设备只能发布到自己的主题, 其余发布会被丢弃。", ""]
    for d in devices:
        lines.append(f"user {d.username}")
        lines += [f"topic write {t}" for t in d.write]
        lines.append("")
    return "\n".join(lines)


def service_acl_text(bridge: Device, scene_id: str) -> str:
    """The service listener's ACL."""
    lines = [f"# relic-twin service ACL for scene {scene_id} / 场景 {scene_id} 服务端访问控制表",
             "# the bridge service: reads every topic, writes alerts / 桥接服务: 读取全部主题, 发布告警",
             f"user {bridge.username}", "topic read #"]
    lines += [f"topic write {t}" for t in bridge.write]
    return "\n".join(lines) + "\n"


def credentials_csv(devices: Sequence[Device], bridge: Device) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sensor_id", "username", "password", "topic"])
    for d in [*devices, bridge]:
        w.writerow([d.sensor, d.username, d.password, d.topic])
    return buf.getvalue()


def mosquitto_conf(*, scene_id: str, port: int, bind: str | None, service_port: int, service_bind: str | None,
                   cafile: str, certfile: str, keyfile: str, folder: str, persistence: str,
                   run_as: str | None, max_queued: int = QUEUE_FLOOR) -> str:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    tls = [f"cafile {cafile}", f"certfile {certfile}", f"keyfile {keyfile}",
           "tls_version tlsv1.2",  # Mosquitto 2.x: the lowest version accepted (1.2 and 1.3)
           "require_certificate false"]
    lines = [
        f"# Mosquitto 2.x configuration for relic-twin scene {scene_id}, written {stamp}",
        f"# relic-twin 场景 {scene_id} 的 Mosquitto 配置。Start / 启动: mosquitto -c mosquitto.conf",
        "",
        "# each listener has its own accounts: a device cannot sign in where the service does",
        "# 每个监听端口有各自的账号: 设备无法登录服务端口",
        "per_listener_settings true",
        "",
        "# devices: the client id is the user name (the sensor id), whatever the device asks for",
        "# 设备端口: 客户端标识即用户名(传感器编号)",
        f"listener {port}" + (f" {bind}" if bind else ""),
        "protocol mqtt",
        "allow_anonymous false",
        f"password_file {folder}/passwd",
        f"acl_file {folder}/acl",
        "use_username_as_clientid true",
        *tls,
        "",
        "# the relic-twin service: its account only; it keeps its own stable client ids",
        "# 服务端口: 仅桥接服务账号, 使用其固定的客户端标识",
        f"listener {service_port}" + (f" {service_bind}" if service_bind else ""),
        "protocol mqtt",
        "allow_anonymous false",
        f"password_file {folder}/passwd-service",
        f"acl_file {folder}/acl-service",
        *tls,
        "",
        "persistence true",
        f"persistence_location {persistence}",
        "persistence_file mosquitto.db",
        "autosave_interval 60",
        "# the ingest acknowledges after each commit: let sessions queue and keep many in flight;",
        f"# a queue holds {max_queued // QUEUE_MESSAGES_PER_SENSOR_DAY:.0f} sensor-days (what is queued beyond is dropped)",
        f"# 会话队列容量: {max_queued // QUEUE_MESSAGES_PER_SENSOR_DAY:.0f} 个传感器·天 (超出部分将被丢弃)",
        f"max_queued_messages {max_queued}",
        "max_inflight_messages 1000",
        "",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages true",
    ]
    if run_as:
        lines += ["", f"user {run_as}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class CertPaths:
    ca: Path
    ca_key: Path
    cert: Path
    key: Path


def _san(hosts: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for h in hosts:
        try:
            out.append(("IP", str(ipaddress.ip_address(h))))
        except ValueError:
            out.append(("DNS", h))
    return out


def default_hosts() -> list[str]:
    return list(dict.fromkeys(["localhost", "127.0.0.1", "::1", socket.gethostname()]))


def have_cryptography() -> bool:
    try:
        import cryptography.x509  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def make_certs(folder: Path, hosts: Sequence[str], engine: str | None = None) -> CertPaths:
    """A self-signed CA and a server certificate for ``hosts`` in ``folder``; keys mode 0600.

    engine : ``"cryptography"`` or ``"openssl"``; default the package when installed, else the program.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = CertPaths(folder / "ca.crt", folder / "ca.key", folder / "server.crt", folder / "server.key")
    engine = engine or ("cryptography" if have_cryptography() else "openssl")
    if engine == "cryptography":
        _certs_cryptography(paths, hosts)
    else:
        _certs_openssl(paths, hosts)
    for key in (paths.ca_key, paths.key):
        key.chmod(0o600)
    return paths


def _certs_cryptography(p: CertPaths, hosts: Sequence[str]) -> None:
    from cryptography import x509  # type: ignore[import-not-found, unused-ignore]
    from cryptography.hazmat.primitives import hashes, serialization  # type: ignore[import-not-found, unused-ignore]
    from cryptography.hazmat.primitives.asymmetric import rsa  # type: ignore[import-not-found, unused-ignore]
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # type: ignore[import-not-found, unused-ignore]

    now = datetime.now(UTC) - timedelta(minutes=5)

    def key_pem(key: rsa.RSAPrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relic-twin broker CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + timedelta(days=CA_DAYS))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address(v)) if kind == "IP" else x509.DNSName(v) for kind, v in _san(hosts)]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write(p.ca_key, key_pem(ca_key), 0o600)
    _write(p.key, key_pem(key), 0o600)
    p.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    p.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _openssl(args: list[str], binary: str) -> None:
    try:
        done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"openssl failed / openssl 运行失败: {exc}") from exc
    if done.returncode != 0:
        raise ToolError(f"openssl {args[0]} failed / openssl 运行失败 ({done.returncode}): "
                                f"{done.stderr.strip()[-500:]}")


def _certs_openssl(p: CertPaths, hosts: Sequence[str]) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise BrokerConfigError("--make-certs needs the cryptography package or the openssl program / "
                                "--make-certs 需要 cryptography 库或 openssl 程序")
    san = ",".join(f"{kind}:{v}" for kind, v in _san(hosts))
    with tempfile.TemporaryDirectory() as tmp:
        ext, csr = Path(tmp) / "server.ext", Path(tmp) / "server.csr"
        ext.write_text("basicConstraints=critical,CA:FALSE\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth\n"
                       f"subjectAltName={san}\n"
                       "subjectKeyIdentifier=hash\n"
                       "authorityKeyIdentifier=keyid,issuer\n")
        old = os.umask(0o077)  # keys are born private
        try:
            _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", str(CA_DAYS),
                      "-keyout", str(p.ca_key), "-out", str(p.ca), "-subj", "/CN=relic-twin broker CA",
                      "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                      "-addext", "subjectKeyIdentifier=hash"], binary)
            _openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", str(p.key),
                      "-out", str(csr), "-subj", f"/CN={hosts[0]}"], binary)
        finally:
            os.umask(old)
        _openssl(["x509", "-req", "-in", str(csr), "-CA", str(p.ca), "-CAkey", str(p.ca_key),
                  "-set_serial", str(int.from_bytes(secrets.token_bytes(16), "big") >> 1),
                  "-days", str(CERT_DAYS), "-sha256", "-extfile", str(ext), "-out", str(p.cert)], binary)
    p.ca.chmod(0o644)
    p.cert.chmod(0o644)


# ---------------------------------------------------------------------- writing


def _write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``path`` created with ``mode`` (never readable by others for a moment before a chmod)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    path.chmod(mode)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="relic-twin broker-config",
        description="write a Mosquitto configuration with TLS, one password per device and an ACL / "
                    "生成 Mosquitto 配置: TLS 加密、每台设备独立密码、访问控制表")
    p.add_argument("--scene", default=str(scenes_dir() / "demo_hall"),
                   help="scene folder or scene.toml (default the demo hall) / 场景目录")
    p.add_argument("--out", required=True, type=Path, help="folder to write into / 输出目录")
    p.add_argument("--port", type=int, default=8883, help="TLS listener port (default 8883) / TLS 监听端口")
    p.add_argument("--bind", default=None,
                   help="address to listen on (default every interface) / 监听地址(默认全部网卡)")
    p.add_argument("--service-port", type=int, default=None,
                   help="TLS listener of the relic-twin service (default --port + 1) / 服务端 TLS 监听端口")
    p.add_argument("--service-bind", default=None,
                   help="address of the service listener (default --bind) / 服务端监听地址")
    tls = p.add_argument_group("TLS certificates / TLS 证书")
    tls.add_argument("--make-certs", action="store_true",
                     help="make a self-signed CA and server certificate in OUT/certs / 生成自签名 CA 与服务器证书")
    tls.add_argument("--host", action="append", default=None,
                     help="broker host name or address for the certificate, repeatable "
                          "(default localhost, 127.0.0.1, ::1 and this machine's name) / 证书中的主机名或地址, 可重复")
    tls.add_argument("--cafile", type=Path, help="existing CA certificate (PEM) / 已有 CA 证书")
    tls.add_argument("--certfile", type=Path, help="existing server certificate (PEM) / 已有服务器证书")
    tls.add_argument("--keyfile", type=Path, help="existing server private key (PEM) / 已有服务器私钥")
    p.add_argument("--bridge-user", default=BRIDGE_USER,
                   help=f"broker user of the bridge service (default {BRIDGE_USER}) / 桥接服务的代理用户名")
    p.add_argument("--alert-topic", default=None,
                   help="topic filter the bridge may publish alerts on (default relic-twin/<scene>/alerts/#) / "
                        "桥接服务发布告警的主题")
    p.add_argument("--install-dir", type=Path, default=None,
                   help="where OUT will live on the broker machine, for the paths in mosquitto.conf "
                        "(default OUT itself) / 配置在代理主机上的目录(写入 mosquitto.conf 的路径)")
    p.add_argument("--user", dest="run_as", default=None,
                   help="system user mosquitto runs as when started by root (writes 'user NAME') / "
                        "以 root 启动时 mosquitto 切换到的系统用户")
    hub = p.add_argument_group("forward to a provincial hub / 桥接到汇聚中心")
    hub.add_argument("--bridge-to", default=None, metavar="URL",
                     help="hub broker mqtts://SITE:PASSWORD@HOST[:PORT]: forward every sensor topic through a "
                          "store-and-forward bridge / 汇聚中心代理地址(断网续传桥接)")
    hub.add_argument("--site-id", default=None, help="this museum's site id on the hub (default the bridge user name) / "
                                                  "本馆在汇聚中心的编号")
    hub.add_argument("--bridge-cafile", type=Path, default=None, help="the hub's CA certificate (PEM) / 汇聚中心 CA 证书")
    p.add_argument("--queue-days", type=float, default=QUEUE_DAYS,
                   help=f"days of every sensor's readings (one a minute) a session queues while the service or "
                        f"the hub link is away (default {QUEUE_DAYS}) / 服务或汇聚链路中断时会话可排队的天数")
    p.add_argument("--force", action="store_true",
                   help="replace existing credentials in OUT (every device needs its new password) / "
                        "覆盖已有凭据(所有设备需要换新密码)")
    return p


def _check_tls_args(args: argparse.Namespace) -> None:
    given = [args.cafile, args.certfile, args.keyfile]
    if args.make_certs:
        if any(given):
            raise UsageError("use either --make-certs or --cafile/--certfile/--keyfile / "
                                    "--make-certs 与 --cafile/--certfile/--keyfile 只能二选一")
        return
    if not all(given):
        raise UsageError("TLS needs certificates: give --cafile, --certfile and --keyfile, or --make-certs / "
                                "TLS 需要证书: 请同时提供 --cafile、--certfile、--keyfile, 或使用 --make-certs")
    missing = [str(f) for f in given if not f.is_file()]
    if missing:
        raise BrokerConfigError(f"no such file: {', '.join(missing)} / 文件不存在: {', '.join(missing)}")


def _tls_paths(args: argparse.Namespace, out: Path, install: Path) -> tuple[str, str, str]:
    """(cafile, certfile, keyfile) as mosquitto.conf names them; makes the certificates if asked."""
    if args.make_certs:
        made = make_certs(out / "certs", list(dict.fromkeys(args.host or default_hosts())))
        return str(install / "certs" / made.ca.name), str(install / "certs" / made.cert.name), \
            str(install / "certs" / made.key.name)
    return str(args.cafile.resolve()), str(args.certfile.resolve()), str(args.keyfile.resolve())


def write_config(args: argparse.Namespace) -> tuple[Path, int]:
    """Write every file for ``args``; (out folder, number of device accounts)."""
    from simulation.scene import SceneError, load_scene

    _check_tls_args(args)
    service_port = args.service_port or args.port + 1
    for name, port in (("--port", args.port), ("--service-port", service_port)):
        if not 1 <= port <= 65535:
            raise UsageError(f"{name} {port}: expected 1-65535 / 端口应在 1-65535 之间")
    if service_port == args.port:
        raise UsageError("--service-port must differ from --port / 服务端口须与设备端口不同")
    queue_days = getattr(args, "queue_days", QUEUE_DAYS)
    if not 0 < queue_days <= 366:
        raise UsageError(f"--queue-days {queue_days}: expected more than 0 and at most 366 / 排队天数应在 0-366 之间")
    try:
        scene = load_scene(args.scene)
    except SceneError as exc:
        raise BrokerConfigError("invalid scene / 场景无效:\n  " + "\n  ".join(exc.errors)) from exc
    except OSError as exc:
        raise BrokerConfigError(f"cannot read scene {args.scene} / 无法读取场景: {exc}") from exc
    if not scene.sensors:
        raise BrokerConfigError(f"scene {scene.id} has no sensors / 场景 {scene.id} 没有传感器")
    alert_topic = args.alert_topic or f"relic-twin/{scene.id}/alerts/#"
    devices, bridge = accounts(scene, args.bridge_user, alert_topic)

    out: Path = args.out.resolve()
    if (out / "passwd").exists() and not args.force:
        raise UsageError(f"{out / 'passwd'} exists: --force replaces every device's password / "
                                f"{out / 'passwd'} 已存在: 加 --force 将替换所有设备的密码")
    if out.exists() and not out.is_dir():
        raise BrokerConfigError(f"{out} is not a folder / {out} 不是目录")
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    install = (args.install_dir or out).absolute()
    cafile, certfile, keyfile = _tls_paths(args, out, install)

    _write(out / "passwd", passwd_text(devices), 0o600)
    _write(out / "passwd-service", passwd_text([bridge]), 0o600)
    _write(out / "acl", acl_text(devices, scene.id), 0o644)
    _write(out / "acl-service", service_acl_text(bridge, scene.id), 0o644)
    _write(out / "device-credentials.csv", credentials_csv(devices, bridge), 0o600)
    host = (args.host or ["localhost"])[0]
    url_host = f"[{host}]" if ":" in host else host
    _write(out / "bridge.env",
           f"RELIC_TWIN_BROKER_URL=mqtts://{bridge.username}:{bridge.password}@{url_host}:{service_port}\n"
           f"SSL_CERT_FILE={cafile}\n", 0o600)
    _write(out / "mosquitto.conf", mosquitto_conf(
        scene_id=scene.id, port=args.port, bind=args.bind, service_port=service_port,
        service_bind=args.service_bind or args.bind, cafile=cafile, certfile=certfile, keyfile=keyfile,
        folder=str(install), persistence=f"{install / 'data'}/", run_as=args.run_as,
        max_queued=queue_limit(len(scene.sensors), queue_days)) + _bridge(args, scene), 0o644)
    return out, len(devices)


def _bridge(args: argparse.Namespace, scene: Scene) -> str:
    """The hub bridge section for ``--bridge-to`` ('' without it)."""
    if not getattr(args, "bridge_to", None):
        return ""
    from bridge.config import ConfigError, parse_broker_url
    from bridge.hub.bridge_config import bridge_section

    try:
        site = args.site_id or parse_broker_url(args.bridge_to).username
    except ConfigError as exc:
        raise BrokerConfigError(f"--bridge-to: {exc}") from None
    if not site:
        raise BrokerConfigError("--bridge-to needs the site id: --site-id ID, or the user name in the URL / "
                                "--bridge-to 需要场馆编号: --site-id 或地址中的用户名")
    cafile = args.bridge_cafile
    if args.bridge_to.startswith(("mqtts:", "ssl:")) and cafile is None:  # a missing option: exit status 2
        raise UsageError("a TLS bridge (mqtts://) needs the hub's CA certificate: --bridge-cafile / "
                         "TLS 桥接需要中心的 CA 证书: --bridge-cafile")
    if cafile is not None and not cafile.is_file():
        raise BrokerConfigError(f"no such file: {cafile} / 文件不存在")
    try:
        return "\n" + bridge_section(site, args.bridge_to, [s.topic for s in scene.sensors],
                                     cafile=str(cafile.resolve()) if cafile else None)
    except ValueError as exc:
        raise BrokerConfigError(str(exc)) from None
