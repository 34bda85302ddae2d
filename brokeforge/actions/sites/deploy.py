"""Deployments of a site: deploy (a commit, or the branch head), preview what would go out, roll
back to a kept release, cancel the deployment under way, and the settings deployments use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DeploymentStatus, DeploymentTrigger, PackageName, SiteStatus, SiteType
from brokeforge.packages import registry
from brokeforge.packages.services.sites.deploy.settings import DeploySettings, HealthCheck
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.sites.models import Deployment, Site

_COMMIT_RE = re.compile(r"^[0-9a-f]{7,40}$")


def deploy(
    site: Site, user: Any = None, commit: str = "", trigger: str = DeploymentTrigger.MANUAL
) -> Deployment:
    """Queue a deployment of `commit` (or of the branch head, resolved once when it starts). A
    deployment asked for while another runs waits for it: they never interleave."""
    requested = _commit(commit)
    _check_deployable(site)
    with transaction.atomic():
        deployment = Deployment.objects.create(
            site=site, trigger=trigger, started_by=user, branch=site.branch, requested_commit=requested
        )
        return _dispatch(deployment, PackageName.DEPLOYMENT, user)


def preview(site: Site, user: Any = None, commit: str = "") -> Job:
    """Queue the dry run: the commits that would go out and the script as it would run."""
    requested = _commit(commit)
    _check_deployable(site)
    job_class = registry.service(PackageName.DEPLOYMENT_PREVIEW).installer_job
    return jobs.dispatch(job_class, site, requested, started_by=user)


def rollback(site: Site, user: Any = None, to: Deployment | None = None) -> Deployment:
    """Make a kept release live again: `to`'s, or by default the last one live before the
    current release."""
    _check_deployable(site)
    target = to or _previous_live(site)
    if target is None:
        raise ActionError(f"{site.domain} has no earlier release to roll back to.")
    if target.site_id != site.pk or target.status != DeploymentStatus.SUCCEEDED or not target.release:
        raise ActionError(
            f"Deployment #{target.pk} never went live on {site.domain}: nothing to roll back to."
        )
    if target.release == site.current_release:
        raise ActionError(f"Release {target.release} is already live on {site.domain}.")
    with transaction.atomic():
        deployment = Deployment.objects.create(
            site=site,
            trigger=DeploymentTrigger.ROLLBACK,
            started_by=user,
            branch=target.branch,
            requested_commit=target.commit,
            release=target.release,
            rollback_of=target,
        )
        return _dispatch(deployment, PackageName.DEPLOYMENT_ROLLBACK, user)


def cancel(site: Site, user: Any = None) -> Deployment:
    """Stop the site's deployment under way: a queued one never runs; a running one is stopped
    on the server, and `current` stays on (or goes back to) the release that was live."""
    deployment = site.deployments.filter(status__in=DeploymentStatus.active()).order_by("-id").first()
    if deployment is None:
        raise ActionError(f"{site.domain} has no deployment under way.")
    who = getattr(user, "username", "") or "a user"
    Deployment.objects.filter(pk=deployment.pk).update(cancel_requested_at=timezone.now())
    job = Job.objects.filter(pk=deployment.job_id).first() if deployment.job_id else None
    if job is not None:
        queue.request_stop(job, f"cancelled by {who}")
    # A deployment whose job never started has no package to record its end: it ends here.
    Deployment.objects.filter(pk=deployment.pk, status=DeploymentStatus.QUEUED).update(
        status=DeploymentStatus.CANCELLED,
        reason=f"Cancelled by {who} before it started.",
        finished_at=timezone.now(),
    )
    deployment.refresh_from_db()
    return deployment


def update_settings(
    site: Site,
    script: str | None = None,
    shared: Iterable[str] | None = None,
    keep_releases: int | str | None = None,
    health_path: str | None = None,
    health_status: int | str | None = None,
    health_timeout: int | str | None = None,
) -> Site:
    """Change how the site deploys; the next deployment uses it. None keeps a value as it is;
    an empty script or shared list goes back to the site type's default."""
    new_script = site.deploy_script if script is None else script
    new_shared = site.shared_paths if shared is None else [s.strip() for s in shared if s.strip()] or None
    try:
        health = HealthCheck.validated(
            site.health_path if health_path is None else health_path,
            site.health_status if health_status is None else health_status,
            site.health_timeout if health_timeout is None else health_timeout,
        )
        keep = site.keep_releases if keep_releases is None else keep_releases
        settings = DeploySettings.validated(SiteType(site.site_type), new_script, new_shared, keep, health)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    site.deploy_script = new_script if new_script.strip() else ""
    site.shared_paths = None if new_shared is None else [str(path) for path in settings.shared]
    site.keep_releases = settings.keep_releases
    site.health_path, site.health_status, site.health_timeout = health.path, health.status, health.timeout
    site.save()
    return site


def deployments(site: Site) -> QuerySet[Deployment]:
    return site.deployments.select_related("site", "started_by", "rollback_of")


def live_deployment(site: Site) -> Deployment | None:
    """The deployment whose release is live, as the last deployment read it from the server."""
    if not site.current_release:
        return None
    return site.deployments.filter(release=site.current_release, status=DeploymentStatus.SUCCEEDED).first()


def _dispatch(deployment: Deployment, name: PackageName, user: Any) -> Deployment:
    deployment.release = deployment.release or f"{deployment.created_at:%Y%m%d%H%M%S}-{deployment.pk}"
    job = jobs.dispatch(registry.service(name).installer_job, deployment.site, deployment.pk, started_by=user)
    deployment.job_id = job.pk
    deployment.save(update_fields=["release", "job_id"])
    return deployment


def _check_deployable(site: Site) -> None:
    if site.status != SiteStatus.ACTIVE:
        raise ActionError(f"{site.domain} is {site.status}; a site deploys once it is active.")
    try:
        DeploySite.of(site)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def _commit(value: str) -> str:
    commit = value.strip().lower()
    if commit and not _COMMIT_RE.fullmatch(commit):
        raise ActionError(f"Commit {value!r} must be a SHA: 7 to 40 hexadecimal characters.")
    return commit


def _previous_live(site: Site) -> Deployment | None:
    """The newest deployment that went live with another release than the one live now."""
    candidates = site.deployments.filter(status=DeploymentStatus.SUCCEEDED).exclude(
        release=site.current_release
    )
    return candidates.exclude(release="").order_by("-id").first()
