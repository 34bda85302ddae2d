"""Verify: starts provisioning, whose first step verifies the connection."""

from django.test import Client
from django.urls import reverse

from brokeforge.jobs.models import JobStatus
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import Server


def test_verify_queues_provisioning_and_the_page_polls(user_client: Client, server: Server) -> None:
    response = user_client.post(reverse("server_verify", args=[server.pk]), follow=True)
    job = server.jobs.get()
    assert job.status == JobStatus.QUEUED
    assert job.label == "Provision web-1"
    assert response.redirect_chain[-1][0] == reverse("server_detail", args=[server.pk])
    page = response.content.decode()
    assert f"job #{job.pk}" in page
    assert 'hx-trigger="every 1s"' in page
    assert "waiting for a worker" in page


def test_verify_twice_reuses_the_running_provisioning(user_client: Client, server: Server) -> None:
    user_client.post(reverse("server_verify", args=[server.pk]))
    user_client.post(reverse("server_verify", args=[server.pk]))
    assert server.jobs.count() == 1


def test_verify_is_refused_while_the_host_key_changed(user_client: Client, server: Server) -> None:
    Server.objects.filter(pk=server.pk).update(
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        host_key_fingerprint="SHA256:old",
        presented_host_key_fingerprint="SHA256:new",
    )
    response = user_client.post(reverse("server_verify", args=[server.pk]), follow=True)
    assert b"Accept the new key before provisioning" in response.content
    assert not server.jobs.exists()


def test_verify_needs_post(user_client: Client, server: Server) -> None:
    assert user_client.get(reverse("server_verify", args=[server.pk])).status_code == 405
    assert not server.jobs.exists()
