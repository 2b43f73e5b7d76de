"""``relic-twin user``: users written through the store's own queries, bilingual errors, exit 2 on bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bridge.api.auth import verify_password
from bridge.cli.user import USERNAME, user_main
from bridge.store import Store
from bridge.store import service_queries as q


class Tty(io.StringIO):
    """A stdin that says it is a terminal (the password is then asked with getpass)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELIC_TWIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RELIC_TWIN_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'users.sqlite'}")
    return tmp_path / "data"


def run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return user_main(argv)


def stored(data_dir: Path, name: str):  # type: ignore[no-untyped-def]
    with Store.open(url=f"sqlite:///{data_dir / 'users.sqlite'}") as store:
        return q.get_user(store, name)


def test_add_then_list(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, ["add", "li.wei", "--role", "curator", "--display-name", "李伟"], "correct horse\n") == 0
    assert run(monkeypatch, ["add", "kiosk", "--role", "visitor", "--password-stdin"], "kiosk-pass-1\r\n") == 0
    user = stored(data_dir, "li.wei")
    assert (user.role_id, user.display_name, user.active) == ("curator", "李伟", True)
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "correct horse")
    assert verify_password(stored(data_dir, "kiosk").password_hash, "kiosk-pass-1")  # CR LF stripped
    capsys.readouterr()
    assert run(monkeypatch, ["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line.split()[:3] for line in out[1:-1]]
    assert rows == [["kiosk", "visitor", "yes"], ["li.wei", "curator", "yes"]]
    assert out[-1] == "2 users / 共 2 个用户"


@pytest.mark.parametrize(
    ("argv", "stdin", "en", "zh"),
    [
        (["add", "bob", "--role", "boss"], "long enough\n", "unknown role 'boss'", "未知角色"),
        (["add", "bob", "--role", "staff"], "short\n", "too short", "密码过短"),
        (["add", "bob", "--role", "staff"], "", "empty password", "密码不能为空"),
        (["add", "bob smith", "--role", "staff"], "long enough\n", "bad user name", "用户名无效"),
        (["passwd", "nobody"], "long enough\n", "no user 'nobody'", "不存在"),
        (["remove", "nobody"], "", "no user 'nobody'", "不存在"),
    ],
)
def test_bad_input_exits_2_in_both_languages(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str,
                                             en: str, zh: str) -> None:
    assert run(monkeypatch, argv, stdin) == 2
    err = capsys.readouterr().err
    assert en in err and zh in err and "Traceback" not in err
    if argv[0] == "add" and "bob" in argv[1] and (data_dir / "users.sqlite").exists():
        assert stored(data_dir, argv[1]) is None


def test_duplicate_user_is_refused(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(monkeypatch, ["add", "ann", "--role", "staff"], "first-password\n") == 0
    assert run(monkeypatch, ["add", "ann", "--role", "admin"], "second-password\n") == 2
    err = capsys.readouterr().err
    assert "user 'ann' exists" in err and "已存在" in err
    ann = stored(data_dir, "ann")
    assert ann.role_id == "staff" and verify_password(ann.password_hash, "first-password")


def test_passwd_disable_remove(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(monkeypatch, ["add", "ann", "--role", "staff"], "first-password\n") == 0
    assert run(monkeypatch, ["passwd", "ann"], "second-password\n") == 0
    assert verify_password(stored(data_dir, "ann").password_hash, "second-password")
    assert run(monkeypatch, ["disable", "ann"]) == 0
    assert stored(data_dir, "ann").active is False
    assert run(monkeypatch, ["enable", "ann"]) == 0
    assert stored(data_dir, "ann").active is True
    assert run(monkeypatch, ["remove", "ann"]) == 0
    assert stored(data_dir, "ann") is None


def test_terminal_asks_twice(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["typed-password", "typo-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", Tty(""))
    assert user_main(["add", "ann", "--role", "staff"]) == 2
    assert "两次输入的密码不一致" in capsys.readouterr().err
    answers = iter(["typed-password", "typed-password"])
    assert user_main(["add", "ann", "--role", "staff"]) == 0
    assert verify_password(stored(data_dir, "ann").password_hash, "typed-password")


def test_usage_errors_return_2(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(monkeypatch, []) == 2
    assert run(monkeypatch, ["add", "ann"]) == 2  # --role missing


def test_user_names_match_the_api() -> None:
    from bridge.api.routes_users import USERNAME as API_USERNAME

    assert USERNAME == API_USERNAME
