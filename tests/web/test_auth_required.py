"""No page or endpoint of the panel answers without signing in."""

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server

PAGES = ["servers", "server_add", "jobs", "password_change"]
SERVER_PAGES = ["server_detail", "server_live", "server_delete"]
SERVER_ACTIONS = ["server_verify", "server_accept_host_key", "server_delete"]


def _assert_sent_to_login(response, url: str) -> None:
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", PAGES)
def test_pages_redirect_anonymous_to_login(client: Client, db: None, name: str) -> None:
    url = reverse(name)
    _assert_sent_to_login(client.get(url), url)


@pytest.mark.parametrize("name", SERVER_PAGES)
def test_server_pages_redirect_anonymous_to_login(client: Client, server: Server, name: str) -> None:
    url = reverse(name, args=[server.pk])
    _assert_sent_to_login(client.get(url), url)


@pytest.mark.parametrize("name", SERVER_ACTIONS)
def test_server_actions_refuse_anonymous(client: Client, server: Server, name: str) -> None:
    url = reverse(name, args=[server.pk])
    _assert_sent_to_login(client.post(url), url)
    assert Server.objects.filter(pk=server.pk).exists()
    assert not server.jobs.exists()


def test_job_pages_redirect_anonymous_to_login(client: Client, server, make_job, make_step) -> None:
    job = make_job(server)
    step = make_step(job)
    for url in (
        reverse("job_detail", args=[job.pk]),
        reverse("job_journal", args=[job.pk]),
        reverse("job_step_stream", args=[job.pk, step.pk]),
    ):
        _assert_sent_to_login(client.get(url), url)
    url = reverse("job_retry", args=[job.pk])
    _assert_sent_to_login(client.post(url), url)


def test_login_page_is_public(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content
