"""A site's environment file (shared/.env): read it at once as the site user, write it whole or
variable by variable, and undo the last change; writes and undos are jobs.

Values are secrets: whoever shows a read masks them unless the user asks to see them (`masked`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brokeforge.actions import ActionError, jobs
from brokeforge.actions.sites import direct_reads
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, SiteType
from brokeforge.lib.redact import MASK
from brokeforge.packages import registry
from brokeforge.packages.services.sites.env import dotenv
from brokeforge.packages.services.sites.env.installer import EnvFile, SiteEnvInstaller, check_content, seal
from brokeforge.packages.services.sites.env.jobs import SiteEnvInstallerJob
from brokeforge.sites.models import Site

__all__ = ["MASK", "EnvFile", "latest_change", "masked", "read_env", "set_variables", "undo_env", "write_env"]


def read_env(site: Site) -> EnvFile:
    """The file as it is on the server now (read as the site user, outside the queue)."""
    with direct_reads(site, ValueError):
        return SiteEnvInstaller(site.server, site).read()


def masked(value: str | None) -> str | None:
    """What a value shows until the user reveals it: that there is one, not what it is."""
    return value if value is None else MASK


def write_env(site: Site, content: str, user: Any = None, base: str | None = None) -> Job:
    """Queue the job that puts `content` in place as the site's .env (the current one kept for
    undo). With `base` (the SHA-256 a read reported) it is written only over that version."""
    try:
        check_content(content, SiteType(site.site_type).runs_php)
    except dotenv.DotenvError as exc:
        raise ActionError(f"Not written: {exc}") from None
    return _dispatch(site, user, SiteEnvInstallerJob.WRITE, seal(content, base))


def set_variables(
    site: Site, wanted: Mapping[str, str | None], user: Any = None, base: str | None = None
) -> Job:
    """Queue a write of the file with these variables set (None: removed), each value quoted so
    that phpdotenv reads it back exactly; every other line, and every variable that already has
    its wanted value, stays as it is. `base`: as write_env's."""
    current = read_env(site)
    if base is not None and base != current.sha256:
        raise ActionError(f"{current.path} changed on the server since it was read; nothing was written.")
    try:
        have = dotenv.values(current.content)
        changes = {name: value for name, value in wanted.items() if have.get(name) != value}
        content = dotenv.apply(current.content, changes)
    except dotenv.DotenvError as exc:
        raise ActionError(f"Not written: {exc}") from None
    if not changes:
        raise ActionError("Nothing to change: every variable has that value already.")
    return write_env(site, content, user, base=current.sha256)


def latest_change(site: Site) -> Job | None:
    """The last write or undo of the site's .env, whatever its state."""
    job_class = registry.service(PackageName.SITE_ENV).installer_job
    return site.jobs.filter(kind=queue.job_path(job_class)).order_by("-id").first()


def undo_env(site: Site, user: Any = None) -> Job:
    """Queue the job that puts the previous version back (and keeps the current one, so a second
    undo redoes the change)."""
    return _dispatch(site, user, SiteEnvInstallerJob.UNDO)


def _dispatch(site: Site, user: Any, *arguments: str) -> Job:
    job_class = registry.service(PackageName.SITE_ENV).installer_job
    return jobs.dispatch(job_class, site, *arguments, started_by=user)
