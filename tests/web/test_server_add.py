"""Adding a server: per-field errors, duplicate names, and nothing created on bad input."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.servers.models import Server

VALID = {"name": "web-1", "public_ip": "203.0.113.10", "ssh_port": "22", "php_version": "8.2"}


def test_form_page(user_client: Client) -> None:
    response = user_client.get(reverse("server_add"))
    assert response.status_code == 200
    assert b'name="public_ip"' in response.content


def test_adding_a_server_leads_to_its_page(user_client: Client, user: User) -> None:
    response = user_client.post(reverse("server_add"), VALID, follow=True)
    server = Server.objects.get(owner=user)
    assert response.redirect_chain[-1][0] == reverse("server_detail", args=[server.pk])
    assert server.name == "web-1"
    assert server.credentials.count() == 2
    assert b"web-1 added" in response.content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "-bad name!", "Name must be 1-63 characters"),
        ("public_ip", "300.1.1.1", "is not a valid IPv4 or IPv6 address"),
        ("public_ip", "127.0.0.1", "cannot be a server address"),
        ("ssh_port", "70000", "SSH port must be between 1 and 65535"),
        ("php_version", "5.6", "Select a valid choice"),
    ],
)
def test_bad_field_shows_its_error_and_creates_nothing(
    user_client: Client, field: str, value: str, message: str
) -> None:
    response = user_client.post(reverse("server_add"), VALID | {field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not Server.objects.exists()


def test_duplicate_name_is_an_error_on_the_name(user_client: Client, server: Server) -> None:
    response = user_client.post(reverse("server_add"), VALID | {"public_ip": "203.0.113.11"})
    assert response.status_code == 200
    assert "already have a server named" in response.context["form"].errors["name"][0]
    assert Server.objects.count() == 1


def test_same_name_as_another_users_server_is_fine(
    user_client: Client, user: User, other_server: Server
) -> None:
    user_client.post(reverse("server_add"), VALID | {"name": other_server.name})
    assert Server.objects.filter(owner=user, name=other_server.name).exists()
