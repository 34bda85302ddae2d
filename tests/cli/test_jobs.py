"""`brokeforge jobs ...` on journal rows made directly; retrying only queues, nothing runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.cli.watch import watch_job
from brokeforge.jobs.models import Job, JobStatus, JobStep, StepStatus
from brokeforge.jobs.queue import job_path
from brokeforge.packages.services.connection.jobs import ConnectionInstallerJob
from brokeforge.servers.models import Server, ServerPackageEvent

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(add_server: Any) -> Server:
    return Server.objects.get(pk=add_server()["id"])


def failed_job(server: Server) -> Job:
    job = Job.objects.create(
        kind=job_path(ConnectionInstallerJob), label="Connect", server=server, server_name=server.name,
        status=JobStatus.FAILED, error="exit 100",
    )  # fmt: skip
    JobStep.objects.create(
        job=job, seq=1, key="c#1", section="connection", description="uname -a",
        status=StepStatus.SUCCEEDED, exit_code=0, output="Linux\n", output_bytes=6, duration_ms=120,
    )  # fmt: skip
    JobStep.objects.create(
        job=job, seq=2, key="c#2", section="connection", description="apt-get [broken]",
        status=StepStatus.FAILED, exit_code=100, output="E: no\n", output_bytes=6, duration_ms=900,
    )  # fmt: skip
    return job


def test_list_filters_by_server_and_status(invoke: Invoke, server: Server, add_server: Any) -> None:
    other = Server.objects.get(pk=add_server("other", "203.0.113.20")["id"])
    failed = failed_job(server)
    Job.objects.create(kind="x.Y", label="ok", server=server, status=JobStatus.SUCCEEDED)
    Job.objects.create(kind="x.Y", label="elsewhere", server=other, status=JobStatus.FAILED)

    rows = json.loads(
        invoke("jobs", "list", "--server", str(server.pk), "--status", "failed", "--json").stdout
    )
    assert [row["id"] for row in rows] == [failed.pk]
    assert rows[0]["server_name"] == server.name and rows[0]["error"] == "exit 100"
    assert len(json.loads(invoke("jobs", "list", "--json").stdout)) == 3
    assert invoke("jobs", "list", "--status", "exploded").exit_code == 2


def test_show_json_with_and_without_output(invoke: Invoke, server: Server) -> None:
    job = failed_job(server)
    data = json.loads(invoke("jobs", "show", str(job.pk), "--json").stdout)
    assert data["status"] == "failed"
    assert [(s["seq"], s["exit_code"], s["duration_ms"]) for s in data["steps"]] == [
        (1, 0, 120),
        (2, 100, 900),
    ]
    assert "output" not in data["steps"][0]
    data = json.loads(invoke("jobs", "show", str(job.pk), "--json", "--output").stdout)
    assert data["steps"][1]["output"] == "E: no\n"


def test_show_prints_steps_exit_codes_and_output(invoke: Invoke, server: Server) -> None:
    job = failed_job(server)
    text = invoke("jobs", "show", str(job.pk), "--output").stdout
    assert "apt-get [broken]" in text  # printed as is, not eaten as markup
    assert "exit 100" in text and "0.9s" in text and "E: no" in text


def test_retry_queues_a_new_attempt(invoke: Invoke, server: Server) -> None:
    job = failed_job(server)
    result = invoke("jobs", "retry", str(job.pk))
    assert result.exit_code == 0, result.output
    attempt = Job.objects.get(retry_of=job)
    assert attempt.status == JobStatus.QUEUED and attempt.attempt == 2
    assert f"#{attempt.pk}" in result.stdout


def test_retry_of_a_job_that_did_not_fail_is_refused(invoke: Invoke, server: Server) -> None:
    job = Job.objects.create(kind="x.Y", label="ok", server=server, status=JobStatus.SUCCEEDED)
    result = invoke("jobs", "retry", str(job.pk))
    assert result.exit_code == 2
    assert "only failed or stalled jobs can be retried" in result.stderr
    assert Job.objects.count() == 1
    assert invoke("jobs", "show", "12345").exit_code == 2


def test_watch_prints_finished_steps_and_the_outcome(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    job = failed_job(server)
    ServerPackageEvent.objects.create(
        server=server, job_id=job.pk, service_type="connection", provision_type="install",
        milestone="verify", label="Verifying", current_step=1, total_steps=2,
    )  # fmt: skip
    assert watch_job(job).status == JobStatus.FAILED
    text = capsys.readouterr().out
    assert "uname -a" in text and "apt-get [broken] exit 100 (0.9s)" in text
    assert "exit 100" in text.splitlines()[-1]
