"""What a user can do to sites: add one to a server, change its settings, delete it, run a command
in it as the site user."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs import queue
from brokeforge.jobs.direct import DirectRunner, NotConnected, direct
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import PackageName, PackageStatus, PackageType, SiteRedirect, SiteStatus, SiteType
from brokeforge.packages import registry
from brokeforge.packages.services.sites.command.installer import check_request
from brokeforge.packages.services.sites.site.spec import SiteSpec, check_names_free
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import SshError


def installed_php_versions(server: Server) -> list[str]:
    """The PHP versions the panel has installed on the server: a PHP site runs on one of them."""
    rows = server.packages.filter(
        package_type=PackageType.PHP, package_name=PackageName.PHP, status=PackageStatus.INSTALLED
    )
    return sorted(rows.values_list("instance", flat=True))


def add_site(
    server: Server,
    user: Any,
    domain: str,
    site_type: str = SiteType.PHP,
    aliases: Iterable[str] = (),
    web_directory: str | None = None,
    php_version: str | None = None,
    proxy_port: int | str | None = None,
    redirect: str = SiteRedirect.NONE,
) -> tuple[Site, Job]:
    """Record a site and queue the job that creates it on its server; nothing changes on bad input.

    A PHP site without a version gets the server's own, if it is installed."""
    if site_type in (SiteType.PHP, SiteType.LARAVEL) and not php_version:
        php_version = server.php_version
    try:
        spec = SiteSpec.validated(
            domain, site_type, aliases, web_directory, php_version, proxy_port, redirect
        )
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    _check_server_can_serve(server, spec)
    # The server's row is locked while the names are compared and the site recorded, so two
    # sites added at once cannot both claim a name.
    with transaction.atomic():
        Server.objects.select_for_update().filter(pk=server.pk).first()
        _check_names_free(server, spec)
        site = Site.objects.create(server=server, **spec.model_fields())
        job_class = registry.service(PackageName.SITE).installer_job
        job = jobs.dispatch(job_class, site, started_by=user)
    return site, job


def _check_server_can_serve(server: Server, spec: SiteSpec) -> None:
    nginx = server.packages.filter(package_name=PackageName.NGINX, status=PackageStatus.INSTALLED)
    if not nginx.exists():
        raise ActionError(f"Nginx is not installed on {server.name}; provision the server first.")
    installed = installed_php_versions(server)
    if spec.php_version is not None and spec.php_version.value not in installed:
        have = ", ".join(installed) or "none"
        raise ActionError(
            f"PHP {spec.php_version.value} is not installed on {server.name} (installed: {have})."
        )


def _check_names_free(server: Server, spec: SiteSpec, exclude: Site | None = None) -> None:
    others = server.sites.exclude(pk=exclude.pk) if exclude is not None else server.sites.all()
    try:
        check_names_free(spec, others, server.name)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def update_site(site: Site, user: Any = None, **changes: Any) -> Job:
    """Queue the job that changes the site's settings (those in spec.UPDATABLE) on its server.

    `changes` holds the settings to change; one given as None stays as it is. The Site row keeps
    its values until the job has put the new ones in place (it records them as its last step),
    so the panel shows what the server serves. Nothing is queued on bad input or no change."""
    if site.status != SiteStatus.ACTIVE:
        raise ActionError(
            f"{site.domain} is {site.get_status_display().lower()}: only an active site's settings can "
            "change (retry its failed job first)."
        )
    try:
        current = SiteSpec.of(site)
        wanted = current.updated({key: value for key, value in changes.items() if value is not None})
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    difference = current.changes(wanted)
    if not difference:
        raise ActionError(f"Nothing to change: {site.domain} has these settings already.")
    _check_server_can_serve(site.server, wanted)
    with transaction.atomic():
        Server.objects.select_for_update().filter(pk=site.server_id).first()
        _check_names_free(site.server, wanted, exclude=site)
        job_class = registry.service(PackageName.SITE_UPDATE).installer_job
        return jobs.dispatch(job_class, site, json.dumps(difference), started_by=user)


def delete_site(site: Site, user: Any = None) -> Job:
    """Queue the job that takes the site off its server; its record goes once that succeeded."""
    with transaction.atomic():
        Server.objects.select_for_update().filter(pk=site.server_id).first()
        if site.jobs.filter(status__in=JobStatus.active()).exists():
            raise ActionError(f"{site.domain} has a job queued or running; wait for it to finish.")
        remover_job = registry.service(PackageName.SITE).remover_job
        assert remover_job is not None
        return jobs.dispatch(remover_job, site, started_by=user)


def server_sites(server: Server) -> QuerySet[Site]:
    return server.sites.all()


def latest_job(site: Site) -> Job | None:
    return site.jobs.order_by("-id").first()


def run_command(site: Site, command: str, timeout: int | str = 120, user: Any = None) -> Job:
    """Queue `command` to run in the site's directory as the site user; its result lands on the job."""
    try:
        seconds = int(timeout)
        check_request(command, seconds)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    job_class = registry.service(PackageName.SITE_COMMAND).installer_job
    return jobs.dispatch(job_class, site, command, seconds, started_by=user)


def command_history(site: Site) -> QuerySet[Job]:
    """The site's commands, newest first, each with its result once it ran."""
    job_class = registry.service(PackageName.SITE_COMMAND).installer_job
    return site.jobs.filter(kind=queue.job_path(job_class)).order_by("-id")


@contextmanager
def direct_reads(site: Site, *refusals: type[Exception]) -> Iterator[DirectRunner]:
    """Read-only package steps on the site's server at once, outside the queue (jobs/direct.py);
    whatever stops them (and the `refusals` a package raises) is an ActionError saying why."""
    refused: tuple[type[Exception], ...] = (NotConnected, *refusals)
    try:
        with direct(site.server) as runner:
            yield runner
    except refused as exc:
        raise ActionError(str(exc)) from None
    except SshError as exc:
        raise ActionError(f"Could not read from {site.server.name}: {exc}") from None
