"""Browse, read and edit the files of a site, as the site's own user, inside its directory only.

Reads (`listing`, `read`, `check_writable`) change nothing: actions run them at once through a
direct runner (jobs/direct.py), never behind a deployment in the queue. A write is a job
(SiteFileExplorerJob), journalled like every change to a server. Every path is resolved and
judged on the server (confine.py): `..`, absolute paths and symlinks that lead out are refused.
"""

from __future__ import annotations

from brokeforge.lib import validators
from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.services.sites.explorer import confine
from brokeforge.packages.services.sites.explorer.confine import (
    MAX_FILE_BYTES,
    Refusal,
    check_content,
    check_path,
    judge,
    refusal,
)
from brokeforge.packages.services.sites.explorer.listing import (
    ENTRY_FIELDS,
    MAX_ENTRIES,
    FileContent,
    Listing,
)
from brokeforge.packages.services.sites.explorer.milestones import SiteFileExplorerMilestones as M
from brokeforge.ssh import CommandResult

# Seconds a read may take: a listing or a file of at most 1 MiB.
READ_TIMEOUT = 60


def list_script(base: str, path: str) -> str:
    return confine.script(
        "sites/explorer/list.sh.j2", base, path=path, max_entries=MAX_ENTRIES, fields=ENTRY_FIELDS
    )


def read_script(base: str, path: str) -> str:
    return confine.script("sites/explorer/read.sh.j2", base, path=path)


def check_script(base: str, path: str) -> str:
    return confine.script("sites/explorer/check.sh.j2", base, path=path)


def write_script(base: str, path: str) -> str:
    return confine.script("sites/explorer/write.sh.j2", base, path=path)


class SiteFileExplorer(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE_FILES

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    @property
    def base(self) -> str:
        """The site's directory: every path is judged against it. The domain is checked again,
        since the path reaches a shell and must mean the site's own directory."""
        assert self.site is not None
        validators.domain(self.site.domain)
        return self.site.path

    def _read(self, script: str) -> Command:
        assert self.site is not None
        return Command(script, site_user=self.site.system_user, check=False, timeout=READ_TIMEOUT)

    # -- reads ---------------------------------------------------------------------------------

    def list_command(self, path: str) -> Command:
        return self._read(list_script(self.base, check_path(path)))

    def read_command(self, path: str) -> Command:
        return self._read(read_script(self.base, check_path(path)))

    def check_command(self, path: str) -> Command:
        return self._read(check_script(self.base, check_path(path)))

    def listing(self, path: str = ".") -> Listing:
        """The directory at `path`: its entries, directories first."""
        return Listing.parse(self._run(self.list_command(path), path).stdout)

    def read(self, path: str) -> FileContent:
        """The file at `path`, up to MAX_FILE_BYTES; larger files are refused."""
        content = FileContent.parse(self._run(self.read_command(path), path).stdout)
        if len(content.data) > MAX_FILE_BYTES:  # it grew while it was read
            raise refusal(Refusal.TOO_LARGE, path, self.base, len(content.data))
        return content

    def check_writable(self, path: str) -> None:
        """Refused unless the site user may write a text file at `path`."""
        self._run(self.check_command(path), path)

    def _run(self, command: Command, path: str) -> CommandResult:
        """A read through the runner (a direct read, or a job's step), judged."""
        return judge(self.run_command(command), path, self.base)

    # -- the write, a job ----------------------------------------------------------------------

    def execute(self, path: str, content: str) -> None:
        check_path(path)
        self._result: CommandResult | None = None
        self.install(self.commands(path, check_content(content)))

    def commands(self, path: str, content: str) -> list[Step]:
        assert self.site is not None
        return [
            self.track(M.WRITE_FILE),
            Command(
                write_script(self.base, path),
                site_user=self.site.system_user,
                stdin=content,
                check=False,  # a refusal's exit code is turned into its message below
                on_result=self._keep,
            ),
            self.panel("Check the file was written", lambda: self._check(path)),
            self.track(M.COMPLETE),
        ]

    def _keep(self, result: CommandResult) -> None:
        self._result = result

    def _check(self, path: str) -> None:
        assert self._result is not None
        judge(self._result, path, self.base)
