"""Signing in and out."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD


def test_sign_in_leads_to_servers(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("servers")
    assert response.context["user"] == user


def test_wrong_password_is_refused(client: Client, user: User) -> None:
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert not response.context["user"].is_authenticated


def test_sign_out_is_a_post(user_client: Client) -> None:
    assert user_client.get(reverse("logout")).status_code == 405
    response = user_client.post(reverse("logout"))
    assert response.url == reverse("login")
    assert user_client.get(reverse("servers")).status_code == 302


def test_next_parameter_returns_to_the_page(client: Client, user: User) -> None:
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": reverse("jobs")}
    )
    assert response.url == reverse("jobs")
