"""Set a site's repository on its server: the deploy key and the pinned host keys for the site user,
the git host's key checked against its pin (pinned at first contact, or accepted by the user),
then whether the site can fetch the branch.

A git host that refuses the key (the user has not added it yet) or has no such branch is not a
failure of the job: its result says so, and what to do. A changed host key is: nothing is
fetched from a host that presents another key than the pinned one."""

from __future__ import annotations

from typing import Any

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.git.access import (
    GitAccess,
    HostKeyGate,
    HostKeySource,
    deploy_key_steps,
)
from brokeforge.packages.services.sites.git.host_keys import HostKeyChanged
from brokeforge.packages.services.sites.git.milestones import GitRepositoryInstallerMilestones as M
from brokeforge.packages.services.sites.git.remote import (
    TIMEOUT_SECONDS,
    RemoteAccess,
    judge_access,
    ls_remote_script,
)
from brokeforge.ssh import CommandResult

CHANGED = "host_key_changed"


class GitRepositoryInstaller(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.GIT_REPOSITORY

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, accept_fingerprint: str = "") -> None:
        """`accept_fingerprint`: the host key the user accepts in place of the pinned one."""
        assert self.site is not None
        access = GitAccess.of(self.site)
        try:
            self.install(self.commands(access, accept_fingerprint), instance="")
        except HostKeyChanged as changed:
            runner().record_result(changed_result(access, changed))
            raise

    def commands(self, access: GitAccess, accept_fingerprint: str = "") -> list[Step]:
        assert self.site is not None
        gate = HostKeyGate(self, self.site, access, accept_fingerprint)
        remote: list[RemoteAccess] = []

        def judge(result: CommandResult) -> None:
            remote.append(judge_access(access, result))

        return [
            self.track(M.WRITE_DEPLOY_KEY),
            *deploy_key_steps(self, access),
            self.track(M.PIN_HOST_KEY),
            *gate.steps(),
            self.track(M.CHECK_ACCESS),
            Command(
                ls_remote_script(access),
                site_user=access.user,
                cwd=access.home,
                timeout=TIMEOUT_SECONDS,
                check=False,  # a refusal is the result to report, not a failure
                on_result=judge,
            ),
            self.panel(
                "Record whether the site can fetch its repository",
                lambda: runner().record_result(access_result(access, gate, remote[-1])),
            ),
            self.persist("", {"repository_url": access.repository.url, "branch": access.repository.branch}),
            self.track(M.COMPLETE),
        ]


def access_result(access: GitAccess, gate: HostKeyGate, remote: RemoteAccess) -> dict[str, Any]:
    """What the job hands back: the repository, the host key trusted and why, the access."""
    host_key = None
    message = remote.message
    if gate.trusted is not None and gate.source is not None:
        host_key = {
            "fingerprint": gate.trusted.fingerprint,
            "type": gate.trusted.key_type,
            "status": gate.source.value,
            "presented": gate.trusted.fingerprint,
        }
        message += _host_key_note(gate.host, gate.trusted.fingerprint, gate.source)
    return {
        **_repository(access),
        "host_key": host_key,
        "access": remote.status.value,
        "commit": remote.commit,
        "branches": list(remote.branches),
        "message": message,
    }


def changed_result(access: GitAccess, changed: HostKeyChanged) -> dict[str, Any]:
    return {
        **_repository(access),
        "host_key": {"fingerprint": changed.pinned, "status": CHANGED, "presented": changed.presented},
        "access": CHANGED,
        "commit": "",
        "branches": [],
        "message": str(changed),
    }


def _repository(access: GitAccess) -> dict[str, Any]:
    repository = access.repository
    return {
        "repository_url": repository.url,
        "branch": repository.branch,
        "host": repository.known_hosts_name if repository.uses_ssh else None,
    }


def _host_key_note(host: str, fingerprint: str, source: HostKeySource) -> str:
    if source == HostKeySource.PINNED_NOW:
        return (
            f" First contact with {host}: its host key {fingerprint} is pinned now; compare it with "
            "the fingerprint your git host publishes."
        )
    if source == HostKeySource.ACCEPTED:
        return f" The host key {fingerprint} of {host} was accepted and is pinned now."
    return ""
