"""A job stops, and its command on the server with it, when it may no longer go on."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError

from brokeforge.jobs import queue
from brokeforge.jobs.journal import JobStopped, JournalRunner
from brokeforge.jobs.models import Job, JobStatus, ServerLock, StepStatus
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.base import Command
from brokeforge.servers.models import Server
from tests.integration.ticking import PIDS, QuickTickJob, TickJob, alive, still_running
from tests.testbed import BootedServer
from tests.workers import wait_for

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def run(runner: JournalRunner, server: Server, script: str) -> Any:
    return runner.command(server, Command(script), CredentialType.ROOT)


def test_a_job_whose_server_was_taken_over_is_refused_by_the_server(
    connected_server: Server, debian_server: BootedServer
) -> None:
    first, second = Holder(connected_server, locked=True), Holder(connected_server, locked=False)
    try:
        run(first.runner, connected_server, "true")  # the first job claims the server
        first.lose_lock()
        second.take_lock()
        run(second.runner, connected_server, "true")  # the next one takes it over
        second.lose_lock()
        # The first job's panel-side check raced and passed: the server still says no.
        first.take_lock()
        with pytest.raises(JobStopped, match="refused this job's command: another job took the server over"):
            run(first.runner, connected_server, "touch /root/late")
    finally:
        first.runner.close()
        second.runner.close()
    assert debian_server.run("test -e /root/late", check=False).returncode == 1
    refused = first.runner.job.steps.order_by("seq").last()
    assert refused is not None and refused.status == StepStatus.FAILED
    assert "no longer holds this server" in refused.output


class Holder:
    """A job's runner, and its hold on the server's lock, moved by hand to stage a takeover."""

    def __init__(self, server: Server, *, locked: bool) -> None:
        self.job = queue.create_job(TickJob, server, "x", 0.1)
        Job.objects.filter(pk=self.job.pk).update(status=JobStatus.RUNNING)
        self.server = server
        if locked:
            self.take_lock()
        self.runner = JournalRunner(self.job)

    def take_lock(self) -> None:
        ServerLock.objects.create(server=self.server, job=self.job)

    def lose_lock(self) -> None:
        ServerLock.objects.filter(job=self.job).delete()


def test_the_job_time_limit_stops_the_job_and_kills_its_command(
    connected_server: Server, debian_server: BootedServer
) -> None:
    job = queue.run_inline(QuickTickJob, connected_server, "q", 30)
    assert job.status == JobStatus.FAILED
    assert f"Job #{job.pk} ran past its time limit of 2s and was stopped" in job.error
    wait_for(lambda: not still_running(debian_server, "q-1"), 10, "the command to be gone from the server")
    assert "q-2" not in alive(debian_server), "the job went on after its time limit"


def test_a_journal_write_that_fails_stops_the_command_on_the_server(
    connected_server: Server, debian_server: BootedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(self: object) -> None:
        raise DatabaseError("injected fault: the journal cannot be written")

    monkeypatch.setattr("brokeforge.jobs.journal._OutputWriter.flush", unreachable)
    holder = Holder(connected_server, locked=True)
    chatty = f"echo w $$ >> {PIDS}; while true; do echo output; sleep 0.1; done"
    try:
        with pytest.raises(DatabaseError, match="injected fault"):
            run(holder.runner, connected_server, chatty)
    finally:
        holder.runner.close()
    wait_for(lambda: not still_running(debian_server, "w"), 10, "the command to be gone from the server")
