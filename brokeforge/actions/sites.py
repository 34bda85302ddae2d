"""What a user can do to a site: run a command in it as the site user (more comes with sites)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName
from brokeforge.packages import registry
from brokeforge.packages.services.sites.command.installer import check_request
from brokeforge.sites.models import Site


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
