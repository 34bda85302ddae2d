"""SiteFileExplorer: the write job's steps from data, how its commands run (as the site user, the
contents on stdin, never on a command line or in the database in clear), what the panel refuses
before asking the server, and how a script's exit code becomes the user's message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from brokeforge.lib import crypto
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.sites.explorer.confine import (
    MAX_FILE_BYTES,
    Refusal,
    Refused,
    check_content,
    check_path,
    judge,
)
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.packages.services.sites.explorer.jobs import SiteFileExplorerJob, sealed
from brokeforge.servers.models import Server
from brokeforge.sites.models import ServerSitePackageEvent, Site
from brokeforge.ssh import CommandFailed, CommandResult
from tests.unit.helpers import TableRunner, describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["site_files"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_files", case)) == expected("site_files")[case]


def test_the_write_runs_as_the_site_user_with_the_contents_on_stdin(unsaved_server: Server) -> None:
    steps = build(unsaved_server, "site_files", "a new file in the release")
    [command] = [step for step in steps if isinstance(step, Command)]
    assert (command.site_user, command.stdin, command.check) == ("shop", "User-agent: *\n", False)
    assert not command.skippable  # its exit code is read: a retry runs it again
    assert "User-agent" not in command.describe()
    assert command.describe().endswith("<stdin: 14 bytes>")


def explorer(server: Server) -> SiteFileExplorer:
    return SiteFileExplorer(server, Site(server=server, domain="shop.example.com", system_user="shop"))


@pytest.mark.parametrize("make", ["list_command", "read_command", "check_command"])
def test_reads_run_as_the_site_user_and_hand_back_their_exit_code(unsaved_server: Server, make: str) -> None:
    command: Command = getattr(explorer(unsaved_server), make)("current/.env")
    assert (command.site_user, command.check, command.credential) == ("shop", False, None)
    assert command.login(CredentialType.ROOT) == CredentialType.BROKEFORGE
    assert "resolve current/.env " in command.script
    assert "base=/home/shop/shop.example.com\n" in command.script


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a\nb", "has a newline in it"),
        ("a\x00b", "cannot hold a NUL byte"),
        ("", "Give a path"),
        ("  ", "Give a path"),
        ("x" * 4097, "at most 4096 characters"),
    ],
)
def test_paths_the_panel_refuses_without_asking_the_server(
    unsaved_server: Server, path: str, message: str
) -> None:
    with pytest.raises(Refused, match=message):
        check_path(path)
    with pytest.raises(Refused, match=message):
        explorer(unsaved_server).list_command(path)


def test_a_domain_that_is_not_one_never_becomes_a_path(unsaved_server: Server) -> None:
    site = Site(server=unsaved_server, domain="../../etc", system_user="shop")
    with pytest.raises(ValueError):
        SiteFileExplorer(unsaved_server, site).list_command(".")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a\x00b", "NUL byte"),
        (b"caf\xe9", "not valid UTF-8"),
        ("\udcff", "not valid text"),
        (b"x" * (MAX_FILE_BYTES + 1), "1.0 MiB: files are edited here up to 1 MiB"),
    ],
)
def test_contents_that_are_not_text_are_refused(content: str | bytes, message: str) -> None:
    with pytest.raises(Refused, match=message):
        check_content(content)


def test_text_contents_are_kept_exactly() -> None:
    text = "a\r\nb ✓\n\n"
    assert check_content(text) == text
    assert check_content(text.encode()) == text
    assert check_content(b"x" * MAX_FILE_BYTES) == "x" * MAX_FILE_BYTES


def test_the_job_keeps_the_contents_encrypted(server: Server) -> None:
    site = Site.objects.create(server=server, domain="shop.example.com", system_user="shop")
    job = SiteFileExplorerJob(site, "shared/.env", sealed("DB_PASSWORD=hunter2\n"))
    assert "hunter2" not in repr(job.arguments)
    assert crypto.decrypt(str(job.arguments[1])) == "DB_PASSWORD=hunter2\n"
    assert job.label() == "Write 'shared/.env' on shop.example.com"
    with pytest.raises(Refused):
        SiteFileExplorerJob(site, "a\nb", sealed("x"))


def result(code: int, stdout: str = "", stderr: str = "") -> CommandResult:
    return CommandResult(code, stdout, stderr)


def test_an_exit_code_becomes_its_message_never_the_servers_text() -> None:
    with pytest.raises(Refused) as refused:
        judge(result(Refusal.OUTSIDE, stderr="<script>evil</script>"), "../../etc", "/home/shop/shop.test")
    assert str(refused.value) == "'../../etc' leads outside /home/shop/shop.test: refused."
    assert refused.value.reason == Refusal.OUTSIDE
    with pytest.raises(Refused, match=r"'big\.log' is 2\.0 MiB: only files up to 1 MiB"):
        judge(result(Refusal.TOO_LARGE, f"{2 * 1024 * 1024}\0"), "big.log", "/b")
    with pytest.raises(Refused, match="The site's directory is not a directory"):
        judge(result(Refusal.NOT_A_DIRECTORY), "", "/b")


def test_every_refusal_has_its_message() -> None:
    for reason in Refusal:
        with pytest.raises(Refused):
            judge(result(reason), "x", "/b")


def test_any_other_failure_is_a_failed_command() -> None:
    assert judge(result(0, "ok"), "x", "/b").stdout == "ok"
    with pytest.raises(CommandFailed, match="exit code 1"):
        judge(result(1, stderr="sudo: a password is required"), "x", "/b")


class ExitRunner(TableRunner):
    """Answers every command with one exit code."""

    def __init__(self, code: int) -> None:
        super().__init__({})
        self.code = code

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        self.commands.append(command.remote_script())
        return result(self.code)


@pytest.fixture
def refusing_runner() -> Iterator[ExitRunner]:
    runner = ExitRunner(Refusal.BINARY)
    token = current_runner.set(runner)
    yield runner
    current_runner.reset(token)


def test_a_refused_write_fails_with_the_reason(server: Server, refusing_runner: ExitRunner) -> None:
    site = Site.objects.create(server=server, domain="shop.example.com", system_user="shop")
    with pytest.raises(Refused, match=r"'logo\.png' is a binary file"):
        SiteFileExplorer(server, site).execute("logo.png", "text")
    failed = ServerSitePackageEvent.objects.get(status="failed")
    assert failed.milestone == "write_file" and "binary file" in failed.error_log
