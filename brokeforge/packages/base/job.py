"""PackageJob: the seeds' thin job wrapper (rules 2 and 4).

A job logs, sets the server's provision status if it is the provisioning job, creates one
installer or remover, calls execute(), and re-raises. Nothing else: no SSH, no database records,
no milestones. Arguments are plain JSON values so the queue can store them; one job handles one
instance (one rule, one version), so a job is retried on its own.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from django.utils import timezone

from brokeforge.lib.enums import ProvisionStatus, SiteStatus
from brokeforge.packages.base.runner import runner
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

log = logging.getLogger(__name__)

Argument = str | int | bool | None


class PackageJob:
    # Seconds one run may take before it is failed as hung.
    timeout: ClassVar[int] = 1800
    # Only the job that provisions a whole server moves the server's provision_status.
    marks_provision_status: ClassVar[bool] = False

    def __init__(self, server: Server, *arguments: Argument) -> None:
        self.server = server
        self.site: Site | None = None
        self.arguments: list[Argument] = list(arguments)

    @classmethod
    def target(cls, server: Server | None, site: Site | None) -> Server | Site | None:
        """What a queued job's first argument is, from its journal row: here, the server."""
        return server

    def label(self) -> str:
        """What the journal and the UI call this job; override to say more."""
        return f"{type(self).__name__.removesuffix('Job')} on {self.server.name}"

    def run(self) -> None:
        """Create the installer/remover and call execute(): the one line each job writes."""
        raise NotImplementedError

    def handle(self) -> None:
        log.info("Starting %s for server #%s", type(self).__name__, self.server.pk)
        try:
            self._mark(ProvisionStatus.INSTALLING)
            self.run()
            self._mark(ProvisionStatus.COMPLETED)
        except Exception:
            self._mark(ProvisionStatus.FAILED)
            log.exception("%s failed for server #%s", type(self).__name__, self.server.pk)
            raise
        log.info("%s completed for server #%s", type(self).__name__, self.server.pk)

    def _mark(self, status: ProvisionStatus) -> None:
        if self.marks_provision_status:
            self.server.provision_status = status
            self.server.save(update_fields=["provision_status", "updated_at"])

    @classmethod
    def dispatch_sync(cls, target: Server | Site, *arguments: Argument) -> None:
        """Run as a dependency inside the current job: same connection, same lock, same journal."""
        job = cls(target, *arguments)  # type: ignore[arg-type]  # a SitePackageJob takes a site
        with runner().section(type(job).__name__):
            job.handle()


class SitePackageJob(PackageJob):
    """A job that works on one site: constructed with the site, it runs on the site's server."""

    # The site's status while the job runs, once it succeeded, once it failed (as provisioning
    # moves a server's): only for the jobs that create or delete the site itself.
    site_statuses: ClassVar[dict[ProvisionStatus, SiteStatus]] = {}

    def __init__(self, site: Site, *arguments: Argument) -> None:
        super().__init__(site.server, *arguments)
        self.site = site

    @classmethod
    def target(cls, server: Server | None, site: Site | None) -> Server | Site | None:
        return site

    def _mark(self, status: ProvisionStatus) -> None:
        super()._mark(status)
        if self.site is not None and status in self.site_statuses:
            self.site.status = self.site_statuses[status]
            # update(), not save(): a remover that succeeded has deleted the row.
            Site.objects.filter(pk=self.site.pk).update(status=self.site.status, updated_at=timezone.now())

    def label(self) -> str:
        assert self.site is not None
        return f"{type(self).__name__.removesuffix('Job')} on {self.site.domain}"
