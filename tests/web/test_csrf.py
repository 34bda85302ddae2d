"""Every form posts with a CSRF token; a POST without one changes nothing."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server


@pytest.fixture
def strict_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["server_verify", "server_accept_host_key", "server_delete"])
def test_server_actions_without_token_are_forbidden(strict_client: Client, server: Server, name: str) -> None:
    assert strict_client.post(reverse(name, args=[server.pk])).status_code == 403
    assert Server.objects.filter(pk=server.pk).exists()
    assert not server.jobs.exists()


def test_add_and_logout_without_token_are_forbidden(strict_client: Client) -> None:
    data = {"name": "web-1", "public_ip": "203.0.113.10", "ssh_port": "22", "php_version": "8.2"}
    assert strict_client.post(reverse("server_add"), data).status_code == 403
    assert not Server.objects.exists()
    assert strict_client.post(reverse("logout")).status_code == 403


def test_forms_carry_the_token_and_htmx_sends_it(strict_client: Client, server: Server) -> None:
    page = strict_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    token = strict_client.cookies["csrftoken"].value
    assert page.count('name="csrfmiddlewaretoken"') == 3  # verify, add site and sign out
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    response = strict_client.post(reverse("server_verify", args=[server.pk]), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert server.jobs.count() == 1
