"""What the journal partial shows of a job: its steps, the one that failed, with or without output."""

from __future__ import annotations

from typing import Any

from brokeforge.jobs.models import Job, StepStatus


def journal_context(job: Job | None, with_outputs: bool) -> dict[str, Any]:
    if job is None:
        return {"job": None}
    steps = list(job.steps.all())
    return {
        "job": job,
        "steps": steps,
        "failed_step": next((s for s in reversed(steps) if s.status == StepStatus.FAILED), None),
        "with_outputs": with_outputs,
    }
