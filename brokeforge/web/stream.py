"""Server-Sent Events: the output of a running job step, streamed as it is written to the journal.

The worker flushes a running command's output into JobStep.output about twice a second; this view
polls that row and sends only the text that is new. Each connection starts with a "snapshot" of the
whole output, so a browser that reconnects (EventSource does so by itself) never shows text twice.
The stream ends with an "end" event when the step finishes, or when its job stops without finishing it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from brokeforge.jobs.models import JobStatus, JobStep, StepStatus
from brokeforge.web.views.scope import user_jobs

POLL_SECONDS = 0.3


@dataclass(frozen=True)
class StepState:
    output: str
    running: bool


def new_text(previous: str, current: str) -> str | None:
    """What `current` adds to `previous`, when both are the stored tail of one growing output;
    None when they have nothing in common, and `current` must replace what was sent.

    The journal keeps only the tail of long output, so the start of `previous` may have been cut
    from `current`: the new text follows the longest end of `previous` that `current` starts with.
    """
    if current.startswith(previous):
        return current[len(previous) :]
    anchor = previous[-200:]
    position = current.rfind(anchor)
    while position != -1:
        overlap = position + len(anchor)
        if previous.endswith(current[:overlap]):
            return current[overlap:]
        position = current.rfind(anchor, 0, position + len(anchor) - 1)
    return None


def _event(name: str, data: str) -> bytes:
    # JSON keeps newlines and trailing spaces of the output exactly as they are.
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _step_state(step_id: int) -> StepState:
    step = JobStep.objects.select_related("job").get(pk=step_id)
    running = step.status == StepStatus.RUNNING and step.job.status in JobStatus.active()
    return StepState(step.output, running)


async def _events(step_id: int, poll_seconds: float) -> AsyncIterator[bytes]:
    state = await sync_to_async(_step_state)(step_id)
    yield _event("snapshot", state.output)
    sent = state.output
    while state.running:
        await asyncio.sleep(poll_seconds)
        state = await sync_to_async(_step_state)(step_id)
        chunk = new_text(sent, state.output)
        if chunk is None:
            yield _event("snapshot", state.output)
        elif chunk:
            yield _event("output", chunk)
        sent = state.output
    yield _event("end", "")


def _find_step(user: object, job_id: int, step_id: int) -> int:
    step = JobStep.objects.filter(pk=step_id, job_id=job_id, job__in=user_jobs(user)).first()
    if step is None:
        raise Http404("No such step.")
    return step.pk


@require_GET
async def job_step_stream(request: HttpRequest, job_id: int, step_id: int) -> StreamingHttpResponse:
    user = await request.auser()
    step_pk = await sync_to_async(_find_step)(user, job_id, step_id)
    response = StreamingHttpResponse(_events(step_pk, POLL_SECONDS), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the events back
    return response
