"""The panel's own middleware: the client's real address behind a trusted proxy, the Content
Security Policy, sessions that end when their user goes idle, and sign-in required everywhere (also
for htmx requests from a page whose session has expired)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import resolve_url
from django.utils.deprecation import MiddlewareMixin
from django_htmx.http import HttpResponseClientRedirect

from brokeforge.lib.client_address import client_address, is_trusted, parse_address
from brokeforge.web.sessions import is_automatic, refresh_if_due

# Headers only a proxy of ours may set; from anyone else they are dropped before anything reads them.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)

# Everything the panel loads comes from the panel itself: its own scripts and styles as files, no
# inline code (the templates have none; htmx is told not to inject its indicator styles or eval), and
# no framing, so a page cannot be overlaid by another site (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",  # htmx requests and the live output stream (EventSource)
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ProxyHeadersMiddleware(MiddlewareMixin):
    """Behind a trusted proxy, REMOTE_ADDR becomes the client's address from X-Forwarded-For.

    From any other peer, the forwarded headers are removed: otherwise a client could name its own
    address (and dodge the per-address sign-in limit) or claim https (SECURE_PROXY_SSL_HEADER).
    uvicorn's own proxy-header handling is off (`brokeforge serve`) so this is the one place that
    decides.
    """

    def process_request(self, request: HttpRequest) -> None:
        peer = request.META.get("REMOTE_ADDR", "")
        peer_address = parse_address(peer)
        if peer_address is not None and is_trusted(peer_address, settings.TRUSTED_PROXIES):
            forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR")
            request.META["REMOTE_ADDR"] = client_address(peer, forwarded_for, settings.TRUSTED_PROXIES)
            return
        for header in FORWARDED_HEADERS:
            request.META.pop(header, None)


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class IdleSessionMiddleware(MiddlewareMixin):
    """A signed-in user's own requests keep the session alive; the page's automatic ones do not
    (brokeforge.web.sessions says why and how)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_automatic(request):
            return response  # before request.user: a poll need not load the session for this
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            refresh_if_due(request.session)
        return response


class PanelLoginRequiredMiddleware(LoginRequiredMiddleware):
    # The stubs promise an HttpResponseRedirect; htmx needs a 200 with HX-Redirect instead.
    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable[..., Any]
    ) -> HttpResponse:
        if request.path.startswith("/api/"):
            # A script gets an answer it can read, not a sign-in page.
            return JsonResponse({"detail": "Authentication required."}, status=401)
        if getattr(request, "htmx", False):
            # A redirect would be followed by htmx and the login page swapped into a fragment of
            # the old page; tell the browser to go to the login page instead, then back here.
            current = urlsplit(request.headers.get("HX-Current-URL", "/"))
            back_to = current.path + (f"?{current.query}" if current.query else "")
            login = redirect_to_login(back_to or "/", resolve_url(self.get_login_url(view_func)))
            return HttpResponseClientRedirect(login["Location"])
        response: HttpResponse = super().handle_no_permission(request, view_func)
        return response
