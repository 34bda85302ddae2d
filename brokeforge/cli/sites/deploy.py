"""`brokeforge sites deploy|deployments|rollback|cancel|script|health`: deployments of a site."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions.sites import deploy as deploy_actions
from brokeforge.actions.sites import webhook as webhook_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict
from brokeforge.cli.main import needs_database
from brokeforge.cli.sites import get_site, sites
from brokeforge.cli.watch import watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.lib.enums import DeploymentStatus, SiteType
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import VARIABLES
from brokeforge.sites.models import Deployment, Site


def deployment_dict(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.pk,
        "site_id": deployment.site_id,
        "status": deployment.status,
        "live": deployment.is_live,
        "trigger": deployment.trigger,
        "started_by": deployment.started_by.username if deployment.started_by else None,
        "branch": deployment.branch,
        "requested_commit": deployment.requested_commit or None,
        "commit": deployment.commit or None,
        "commit_message": deployment.commit_message,
        "release": deployment.release,
        "rollback_of": deployment.rollback_of_id,
        "reason": deployment.reason,
        "job_id": deployment.job_id,
        "created_at": deployment.created_at,
        "started_at": deployment.started_at,
        "finished_at": deployment.finished_at,
        "duration_seconds": deployment.duration_seconds,
    }


def settings_dict(site: Site) -> dict[str, Any]:
    settings = DeploySettings.of(site)
    return {
        "site_id": site.pk,
        "script": settings.script,
        "default_script": not site.deploy_script.strip(),
        "variables": VARIABLES,
        "shared_paths": [str(path) for path in settings.shared],
        "keep_releases": settings.keep_releases,
        "health": asdict(settings.health),
    }


def _follow(deployment: Deployment, wait: bool, as_json: bool) -> None:
    """Print the deployment queued, or with `wait` follow its job live; exit 1 unless it went live."""
    assert deployment.job_id is not None  # the action queued its job
    job = Job.objects.get(pk=deployment.job_id)
    if wait:
        queue.wait(job) if as_json else watch_job(job)
        deployment.refresh_from_db()
        deployment.site.refresh_from_db()
    if as_json:
        output.print_json(deployment_dict(deployment))
    else:
        where = f"{deployment.site.domain} (release {deployment.release}, job #{job.pk})"
        summary = f"Deployment #{deployment.pk} of {where} "
        output.console().print(output.text(summary, output.status_text(deployment.status)))
        if deployment.reason:
            output.console().print(output.printable(deployment.reason))
    if wait and deployment.status != DeploymentStatus.SUCCEEDED:
        sys.exit(1)


def _run(action: Any, *arguments: Any) -> Any:
    try:
        return action(*arguments)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None


@sites.command("deploy")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--commit", default="", help="Deploy this commit (a SHA); default: the branch head.")
@click.option(
    "--preview", is_flag=True, help="Show what would go out and the script as it would run; deploy nothing."
)
@click.option("--wait", is_flag=True, help="Follow it live until it ends (exit 1 unless it went live).")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment (or the preview) as JSON.")
@needs_database
def deploy(site_id: int, commit: str, preview: bool, wait: bool, as_json: bool) -> None:
    """Deploy a site from its repository, with zero downtime and a health check."""
    site = get_site(site_id)
    owner = site.server.owner
    if preview:
        job = _run(deploy_actions.preview, site, owner, commit)
        job = queue.wait(job) if as_json else watch_job(job)
        _print_preview(job, as_json)
        return
    _follow(_run(deploy_actions.deploy, site, owner, commit), wait, as_json)


def _print_preview(job: Job, as_json: bool) -> None:
    if as_json:
        output.print_json({**(job.result or {}), "job": job_dict(job)})
    elif job.result:
        out = output.console()
        result = job.result
        out.print(
            f"Would deploy {result['commit']} (live: {result['live_commit'] or 'nothing deployed yet'})."
        )
        for commit in result["commits"]:
            out.print(output.printable(f"  {commit['sha'][:12]} {commit['author']}: {commit['subject']}"))
        out.print("\nThe script, as it would run in the new release:\n")
        out.print(output.printable(result["script"]), markup=False, highlight=False)
    if job.status != "succeeded":
        sys.exit(1)


@sites.command("deployments")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def deployments(site_id: int, limit: int, as_json: bool) -> None:
    """A site's deployments, newest first: who or what started each, commit, status, duration."""
    rows = list(deploy_actions.deployments(get_site(site_id))[:limit])
    if as_json:
        output.print_json([deployment_dict(row) for row in rows])
        return
    table = Table("ID", "Live", "Status", "Trigger", "By", "Commit", "Release", "Duration", "Reason")
    for row in rows:
        table.add_row(
            str(row.pk), "live" if row.is_live else "", output.status_text(row.status), row.trigger,
            row.started_by.username if row.started_by else "-",
            (row.commit or row.requested_commit or "-")[:12], row.release,
            output.seconds(row.duration_seconds), output.printable(row.reason),
        )  # fmt: skip
    output.console().print(table)


@sites.command("rollback")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option(
    "--to", "to_id", type=int, help="The deployment whose release goes live (default: the one before)."
)
@click.option("--wait", is_flag=True, help="Follow it live until it ends (exit 1 unless it went live).")
@click.option("--json", "as_json", is_flag=True, help="Print the rollback as JSON.")
@needs_database
def rollback(site_id: int, to_id: int | None, wait: bool, as_json: bool) -> None:
    """Make an earlier release live again (it must pass the health check)."""
    site = get_site(site_id)
    target = None if to_id is None else output.find(site.deployments.all(), to_id, "deployment", "--to")
    _follow(_run(deploy_actions.rollback, site, site.server.owner, target), wait, as_json)


@sites.command("cancel")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the deployment as JSON.")
@needs_database
def cancel(site_id: int, as_json: bool) -> None:
    """Cancel the deployment under way: it is stopped on the server; the live release stays."""
    site = get_site(site_id)
    deployment = _run(deploy_actions.cancel, site, site.server.owner)
    if as_json:
        output.print_json(deployment_dict(deployment))
    else:
        output.console().print(
            f"Cancelling deployment #{deployment.pk} of {site.domain} (job #{deployment.job_id})."
        )


@sites.command("script")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option(
    "--set",
    "script_file",
    type=click.File("r"),
    help="The new deploy script (- for stdin; empty: the default).",
)
@click.option(
    "--shared", help="Files and directories (with a trailing /) the releases share, comma-separated."
)
@click.option("--keep", type=int, help="How many releases to keep on the server.")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@needs_database
def script(site_id: int, script_file: Any, shared: str | None, keep: int | None, as_json: bool) -> None:
    """Show or change a site's deploy script, its shared paths and the releases kept."""
    site = get_site(site_id)
    if script_file is not None or shared is not None or keep is not None:
        new_script = None if script_file is None else script_file.read()
        paths = None if shared is None else shared.split(",")
        site = _run(deploy_actions.update_settings, site, new_script, paths, keep)
    _print_settings(site, as_json)


@sites.command("health")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--path", help="The path requested on the site, e.g. /up.")
@click.option("--status", type=int, help="The HTTP status it must answer.")
@click.option("--timeout", type=int, help="Seconds the new release has to answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@needs_database
def health(site_id: int, path: str | None, status: int | None, timeout: int | None, as_json: bool) -> None:
    """Show or change the health check a new release must pass before it stays live."""
    site = get_site(site_id)
    if (path, status, timeout) != (None, None, None):
        site = _run(lambda: deploy_actions.update_settings(
            site, health_path=path, health_status=status, health_timeout=timeout
        ))  # fmt: skip
    _print_settings(site, as_json)


def _print_settings(site: Site, as_json: bool) -> None:
    data = settings_dict(site)
    if as_json:
        output.print_json(data)
        return
    out = output.console()
    default = f" (the default for {SiteType(site.site_type).label} sites)" if data["default_script"] else ""
    out.print(f"Deploy script{default}:\n")
    out.print(output.printable(data["script"]), markup=False, highlight=False)
    out.print(
        f"Shared: {', '.join(data['shared_paths']) or 'nothing'}; releases kept: {data['keep_releases']}"
    )
    check = data["health"]
    out.print(f"Health check: GET {check['path']} answers {check['status']} within {check['timeout']}s")
    out.print("Variables:")
    for name, meaning in VARIABLES.items():
        out.print(f"  ${name}: {meaning}")


@sites.command("webhook")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--rotate", is_flag=True, help="Make a new secret; the old one stops working.")
@click.option("--json", "as_json", is_flag=True, help="Print the URL and secret as JSON.")
@needs_database
def webhook(site_id: int, rotate: bool, as_json: bool) -> None:
    """The site's push-to-deploy webhook: its URL and secret (GitHub, Gitea/Forgejo, GitLab)."""
    site = get_site(site_id)
    url, secret = webhook_actions.webhook(site, rotate)
    if as_json:
        output.print_json({"site_id": site.pk, "url": url, "secret": secret, "branch": site.branch})
        return
    out = output.console()
    out.print(f"URL: {url}\nSecret: {secret}")
    out.print(f"A signed push to {site.branch or 'the site branch'} deploys the commit pushed.")
