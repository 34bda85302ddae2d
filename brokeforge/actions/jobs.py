"""What a user can do with a job of the journal."""

from __future__ import annotations

from typing import Any

from brokeforge.actions import ActionError
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job


def retry(job: Job, user: Any = None) -> Job:
    """A new attempt; it skips the commands that succeeded, when they are still the same."""
    try:
        return queue.retry(job, started_by=user)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
