"""Can the site fetch its repository? `git ls-remote` as the site user, with the site's git
environment, and what its answer means for the user: access granted (the branch's head), the
branch missing, or the git host refusing the deploy key (not added yet), with what to do next."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum

from brokeforge.packages.services.sites.git.access import GitAccess, environment_prefix
from brokeforge.ssh import CommandResult

TIMEOUT_SECONDS = 60
# How many branch names a "no such branch" message lists.
LISTED_BRANCHES = 10
_HEADS = "refs/heads/"
# What git and the common hosts print when the key has no access, or the repository is not there
# (hosts say "not found" for a repository the key may not see, so the two cannot be told apart).
_REFUSED = (
    "permission denied",
    "repository not found",
    "could not be found",
    "forbidden",
    "does not appear to be a git repository",
    "access denied",
    "could not read username",
    "terminal prompts disabled",
    "authentication failed",
)


class AccessStatus(StrEnum):
    GRANTED = "granted"
    BRANCH_MISSING = "branch_missing"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class RemoteAccess:
    status: AccessStatus
    message: str
    commit: str = ""  # the branch's head, when granted
    branches: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        return self.status == AccessStatus.GRANTED


def ls_remote_script(access: GitAccess) -> str:
    """Every branch of the remote (the panel looks for the site's among them)."""
    url = shlex.quote(access.repository.url)
    return f"{environment_prefix(access.home)} git ls-remote --heads -- {url}"


def judge_access(access: GitAccess, result: CommandResult) -> RemoteAccess:
    repository = access.repository
    if result.exit_code == 0:
        return _branch_access(repository.branch, _heads(result.stdout))
    errors = result.stderr.strip()
    if any(marker in errors.lower() for marker in _REFUSED):
        return RemoteAccess(AccessStatus.REFUSED, _refusal(access) + _detail(errors))
    return RemoteAccess(
        AccessStatus.FAILED, f"git ls-remote failed (exit code {result.exit_code})." + _detail(errors)
    )


def _heads(output: str) -> dict[str, str]:
    """{branch: commit} from `git ls-remote --heads` output."""
    heads = {}
    for line in output.splitlines():
        commit, _, ref = line.partition("\t")
        if ref.startswith(_HEADS):
            heads[ref.removeprefix(_HEADS)] = commit
    return heads


def _branch_access(branch: str, heads: dict[str, str]) -> RemoteAccess:
    names = tuple(sorted(heads))
    if branch in heads:
        commit = heads[branch]
        return RemoteAccess(
            AccessStatus.GRANTED, f"Access granted: {branch} is at {commit[:12]}.", commit, names
        )
    if not names:
        found = "The repository has no branches yet"
    else:
        more = f" and {len(names) - LISTED_BRANCHES} more" if len(names) > LISTED_BRANCHES else ""
        found = f"Its branches: {', '.join(names[:LISTED_BRANCHES])}{more}"
    return RemoteAccess(
        AccessStatus.BRANCH_MISSING,
        f"Access granted, but the repository has no branch {branch}. {found}. Push {branch}, or "
        "choose another branch.",
        branches=names,
    )


def _refusal(access: GitAccess) -> str:
    if access.repository.uses_ssh:
        return (
            "Access not granted yet: the git host refused the site's deploy key, or the repository "
            "does not exist. Add the deploy key to the repository as a read-only deploy key (GitHub "
            "and GitLab: the repository's settings, Deploy keys; Bitbucket: Access keys), then "
            "check the repository again."
        )
    return (
        "The git host asks for credentials: over HTTPS only public repositories can be fetched. "
        "Use the repository's SSH URL, with the site's deploy key, for a private one."
    )


def _detail(errors: str) -> str:
    tail = errors[-500:]
    return f" The git host said: {tail}" if tail else ""
