"""Another user's server and jobs do not exist as far as the panel is concerned: 404, nothing changes."""

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import HostKeyEvent, Server


@pytest.mark.parametrize("name", ["server_detail", "server_live", "server_delete"])
def test_other_users_server_pages_are_404(user_client: Client, other_server: Server, name: str) -> None:
    assert user_client.get(reverse(name, args=[other_server.pk])).status_code == 404


@pytest.mark.parametrize("name", ["server_verify", "server_accept_host_key", "server_delete"])
def test_other_users_server_actions_are_404(user_client: Client, other_server: Server, name: str) -> None:
    Server.objects.filter(pk=other_server.pk).update(
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        presented_host_key="ssh-ed25519 AAAA",
        presented_host_key_fingerprint="SHA256:new",
    )
    assert user_client.post(reverse(name, args=[other_server.pk])).status_code == 404
    assert Server.objects.filter(pk=other_server.pk).exists()
    assert not other_server.jobs.exists()
    assert not HostKeyEvent.objects.exists()


def test_other_users_jobs_are_404(user_client: Client, other_server: Server, make_job, make_step) -> None:
    job = make_job(other_server, status="failed")
    step = make_step(job, status="failed")
    for url in (
        reverse("job_detail", args=[job.pk]),
        reverse("job_journal", args=[job.pk]),
        reverse("job_step_stream", args=[job.pk, step.pk]),
    ):
        assert user_client.get(url).status_code == 404
    assert user_client.post(reverse("job_retry", args=[job.pk])).status_code == 404
    assert not job.retries.exists()


def test_other_users_servers_and_jobs_are_not_listed(
    user_client: Client, server: Server, other_server: Server, make_job
) -> None:
    make_job(other_server)
    servers_page = user_client.get(reverse("servers")).content.decode()
    jobs_page = user_client.get(reverse("jobs")).content.decode()
    assert "web-1" in servers_page
    assert "theirs" not in servers_page
    assert "theirs" not in jobs_page


def test_filtering_jobs_by_another_users_server_is_refused(
    user_client: Client, other_server: Server, make_job
) -> None:
    make_job(other_server)
    response = user_client.get(reverse("jobs"), {"server": other_server.pk})
    assert response.context["form"].errors
    assert "theirs" not in response.content.decode()
