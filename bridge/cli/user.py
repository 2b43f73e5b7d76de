"""``relic-twin user``: add, list, re-password, disable and remove users of the twin service.

::

    relic-twin user add NAME --role visitor|staff|curator|admin [--display-name TEXT] [--password-stdin]
    relic-twin user list
    relic-twin user passwd NAME [--password-stdin]
    relic-twin user disable NAME / enable NAME
    relic-twin user remove NAME

The password is asked twice (hidden) on a terminal; otherwise (or with
``--password-stdin``) it is the first line of standard input, so a script can
pipe it in without putting it on the command line. Passwords are stored as
argon2id hashes (:mod:`bridge.api.auth`); the rows are written by
:mod:`bridge.store.service_queries`, the same functions the REST API uses.

The database is the service's: ``--database-url``, else
``RELIC_TWIN_DATABASE_URL``, else SQLite in ``--data-dir`` (default
``RELIC_TWIN_DATA_DIR`` or ``data``).

Exit status: 0 done; 1 the database failed; 2 bad input (unknown role,
empty, short or mismatched password, bad or duplicate name, no such user).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bridge.api.auth import PERMISSIONS, ROLES, AuthError, hash_password
from bridge.config import settings_from_env
from bridge.errors import RelicTwinError, StorageError

if TYPE_CHECKING:
    from bridge.store import Store

#: The user names the REST API accepts (``bridge.api.routes_users.USERNAME``; a test keeps them equal).
USERNAME = r"^[A-Za-z0-9_.@-]{1,64}$"
#: The shortest password the REST API accepts (``UserIn.password`` min_length).
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class InputError(Exception):
    """Bad input from the person at the keyboard; ``str(err)`` is English / 中文."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relic-twin user", description="manage users of the twin service / 管理孪生服务用户")
    p.add_argument("--database-url", default=None,
                   help="SQLAlchemy URL / 数据库地址 (default: $RELIC_TWIN_DATABASE_URL, else SQLite in --data-dir)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="data folder / 数据目录 (default: $RELIC_TWIN_DATA_DIR or ./data)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    add = sub.add_parser("add", help="add a user / 添加用户", description="add a user / 添加用户")
    add.add_argument("name", help="user name (letters, digits, _ . @ -) / 用户名")
    add.add_argument("--role", required=True, metavar="ROLE",
                     help=f"one of {', '.join(ROLES)} / 角色: 访客、工作人员、保管员、管理员")
    add.add_argument("--display-name", default="", help="name shown in the interface / 显示名称")
    add.add_argument("--site", default="",
                     help="on a hub: the museum (site id) this user sees and changes, only / 汇聚中心: 用户所属场馆")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input / 从标准输入读取密码")
    sub.add_parser("list", help="list users / 列出用户", description="list users / 列出用户")
    pw = sub.add_parser("passwd", help="set a new password / 修改密码", description="set a new password / 修改密码")
    pw.add_argument("name", help="user name / 用户名")
    pw.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input / 从标准输入读取密码")
    for action, en, zh in (("disable", "stop a user signing in (kept)", "停用用户(保留记录)"),
                           ("enable", "let a disabled user sign in again", "重新启用用户"),
                           ("remove", "delete a user", "删除用户")):
        sp = sub.add_parser(action, help=f"{en} / {zh}", description=f"{en} / {zh}")
        sp.add_argument("name", help="user name / 用户名")
    return p


# ---------------------------------------------------------------------- checks


def check_name(name: str) -> str:
    if not re.match(USERNAME, name):
        raise InputError(f"bad user name {name!r}: 1-64 letters, digits or _ . @ - / "
                         f"用户名无效: 仅限 1-64 个字母、数字或 _ . @ -")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)} / "
                         f"未知角色 {role!r}, 可选: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not password:
        raise InputError("empty password / 密码不能为空")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password too short: at least {MIN_PASSWORD} characters / 密码过短: 至少 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password too long: at most {MAX_PASSWORD} characters / 密码过长: 至多 {MAX_PASSWORD} 个字符")
    return password


def read_password(from_stdin: bool, stdin: IO[str] | None = None,
                  ask: Callable[[str], str] | None = None) -> str:
    """The new password: asked twice (``ask``, default getpass) on a terminal, else the first line of ``stdin``."""
    stdin = sys.stdin if stdin is None else stdin
    ask = ask or getpass.getpass
    if from_stdin or not stdin.isatty():
        line = stdin.readline()
        return check_password(line.rstrip("\r\n"))
    first = check_password(ask("password / 密码: "))
    if ask("again / 再次输入: ") != first:
        raise InputError("the two passwords differ / 两次输入的密码不一致")
    return first


# ---------------------------------------------------------------------- store


def _open_store(database_url: str | None, data_dir: Path | None) -> Store:
    from bridge.store import Store
    from bridge.store import service_queries as q

    settings = settings_from_env()
    store = Store.open(url=database_url or settings.database_url, data_dir=data_dir or settings.data_dir)
    try:  # the user table refers to the role rows; create them as the service does
        q.ensure_roles(store, {r: ",".join(sorted(p)) for r, p in PERMISSIONS.items()})
    except BaseException:
        store.close()
        raise
    return store


def _cli_actor() -> str:
    """Who ran the command, for the audit log: ``cli:<system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"cli:uid{os.getuid()}"


def _run(args: argparse.Namespace, store: Store) -> int:
    from bridge.store import service_queries as q
    from bridge.store.epoch import from_us

    if args.action == "add":
        name, role = check_name(args.name), check_role(args.role)
        if q.get_user(store, name) is not None:
            raise InputError(f"user {name!r} exists / 用户 {name!r} 已存在")
        password = read_password(args.password_stdin)
        try:
            q.add_user(store, name, role, hash_password(password), args.display_name, site=args.site)
        except StorageError as exc:  # taken between the check and the insert
            raise InputError(f"user {name!r} exists / 用户 {name!r} 已存在") from exc
        q.audit(store, "user_add", actor=_cli_actor(), target=name, detail=f"role={role} (command line)")
        print(f"user added 已添加用户: {name} ({role})")
        return 0
    if args.action == "list":
        users = q.list_users(store)
        print(f"{'user 用户':24s} {'role 角色':10s} {'active 启用':12s} {'created 创建于 (UTC)':26s} name 名称")
        for u in users:
            active = "yes 是" if u.active else "no 否"
            created = from_us(u.created_at_us).isoformat(timespec="seconds")
            print(f"{u.username:24s} {u.role_id:10s} {active:12s} {created:26s} {u.display_name}")
        print(f"{len(users)} users / 共 {len(users)} 个用户")
        return 0
    name = args.name
    if q.get_user(store, name) is None:
        raise InputError(f"no user {name!r} / 用户 {name!r} 不存在")
    if args.action == "passwd":
        q.update_user(store, name, password_hash=hash_password(read_password(args.password_stdin)))
        q.audit(store, "user_change", actor=_cli_actor(), target=name, detail="password=(new) (command line)")
        print(f"password changed 密码已修改: {name}")
    elif args.action in ("disable", "enable"):
        q.update_user(store, name, active=args.action == "enable")
        q.audit(store, "user_change", actor=_cli_actor(), target=name,
                detail=f"active={args.action == 'enable'} (command line)")
        print(f"user {args.action}d: {name} / 用户已{'启用' if args.action == 'enable' else '停用'}")
    else:
        q.remove_user(store, name)
        q.audit(store, "user_remove", actor=_cli_actor(), target=name, detail="(command line)")
        print(f"user removed 已删除用户: {name}")
    return 0


def user_main(argv: Sequence[str] | None = None) -> int:
    """Run ``relic-twin user ...``; 0 done, 1 database failure, 2 bad input."""
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse already printed usage and the reason
        return int(exc.code or 0)
    if args.action is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.action == "add":  # refuse bad input before opening (and creating) a database
            check_name(args.name)
            check_role(args.role)
        elif args.action != "list":
            check_name(args.name)
        store = _open_store(args.database_url, args.data_dir)
    except InputError as exc:
        print(f"relic-twin user: {exc}", file=sys.stderr)
        return 2
    except RelicTwinError as exc:
        print(f"relic-twin user: database error / 数据库错误: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(args, store)
    except (InputError, AuthError) as exc:
        print(f"relic-twin user: {exc}", file=sys.stderr)
        return 2
    except (EOFError, KeyboardInterrupt):
        print("\nrelic-twin user: cancelled / 已取消", file=sys.stderr)
        return 2
    except RelicTwinError as exc:
        print(f"relic-twin user: database error / 数据库错误: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
