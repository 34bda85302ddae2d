"""SiteCommandInstaller: the command runs in the site's directory as the site user, every character kept."""

import shlex
import subprocess

import pytest

from brokeforge.packages.base import Command
from brokeforge.packages.services.sites.command.installer import check_request
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["site_command"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_command", case)) == expected("site_command")[case]


def test_the_command_reads_its_own_output_and_fails_nothing_by_itself(unsaved_server: Server) -> None:
    command = next(
        s for s in build(unsaved_server, "site_command", "artisan with quotes") if isinstance(s, Command)
    )
    assert (command.site_user, command.cwd, command.timeout, command.check) == (
        "shop",
        "/home/shop/shop.example.com",
        120,
        False,
    )
    assert not command.skippable  # its output is the result: a retry runs it again


@pytest.mark.parametrize(
    "text",
    ["echo '%s' \"$HOME\" `id` $(id) \\\\ && true | cat > /dev/null", "printf 'a\\nb'", "echo ünïcødé ✓"],
)
def test_the_users_command_reaches_the_shell_unchanged(text: str) -> None:
    """What the inner shell receives, once sudo's `bash -c` argument is unquoted, is exactly the text."""
    line = Command(text, site_user="shop", cwd="/srv/x y").remote_script()
    words = shlex.split(line)
    assert words[:11] == ["sudo", "-n", "-H", "-u", "shop", "--", "timeout", "-k", "5", "0", "bash"]
    assert words[12] == f"cd '/srv/x y' && {text}"
    inner = subprocess.run(["bash", "-n", "-c", words[12]], capture_output=True, text=True, check=False)
    assert inner.returncode == 0, inner.stderr


@pytest.mark.parametrize("command", ["", "   ", "\n"])
def test_an_empty_command_is_refused(unsaved_server: Server, command: str) -> None:
    with pytest.raises(ValueError, match="empty command"):
        check_request(command, 120)


@pytest.mark.parametrize("timeout", [0, -1, 3601])
def test_a_timeout_out_of_range_is_refused(timeout: int) -> None:
    with pytest.raises(ValueError, match="Timeout must be between 1 and 3600"):
        check_request("true", timeout)
