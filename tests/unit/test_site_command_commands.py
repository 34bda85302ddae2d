"""SiteCommandInstaller: the command runs in the site's live release as the site user, every character
kept, stopped on the server once its timeout passes; what it did is handed back either way."""

import shlex
import subprocess

import pytest

from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.sites.command.installer import SiteCommandInstaller, check_request
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import CommandFailed, CommandResult
from tests.unit.helpers import TableRunner, describe, expected
from tests.unit.installer_cases import CASES, PHP_SITE, PHP_SITE_ROW, build


@pytest.mark.parametrize("case", CASES["site_command"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_command", case)) == expected("site_command")[case]


def test_the_command_reads_its_own_output_and_fails_nothing_by_itself(unsaved_server: Server) -> None:
    command = next(
        s for s in build(unsaved_server, "site_command", "artisan with quotes") if isinstance(s, Command)
    )
    assert (command.site_user, command.cwd, command.timeout, command.check) == (
        "shop_example_com",
        "/home/shop_example_com/shop.example.com/current",  # the live release, whichever it is
        135,  # the server stops it at 120 s; the panel waits a little longer for what it printed
        False,
    )
    assert not command.skippable  # its output is the result: a retry runs it again


def test_the_time_limit_is_kept_on_the_server_around_the_users_command_unchanged(
    unsaved_server: Server,
) -> None:
    text = "php artisan tinker --execute='echo \"$x\";' | tee out.txt"
    installer = SiteCommandInstaller(unsaved_server, PHP_SITE_ROW)
    command = next(s for s in installer.commands(text, 30) if isinstance(s, Command))
    inner = shlex.split(shlex.split(command.remote_script())[12])
    assert inner[:4] == ["cd", "/home/shop_example_com/shop.example.com/current", "&&", "timeout"]
    assert inner[4:] == ["-k", "5", "30", "bash", "-c", text]


class _Answers(TableRunner):
    """Answers the command with one result, whatever it is."""

    def __init__(self, result: CommandResult) -> None:
        super().__init__({})
        self.result = result

    def command(self, server: Server, command: Command, default_credential: object) -> CommandResult:
        return self.result


@pytest.mark.parametrize(
    ("exit_code", "duration_ms", "timed_out"),
    [(0, 50, False), (3, 50, False), (124, 30_010, True), (137, 35_000, True), (124, 200, False)],
)
def test_the_result_says_how_the_command_ended(
    server: Server, exit_code: int, duration_ms: int, timed_out: bool
) -> None:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    runner = _Answers(CommandResult(exit_code, "out\n", "err\n", 1_700_000_000.0, duration_ms))
    token = current_runner.set(runner)
    try:
        installer = SiteCommandInstaller(server, site)
        if exit_code == 0:
            installer.execute("sleep 40", 30)
        else:
            with pytest.raises(CommandFailed, match="stopped on the server" if timed_out else "exit code"):
                installer.execute("sleep 40", 30)
    finally:
        current_runner.reset(token)
    (result,) = runner.results
    assert (result["output"], result["error_output"], result["exit_code"]) == ("out\n", "err\n", exit_code)
    assert (result["duration_ms"], result["timeout"], result["timed_out"]) == (duration_ms, 30, timed_out)
    assert result["ran_at"] == "2023-11-14T22:13:20+00:00"


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
