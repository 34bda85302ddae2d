from typing import ClassVar

from brokeforge.lib.enums import ProvisionStatus, SiteStatus
from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.packages.services.sites.site.remover import SiteRemover


class SiteInstallerJob(SitePackageJob):
    site_statuses: ClassVar[dict[ProvisionStatus, SiteStatus]] = {
        ProvisionStatus.INSTALLING: SiteStatus.INSTALLING,
        ProvisionStatus.COMPLETED: SiteStatus.ACTIVE,
        ProvisionStatus.FAILED: SiteStatus.FAILED,
    }

    def label(self) -> str:
        assert self.site is not None
        return f"Create site {self.site.domain}"

    def run(self) -> None:
        assert self.site is not None
        SiteInstaller(self.server, self.site).execute()


class SiteRemoverJob(SitePackageJob):
    # Once removed, the site's row is gone: there is no status left to set.
    site_statuses: ClassVar[dict[ProvisionStatus, SiteStatus]] = {
        ProvisionStatus.INSTALLING: SiteStatus.REMOVING,
        ProvisionStatus.FAILED: SiteStatus.FAILED,
    }

    def label(self) -> str:
        assert self.site is not None
        return f"Delete site {self.site.domain}"

    def run(self) -> None:
        assert self.site is not None
        SiteRemover(self.server, self.site).execute()
