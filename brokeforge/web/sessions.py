"""Sessions that end when their user goes idle: SESSION_COOKIE_AGE after the last page view or form.

SESSION_SAVE_EVERY_REQUEST would slide the expiry on every request, but an open page polls every
second and streams live output, which would keep a forgotten tab signed in forever, and it writes
the session row on every request. Instead a user's own requests (not the page's automatic ones)
re-save the session, at most once a minute: a session therefore ends between SESSION_COOKIE_AGE
minus a minute and SESSION_COOKIE_AGE after its user's last action, never later.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils import timezone

ACTIVE_AT = "brokeforge_active_at"
REFRESH_EVERY_SECONDS = 60


def is_automatic(request: HttpRequest) -> bool:
    """A request the page makes by itself, not one its user made: an htmx GET (every htmx GET in
    the panel is a poll) or the live output stream (EventSource asks for text/event-stream)."""
    if "text/event-stream" in request.headers.get("Accept", ""):
        return True
    return request.method == "GET" and request.headers.get("HX-Request") == "true"


def mark_active(session: SessionBase) -> None:
    # A change to the session's data: SessionMiddleware saves it with a new expiry and sends the
    # cookie again with a new max-age.
    session[ACTIVE_AT] = int(timezone.now().timestamp())


def refresh_if_due(session: SessionBase) -> None:
    last = session.get(ACTIVE_AT)
    if not isinstance(last, int) or timezone.now().timestamp() - last >= REFRESH_EVERY_SECONDS:
        mark_active(session)


def on_sign_in(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """A new session starts active (the sign-in itself saves it)."""
    mark_active(request.session)
