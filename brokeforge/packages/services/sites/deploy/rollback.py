"""Roll a site back: make a kept release live again, under the same health check as a deployment
(a release that does not answer leaves the live one in place). No script runs: the release is
exactly as it was when it was live."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName
from brokeforge.lib.templates import render
from brokeforge.packages.base import Step
from brokeforge.packages.services.sites.deploy.milestones import RollbackInstallerMilestones as M
from brokeforge.packages.services.sites.deploy.release import ReleaseInstaller
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.sites.models import Deployment


class RollbackInstaller(ReleaseInstaller):
    def package_name(self) -> PackageName:
        return PackageName.DEPLOYMENT_ROLLBACK

    def milestones(self) -> type[M]:
        return M

    def commands(self, site: DeploySite, settings: DeploySettings, deployment: Deployment) -> list[Step]:
        script = render(
            "sites/deploy/rollback.sh.j2",
            site=site,
            health=settings.health,
            deployment_id=deployment.pk,
            release=deployment.release,
        )
        return [
            self.track(M.ACTIVATE),
            self.run_script(site, script),
            self.track(M.READ_LIVE_RELEASE),
            self.read_live_state(site, deployment),
            self.track(M.COMPLETE),
        ]
