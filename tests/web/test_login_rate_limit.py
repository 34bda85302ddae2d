"""Five failed sign-ins for one username from one address lock it out for a while."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.web import ratelimit
from tests.web.conftest import PASSWORD


def _attempt(client: Client, password: str, address: str = "198.51.100.7"):
    return client.post(reverse("login"), {"username": "alice", "password": password}, REMOTE_ADDR=address)


def test_sixth_attempt_is_refused_even_with_the_right_password(client: Client, user: User) -> None:
    for _ in range(ratelimit.LIMIT):
        assert b"Too many failed sign-in attempts" not in _attempt(client, "wrong").content
    response = _attempt(client, PASSWORD)
    assert b"Too many failed sign-in attempts" in response.content
    assert not response.context["user"].is_authenticated


def test_other_addresses_are_not_locked_out(client: Client, user: User) -> None:
    for _ in range(ratelimit.LIMIT):
        _attempt(client, "wrong")
    response = _attempt(client, PASSWORD, address="198.51.100.8")
    assert response.status_code == 302


def test_success_clears_the_count(client: Client, user: User) -> None:
    for _ in range(ratelimit.LIMIT - 1):
        _attempt(client, "wrong")
    assert _attempt(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(ratelimit.LIMIT - 1):
        _attempt(client, "wrong")
    assert _attempt(client, PASSWORD).status_code == 302
