"""What deployments and rollbacks share: the script that switches `current` runs as the site
user; then a command of its own reads where `current` points and which commit that release
holds; the panel records that, and judges the outcome from the exit code and what is live.
The panel never says a release is live that is not."""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from brokeforge.lib.enums import DeploymentStatus, PackageName, PackageType
from brokeforge.lib.redact import redact
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.servers.models import Server
from brokeforge.sites.models import Deployment, Site
from brokeforge.ssh import CommandResult

# The deploy script may run this long (dependencies, migrations, builds); the job's limit is above it.
SCRIPT_TIMEOUT_SECONDS = 1500
# What the scripts (templates/sites/deploy/*.sh.j2) exit with when they explain themselves.
EXIT_HEALTH_CHECK_FAILED = 3
_MARKER = "brokeforge: "

OnResult = Callable[[CommandResult], None]


class DeploymentFailed(Exception):
    """The release did not go live; the message says why and which release is live."""


@dataclass(frozen=True)
class LiveState:
    """What the server reports: where `current` points, and the commit of the release."""

    live_release: str
    commit: str
    message: str

    @classmethod
    def parse(cls, output: str) -> LiveState:
        fields = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
        link = fields.get("live", "")
        return cls(link.removeprefix("releases/"), fields.get("commit", ""), fields.get("message", ""))


class ScriptRun:
    """How a deployment script ended: its exit code and its last words."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.stderr = ""

    def keep(self, result: CommandResult) -> None:
        self.exit_code, self.stderr = result.exit_code, result.stderr

    def last_word(self) -> str:
        """The script's own explanation (its last `brokeforge:` line), or its last error line."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        said = [line.removeprefix(_MARKER) for line in lines if line.startswith(_MARKER)]
        return (said or lines or [""])[-1]


class ReleaseInstaller(PackageInstaller, SitePackage, ABC):
    """Base of the packages that make a release live (a deployment, a rollback)."""

    def package_name(self) -> PackageName:
        return PackageName.DEPLOYMENT

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def __init__(self, server: Server, site: Site | None = None) -> None:
        super().__init__(server, site)
        self.run = ScriptRun()

    def execute(self, deployment: Deployment) -> None:
        assert self.site is not None
        _start(deployment)
        try:
            site, settings = DeploySite.of(self.site), DeploySettings.of(self.site)
            self.install(self.commands(site, settings, deployment))
        except Exception as exc:
            _finish(deployment, DeploymentStatus.FAILED, redact(str(exc), self.secrets))
            raise

    @abstractmethod
    def commands(self, site: DeploySite, settings: DeploySettings, deployment: Deployment) -> list[Step]:
        """The steps that make `deployment.release` live, then read_live_state()."""

    def run_script(self, site: DeploySite, script: str) -> Command:
        """Run a deployment script as the site user. It travels on stdin into a private file and
        runs from there with nothing on its standard input: a command in it that reads stdin
        (ssh, a prompt) must not swallow the rest of the script."""
        tmp = shlex.quote(f"{site.tmp_dir}/deploy.XXXXXX")
        return Command(
            f'script=$(mktemp {tmp}) && cat > "$script" && {{ bash "$script" < /dev/null; status=$?; '
            'rm -f "$script"; exit $status; }',
            site_user=site.user,
            stdin=script,
            timeout=SCRIPT_TIMEOUT_SECONDS,
            check=False,  # how it ended is judged with what is live, by read_live_state
            on_result=self.run.keep,
        )

    def read_live_state(self, site: DeploySite, deployment: Deployment) -> Command:
        """Where `current` points, and the commit the release holds (`git rev-parse HEAD` there)."""
        script = render("sites/deploy/live-state.sh.j2", site=site, release=deployment.release)
        return Command(
            f"sh -c {shlex.quote(script)}",
            site_user=site.user,
            on_result=lambda result: self._judge(result, deployment),
        )

    def _judge(self, result: CommandResult, deployment: Deployment) -> None:
        assert self.site is not None
        state = LiveState.parse(result.stdout)
        outcome, reason = judge(self.run, state, deployment.release)
        _record(deployment, self.site, state)
        _finish(deployment, outcome, reason)
        if outcome != DeploymentStatus.SUCCEEDED:
            raise DeploymentFailed(reason)


def judge(run: ScriptRun, state: LiveState, release: str) -> tuple[DeploymentStatus, str]:
    """How it ended, from the script's exit code and what is live now."""
    live = f"Release {state.live_release}" if state.live_release else "No release"
    if run.exit_code == 0 and state.live_release == release:
        return DeploymentStatus.SUCCEEDED, ""
    if run.exit_code == 0:
        return DeploymentStatus.FAILED, f"The script succeeded, but {live.lower()} is live, not {release}."
    why = run.last_word() or f"the script exited with code {run.exit_code}"
    again = " again" if run.exit_code == EXIT_HEALTH_CHECK_FAILED else ""
    return DeploymentStatus.FAILED, f"{why[:1].upper()}{why[1:].rstrip('.')}. {live} is live{again}."


def _start(deployment: Deployment) -> None:
    """Running, under this job (a retried job runs the same deployment again)."""
    Deployment.objects.filter(pk=deployment.pk).update(
        status=DeploymentStatus.RUNNING, started_at=timezone.now(), finished_at=None, job_id=runner().job_id
    )


def _record(deployment: Deployment, site: Site, state: LiveState) -> None:
    """Keep what the server reported: the release's commit, and which release is live."""
    deployment.commit, deployment.commit_message = state.commit, state.message[:500]
    deployment.save(update_fields=["commit", "commit_message"])
    Site.objects.filter(pk=site.pk).update(current_release=state.live_release)


def _finish(deployment: Deployment, outcome: DeploymentStatus, reason: str) -> None:
    """End the deployment once: a cancelled one says so, whatever stopped its script."""
    cancelled = Deployment.objects.filter(pk=deployment.pk, cancel_requested_at__isnull=False).exists()
    if outcome == DeploymentStatus.FAILED and cancelled:
        outcome, reason = DeploymentStatus.CANCELLED, f"Cancelled. {reason}"
    Deployment.objects.filter(pk=deployment.pk, status__in=DeploymentStatus.active()).update(
        status=outcome, reason=reason, finished_at=timezone.now()
    )
