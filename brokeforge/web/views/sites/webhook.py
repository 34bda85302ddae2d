"""Push to deploy: the endpoint git hosts call (no session: the signature is the credential),
and the site's webhook page (URL, secret, rotation, the deliveries received)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from brokeforge.actions.sites import webhook as webhook_actions
from brokeforge.web.views.scope import user_site

DELIVERIES_SHOWN = 30


@csrf_exempt  # a git host has no session and no CSRF token: the HMAC signature proves the sender
@login_not_required
@require_POST
def site_webhook(request: HttpRequest, site_id: int) -> HttpResponse:
    answer = webhook_actions.receive(site_id, request.headers, request.body)
    return HttpResponse(answer.message + "\n", status=answer.status, content_type="text/plain; charset=utf-8")


@require_GET
def site_webhook_settings(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    url, secret = webhook_actions.webhook(site)
    context = {
        "site": site,
        "url": url,
        "secret": secret,
        "deliveries": webhook_actions.deliveries(site)[:DELIVERIES_SHOWN],
    }
    return render(request, "web/sites/webhook/settings.html", context)


@require_POST
def site_webhook_rotate(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    webhook_actions.webhook(site, rotate=True)
    messages.success(request, "New webhook secret: set it on your git host; the old one no longer works.")
    return redirect("site_webhook_settings", site.pk)
