"""`brokeforge jobs ...`: read the job journal, retry a failed job, watch one run."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.table import Table

from brokeforge.actions import ActionError
from brokeforge.actions import jobs as job_actions
from brokeforge.cli import output
from brokeforge.cli.main import needs_database
from brokeforge.cli.watch import watch_job
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus, JobStep


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.pk,
        "label": job.label,
        "kind": job.kind,
        "server_id": job.server_id,
        "server_name": job.server_name,
        "site_id": job.site_id,
        "site_domain": job.site_domain,
        "status": job.status,
        "attempt": job.attempt,
        "retry_of": job.retry_of_id,
        "error": job.error,
        "result": job.result,
        "waiting_for": job.waiting_for,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "duration_seconds": job.duration_seconds,
    }


def step_dict(step: JobStep, with_output: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": step.seq,
        "section": step.section,
        "description": step.description,
        "is_command": step.is_command,
        "status": step.status,
        "exit_code": step.exit_code,
        "duration_ms": step.duration_ms,
        "output_bytes": step.output_bytes,
    }
    if with_output:
        data["output"] = step.output
    return data


def report_job(job: Job, wait: bool, as_json: bool) -> None:
    """Say which job was queued, or with `wait` follow it to its end; exit 1 unless it succeeded.

    With --json only the job is printed (as `jobs show --json` prints it), for scripts.
    """
    if wait and as_json:
        job = queue.wait(job)
    elif wait:
        job = watch_job(job)  # prints the job's end itself
        if job.result:
            print_result(job.result)  # what a user waited for: a command's output
    if as_json:
        output.print_json(job_dict(job))
    elif not wait:
        output.console().print(output.text(f"Queued job #{job.pk} ", job.label, "."))
    if wait and job.status != JobStatus.SUCCEEDED:
        sys.exit(1)


def get_job(job_id: int) -> Job:
    return output.find(Job.objects.select_related("server"), job_id, "job", "ID")


@click.group()
def jobs() -> None:
    """The job journal: what ran on your servers, step by step."""


@jobs.command("list")
@click.option("--server", "server_id", type=int, help="Only jobs of this server (id).")
@click.option("--site", "site_id", type=int, help="Only jobs of this site (id).")
@click.option("--status", type=click.Choice(JobStatus.values), help="Only jobs in this status.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def list_jobs(
    server_id: int | None, site_id: int | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List jobs, newest first."""
    query = Job.objects.all()
    if server_id is not None:
        query = query.filter(server_id=server_id)
    if site_id is not None:
        query = query.filter(site_id=site_id)
    if status:
        query = query.filter(status=status)
    rows = list(query.order_by("-id")[:limit])
    if as_json:
        output.print_json([job_dict(job) for job in rows])
        return
    table = Table("ID", "Job", "Server", "Status", "Attempt", "Created", "Duration")
    for job in rows:
        table.add_row(
            str(job.pk),
            job.label,
            " / ".join(filter(None, [job.server_name, job.site_domain])),
            output.status_text(job.status),
            str(job.attempt),
            output.when(job.created_at),
            output.seconds(job.duration_seconds),
        )
    output.console().print(table)


@jobs.command("show")
@click.argument("job_id", metavar="ID", type=int)
@click.option("--output", "with_output", is_flag=True, help="Include each step's output.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@needs_database
def show_job(job_id: int, with_output: bool, as_json: bool) -> None:
    """Show a job and its steps: commands, exit codes, durations (and outputs)."""
    job = get_job(job_id)
    steps = list(job.steps.order_by("seq"))
    if as_json:
        output.print_json({**job_dict(job), "steps": [step_dict(s, with_output) for s in steps]})
        return
    out = output.console()
    out.print(
        output.text(
            (f"Job #{job.pk}", "bold"),
            f" {job.label} on {job.server_name or '-'}: ",
            output.status_text(job.status),
        )
    )
    timing = f"started {output.when(job.started_at)}, took {output.seconds(job.duration_seconds)}"
    out.print(f"attempt {job.attempt}, {timing}")
    if job.waiting_for:
        out.print(f"waiting: {job.waiting_for}")
    if job.error:
        out.print(output.text(("error: ", "red"), job.error))
    for step in steps:
        print_step(step, with_output)
    if job.result:
        print_result(job.result)


def print_result(result: dict[str, Any]) -> None:
    """A site command's result: what it printed, as plain text (it comes from the server)."""
    out = output.console()
    out.print(f"result: exit {result.get('exit_code')} in {result.get('duration_ms')} ms")
    for key in ("output", "error_output"):
        if result.get(key):
            out.print(f"--- {key.replace('_', ' ')}")
            out.print(str(result[key]).rstrip("\n"))


def print_step(step: JobStep, with_output: bool = False) -> None:
    out = output.console()
    exit_code = "" if step.exit_code is None else f" exit {step.exit_code}"
    duration = "" if step.duration_ms is None else f" {step.duration_ms / 1000:.1f}s"
    out.print(
        output.text(
            f"{step.seq:>3} ",
            output.status_text(step.status),
            f"{exit_code}{duration}  ",
            (step.section, "dim"),
        )
    )
    out.print(f"      {step.description}")
    if with_output and step.output:
        if step.output_truncated:
            out.print(output.text((f"      (last {len(step.output)} of {step.output_bytes} bytes)", "dim")))
        out.print(step.output.rstrip("\n"))


@jobs.command("retry")
@click.argument("job_id", metavar="ID", type=int)
@click.option("--wait", is_flag=True, help="Follow the new attempt until it ends.")
@needs_database
def retry_job(job_id: int, wait: bool) -> None:
    """Retry a failed or stalled job from the step that failed."""
    job = get_job(job_id)
    try:
        attempt = job_actions.retry(job, job.started_by)
    except ActionError as exc:
        raise click.UsageError(str(exc)) from None
    output.console().print(f"Queued job #{attempt.pk} (attempt {attempt.attempt} of {job.label}).")
    if wait and watch_job(attempt).status != JobStatus.SUCCEEDED:
        sys.exit(1)
