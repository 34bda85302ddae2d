"""Changing one's password."""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD

NEW = "a much longer new passphrase"


def test_password_change(user_client: Client, user: User) -> None:
    assert user_client.get(reverse("password_change")).status_code == 200
    response = user_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("servers")
    assert b"Your password was changed." in response.content
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_wrong_old_password_changes_nothing(user_client: Client, user: User) -> None:
    response = user_client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
