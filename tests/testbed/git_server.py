"""A git host for the tests: a booted Debian server with a `git` user whose login shell is
git-shell, serving bare repositories over SSH the way a small self-hosted git server does.

    git = GitServer.start(bed)                     # or the session's `git_server` fixture
    git.create_repository("shop.git")
    sha = git.commit_php_app("shop.git", "release-1")   # public/index.php prints release-1
    site_url = git.url("shop.git")                 # git@<ip>:shop.git
    git.authorize(deploy_public_key)               # the site's deploy key may now fetch
    git.host_key_fingerprint()                     # SHA256:... of its ed25519 host key
    with git.new_host_keys():                      # new host keys while inside, the old back after
        ...

Commits are made on the git server itself, as the git user (no key of the test machine has to be
trusted anywhere); every repository on it is readable by every authorized key, as with a deploy
key per repository on a real host.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.testbed.bed import Testbed
from tests.testbed.server import BootedServer
from tests.testbed.ssh import wait_for_banner

GIT_USER = "git"
GIT_HOME = f"/home/{GIT_USER}"
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\.git")
_MARKER_RE = re.compile(r"[A-Za-z0-9 ._-]+")
_SAVED_KEYS = "/root/saved-ssh-host-keys"


class GitServer:
    def __init__(self, srv: BootedServer) -> None:
        self.srv = srv

    @classmethod
    def start(cls, bed: Testbed, hostname: str = "git-server") -> GitServer:
        """Boot the server (from the provisioned image, which has git) and create the git user."""
        server = cls(bed.boot(hostname, provisioned=True))
        try:
            server.srv.run(
                f"useradd --create-home --shell /usr/bin/git-shell {GIT_USER} && "
                f"install -d -m 0700 -o {GIT_USER} -g {GIT_USER} {GIT_HOME}/.ssh && "
                f"install -m 0600 -o {GIT_USER} -g {GIT_USER} /dev/null {GIT_HOME}/.ssh/authorized_keys"
            )
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        self.srv.stop()

    @property
    def ip(self) -> str:
        return self.srv.ip

    def url(self, repository: str) -> str:
        """The SSH URL a site uses, scp-like: git@<ip>:<repository> (relative to git's home)."""
        return f"{GIT_USER}@{self.ip}:{_checked(repository)}"

    # -- repositories ----------------------------------------------------------------------------

    def create_repository(self, repository: str, branch: str = "main") -> None:
        path = shlex.quote(f"{GIT_HOME}/{_checked(repository)}")
        self.as_git(f"git init -q --bare -b {shlex.quote(branch)} {path}")

    def commit(self, repository: str, files: dict[str, str], message: str, branch: str = "main") -> str:
        """Commit FILES ({path: content}) on top of BRANCH (created if new) and push; its SHA."""
        writes = " && ".join(
            f"mkdir -p \"$(dirname {target})\" && printf '%s' {shlex.quote(content)} > {target}"
            for target, content in ((shlex.quote(path), content) for path, content in files.items())
        )
        return self._in_work_tree(repository, branch, writes, message)

    def commit_php_app(
        self, repository: str, marker: str, branch: str = "main", path: str = "public/index.php"
    ) -> str:
        """A small PHP application whose page prints MARKER; the commit's SHA."""
        if not _MARKER_RE.fullmatch(marker):
            raise ValueError(f"A marker of letters, digits, spaces and . _ -, not {marker!r}")
        page = f"<?php\necho 'app: {marker}', PHP_EOL;\n"
        return self.commit(repository, {path: page}, f"PHP app: {marker}", branch)

    def add_submodule(self, repository: str, submodule: str, path: str, branch: str = "main") -> str:
        """Add SUBMODULE (a repository on this server) at PATH by a relative URL, as projects on one
        host do: the site resolves it against its own remote, so it is fetched from this host too."""
        add = (
            "git -c protocol.file.allow=always submodule add -q "
            f"{shlex.quote(f'../{_checked(submodule)}')} {shlex.quote(path)}"
        )
        return self._in_work_tree(repository, branch, add, f"Add {submodule} at {path}")

    def _in_work_tree(self, repository: str, branch: str, change: str, message: str) -> str:
        script = "\n".join(
            [
                "set -eu",
                'work=$(mktemp -d) && trap \'rm -rf "$work"\' EXIT && cd "$work"',
                f"git init -q -b {shlex.quote(branch)} .",
                f"git remote add origin {shlex.quote(f'{GIT_HOME}/{_checked(repository)}')}",
                f"if git fetch -q origin {shlex.quote(f'refs/heads/{branch}')} 2>/dev/null; "
                "then git reset -q --hard FETCH_HEAD; fi",
                change,
                "git add -A",
                "git -c user.name='BrokeForge tests' -c user.email=tests@example.invalid "
                f"commit -q -m {shlex.quote(message)}",
                f"git push -q origin {shlex.quote(f'HEAD:refs/heads/{branch}')}",
                "git rev-parse HEAD",
            ]
        )
        return self.as_git(script).strip()

    def as_git(self, script: str) -> str:
        """Run SCRIPT as the git user (its login shell is git-shell: runuser runs sh instead)."""
        command = f"runuser -u {GIT_USER} -- env HOME={GIT_HOME} sh -c {shlex.quote(script)}"
        return self.srv.run(command).stdout

    # -- access --------------------------------------------------------------------------------

    def authorize(self, public_key: str) -> None:
        """Let PUBLIC_KEY (a site's deploy key) fetch from this server."""
        if "\n" in public_key.strip() or not public_key.startswith("ssh-"):
            raise ValueError(f"Not one public key: {public_key!r}")
        self.srv.run(f"cat >> {GIT_HOME}/.ssh/authorized_keys", input=public_key.strip() + "\n")

    def revoke_all(self) -> None:
        self.srv.run(f"truncate -s 0 {GIT_HOME}/.ssh/authorized_keys")

    # -- host keys -----------------------------------------------------------------------------

    def host_key_fingerprint(self, key_type: str = "ed25519") -> str:
        """SHA256:... of the host key sshd serves, as ssh-keygen -l (and the panel) prints it."""
        listed = self.srv.run(f"ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_{key_type}_key.pub").stdout
        return listed.split()[1]

    @contextmanager
    def new_host_keys(self) -> Iterator[None]:
        """New SSH host keys while inside (sshd restarted); the previous ones are back after, so a
        server shared by several tests keeps the keys the others pinned."""
        self.srv.run(
            f"rm -rf {_SAVED_KEYS} && mkdir -m 0700 {_SAVED_KEYS} && cp -a /etc/ssh/ssh_host_* {_SAVED_KEYS}/"
        )
        self.srv.regenerate_host_keys()
        try:
            yield
        finally:
            restore = f"rm -f /etc/ssh/ssh_host_* && cp -a {_SAVED_KEYS}/. /etc/ssh/"
            self.srv.run(f"{restore} && systemctl restart ssh.service")
            wait_for_banner(self.srv.ip, self.srv.ssh_port, time.monotonic() + 60, lambda: None)


def _checked(repository: str) -> str:
    if not _NAME_RE.fullmatch(repository):
        raise ValueError(f"A repository name like shop.git, not {repository!r}")
    return repository
