"""What a user can do with a job of the journal."""

from __future__ import annotations

from typing import Any

from brokeforge.actions import ActionError
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.packages.base.job import Argument, PackageJob
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site


def dispatch(
    job_class: type[PackageJob], target: Server | Site, *arguments: Argument, started_by: Any = None
) -> Job:
    """Queue a job on a server or site; ActionError if the server was deleted meanwhile."""
    try:
        return queue.dispatch(job_class, target, *arguments, started_by=started_by)
    except queue.ServerGone as exc:
        raise ActionError(str(exc)) from None


def retry(job: Job, user: Any = None) -> Job:
    """A new attempt; it skips the commands that succeeded, when they are still the same."""
    try:
        return queue.retry(job, started_by=user)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
