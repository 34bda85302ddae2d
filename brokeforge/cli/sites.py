"""`brokeforge sites ...`: commands run in a site as its own Linux user, and the site's jobs."""

from __future__ import annotations

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions import sites as site_actions
from brokeforge.cli import output
from brokeforge.cli.jobs import job_dict, report_job
from brokeforge.cli.main import needs_database
from brokeforge.sites.models import Site


def get_site(site_id: int) -> Site:
    return output.find(Site.objects.select_related("server__owner"), site_id, "site", "SITE_ID")


@click.group()
def sites() -> None:
    """The sites on your servers."""


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def commands(site_id: int, limit: int, as_json: bool) -> None:
    """The commands run in a site, newest first, with exit codes and durations."""
    history = list(site_actions.command_history(get_site(site_id))[:limit])
    if as_json:
        output.print_json([job_dict(job) for job in history])
        return
    table = Table("Job", "Command", "Status", "Exit", "Duration", "Ran at")
    for job in history:
        result = job.result or {}
        table.add_row(
            str(job.pk),
            str(result.get("command", job.arguments[0] if job.arguments else "")),
            output.status_text(job.status),
            str(result.get("exit_code", "-")),
            f"{result['duration_ms']} ms" if "duration_ms" in result else "-",
            str(result.get("ran_at", "-")),
        )
    output.console().print(table)
