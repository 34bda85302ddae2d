"""The dry run of a deployment: fetch the branch, resolve the commit that would go out, list the
commits between the live release and it, and show the deploy script exactly as it would run,
its variables filled in. Nothing that is served changes (the site's git mirror is brought up
to date, as a deployment would)."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.deploy.milestones import DeploymentPreviewMilestones as M
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.packages.services.sites.git.access import access_steps
from brokeforge.ssh import CommandResult

MAX_COMMITS = 100
_PREFIX = "brokeforge-preview "


@dataclass
class Preview:
    commit: str = ""
    live_commit: str = ""
    live_release: str = ""
    # Newest first: {"sha", "author", "subject"}; at most MAX_COMMITS.
    commits: list[dict[str, str]] = field(default_factory=list)
    script: str = ""

    @classmethod
    def parse(cls, output: str) -> Preview:
        """Read the preview script's own lines; the git output around them is only shown."""
        preview = cls()
        for line in output.splitlines():
            if not line.startswith(_PREFIX):
                continue
            kind, _, value = line.removeprefix(_PREFIX).partition(" ")
            if kind == "log":
                sha, author, subject = [*value.split("\t", 2), "", ""][:3]
                preview.commits.append({"sha": sha, "author": author, "subject": subject})
            elif kind in ("commit", "live"):
                setattr(preview, "commit" if kind == "commit" else "live_commit", value)
            elif kind == "previous":
                preview.live_release = value.removeprefix("releases/")
        return preview


class DeploymentPreview(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.DEPLOYMENT_PREVIEW

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, requested_commit: str = "") -> Preview:
        assert self.site is not None
        self.preview = Preview()
        site, settings = DeploySite.of(self.site), DeploySettings.of(self.site)
        self.install(self.commands(site, settings, requested_commit))
        return self.preview

    def commands(self, site: DeploySite, settings: DeploySettings, requested_commit: str) -> list[Step]:
        assert self.site is not None
        script = render(
            "sites/deploy/preview.sh.j2",
            site=site,
            health=settings.health,
            requested_commit=requested_commit,
            max_commits=MAX_COMMITS,
        )
        return [
            self.track(M.CHECK_ACCESS),
            *access_steps(self, self.site),
            self.track(M.FETCH),
            Command(
                f"bash -c {shlex.quote(script)}",
                site_user=site.user,
                on_result=lambda result: self._keep(result, site, settings),
            ),
            self.panel("Record the preview", lambda: runner().record_result(asdict(self.preview))),
            self.track(M.COMPLETE),
        ]

    def _keep(self, result: CommandResult, site: DeploySite, settings: DeploySettings) -> None:
        self.preview = Preview.parse(result.stdout)
        self.preview.script = filled_script(site, settings, self.preview)


def filled_script(site: DeploySite, settings: DeploySettings, preview: Preview) -> str:
    """The deploy script as the next deployment would run it: its variables, then the script."""
    variables = site.variables(
        release="(the new release)",
        deployment_id="(the next deployment)",
        trigger="manual",
        commit=preview.commit,
        previous_release=f"releases/{preview.live_release}" if preview.live_release else "",
    )
    return render("sites/deploy/variables.sh.j2", variables=variables) + settings.script
