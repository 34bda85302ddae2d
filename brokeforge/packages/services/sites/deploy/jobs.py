from brokeforge.packages.base import SitePackageJob
from brokeforge.packages.services.sites.deploy.installer import DeploymentInstaller
from brokeforge.packages.services.sites.deploy.preview import DeploymentPreview
from brokeforge.packages.services.sites.deploy.rollback import RollbackInstaller
from brokeforge.sites.models import Deployment, Site


class DeploymentInstallerJob(SitePackageJob):
    def __init__(self, site: Site, deployment_id: int) -> None:
        super().__init__(site, deployment_id)
        self.deployment = Deployment.objects.get(pk=deployment_id, site=site)

    def label(self) -> str:
        assert self.site is not None
        return f"Deploy {self.site.domain} (deployment #{self.deployment.pk})"

    def run(self) -> None:
        DeploymentInstaller(self.server, self.site).execute(self.deployment)


class RollbackInstallerJob(DeploymentInstallerJob):
    def label(self) -> str:
        assert self.site is not None
        return f"Roll {self.site.domain} back to release {self.deployment.release}"

    def run(self) -> None:
        RollbackInstaller(self.server, self.site).execute(self.deployment)


class DeploymentPreviewJob(SitePackageJob):
    def __init__(self, site: Site, requested_commit: str = "") -> None:
        super().__init__(site, requested_commit)
        self.requested_commit = requested_commit

    def label(self) -> str:
        assert self.site is not None
        return f"Preview a deployment of {self.site.domain}"

    def run(self) -> None:
        DeploymentPreview(self.server, self.site).execute(self.requested_commit)
