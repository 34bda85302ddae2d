"""The file explorer: browse, read and edit a site's files as the site's own user, inside the
site's directory only.

Reads run at once (jobs/direct.py): they change nothing, so they never wait behind a deployment
in the server's queue. A write is a job, journalled, after the same checks have passed.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from brokeforge.actions import ActionError, jobs
from brokeforge.actions.sites import direct_reads
from brokeforge.jobs.direct import DirectRunner
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName
from brokeforge.packages import registry
from brokeforge.packages.services.sites.explorer.confine import Refused, check_path
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.packages.services.sites.explorer.jobs import sealed
from brokeforge.packages.services.sites.explorer.listing import BadOutput, FileContent, Listing
from brokeforge.sites.models import Site


def reading(site: Site) -> AbstractContextManager[DirectRunner]:
    """Direct reads on the site's server; a refused path or unreadable output is an ActionError."""
    return direct_reads(site, Refused, BadOutput)


def list_directory(site: Site, path: str = ".") -> Listing:
    with reading(site):
        return SiteFileExplorer(site.server, site).listing(path)


def read_file(site: Site, path: str) -> FileContent:
    with reading(site):
        return SiteFileExplorer(site.server, site).read(path)


def write_file(site: Site, path: str, content: str | bytes, user: Any = None) -> Job:
    """Queue the job that writes `content` to `path` as the site user. Refused at once, with
    nothing queued, unless the path is inside the site and the file there (if any) is text the
    site user may write."""
    try:
        check_path(path)
        contents = sealed(content)
    except Refused as exc:
        raise ActionError(str(exc)) from None
    with reading(site):
        SiteFileExplorer(site.server, site).check_writable(path)
    job_class = registry.service(PackageName.SITE_FILES).installer_job
    return jobs.dispatch(job_class, site, path, contents, started_by=user)
