"""A site's environment file, `shared/.env` (linked into every release by deployments).

Read as the site user, at once (a direct read, jobs/direct.py); written or undone as the site
user through a job. A write sends the file on stdin and renames it into place with mode 0600,
keeping the version it replaces as `.env.previous`; an undo swaps the two back. Every value in
the file is one of the job's secrets, so no text the job stores shows it; the new file travels
to the job encrypted (seal), since the queue keeps a job's arguments.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography.fernet import InvalidToken

from brokeforge.lib import crypto
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.services.sites.env import dotenv
from brokeforge.packages.services.sites.env.milestones import SiteEnvInstallerMilestones as M
from brokeforge.packages.services.sites.site.spec import SiteSpec

PREVIOUS = ".env.previous"
MODE = "0600"
# The largest file the panel reads or writes: an environment file, not a data store.
MAX_BYTES = 256 * 1024
# Stands for "no file" where a file's SHA-256 is expected.
ABSENT = "none"
_HEADER = "brokeforge-env"


@dataclass(frozen=True)
class EnvFile:
    """The file as a read found it."""

    path: str
    content: str
    # SHA-256 of its bytes on the server, or ABSENT: a write made from this read checks it.
    sha256: str
    has_previous: bool

    @property
    def exists(self) -> bool:
        return self.sha256 != ABSENT

    @cached_property
    def variables(self) -> list[dotenv.Variable]:
        """Its variables as phpdotenv reads them; DotenvError for a file it would refuse."""
        return dotenv.parse(self.content)

    @classmethod
    def from_output(cls, path: str, output: str) -> EnvFile:
        header, _newline, content = output.partition("\n")
        words = header.split()
        if len(words) != 3 or words[0] != _HEADER:
            raise ValueError(f"Unexpected answer from the server while reading {path}: {header[:200]!r}")
        return cls(path=path, content=content, sha256=words[2], has_previous=words[1] == "1")


def check_content(content: str, php: bool) -> str:
    """A file the panel writes: text of a sane size that, for a site running PHP, phpdotenv reads."""
    dotenv.check_text(content)
    size = len(content.encode())
    if size > MAX_BYTES:
        raise dotenv.DotenvError(f"The file is {size} bytes; environment files are at most {MAX_BYTES}.")
    if php:
        dotenv.parse(content)  # its error says which line Laravel would fail on
    return content


def seal(content: str, base: str | None) -> str:
    """The new file (and the SHA-256 of the version it was edited from) as an opaque token."""
    return crypto.encrypt(json.dumps({"content": content, "base": base}))


def unseal(token: str) -> tuple[str, str | None]:
    try:
        data = json.loads(crypto.decrypt(token))
    except InvalidToken:
        raise ValueError(
            "The new environment file was encrypted under a key the panel no longer has; set it again."
        ) from None
    return data["content"], data["base"]


class SiteEnvInstaller(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE_ENV

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, content: str, base: str | None = None) -> None:
        """Write `content` as the site's .env; with `base`, only over the version of that SHA-256."""
        spec = self._spec()
        check_content(content, spec.site_type.runs_php)
        for value in dotenv.secret_values(content):
            self.secret(value)
        self.install(self.commands(content, base), instance="")

    def undo(self) -> None:
        """Go back to the version the last write (or undo) replaced."""
        self.install(self.commands(None), instance="")

    def read(self) -> EnvFile:
        """The file now. Read-only: run it in a direct read (jobs/direct.py), outside the queue."""
        script = render("sites/env/read.sh.j2", previous=PREVIOUS, max_bytes=MAX_BYTES, absent=ABSENT)
        result = self.run_command(self._as_site_user(script, reads_output=True))
        return EnvFile.from_output(self._spec().env_file, result.stdout)

    def commands(self, content: str | None, base: str | None = None) -> list[Step]:
        """Put `content` in place (only over the version `base`, if given), or with None, the
        previous version back."""
        spec = self._spec()
        record: dict[str, Any] = {"path": spec.env_file}
        if content is None:
            # The names the file now sets are on the server only: the record says where it is.
            step = self._as_site_user(render("sites/env/undo.sh.j2", previous=PREVIOUS))
        else:
            script = render(
                "sites/env/write.sh.j2", previous=PREVIOUS, mode=MODE, base=base or "", absent=ABSENT
            )
            step = self._as_site_user(script, stdin=content)
            record["variables"] = _names(content)
        return [self.track(M.WRITE), step, self.persist("", record), self.track(M.COMPLETE)]

    def _spec(self) -> SiteSpec:
        assert self.site is not None
        return SiteSpec.of(self.site)

    def _as_site_user(self, script: str, stdin: str | None = None, reads_output: bool = False) -> Command:
        """The script in its own shell (its `set -e` and `exit` stay inside), in shared/."""
        spec = self._spec()
        return Command(
            f"sh -c {shlex.quote(script)}",
            site_user=spec.user,
            cwd=spec.shared_dir,
            stdin=stdin,
            reads_output=reads_output,
        )


def _names(content: str) -> list[str]:
    """The names the file sets (not secret), for the inventory; [] for a file phpdotenv refuses."""
    try:
        return list(dotenv.values(content))
    except dotenv.DotenvError:
        return []
