"""The files in deploy/ agree with the code: the example environment holds real settings with
valid values, the systemd units run commands `board` has, and nginx's WebSocket read timeout is
longer than the ping interval. deploy/nginx.conf itself runs in tests/test_deploy_nginx.py."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from board.cli.main import main
from board.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def environment() -> dict[str, str]:
    """deploy/board.env's assignments (comments and blank lines left out)."""
    lines = DEPLOY.joinpath("board.env").read_text("utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_the_example_environment_holds_only_settings_with_valid_values() -> None:
    """Every BOARD_ name in deploy/board.env is a setting, and the file's values validate."""
    names = {f"BOARD_{field.upper()}" for field in Settings.model_fields}
    given = {k: v for k, v in environment().items() if k.startswith("BOARD_")}
    assert set(given) <= names, set(given) - names
    settings = Settings(**{k.removeprefix("BOARD_").lower(): v for k, v in given.items()})
    assert [str(network) for network in settings.trusted_proxies] == ["127.0.0.1/32"]


def test_nginx_waits_longer_than_the_ping_interval_on_websockets() -> None:
    """deploy/nginx.conf's proxy_read_timeout for /ws/ is above the example's ping interval and
    the default one: a viewer that sends nothing is pinged before nginx would drop it."""
    conf = DEPLOY.joinpath("nginx.conf").read_text("utf-8")
    websocket = conf[conf.index("location /ws/") :]
    timeout = int(re.search(r"proxy_read_timeout (\d+)s;", websocket).group(1))  # type: ignore[union-attr]
    interval = float(environment()["BOARD_WS_PING_INTERVAL"])
    assert timeout > interval
    assert timeout > Settings.model_fields["ws_ping_interval"].default


@pytest.mark.parametrize("unit", ["board@.service", "board-upgrade.service"])
def test_the_systemd_units_run_commands_board_has(unit: str) -> None:
    """Each ExecStart is `board` with a command and options that `board` accepts."""
    text = DEPLOY.joinpath(unit).read_text("utf-8").replace("%i", "8001")
    (command,) = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    program, *args = shlex.split(command)
    assert program.endswith("/.venv/bin/board")
    command_group: click.Command = main
    while isinstance(command_group, click.Group):  # `db upgrade`: a command within a group
        name, *args = args
        found = command_group.get_command(click.Context(command_group), name)
        assert found is not None, f"board has no command {name!r}"
        command_group = found
    command_group.make_context(command_group.name, args)  # parses the options; a bad one raises
