from typing import ClassVar

from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.env.installer import SiteEnvInstaller, unseal
from brokeforge.sites.models import Site


class SiteEnvInstallerJob(SitePackageJob):
    """Writes a site's .env (`write`, with the new file sealed: installer.seal) or goes back to
    the previous version (`undo`)."""

    WRITE, UNDO = "write", "undo"
    labels: ClassVar[dict[str, str]] = {
        WRITE: "Write the environment file of {}",
        UNDO: "Undo the last environment change of {}",
    }

    def __init__(self, site: Site, operation: str, sealed: str = "") -> None:
        super().__init__(site, operation, sealed)
        if operation not in self.labels:
            raise ValueError(f"Unknown environment operation {operation!r}.")
        if (operation == self.WRITE) != bool(sealed):
            raise ValueError("A write takes the new file; an undo takes nothing.")
        self.operation, self.sealed = operation, sealed

    def label(self) -> str:
        assert self.site is not None
        return self.labels[self.operation].format(self.site.domain)

    def run(self) -> None:
        assert self.site is not None
        installer = SiteEnvInstaller(self.server, self.site)
        if self.operation == self.UNDO:
            installer.undo()
        else:
            installer.execute(*unseal(self.sealed))
