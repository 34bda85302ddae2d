"""SiteEnvInstaller: .env is written and undone as the site user in shared/, by scripts that are run
here for real in a scratch directory (atomic rename, mode 0600, the previous version kept, a file
changed meanwhile never overwritten); the file's values never reach a stored text, not even the
queue's copy of the job's arguments."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from brokeforge.actions import ActionError
from brokeforge.actions.sites import env as env_actions
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageStatus
from brokeforge.lib.redact import redact
from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.sites.env.installer import (
    ABSENT,
    EnvFile,
    SiteEnvInstaller,
    seal,
    unseal,
)
from brokeforge.packages.services.sites.env.jobs import SiteEnvInstallerJob
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import CommandFailed, CommandResult
from tests.unit.helpers import TableRunner, describe, expected
from tests.unit.installer_cases import CASES, ENV_FILE, PHP_SITE, PHP_SITE_ROW, PROXY_SITE, build

SECRETS = ["base64:c2VjcmV0IHNlY3JldCBzZWNyZXQ=", 'p$ss #1 \\ "x"', 'Shop "B" & Co']


@pytest.mark.parametrize("case", CASES["site_env"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "site_env", case)) == expected("site_env")[case]


def test_the_file_goes_on_stdin_to_the_site_user_in_shared(unsaved_server: Server) -> None:
    (write,) = [s for s in build(unsaved_server, "site_env", "a new file") if isinstance(s, Command)]
    assert (write.site_user, write.cwd, write.stdin) == (
        "shop_example_com",
        "/home/shop_example_com/shop.example.com/shared",
        ENV_FILE,
    )
    assert all(secret not in write.remote_script() for secret in SECRETS)


# -- the scripts, run for real ---------------------------------------------------------------


def _script(unsaved_server: Server, content: str | None, base: str | None = None) -> Command:
    installer = SiteEnvInstaller(unsaved_server, PHP_SITE_ROW)
    (command,) = [s for s in installer.commands(content, base) if isinstance(s, Command)]
    return command


def _run(directory: Path, command: Command) -> CommandResult:
    """The command's script in `directory`, its input and output as bytes (no newline translation)."""
    done = subprocess.run(
        ["sh", "-c", command.script], cwd=directory, input=(command.stdin or "").encode(), capture_output=True
    )
    return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())


def _read(unsaved_server: Server, directory: Path) -> EnvFile:
    runner = _LocalRunner(directory)
    token = current_runner.set(runner)
    try:
        return SiteEnvInstaller(unsaved_server, PHP_SITE_ROW).read()
    finally:
        current_runner.reset(token)


class _LocalRunner(TableRunner):
    """Runs each command's own script (no sudo, no cd) in a scratch directory."""

    def __init__(self, directory: Path) -> None:
        super().__init__({})
        self.directory = directory

    def command(self, server: Server, command: Command, default_credential: Any) -> CommandResult:
        result = _run(self.directory, command)
        if command.check and result.exit_code != 0:
            raise CommandFailed(command.script[:40], result.exit_code, result.stderr)
        return result


def test_write_keeps_the_previous_version_and_undo_swaps_them_back(
    unsaved_server: Server, tmp_path: Path
) -> None:
    assert _read(unsaved_server, tmp_path) == EnvFile(
        "/home/shop_example_com/shop.example.com/shared/.env", "", ABSENT, has_previous=False
    )
    first = _run(tmp_path, _script(unsaved_server, "A=1\n"))
    assert first.exit_code == 0, first.stderr
    assert (tmp_path / ".env").read_text() == "A=1\n" and not (tmp_path / ".env.previous").exists()
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600

    assert _run(tmp_path, _script(unsaved_server, ENV_FILE)).exit_code == 0
    assert (tmp_path / ".env").read_bytes() == ENV_FILE.encode()  # CRLF, quotes and all: byte for byte
    assert (tmp_path / ".env.previous").read_text() == "A=1\n"
    read = _read(unsaved_server, tmp_path)
    assert (read.content, read.has_previous) == (ENV_FILE, True)
    assert read.sha256 == hashlib.sha256(ENV_FILE.encode()).hexdigest()

    undo = _run(tmp_path, _script(unsaved_server, None))
    assert undo.exit_code == 0, undo.stderr
    assert (tmp_path / ".env").read_text() == "A=1\n"
    assert (tmp_path / ".env.previous").read_bytes() == ENV_FILE.encode()
    assert _run(tmp_path, _script(unsaved_server, None)).exit_code == 0  # undo again: the change is back
    assert (tmp_path / ".env").read_bytes() == ENV_FILE.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", ".env.previous"]  # no temporary left


def test_a_write_over_a_version_changed_meanwhile_is_refused(unsaved_server: Server, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n")
    read = _read(unsaved_server, tmp_path)
    (tmp_path / ".env").write_text("A=2\n")  # someone else's change
    refused = _run(tmp_path, _script(unsaved_server, "A=3\n", read.sha256))
    assert refused.exit_code == 1 and "changed on the server since it was read" in refused.stderr
    assert (tmp_path / ".env").read_text() == "A=2\n" and not (tmp_path / ".env.previous").exists()
    assert (
        _run(tmp_path, _script(unsaved_server, "A=3\n", _read(unsaved_server, tmp_path).sha256)).exit_code
        == 0
    )
    # Written already (a retried job): nothing to do, whatever the base says.
    again = _run(tmp_path, _script(unsaved_server, "A=3\n", read.sha256))
    assert again.exit_code == 0 and "unchanged" in again.stdout


def test_undo_without_a_previous_version_fails_saying_so(unsaved_server: Server, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n")
    undo = _run(tmp_path, _script(unsaved_server, None))
    assert undo.exit_code == 1 and "no previous version" in undo.stderr
    assert (tmp_path / ".env").read_text() == "A=1\n"


def test_a_file_too_large_is_not_read(unsaved_server: Server, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=" + "x" * 300_000)
    with pytest.raises(CommandFailed, match="up to 262144 bytes"):
        _read(unsaved_server, tmp_path)


# -- secrets ---------------------------------------------------------------------------------


class _Journal(TableRunner):
    """Succeeds at every command and keeps what a journal would store of it."""

    def __init__(self) -> None:
        super().__init__({})
        self.stored: list[str] = []

    def command(self, server: Server, command: Command, default_credential: Any) -> CommandResult:
        self.stored.append(redact(command.describe(), self.secrets))
        return CommandResult(0, f"Wrote {ENV_FILE}", "")  # as if the server echoed it back


def test_every_value_is_a_secret_of_the_job(server: Server) -> None:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    journal = _Journal()
    token = current_runner.set(journal)
    try:
        SiteEnvInstaller(server, site).execute(ENV_FILE)
    finally:
        current_runner.reset(token)
    assert set(SECRETS) | {"café $HOME=1"} <= set(journal.secrets)
    output = redact(f"Wrote {ENV_FILE}", journal.secrets)
    assert not any(secret in output for secret in SECRETS)
    row = site.packages.get()
    assert (row.status, row.configuration["variables"]) == (
        PackageStatus.INSTALLED,
        ["APP_NAME", "APP_KEY", "DB_PASSWORD", "MAIL_FROM"],
    )


def test_the_queue_keeps_the_new_file_encrypted(server: Server) -> None:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    job = env_actions.write_env(site, ENV_FILE, server.owner, base="ab" * 32)
    stored = json.dumps(Job.objects.get(pk=job.pk).arguments)
    assert not any(secret in stored or json.dumps(secret)[1:-1] in stored for secret in SECRETS)
    assert "APP_KEY" not in stored and job.label == "Write the environment file of shop.example.com"
    assert unseal(Job.objects.get(pk=job.pk).arguments[1]) == (ENV_FILE, "ab" * 32)


def test_a_token_from_a_dropped_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="key the panel no longer has"):
        unseal(seal("A=1", None)[:-8] + "AAAAAAA=")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [(("delete", ""), "Unknown environment operation"), (("write", ""), "takes the new file"),
     (("undo", "x"), "takes the new file")],
)  # fmt: skip
def test_the_job_refuses_what_it_cannot_do(server: Server, arguments: tuple[str, str], error: str) -> None:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    with pytest.raises(ValueError, match=error):
        SiteEnvInstallerJob(site, *arguments)


# -- the actions -----------------------------------------------------------------------------


def test_a_file_laravel_cannot_read_is_refused_for_php_sites_only(server: Server) -> None:
    php = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    proxy = Site.objects.create(server=server, **PROXY_SITE.model_fields(), status="active")
    with pytest.raises(ActionError, match="Not written: Line 2: unexpected text after a value"):
        env_actions.write_env(php, "A=1\nGREETING=hello world\n")
    assert env_actions.write_env(proxy, "A=1\nGREETING=hello world\n")  # Node's dotenv reads it
    with pytest.raises(ActionError, match="NUL"):
        env_actions.write_env(proxy, "A=\0")
    assert Job.objects.count() == 1


def test_variables_are_set_over_the_version_read(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    site = Site.objects.create(server=server, **PHP_SITE.model_fields(), status="active")
    now = EnvFile(site.path + "/shared/.env", "# mine\nA=1\nB=2\n", "f" * 64, has_previous=False)
    monkeypatch.setattr(env_actions, "read_env", lambda _site: now)
    with pytest.raises(ActionError, match="changed on the server since it was read"):
        env_actions.set_variables(site, {"A": "x"}, base="e" * 64)
    with pytest.raises(ActionError, match="Nothing to change"):
        env_actions.set_variables(site, {"A": "1", "Z": None})
    with pytest.raises(ActionError, match="Invalid variable name"):
        env_actions.set_variables(site, {"1A": "x"})
    job = env_actions.set_variables(site, {"A": "1", "B": None, "C": "it's $5"}, base="f" * 64)
    assert unseal(job.arguments[1]) == ('# mine\nA=1\nC="it\'s \\$5"\n', "f" * 64)
