"""Deleting a server and queueing a job on it cannot interleave: one waits for the other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from brokeforge.actions import ActionError
from brokeforge.actions import jobs as job_actions
from brokeforge.actions import servers as server_actions
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job
from brokeforge.servers.models import Server
from tests.queue.napping import NapJob

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deletion_that_comes_while_a_job_is_queued_waits_and_then_refuses(
    make_server: Callable[[str], Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server("doomed")
    job_written, let_it_commit = threading.Event(), threading.Event()
    create_job = queue.create_job

    def create_job_then_pause(*args: Any, **kwargs: Any) -> Job:
        job = create_job(*args, **kwargs)
        job_written.set()  # inside dispatch's transaction, the server's row locked
        assert let_it_commit.wait(30)
        return job

    monkeypatch.setattr(queue, "create_job", create_job_then_pause)
    outcome: dict[str, Any] = {}

    def in_thread(name: str, action: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                outcome[name] = action()
            except Exception as exc:
                outcome[name] = exc
            finally:
                connection.close()  # this thread's own connection

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    queueing = in_thread("queued", lambda: job_actions.dispatch(NapJob, server, 0.1))
    assert job_written.wait(30)
    deleting = in_thread("deleted", lambda: server_actions.delete_server(server))
    # While the job's transaction is open the deletion cannot finish: it waits for the row.
    deleting.join(timeout=1.5)
    assert deleting.is_alive(), "the server was deleted while a job on it was being queued"
    let_it_commit.set()
    queueing.join(30)
    deleting.join(30)

    job = outcome["queued"]
    assert isinstance(job, Job)
    assert isinstance(outcome["deleted"], ActionError)
    assert "has a job queued or running" in str(outcome["deleted"])
    assert Job.objects.get(pk=job.pk).server_id == server.pk


def test_queueing_a_job_on_a_deleted_server_is_refused_and_writes_nothing(
    make_server: Callable[[str], Server],
) -> None:
    server = make_server("gone")
    server_actions.delete_server(server)
    with pytest.raises(ActionError, match="Server gone was deleted; nothing was queued"):
        job_actions.dispatch(NapJob, server, 0.1)
    assert not Job.objects.exists()
