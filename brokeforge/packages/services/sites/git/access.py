"""How git on the server reaches a site's repository: the site's own deploy key and the pinned host
keys, written as the site user under its home, and the environment every git command of the site
runs with, so that git never trusts a host key it was not given and never prompts.

The deployment package builds on two names here (its contract):

    git_environment(home) -> dict[str, str]
        GIT_SSH_COMMAND (the deploy key only, the pinned known_hosts only, strict host key
        checking, batch mode) and GIT_TERMINAL_PROMPT=0. It covers submodules too: git runs every
        ssh of a clone, a fetch and `git submodule update` through GIT_SSH_COMMAND, so a submodule
        on the same host is reached with the same key and the same pinned host key.
    access_steps(manager, site) -> list[Step]
        The steps that (re)write the deploy key (0600, through stdin) and the pinned known_hosts
        for the site user, and check that the git host still presents its pinned key: a changed
        key fails the job, naming the pinned and the presented fingerprints (a host met for the
        first time is pinned then, as when the repository is set). A deployment runs them first:
        a site's code may have changed the files since.
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field, replace
from enum import StrEnum

from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageManager, Step
from brokeforge.packages.base.command import NOT_SITE_USERS, linux_user
from brokeforge.packages.base.shell import write_file
from brokeforge.packages.services.sites.git.host_keys import (
    SCAN_TYPES,
    HostKey,
    HostKeyChanged,
    judge,
    known_hosts_lines,
    parse_known_hosts,
    parse_scan,
    pin_source,
    pinned_keys,
    preferred,
    with_pin,
)
from brokeforge.packages.services.sites.git.repository import Repository
from brokeforge.sites.models import Site
from brokeforge.ssh import CommandResult

log = logging.getLogger(__name__)

DEPLOY_KEY_NAME = "brokeforge_deploy_key"
KNOWN_HOSTS_NAME = "brokeforge_known_hosts"
SCAN_TIMEOUT_SECONDS = 10
_HOME_RE = re.compile(r"/home/(?P<user>[^/]+)")


def ssh_dir(home: str) -> str:
    """The site user's ~/.ssh; `home` must be a site user's home, /home/<user>."""
    match = _HOME_RE.fullmatch(home)
    if match is None:
        raise ValueError(f"A site user's home is /home/<user>, not {home!r}.")
    if linux_user(match["user"]) in NOT_SITE_USERS:
        raise ValueError(f"{home} is not a site user's home.")
    return f"{home}/.ssh"


def deploy_key_path(home: str) -> str:
    return f"{ssh_dir(home)}/{DEPLOY_KEY_NAME}"


def known_hosts_path(home: str) -> str:
    return f"{ssh_dir(home)}/{KNOWN_HOSTS_NAME}"


def git_environment(home: str) -> dict[str, str]:
    """The environment of every git command run for the site whose user's home is `home`."""
    ssh = [
        "ssh",
        # Neither the site user's ~/.ssh/config (the site's code can write it) nor the system's
        # may add an identity, a host alias or a known_hosts file.
        "-F", "/dev/null",
        "-i", deploy_key_path(home),
        "-o", "IdentitiesOnly=yes",
        "-o", f"UserKnownHostsFile={known_hosts_path(home)}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=20",
    ]  # fmt: skip
    return {"GIT_SSH_COMMAND": shlex.join(ssh), "GIT_TERMINAL_PROMPT": "0"}


def environment_prefix(home: str) -> str:
    """git_environment() as assignments to put before a command on a shell line."""
    return " ".join(f"{name}={shlex.quote(value)}" for name, value in git_environment(home).items())


def access_steps(manager: PackageManager, site: Site) -> list[Step]:
    """Write the site's deploy key and pinned known_hosts as its user, and check the git host
    still presents its pinned key (a changed key fails, naming both fingerprints)."""
    access = GitAccess.of(site)
    return [*deploy_key_steps(manager, access), *HostKeyGate(manager, site, access).steps()]


@dataclass(frozen=True)
class GitAccess:
    """What git on the server needs of a site: who runs it, what it fetches, with which key, and
    the host keys the site pinned itself (Site.git_known_hosts)."""

    user: str
    repository: Repository
    deploy_key: str = field(repr=False)  # the private half, decrypted
    pins: tuple[HostKey, ...] = ()

    @classmethod
    def of(cls, site: Site) -> GitAccess:
        if not site.deploy_key_private:
            raise ValueError(f"{site.domain} has no deploy key yet; set its repository first.")
        return cls(
            user=linux_user(site.system_user),
            repository=Repository.of(site),
            deploy_key=site.deploy_key_private,
            pins=tuple(parse_known_hosts(site.git_known_hosts)),
        )

    @property
    def home(self) -> str:
        return f"/home/{self.user}"


def deploy_key_steps(manager: PackageManager, access: GitAccess) -> list[Step]:
    """The deploy key, written as the site user, 0600 from the start; it travels on stdin only
    and is masked in everything the job stores."""
    manager.secret(access.deploy_key)
    return [
        Command(f"install -d -m 0700 {shlex.quote(ssh_dir(access.home))}", site_user=access.user),
        replace(write_file(deploy_key_path(access.home), access.deploy_key, "0600"), site_user=access.user),
    ]


class HostKeySource(StrEnum):
    """Why the panel trusts the key a host presented."""

    SHIPPED = "shipped"  # the panel ships it (GitHub, GitLab, Bitbucket)
    PINNED = "pinned"  # pinned for the site earlier
    PINNED_NOW = "pinned_now"  # first contact: pinned now, for the user to compare
    ACCEPTED = "accepted"  # a user accepted it, by its fingerprint


class HostKeyUnavailable(RuntimeError):
    """The git host presented no key the panel pins: unreachable from the server, or no SSH there."""


class HostKeyGate:
    """Scans the git host's keys from the site's server, holds them against the pins (pinning at
    first contact, or the key a user accepts), and writes the pinned known_hosts for the site user.

    ssh-keyscan only reads keys here: what it prints never goes into a known_hosts file, only the
    keys the panel compared and pinned do, and git itself then runs with StrictHostKeyChecking=yes
    against that file."""

    def __init__(self, manager: PackageManager, site: Site, access: GitAccess, accept: str = "") -> None:
        self.manager, self.site, self.access, self.accept = manager, site, access, accept
        self.pins = list(access.pins)
        self.presented: list[HostKey] = []
        self.scan_errors = ""
        # The key the host was found to present, and why it is trusted (after check()).
        self.trusted: HostKey | None = None
        self.source: HostKeySource | None = None

    @property
    def host(self) -> str:
        return self.access.repository.known_hosts_name

    def steps(self) -> list[Step]:
        steps: list[Step] = []
        if self.access.repository.uses_ssh:  # an HTTPS remote is checked by its certificate
            steps += [
                Command(
                    self.scan_script(),
                    site_user=self.access.user,
                    timeout=SCAN_TIMEOUT_SECONDS * 3 + 10,  # one connection per key type, at worst
                    check=False,  # no key at all is reported by check(), with the reason
                    on_result=self.keep_scan,
                ),
                self.manager.panel(self.check_description(), self.check),
            ]
        path = known_hosts_path(self.access.home)
        return [*steps, self.manager.panel(f"Write the pinned host keys to {path}", self.write_known_hosts)]

    def scan_script(self) -> str:
        repository = self.access.repository
        return (
            f"ssh-keyscan -T {SCAN_TIMEOUT_SECONDS} -p {repository.port} -t {SCAN_TYPES} "
            f"-- {shlex.quote(repository.host)}"
        )

    def check_description(self) -> str:
        if self.accept:
            return (
                f"Accept the host key {self.accept} for {self.host}, as asked, if it is the one it presents"
            )
        return f"Check the host key {self.host} presents against the pinned one"

    def keep_scan(self, result: CommandResult) -> None:
        self.presented = parse_scan(result.stdout, self.host)
        self.scan_errors = result.stderr

    def check(self) -> None:
        if not self.presented:
            detail = self.scan_errors.strip()[-500:] or "no answer"
            raise HostKeyUnavailable(
                f"{self.host} presented no SSH host key to the server ({detail}). Check the "
                f"repository URL, and that the server reaches {self.access.repository.host} on "
                f"port {self.access.repository.port}."
            )
        if self.accept:
            self._accept()
            return
        pinned = pinned_keys(self.host, self.pins)
        if not pinned:
            self._pin(preferred(self.presented), HostKeySource.PINNED_NOW)
            return
        verdict = judge(pinned, self.presented)
        if not verdict.matches:
            raise HostKeyChanged(self.host, verdict.pinned.fingerprint, verdict.presented.fingerprint)
        self.trusted, self.source = verdict.presented, HostKeySource(pin_source(self.host, self.pins))

    def _accept(self) -> None:
        chosen = [key for key in self.presented if key.fingerprint == self.accept]
        if not chosen:
            offered = ", ".join(key.fingerprint for key in self.presented)
            raise ValueError(
                f"{self.host} presents {offered}, not {self.accept}: nothing was accepted. Compare "
                "the key it presents now before accepting it."
            )
        previous = pinned_keys(self.host, self.pins)
        self._pin(chosen[0], HostKeySource.ACCEPTED)
        log.warning(
            "Site %s: host key %s of %s accepted by a user (pinned before: %s)",
            self.site.domain,
            self.accept,
            self.host,
            ", ".join(key.fingerprint for key in previous) or "none",
        )

    def _pin(self, key: HostKey, source: HostKeySource) -> None:
        self.pins = with_pin(self.pins, key)
        text = "".join(f"{pin.line}\n" for pin in self.pins)
        Site.objects.filter(pk=self.site.pk).update(git_known_hosts=text)
        self.site.git_known_hosts = text
        self.trusted, self.source = key, source

    def write_known_hosts(self) -> None:
        # A command run from a panel step: what the file holds is known only once check() ran,
        # which may have pinned a key just now.
        content = render(
            "sites/git/known_hosts.j2", user=self.access.user, lines=known_hosts_lines(self.pins)
        )
        path = known_hosts_path(self.access.home)
        self.manager.run_command(replace(write_file(path, content, "0644"), site_user=self.access.user))
