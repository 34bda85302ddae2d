"""`brokeforge sites repo`: a site's git repository, its deploy key and the git host's pinned key."""

from __future__ import annotations

import sys
from typing import Any

import click

from brokeforge.actions import ActionError
from brokeforge.actions.sites import git as git_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site, sites
from brokeforge.cli.watch import watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.sites.models import Site

# With --wait: the job ran, but the site cannot fetch its branch yet (the deploy key is not on the
# git host, or the branch does not exist); the message says which and what to do.
EXIT_NOT_FETCHABLE = 3


@sites.command("repo")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--url", help="git@host:owner/repo.git, ssh://git@host:port/path.git, or https:// (public).")
@click.option("--branch", help="The branch to deploy (default: the current one, else main).")
@click.option(
    "--accept-host-key",
    "fingerprint",
    metavar="FINGERPRINT",
    help="Accept the git host's new key (SHA256:...), after comparing it with the one it publishes.",
)
@click.option("--show", is_flag=True, help="Only print the repository, its deploy key and pinned host key.")
@click.option(
    "--wait", is_flag=True, help="Follow the job; exit 1 if it fails, 3 if the site cannot fetch yet."
)
@click.option("--json", "as_json", is_flag=True, help="Print the repository (and the job) as JSON.")
@needs_database
def repo(
    site_id: int,
    url: str | None,
    branch: str | None,
    fingerprint: str | None,
    show: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """Set a site's repository (it gets its own deploy key), or check the site can fetch it.

    Without --url or --branch the current repository is checked again: do that once the deploy
    key printed here is on the git host, read-only. A git host whose key changed is refused until
    its new key is accepted with --accept-host-key.
    """
    site = get_site(site_id)
    if show:
        _print_state(site, None, as_json)
        return
    if fingerprint is not None and (url is not None or branch is not None):
        raise click.UsageError("--accept-host-key checks the current repository: give it alone.")
    try:
        if fingerprint is not None:
            job = git_actions.accept_host_key(site, site.server.owner, fingerprint)
        else:
            job = git_actions.set_repository(site, site.server.owner, url, branch)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    if wait:
        job = queue.wait(job) if as_json else watch_job(job)
        site.refresh_from_db()
    _print_state(site, job, as_json)
    if wait:
        sys.exit(_exit_code(job))


def _print_state(site: Site, job: Job | None, as_json: bool) -> None:
    state = git_actions.repository_state(site)
    details: dict[str, Any] = state.as_dict()
    if job is not None:
        details |= {"job_id": job.pk, "job": job_dict(job)}
    if as_json:
        output.print_json(details)
        return
    out = output.console()
    where = f"{details['repository_url'] or '(none yet)'}, branch {details['branch'] or '-'}"
    out.print(output.text(f"Repository of {site.domain} (#{site.pk}): {where}"), soft_wrap=True)
    if site.deploy_key_public:
        out.print("Deploy key, to add to the repository as a read-only deploy key:")
        out.print(output.printable(site.deploy_key_public), soft_wrap=True)
    if details["git_host"]:
        pinned = details["host_key_fingerprint"] or "not pinned yet (at the first check)"
        status = f" ({details['host_key_status']})" if details["host_key_status"] else ""
        out.print(output.text(f"Host key of {details['git_host']}: {pinned}{status}"), soft_wrap=True)
    if job is not None:
        out.print(output.text(f"Job #{job.pk} {job.label}: ", output.status_text(job.status)))
    message = (job.result or {}).get("message") if job is not None else details["message"]
    if message:
        out.print(output.printable(message))
    elif job is not None and job.error:
        out.print(output.text(("error: ", "red"), job.error))


def _exit_code(job: Job) -> int:
    if job.status != JobStatus.SUCCEEDED:
        return 1
    return 0 if (job.result or {}).get("access") == "granted" else EXIT_NOT_FETCHABLE
