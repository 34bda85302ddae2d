"""Firewall rules of a server: each one deleted by its own job."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import firewall as firewall_actions
from brokeforge.web.views.scope import user_server


@require_POST
def firewall_rule_delete(request: HttpRequest, server_id: int, rule_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    rule = get_object_or_404(firewall_actions.rules(server), pk=rule_id)
    try:
        job = firewall_actions.delete_rule(rule, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleting the rule {rule.instance} (job #{job.pk}).")
    return redirect("server_detail", server.pk)
