"""Follow a job while it runs: a progress bar on its latest milestone, each step as it finishes."""

from __future__ import annotations

import time

from django.db import close_old_connections
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from brokeforge.cli import output
from brokeforge.jobs.models import Job, JobStatus, StepStatus

POLL_SECONDS = 0.5
# A job still queued after this long most likely has no worker to run it.
NO_WORKER_HINT_AFTER = 15.0


class JobWatcher:
    def __init__(self, job: Job, progress: Progress, show_provision: bool) -> None:
        self.job = job
        self.progress = progress
        self.show_provision = show_provision
        self.bar: TaskID = progress.add_task(output.printable(job.label), total=100)
        self.printed_seq = 0
        self.provision_seen: dict[str, str] = {}
        self.no_worker_hint = NoWorkerHint(job)

    def poll(self) -> None:
        close_old_connections()
        self.job.refresh_from_db()
        if self.show_provision and self.job.server:
            self.job.server.refresh_from_db(fields=["provision", "provision_status"])
        self._print_finished_steps()
        self._update_bar()
        if self.show_provision:
            self._print_provision_changes()
        self.no_worker_hint.check()

    def _print_finished_steps(self) -> None:
        steps = self.job.steps.filter(seq__gt=self.printed_seq).order_by("seq")
        for step in steps:
            if step.status == StepStatus.RUNNING:
                break  # print in order: wait for this one before the ones after it
            timing = "" if step.duration_ms is None else f" ({step.duration_ms / 1000:.1f}s)"
            exit_code = "" if step.exit_code is None else f" exit {step.exit_code}"
            section = step.section.rsplit(" > ", 1)[-1]  # the innermost package; `jobs show` has the rest
            line = f" {section}: {one_line(step.description)}{exit_code}{timing}"
            self.progress.console.print(output.text(output.status_text(step.status), line))
            self.printed_seq = step.seq

    def _update_bar(self) -> None:
        events = self.job.package_events()
        first, latest = events.order_by("id").first(), events.order_by("-id").first()
        if first is None or latest is None:
            self.progress.update(self.bar, description=output.printable(self.job.status))
            return
        # The job's own package drives the bar; a package it runs inside shows beside it.
        top = events.filter(service_type=first.service_type).order_by("-id").first() or first
        description = f"{top.label} (step {top.current_step} of {top.total_steps})"
        if latest.pk != top.pk:
            description += f" · {latest.label} ({latest.current_step}/{latest.total_steps})"
        if self.show_provision and self.job.server:
            completed = float(self.job.server.provision_progress())
        else:
            completed = top.progress_percentage
        self.progress.update(self.bar, completed=completed, description=output.printable(description))

    def _print_provision_changes(self) -> None:
        server = self.job.server
        if server is None:
            return
        for step in server.provision_steps():
            key, state = str(step["step"]), step["status"]
            if self.provision_seen.get(key, "pending") != state:
                self.progress.console.print(
                    output.text(
                        (f"Provisioning step {key} of {len(server.provision)}", "bold"),
                        f" {step['label']}: ",
                        output.status_text(state),
                    )
                )
            self.provision_seen[key] = state


def one_line(text: str, width: int = 100) -> str:
    """The first line of a command, shortened; scripts are shown whole by `jobs show`."""
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    if len(lines) > 1 or len(first) > width:
        return first[:width].rstrip() + " …"
    return first


class NoWorkerHint:
    """Says once, on stderr, that a job waits longer than it should for a worker."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.started = time.monotonic()
        self.shown = False

    def check(self) -> None:
        waited = time.monotonic() - self.started
        if self.shown or self.job.status != JobStatus.QUEUED or waited < NO_WORKER_HINT_AFTER:
            return
        waiting = f" ({self.job.waiting_for})" if self.job.waiting_for else ""
        output.error_console().print(
            f"Job #{self.job.pk} is still queued{waiting}. Is a worker running? "
            "Start one with `brokeforge serve` or `brokeforge worker`.",
        )
        self.shown = True


def watch_job(job: Job, show_provision: bool = False) -> Job:
    """Block until the job ends, showing its progress; returns it in its final state."""
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=output.console(),
    )  # fmt: skip
    with progress:
        watcher = JobWatcher(job, progress, show_provision)
        while True:
            watcher.poll()
            if not job.is_active:
                break
            time.sleep(POLL_SECONDS)
    out = output.console()
    out.print(output.text(f"Job #{job.pk} {job.label}: ", output.status_text(job.status)))
    if job.error:
        out.print(job.error, style="red")
    return job
