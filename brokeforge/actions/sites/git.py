"""A site's git repository: set it (URL and branch; the site gets its own deploy key), check the
site can fetch it again, and accept a git host's changed key, explicitly, by its fingerprint."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import PackageName, SiteStatus
from brokeforge.packages import registry
from brokeforge.packages.base import PackageJob
from brokeforge.packages.services.sites.git.host_keys import (
    HostKey,
    checked_fingerprint,
    parse_known_hosts,
    pin_source,
    pinned_keys,
    preferred,
)
from brokeforge.packages.services.sites.git.repository import DEFAULT_BRANCH, Repository
from brokeforge.sites.models import Site
from brokeforge.ssh import generate_keypair

log = logging.getLogger(__name__)


def set_repository(site: Site, user: Any, url: str | None = None, branch: str | None = None) -> Job:
    """Record the site's repository and queue the job that sets it up on the server and checks the
    site can fetch it. Without a URL or branch, the current ones are checked again. The site gets
    its deploy key the first time; nothing changes on bad input."""
    if url is None and not site.repository_url:
        raise ActionError(f"{site.domain} has no repository yet: give its URL.")
    new_url = site.repository_url if url is None else url
    new_branch = (branch if branch is not None else site.branch) or DEFAULT_BRANCH
    try:
        repository = Repository.validated(new_url, new_branch)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    _check_site(site)
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        fields: dict[str, str] = {"repository_url": repository.url, "branch": repository.branch}
        if not locked.deploy_key_private:
            pair = generate_keypair(comment=f"brokeforge-deploy@{site.domain}")
            fields |= {"deploy_key_public": pair.public_key, "deploy_key_private": pair.private_key}
        for name, value in fields.items():
            setattr(site, name, value)
        site.save(update_fields=[*fields, "updated_at"])
        return jobs.dispatch(repository_job_class(), site, started_by=user)


def accept_host_key(site: Site, user: Any, fingerprint: str) -> Job:
    """Queue the job that pins the git host's key with this fingerprint, then checks the site can
    fetch its repository. The job pins it only if the host presents that very key: a key that
    changed again since the user compared it is refused."""
    try:
        shown = checked_fingerprint(fingerprint)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    repository = _repository(site)
    if not repository.uses_ssh:
        raise ActionError(f"{site.domain} fetches over HTTPS: there is no SSH host key to accept.")
    _check_site(site)
    who = getattr(user, "username", "") or "a user"
    log.warning(
        "%s asked to accept host key %s of %s for site %s",
        who,
        shown,
        repository.known_hosts_name,
        site.domain,
    )
    return jobs.dispatch(repository_job_class(), site, shown, started_by=user)


def repository_job_class() -> type[PackageJob]:
    return registry.service(PackageName.GIT_REPOSITORY).installer_job


def latest_repository_job(site: Site) -> Job | None:
    return site.jobs.filter(kind=queue.job_path(repository_job_class())).order_by("-id").first()


@dataclass(frozen=True)
class RepositoryState:
    """What the panel knows of a site's repository, without asking the server."""

    site: Site
    repository: Repository | None
    # The key git will hold the host to, and why: "shipped" or "pinned"; None until pinned.
    host_key: HostKey | None
    host_key_status: str
    latest_job: Job | None

    @property
    def result(self) -> dict[str, Any]:
        """What the latest repository job found (access, host key), if it got that far."""
        return (self.latest_job.result or {}) if self.latest_job else {}

    def as_dict(self) -> dict[str, Any]:
        repository = self.repository
        return {
            "site_id": self.site.pk,
            "domain": self.site.domain,
            "repository_url": self.site.repository_url or None,
            "branch": self.site.branch or None,
            "deploy_key_public": self.site.deploy_key_public or None,
            "git_host": repository.known_hosts_name if repository and repository.uses_ssh else None,
            "host_key_fingerprint": self.host_key.fingerprint if self.host_key else None,
            "host_key_status": self.host_key_status or None,
            "access": self.result.get("access"),
            "message": self.result.get("message"),
        }


def repository_state(site: Site) -> RepositoryState:
    repository = _repository(site) if site.repository_url else None
    host_key, status = None, ""
    if repository is not None and repository.uses_ssh:
        host = repository.known_hosts_name
        site_pins = parse_known_hosts(site.git_known_hosts)
        pinned = pinned_keys(host, site_pins)
        if pinned:
            host_key, status = preferred(pinned), pin_source(host, site_pins)
    return RepositoryState(site, repository, host_key, status, latest_repository_job(site))


def _repository(site: Site) -> Repository:
    try:
        return Repository.of(site)
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def _check_site(site: Site) -> None:
    if site.status == SiteStatus.REMOVING:
        raise ActionError(f"{site.domain} is being deleted.")
