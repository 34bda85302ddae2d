import json
from typing import Any, ClassVar

from brokeforge.lib.enums import ProvisionStatus, SiteStatus
from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.packages.services.sites.site.remover import SiteRemover
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.packages.services.sites.site.updater import SiteUpdater
from brokeforge.sites.models import Site


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


class SiteUpdaterJob(SitePackageJob):
    """Its argument is the settings to change, a JSON object (see SiteSpec.updated)."""

    def __init__(self, site: Site, changes: str) -> None:
        super().__init__(site, changes)
        self.changes = site_changes(changes)
        SiteSpec.of(site).updated(self.changes)  # refused here, before it is queued

    def label(self) -> str:
        assert self.site is not None
        return f"Update the settings of {self.site.domain}: {', '.join(self.changes)}"

    def run(self) -> None:
        assert self.site is not None
        SiteUpdater(self.server, self.site).execute(self.changes)


def site_changes(changes: str) -> dict[str, Any]:
    value = json.loads(changes)
    if not isinstance(value, dict):
        raise ValueError(f"Site changes must be a JSON object, got {changes!r}.")
    return value
