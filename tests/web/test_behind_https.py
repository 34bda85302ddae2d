"""With BROKEFORGE_PUBLIC_URL=https://...: cookies only over https, HSTS, plain HTTP sent to the
public URL, X-Forwarded-Proto believed only from a trusted proxy, CSRF accepting the public origin
and nothing else. Without it, the panel keeps working on plain HTTP on this machine."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.web.conftest import PASSWORD
from tests.web.https import PUBLIC_HOST, PUBLIC_URL, apply_public_url, via_proxy

ONE_YEAR = 365 * 24 * 3600


@pytest.fixture
def behind_https(settings: Any) -> None:
    apply_public_url(settings)


def _sign_in(client: Client, **meta: str) -> Any:
    return client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, **meta)


@pytest.mark.usefixtures("behind_https")
def test_cookies_are_secure_through_the_proxy(user: User, settings: Any) -> None:
    client = Client(**via_proxy())
    csrf = client.get(reverse("login")).cookies["csrftoken"]
    assert csrf["secure"] is True
    response = _sign_in(client)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["max-age"] == settings.SESSION_COOKIE_AGE
    assert client.get(reverse("servers")).status_code == 200


@pytest.mark.usefixtures("behind_https")
def test_https_responses_tell_browsers_to_stay_on_https(db: None) -> None:
    response = Client(**via_proxy()).get(reverse("login"))
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={ONE_YEAR}"


@pytest.mark.usefixtures("behind_https")
def test_plain_http_is_sent_to_the_public_url(db: None) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1:8000").get("/servers/add/?next=x")
    assert response.status_code == 301
    assert response["Location"] == f"{PUBLIC_URL}/servers/add/?next=x"
    assert "Strict-Transport-Security" not in response


@pytest.mark.usefixtures("behind_https")
def test_a_stranger_cannot_claim_https(db: None) -> None:
    # Reaching the panel directly, not through the proxy: its X-Forwarded-Proto is not believed.
    stranger = {**via_proxy(), "REMOTE_ADDR": "203.0.113.5"}
    response = Client(**stranger).get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"] == f"{PUBLIC_URL}/login/"


@pytest.mark.usefixtures("behind_https")
def test_csrf_refuses_a_foreign_origin_and_accepts_the_public_one(user: User) -> None:
    client = Client(enforce_csrf_checks=True, **via_proxy())
    token = client.get(reverse("login")).cookies["csrftoken"].value
    data = {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}

    foreign = client.post(reverse("login"), data, HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403
    assert "sessionid" not in client.cookies

    downgraded = client.post(reverse("login"), data, HTTP_ORIGIN=f"http://{PUBLIC_HOST}")
    assert downgraded.status_code == 403

    public = client.post(reverse("login"), data, HTTP_ORIGIN=PUBLIC_URL)
    assert public.status_code == 302
    assert client.get(reverse("servers")).status_code == 200


@pytest.mark.usefixtures("behind_https")
def test_public_origin_is_trusted_when_the_proxy_passes_another_host(user: User, settings: Any) -> None:
    # A proxy configured with `proxy_set_header Host $proxy_host` sends the panel's own address:
    # the browser's Origin then matches only CSRF_TRUSTED_ORIGINS.
    def sign_in_from_the_public_origin() -> int:
        # A new client each time: the CSRF middleware reads the trusted origins once.
        client = Client(enforce_csrf_checks=True, **via_proxy(host="127.0.0.1:8000"))
        token = client.get(reverse("login")).cookies["csrftoken"].value
        data = {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
        return client.post(reverse("login"), data, HTTP_ORIGIN=PUBLIC_URL).status_code

    trusted = settings.CSRF_TRUSTED_ORIGINS
    assert trusted == [PUBLIC_URL]
    assert sign_in_from_the_public_origin() == 302
    settings.CSRF_TRUSTED_ORIGINS = []
    assert sign_in_from_the_public_origin() == 403


def test_without_a_public_url_plain_http_on_this_machine_works(user: User, settings: Any) -> None:
    assert settings.PUBLIC_URL is None
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1:8000")
    response = _sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("servers")
    assert response.cookies["sessionid"]["secure"] == ""
    assert response.cookies["sessionid"]["httponly"] is True
    page = client.get(reverse("servers"))
    assert page.status_code == 200
    assert "Strict-Transport-Security" not in page
