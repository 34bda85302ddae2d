"""GitRepositoryInstaller: the exact steps (data/git_repository.json), what they promise (the deploy
key on stdin only, as the site user, masked; git confined to the key and the pinned hosts), and
what the job makes of the server's answers: first contact pinned, a changed key refused with
both fingerprints, an accepted key pinned only if the host presents it, access and branch."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import asyncssh
import pytest

from brokeforge.lib.enums import CredentialType
from brokeforge.lib.redact import Secrets
from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import current_runner
from brokeforge.packages.services.sites.git.access import (
    GitAccess,
    HostKeyUnavailable,
    access_steps,
    git_environment,
)
from brokeforge.packages.services.sites.git.host_keys import HostKey, HostKeyChanged
from brokeforge.packages.services.sites.git.installer import GitRepositoryInstaller
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import CommandFailed, CommandResult
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, FAKE_DEPLOY_KEY, LARAVEL_GIT_SITE, build

GIT_HOST = "10.0.0.5"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
DENIED = "git@10.0.0.5: Permission denied (publickey).\r\nfatal: Could not read from remote repository."


@pytest.mark.parametrize("case", CASES["git_repository"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "git_repository", case)) == expected("git_repository")[case]


def test_the_deploy_key_travels_on_stdin_only_as_the_site_user_and_is_a_job_secret(
    unsaved_server: Server,
) -> None:
    site = Site(server=unsaved_server, **_fields(LARAVEL_GIT_SITE))
    installer = GitRepositoryInstaller(unsaved_server, site)
    commands = [step for step in installer.commands(GitAccess.of(site)) if isinstance(step, Command)]
    assert all("PRIVATE KEY" not in command.describe() for command in commands)
    (write,) = [command for command in commands if command.stdin == FAKE_DEPLOY_KEY]
    assert write.site_user == "example_com"
    assert write.script.startswith("umask 077 && cat > ") and "chmod 0600" in write.script
    assert all(command.site_user == "example_com" for command in commands)
    assert FAKE_DEPLOY_KEY in installer.secrets


def test_git_runs_with_the_deploy_key_and_the_pinned_hosts_only() -> None:
    environment = git_environment("/home/shop")
    assert environment["GIT_TERMINAL_PROMPT"] == "0"
    words = shlex.split(environment["GIT_SSH_COMMAND"])
    assert words[:5] == ["ssh", "-F", "/dev/null", "-i", "/home/shop/.ssh/brokeforge_deploy_key"]
    options = {words[i + 1] for i, word in enumerate(words) if word == "-o"}
    assert {
        "IdentitiesOnly=yes",
        "UserKnownHostsFile=/home/shop/.ssh/brokeforge_known_hosts",
        "GlobalKnownHostsFile=/dev/null",
        "StrictHostKeyChecking=yes",
        "BatchMode=yes",
    } <= options


@pytest.mark.parametrize(
    "home",
    ["/root", "/home/root", "/home/brokeforge", "/home/shop/..", "/home/shop x", "/home/-x", "/srv/shop"],
)
def test_git_environment_is_only_for_a_site_users_home(home: str) -> None:
    with pytest.raises(ValueError):
        git_environment(home)


# -- the job against a server's answers --------------------------------------------------------


class FakeServer:
    """A Runner answering commands by what their line contains; every other command succeeds."""

    job_id: int | None = None

    def __init__(self, answers: dict[str, CommandResult]) -> None:
        self.answers = answers
        self.secrets = Secrets()
        self.commands: list[Command] = []
        self.panel_steps: list[str] = []
        self.results: list[dict[str, Any]] = []

    def section(self, name: str) -> AbstractContextManager[None]:
        return nullcontext()

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        self.commands.append(command)
        line = command.remote_script()
        result = next((r for marker, r in self.answers.items() if marker in line), CommandResult(0, "", ""))
        if command.check and result.exit_code != 0:
            raise CommandFailed(line, result.exit_code, result.stderr)
        return result

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        self.panel_steps.append(description)
        action()

    def record_result(self, result: dict[str, Any]) -> None:
        self.results.append(result)

    def written(self, path_end: str) -> str:
        tmp = f"{path_end}.brokeforge-tmp"
        (write,) = [c for c in self.commands if c.stdin is not None and tmp in c.script]
        assert write.stdin is not None
        return write.stdin


def host_key() -> HostKey:
    public = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()
    return HostKey(GIT_HOST, public[0], public[1])


def scan(*keys: HostKey) -> CommandResult:
    return CommandResult(0, "".join(f"{k.line}\n" for k in keys), f"# {GIT_HOST}:22 SSH-2.0-OpenSSH_9.2p1\n")


def ls_remote(
    exit_code: int = 0, stdout: str = f"{COMMIT}\trefs/heads/main\n", stderr: str = ""
) -> CommandResult:
    return CommandResult(exit_code, stdout, stderr)


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(
        server=server,
        domain="shop.example.com",
        system_user="shop_example_com",
        repository_url=f"git@{GIT_HOST}:app.git",
        branch="main",
        deploy_key_public="ssh-ed25519 AAAA brokeforge-deploy@shop.example.com",
        deploy_key_private=FAKE_DEPLOY_KEY,
    )


def run(site: Site, answers: dict[str, CommandResult], accept: str = "") -> FakeServer:
    fake = FakeServer(answers)
    token = current_runner.set(fake)
    try:
        GitRepositoryInstaller(site.server, site).execute(accept)
    finally:
        current_runner.reset(token)
    return fake


def test_first_contact_pins_the_best_key_the_host_presents(site: Site) -> None:
    ed25519, rsa_public = host_key(), asyncssh.generate_private_key("ssh-rsa").export_public_key().decode()
    rsa = HostKey(GIT_HOST, *rsa_public.split()[:2])
    fake = run(site, {"ssh-keyscan": scan(rsa, ed25519), "ls-remote": ls_remote()})
    site.refresh_from_db()
    assert site.git_known_hosts == f"{ed25519.line}\n"
    assert ed25519.line in fake.written("brokeforge_known_hosts")
    assert "github.com ssh-ed25519" in fake.written("brokeforge_known_hosts")
    (result,) = fake.results
    assert result["host_key"] == {
        "fingerprint": ed25519.fingerprint,
        "type": "ssh-ed25519",
        "status": "pinned_now",
        "presented": ed25519.fingerprint,
    }
    assert (result["access"], result["commit"]) == ("granted", COMMIT)
    assert "First contact" in result["message"] and ed25519.fingerprint in result["message"]


def test_a_changed_host_key_is_refused_naming_both_fingerprints(site: Site) -> None:
    pinned, presented = host_key(), host_key()
    site.git_known_hosts = f"{pinned.line}\n"
    site.save()
    with pytest.raises(HostKeyChanged) as refused:
        run(site, {"ssh-keyscan": scan(presented), "ls-remote": ls_remote()})
    assert pinned.fingerprint in str(refused.value) and presented.fingerprint in str(refused.value)
    site.refresh_from_db()
    assert site.git_known_hosts == f"{pinned.line}\n"  # the pin stays


def test_the_refusal_is_the_jobs_result_too(site: Site) -> None:
    pinned, presented = host_key(), host_key()
    site.git_known_hosts = f"{pinned.line}\n"
    site.save()
    fake = FakeServer({"ssh-keyscan": scan(presented)})
    token = current_runner.set(fake)
    try:
        with pytest.raises(HostKeyChanged):
            GitRepositoryInstaller(site.server, site).execute()
    finally:
        current_runner.reset(token)
    assert not any("ls-remote" in c.script for c in fake.commands)  # nothing fetched from it
    (result,) = fake.results
    assert (result["access"], result["host_key"]["fingerprint"], result["host_key"]["presented"]) == (
        "host_key_changed",
        pinned.fingerprint,
        presented.fingerprint,
    )


def test_accepting_pins_the_key_only_if_the_host_presents_it(site: Site) -> None:
    pinned, presented, other = host_key(), host_key(), host_key()
    site.git_known_hosts = f"{pinned.line}\n"
    site.save()
    with pytest.raises(ValueError, match="nothing was accepted"):
        run(site, {"ssh-keyscan": scan(presented), "ls-remote": ls_remote()}, accept=other.fingerprint)
    site.refresh_from_db()
    assert site.git_known_hosts == f"{pinned.line}\n"

    fake = run(site, {"ssh-keyscan": scan(presented), "ls-remote": ls_remote()}, accept=presented.fingerprint)
    site.refresh_from_db()
    assert site.git_known_hosts == f"{presented.line}\n"
    assert presented.line in fake.written("brokeforge_known_hosts")
    assert pinned.line not in fake.written("brokeforge_known_hosts")
    assert fake.results[0]["host_key"]["status"] == "accepted"


def test_a_host_that_presents_no_key_fails_saying_why(site: Site) -> None:
    with pytest.raises(HostKeyUnavailable, match="Connection refused"):
        run(site, {"ssh-keyscan": CommandResult(1, "", "connect (`10.0.0.5'): Connection refused\n")})


@pytest.mark.parametrize(
    ("answer", "access", "says"),
    [
        (ls_remote(128, "", DENIED), "refused", "Add the deploy key"),
        (ls_remote(128, "", "ERROR: Repository not found."), "refused", "read-only deploy key"),
        (ls_remote(0, f"{COMMIT}\trefs/heads/dev\n"), "branch_missing", "no branch main. Its branches: dev"),
        (ls_remote(0, ""), "branch_missing", "no branches yet"),
        (ls_remote(128, "", "fatal: unable to access: Could not resolve host"), "failed", "exit code 128"),
    ],
)  # fmt: skip
def test_the_job_succeeds_and_says_when_the_site_cannot_fetch_yet(
    site: Site, answer: CommandResult, access: str, says: str
) -> None:
    pinned = host_key()
    site.git_known_hosts = f"{pinned.line}\n"
    site.save()
    fake = run(site, {"ssh-keyscan": scan(pinned), "ls-remote": answer})
    (result,) = fake.results
    assert result["access"] == access and says in result["message"]
    assert result["host_key"]["status"] == "pinned"


def test_a_shipped_host_needs_no_first_contact(site: Site) -> None:
    site.repository_url = "git@github.com:owner/repo.git"
    site.save()
    ed25519 = HostKey.parse(
        "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    )
    fake = run(site, {"ssh-keyscan": CommandResult(0, f"{ed25519.line}\n", ""), "ls-remote": ls_remote()})
    site.refresh_from_db()
    assert site.git_known_hosts == ""
    assert fake.results[0]["host_key"]["status"] == "shipped"


def test_access_steps_are_what_a_deployment_runs_first(site: Site) -> None:
    """The contract the deployment package builds on: the key, the scan, the check, known_hosts;
    no milestone of its own (the deployment tracks its own)."""
    manager = GitRepositoryInstaller(site.server, site)
    steps = describe(access_steps(manager, site))
    key = "/home/shop_example_com/.ssh/brokeforge_deploy_key"
    assert [step.split("\n")[0].rsplit(" -c ", 1)[1] for step in steps[:3]] == [
        "'install -d -m 0700 /home/shop_example_com/.ssh'",
        f"'umask 077 && cat > {key}.brokeforge-tmp && chmod 0600 {key}.brokeforge-tmp && mv -f "
        f"{key}.brokeforge-tmp {key}'",
        "'ssh-keyscan -T 10 -p 22 -t ed25519,ecdsa,rsa -- 10.0.0.5'",
    ]
    assert steps[3:] == [
        "panel: Check the host key 10.0.0.5 presents against the pinned one",
        "panel: Write the pinned host keys to /home/shop_example_com/.ssh/brokeforge_known_hosts",
    ]
    assert FAKE_DEPLOY_KEY in manager.secrets


def _fields(site: Site) -> dict[str, Any]:
    names = ("domain", "system_user", "repository_url", "branch", "deploy_key_private", "git_known_hosts")
    return {name: getattr(site, name) for name in names}
