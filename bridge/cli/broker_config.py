"""``relic-twin broker-config``: write a locked-down Mosquitto configuration for a scene.

What it writes, and why, is :mod:`bridge.mqtt.broker_config`; this module is only the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bridge.mqtt.broker_config import BrokerConfigError, ToolError, build_parser, write_config


def broker_config_main(argv: Sequence[str] | None = None) -> int:
    """Run ``relic-twin broker-config``; 0 written, 1 a tool failed, 2 bad input."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse printed usage and the reason
        return int(exc.code or 0)
    try:
        out, n = write_config(args)
    except BrokerConfigError as exc:
        print(f"relic-twin broker-config: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, ToolError) else 2
    except OSError as exc:
        print(f"relic-twin broker-config: cannot write / 无法写入: {exc}", file=sys.stderr)
        return 2
    print(f"wrote 已写入 {out}: mosquitto.conf, passwd, acl (devices), passwd-service, acl-service (the service), "
          "device-credentials.csv (0600), bridge.env (0600)"
          + (", certs/" if args.make_certs else ""))
    print(f"  {n} device accounts + 1 bridge account ({args.bridge_user}) / {n} 个设备账号 + 1 个桥接账号")
    print(f"  start / 启动:  mosquitto -c {out / 'mosquitto.conf'}")
    print("  give each device its row of device-credentials.csv and the CA certificate; keep certs/ca.key offline /"
          " 将 device-credentials.csv 中对应的一行和 CA 证书配置到每台设备; ca.key 请离线保管")
    return 0
