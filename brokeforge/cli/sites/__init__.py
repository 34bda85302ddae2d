"""`brokeforge sites ...`: add, list, show and delete sites; commands run in a site as its own
Linux user, and the site's jobs."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions import sites as site_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict, print_result, report_job
from brokeforge.cli.main import needs_database
from brokeforge.cli.servers import get_server
from brokeforge.cli.watch import watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib.enums import SiteRedirect, SiteType
from brokeforge.sites.models import Site


def site_dict(site: Site) -> dict[str, Any]:
    return {
        "id": site.pk,
        "server_id": site.server_id,
        "domain": site.domain,
        "aliases": site.aliases,
        "type": site.site_type,
        "user": site.system_user,
        "path": site.path,
        "web_directory": site.web_directory,
        "php_version": site.php_version or None,
        "proxy_port": site.proxy_port,
        "redirect": site.redirect,
        "force_https": site.force_https,
        "hsts_max_age": site.hsts_max_age,
        "status": site.status,
        "created_at": site.created_at,
    }


def get_site(site_id: int) -> Site:
    return output.find(Site.objects.select_related("server__owner"), site_id, "site", "SITE_ID")


@click.group()
def sites() -> None:
    """The sites on your servers."""


@sites.command("add")
@click.argument("server_id", metavar="SERVER_ID", type=int)
@click.option("--domain", required=True, help="The site's domain, e.g. shop.example.com.")
@click.option("--aliases", default="", help="More names, comma-separated.")
@click.option("--type", "site_type", type=click.Choice(SiteType.values), default=SiteType.PHP.value)
@click.option("--php", "php_version", help="PHP version (PHP and Laravel sites; default: the server's).")
@click.option("--web-dir", "web_directory", help="Served directory inside the site (default: public).")
@click.option("--proxy-port", help="The local port a proxy site passes requests to.")
@click.option("--redirect", type=click.Choice(SiteRedirect.values), default=SiteRedirect.NONE.value)
@click.option("--wait", is_flag=True, help="Follow the job until the site is ready (exit 1 if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the site and its job as JSON.")
@needs_database
def add(
    server_id: int,
    domain: str,
    aliases: str,
    site_type: str,
    php_version: str | None,
    web_directory: str | None,
    proxy_port: str | None,
    redirect: str,
    wait: bool,
    as_json: bool,
) -> None:
    """Add a site to a server: its own Linux user, PHP-FPM pool (PHP sites) and Nginx vhost."""
    server = get_server(server_id)
    try:
        site, job = site_actions.add_site(
            server, server.owner, domain, site_type, aliases.split(","), web_directory, php_version,
            proxy_port, redirect,
        )  # fmt: skip
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_site_job(site, job, wait, as_json, f"user {site.system_user}, {site.path}; job #{job.pk}")


def report_site_job(site: Site, job: Job, wait: bool, as_json: bool, summary: str) -> None:
    """The site and the job that works on it; with `wait`, once the job ended (exit 1 unless it
    succeeded), the site as the job left it."""
    if wait:
        job = queue.wait(job) if as_json else watch_job(job)
        site.refresh_from_db()
    if as_json:
        output.print_json({**site_dict(site), "job_id": job.pk, "job": job_dict(job)})
    else:
        line = f"Site #{site.pk} {site.domain}: {summary} "
        output.console().print(output.text(line, output.status_text(job.status)))
    if wait and job.status != JobStatus.SUCCEEDED:
        sys.exit(1)


@sites.command("list")
@click.argument("server_id", metavar="SERVER_ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def list_sites(server_id: int, as_json: bool) -> None:
    """The sites of a server."""
    rows = list(site_actions.server_sites(get_server(server_id)))
    if as_json:
        output.print_json([site_dict(site) for site in rows])
        return
    table = Table("ID", "Domain", "Type", "User", "PHP", "Status")
    for site in rows:
        table.add_row(
            str(site.pk), site.domain, site.site_type, site.system_user, site.php_version or "-",
            output.status_text(site.status),
        )  # fmt: skip
    output.console().print(table)


@sites.command("show")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def show(site_id: int, as_json: bool) -> None:
    """A site's fields and its latest job."""
    site = get_site(site_id)
    latest = site_actions.latest_job(site)
    details = {**site_dict(site), "latest_job": job_dict(latest) if latest else None}
    if as_json:
        output.print_json(details)
        return
    out = output.console()
    out.print(output.text((f"#{site.pk} {site.domain}", "bold"), " ", output.status_text(site.status)))
    for key in (
        "type", "aliases", "user", "path", "web_directory", "php_version", "proxy_port", "redirect",
        "force_https", "hsts_max_age",
    ):  # fmt: skip
        out.print(f"{key}: {details[key]}")
    if latest is not None:
        out.print(
            output.text(f"latest job: #{latest.pk} {latest.label}: ", output.status_text(latest.status))
        )


@sites.command("update")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--aliases", help='The site\'s other names, comma-separated ("" for none).')
@click.option("--web-dir", "web_directory", help='Served directory in the release ("": the release).')
@click.option("--php", "php_version", help="A PHP version installed on the server (PHP and Laravel sites).")
@click.option("--proxy-port", help="The local port a proxy site passes requests to.")
@click.option("--redirect", type=click.Choice(SiteRedirect.values))
@click.option(
    "--force-https",
    type=click.Choice(["on", "off"]),
    help="Redirect plain HTTP to HTTPS (needs a certificate).",
)
@click.option("--hsts", "hsts_max_age", type=int, help="HSTS max-age in seconds on HTTPS answers (0: off).")
# Asked for, they get the action's answer (they cannot change) rather than "no such option".
@click.option("--domain", hidden=True)
@click.option("--type", "site_type", hidden=True)
@click.option("--wait", is_flag=True, help="Follow the job until it ends (exit 1 if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the site and its job as JSON.")
@needs_database
def update(site_id: int, aliases: str | None, wait: bool, as_json: bool, **changes: str | int | None) -> None:
    """Change a site's aliases, web directory, PHP version, proxy port, redirect, force-HTTPS or HSTS.

    Only the options given change. The site keeps its domain and type. The site's record shows
    the new settings once the job has put them in place on the server. Force-HTTPS and HSTS need
    the site to serve a certificate (`brokeforge ssl issue`); browsers that saw HSTS keep refusing
    plain HTTP to the site for its max-age, even once it is off.
    """
    site = get_site(site_id)
    try:
        job = site_actions.update_site(
            site, site.server.owner, aliases=None if aliases is None else aliases.split(","), **changes
        )
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_site_job(site, job, wait, as_json, f"job #{job.pk} {job.label}")


@sites.command("delete")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the job until it ends (exit 1 if it fails).")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@needs_database
def delete(site_id: int, wait: bool, as_json: bool) -> None:
    """Delete a site from its server: vhost, pool, user and files; then its record."""
    site = get_site(site_id)
    try:
        job = site_actions.delete_site(site, site.server.owner)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_job(job, wait, as_json)


@sites.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--timeout", type=click.IntRange(1, 3600), default=120, show_default=True, help="Seconds.")
@click.option("--wait", is_flag=True, help="Wait for the command and print its output.")
@click.option("--json", "as_json", is_flag=True, help="Print the job (with its result) as JSON.")
@needs_database
def run(site_id: int, command: tuple[str, ...], timeout: int, wait: bool, as_json: bool) -> None:
    """Run COMMAND in the site's directory as the site user: `sites run 3 -- php artisan about`.

    The words after `--` are joined with spaces into one shell command line.
    """
    site = get_site(site_id)
    try:
        job = site_actions.run_command(site, " ".join(command), timeout, site.server.owner)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    report_job(job, wait, as_json)


@sites.command("commands")
@click.argument("site_id", metavar="SITE_ID", type=int)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--output", "with_output", is_flag=True, help="Print each command's output and error output.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (each job's result holds its outputs).")
@needs_database
def commands(site_id: int, limit: int, with_output: bool, as_json: bool) -> None:
    """The commands run in a site, newest first, with exit codes and durations."""
    history = list(site_actions.command_history(get_site(site_id))[:limit])
    if as_json:
        output.print_json([job_dict(job) for job in history])
    elif with_output:
        _print_history(history)
    else:
        table = Table("Job", "Command", "Status", "Exit", "Duration", "Ran at")
        for job in history:
            result = job.result or {}
            table.add_row(
                str(job.pk),
                _command_of(job),
                output.status_text(job.status),
                str(result.get("exit_code", "-")) + (" (timed out)" if result.get("timed_out") else ""),
                f"{result['duration_ms']} ms" if "duration_ms" in result else "-",
                str(result.get("ran_at", "-")),
            )
        output.console().print(table)


def _command_of(job: Job) -> str:
    return str((job.result or {}).get("command", job.arguments[0] if job.arguments else ""))


def _print_history(history: list[Job]) -> None:
    out = output.console()
    for job in history:
        result = job.result or {}
        timed_out = f" (stopped after its timeout of {result['timeout']}s)" if result.get("timed_out") else ""
        out.print(
            output.text(
                (f"#{job.pk} ", "bold"), output.status_text(job.status), f" {_command_of(job)}{timed_out}"
            )
        )
        if result:
            print_result(result)


# The commands of each site feature, registered on the `sites` group.
from brokeforge.cli.sites import deploy as _deploy  # noqa: E402,F401 - registers its commands
from brokeforge.cli.sites import env as _env  # noqa: E402,F401 - registers its commands
from brokeforge.cli.sites import explorer as _explorer  # noqa: E402,F401 - registers its commands
from brokeforge.cli.sites import git as _git  # noqa: E402,F401 - registers its commands
from brokeforge.cli.sites import logs as _logs  # noqa: E402,F401 - registers its commands
