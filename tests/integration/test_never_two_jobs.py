"""Never two jobs on one server, even when a worker loses its heartbeat or is frozen mid-command.

Real worker processes run the jobs on a real server; whether commands overlapped is read from
the ticks the server itself stamps (tests/integration/ticking.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.servers.models import Server
from tests.integration.ticking import TickJob, alive, assert_never_overlapped, still_running
from tests.testbed import BootedServer
from tests.workers import wait_for

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

StartWorker = Callable[..., subprocess.Popen[bytes]]


def status(job: Job) -> str:
    return Job.objects.get(pk=job.pk).status


def commands_output(job: Job) -> list[str]:
    return list(job.steps.filter(is_command=True).values_list("output", flat=True))


def wait_until_ticking(srv: BootedServer, job: Job, command: str) -> None:
    wait_for(lambda: status(job) == JobStatus.RUNNING, 60, f"job #{job.pk} to start")
    wait_for(lambda: command in alive(srv), 30, f"{command} to tick on the server")


@contextmanager
def frozen(worker: subprocess.Popen[bytes]) -> Iterator[None]:
    """The worker paused as a frozen VM would be; always resumed, so it can be stopped after."""
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(worker.pid, signal.SIGCONT)


def test_a_job_whose_heartbeat_cannot_be_written_stops_its_command_and_fails(
    connected_server: Server, debian_server: BootedServer, start_worker: StartWorker
) -> None:
    start_worker("tests.faulty_worker")
    first = queue.dispatch(TickJob, connected_server, "a", 30)
    wait_until_ticking(debian_server, first, "a-1")
    second = queue.dispatch(TickJob, connected_server, "b", 0.5)
    start_worker()  # a healthy worker: its reaper watches, and it runs what comes next

    first = queue.wait(first, timeout=60)
    assert first.status in (JobStatus.FAILED, JobStatus.STALLED)
    if first.status == JobStatus.FAILED:  # unless the reaper's verdict came first
        assert "its heartbeat could not be written" in first.error
    assert queue.wait(second, timeout=60).status == JobStatus.SUCCEEDED

    ticked = assert_never_overlapped(debian_server)
    start, end = ticked["a-1"]
    assert end - start < 15, "the first job's command ran on instead of being stopped"
    assert not still_running(debian_server, "a-1")
    assert "a-2" not in ticked, "the first job went on after losing its heartbeat"
    assert {"b-1", "b-2"} <= ticked.keys()


def test_a_frozen_worker_that_comes_back_does_not_touch_the_server_again(
    connected_server: Server, debian_server: BootedServer, start_worker: StartWorker
) -> None:
    paused = start_worker()
    first = queue.dispatch(TickJob, connected_server, "a", 15)
    wait_until_ticking(debian_server, first, "a-1")
    with frozen(paused):
        second = queue.dispatch(TickJob, connected_server, "b", 0.5)
        start_worker()
        wait_for(lambda: status(first) == JobStatus.STALLED, 60, "the frozen worker's job to stall")
        wait_for(lambda: status(second) == JobStatus.RUNNING, 60, "the next job to start")
        # Its first command is on the server, waiting there for the frozen job's command to end.
        wait_for(
            lambda: "still running on this server; waiting" in "".join(commands_output(second)),
            30,
            "the next job's command to say it waits for the server's lease",
        )
    assert queue.wait(second, timeout=60).status == JobStatus.SUCCEEDED
    # The resumed worker saw the job was no longer its own: it stopped before its next step.
    wait_for(lambda: not first.steps.filter(status="running").exists(), 30, "the resumed job to stop")
    assert status(first) == JobStatus.STALLED

    ticked = assert_never_overlapped(debian_server)
    assert "a-2" not in ticked, "the resumed job ran another command"
    assert ticked["b-1"][0] > ticked["a-1"][1]
