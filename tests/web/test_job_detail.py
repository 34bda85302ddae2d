"""A job's own page: every step with its output; it polls while the job runs."""

from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server


def test_all_steps_with_outputs(user_client: Client, server: Server, make_job, make_step) -> None:
    job = make_job(server, status="succeeded")
    for number in range(3):
        make_step(job, description=f"command {number}", output=f"said {number}\n")
    page = user_client.get(reverse("job_detail", args=[job.pk])).content.decode()
    for number in range(3):
        assert f"command {number}" in page
        assert f"said {number}" in page
    assert "hx-trigger" not in page


def test_running_job_polls_and_streams(user_client: Client, server: Server, make_job, make_step) -> None:
    job = make_job(server, status="running")
    step = make_step(job, status="running")
    page = user_client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("job_journal", args=[job.pk])}" hx-trigger="every 1s"' in page
    assert reverse("job_step_stream", args=[job.pk, step.pk]) in page
    partial = user_client.get(reverse("job_journal", args=[job.pk])).content.decode()
    assert partial.startswith('<div id="job-live"')
