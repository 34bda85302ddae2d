"""Sign-in required everywhere, also for htmx requests from a page whose session has expired."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


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
