"""A session ends BROKEFORGE_SESSION_IDLE_MINUTES after its user last did something. The page's own
polling and live output stream do not count as doing something: a forgotten tab signs out too.

The clock is moved by hand (Django's timezone.now, which sessions read): nothing here waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from brokeforge.jobs.models import Job, JobStep
from brokeforge.servers.models import Server
from tests.web.conftest import PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def idle(settings: Any) -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


@pytest.fixture
def signed_in(client: Client, user: User, clock: Clock) -> Client:
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return client


def shows_servers_page(client: Client) -> bool:
    response = client.get(reverse("servers"))
    if response.status_code == 302:
        assert response["Location"] == f"{reverse('login')}?next={reverse('servers')}"
        return False
    assert response.status_code == 200
    return True


def session_expiry() -> datetime:
    return Session.objects.get().expire_date


def test_idle_limit_defaults_to_an_hour(settings: Any) -> None:
    assert settings.SESSION_IDLE_MINUTES == 60
    assert settings.SESSION_COOKIE_AGE == 3600


def test_an_idle_session_past_the_limit_is_sent_to_sign_in(
    signed_in: Client, clock: Clock, idle: timedelta
) -> None:
    clock.advance(idle - timedelta(minutes=2))
    assert shows_servers_page(signed_in)  # not idle yet, and this view counts as activity
    clock.advance(idle + timedelta(seconds=1))
    assert not shows_servers_page(signed_in)


def test_what_the_user_does_keeps_the_session(signed_in: Client, clock: Clock, idle: timedelta) -> None:
    for _ in range(3):
        clock.advance(idle - timedelta(minutes=5))
        assert shows_servers_page(signed_in)
    # Three idle periods after signing in, still signed in: the session slid with each page view.


def test_polling_and_the_live_stream_do_not_keep_a_session(
    signed_in: Client,
    clock: Clock,
    idle: timedelta,
    server: Server,
    make_job: Callable[..., Job],
    make_step: Callable[..., JobStep],
) -> None:
    job = make_job(server, status="succeeded")
    step = make_step(job)
    expiry = session_expiry()
    poll = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/servers/{server.pk}/"}
    for _ in range(5):
        clock.advance(idle / 6)
        assert signed_in.get(reverse("server_live", args=[server.pk]), headers=poll).status_code == 200
        stream = signed_in.get(
            reverse("job_step_stream", args=[job.pk, step.pk]), headers={"Accept": "text/event-stream"}
        )
        assert stream.status_code == 200
        assert "sessionid" not in stream.cookies
    assert session_expiry() == expiry
    clock.advance(idle / 6 + timedelta(seconds=1))
    expired_poll = signed_in.get(reverse("server_live", args=[server.pk]), headers=poll)
    assert expired_poll["HX-Redirect"] == f"{reverse('login')}?next=/servers/{server.pk}/"
    assert not shows_servers_page(signed_in)


def test_a_page_view_renews_the_cookie_and_the_stored_expiry(
    signed_in: Client, clock: Clock, idle: timedelta
) -> None:
    signed_in_at = clock.now
    assert session_expiry() == signed_in_at + idle
    clock.advance(timedelta(minutes=10))
    response = signed_in.get(reverse("servers"))
    assert response.cookies["sessionid"]["max-age"] == idle.total_seconds()
    assert session_expiry() == clock.now + idle
