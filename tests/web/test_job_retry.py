"""Retry: a failed job becomes a new attempt; a job that did not fail cannot be retried."""

from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import Job, JobStatus
from brokeforge.servers.models import Server


def test_retry_queues_a_new_attempt(user_client: Client, server: Server, make_job) -> None:
    failed = make_job(server, status="failed")
    response = user_client.post(reverse("job_retry", args=[failed.pk]), follow=True)
    retry = Job.objects.get(retry_of=failed)
    assert (retry.status, retry.attempt) == (JobStatus.QUEUED, 2)
    assert response.redirect_chain[-1][0] == reverse("server_detail", args=[server.pk])
    assert f"as job #{retry.pk}".encode() in response.content


def test_retry_of_a_succeeded_job_is_refused(user_client: Client, server: Server, make_job) -> None:
    done = make_job(server, status="succeeded")
    response = user_client.post(reverse("job_retry", args=[done.pk]), follow=True)
    assert b"only failed or stalled jobs can be retried" in response.content
    assert Job.objects.count() == 1


def test_retry_needs_post(user_client: Client, server: Server, make_job) -> None:
    failed = make_job(server, status="failed")
    assert user_client.get(reverse("job_retry", args=[failed.pk])).status_code == 405
    assert Job.objects.count() == 1
