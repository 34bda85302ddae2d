"""Deploy a site with zero downtime: fetch the commit once, build a new release beside the live
one, run the site's deploy script in it as the site user, make it live by renaming a symlink,
and keep it live only if it passes the health check; otherwise the release that was live is
live again, put back by the script itself on the server."""

from __future__ import annotations

import hashlib

from brokeforge.lib.templates import render
from brokeforge.packages.base import Step
from brokeforge.packages.services.sites.deploy.milestones import DeploymentInstallerMilestones as M
from brokeforge.packages.services.sites.deploy.release import ReleaseInstaller
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.packages.services.sites.git.access import access_steps
from brokeforge.sites.models import Deployment


class DeploymentInstaller(ReleaseInstaller):
    def milestones(self) -> type[M]:
        return M

    def commands(self, site: DeploySite, settings: DeploySettings, deployment: Deployment) -> list[Step]:
        assert self.site is not None
        return [
            self.track(M.CHECK_ACCESS),
            *access_steps(self, self.site),
            self.track(M.BUILD_AND_ACTIVATE),
            self.run_script(site, deploy_script(site, settings, deployment)),
            self.track(M.READ_LIVE_RELEASE),
            self.read_live_state(site, deployment),
            self.track(M.COMPLETE),
        ]


def deploy_script(site: DeploySite, settings: DeploySettings, deployment: Deployment) -> str:
    """The whole script a deployment runs on the server, as the site user."""
    return render(
        "sites/deploy/deploy.sh.j2",
        site=site,
        health=settings.health,
        deployment_id=deployment.pk,
        release=deployment.release,
        requested_commit=deployment.requested_commit,
        shared=settings.shared,
        keep_releases=settings.keep_releases,
        # The commit and the live release are known on the server; the script sets them there.
        variables=site.variables(
            release=deployment.release,
            deployment_id=str(deployment.pk),
            trigger=deployment.trigger,
            commit="",
            previous_release="",
        ),
        script=settings.script,
        script_end=heredoc_end(settings.script),
    )


def heredoc_end(script: str) -> str:
    """A here-document delimiter the script cannot hold: named after the script's own hash."""
    return f"BROKEFORGE_SCRIPT_END_{hashlib.sha256(script.encode()).hexdigest()[:16]}"
