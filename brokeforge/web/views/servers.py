"""A user's servers: the list, adding one, its page with live provisioning, verifying, deleting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import servers as server_actions
from brokeforge.actions.sites import ssl as ssl_actions
from brokeforge.jobs.models import JobStatus
from brokeforge.lib.enums import CredentialType, PackageName
from brokeforge.packages import registry
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.web.forms import AddServerForm, AddSiteForm
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_host_key_events, user_server, user_servers


@require_GET
def servers(request: HttpRequest) -> HttpResponse:
    # One query for the servers and one for all their packages, however many servers there are.
    server_list = list(user_servers(request.user).prefetch_related("packages"))
    # Per server, how many of its sites' certificates need a look (expiry, failed renewal, port 443).
    attention = ssl_actions.servers_needing_attention(server_list)
    context = {
        "servers": server_list,
        "server_rows": [(server, attention.get(server.pk, 0)) for server in server_list],
        "deleted_host_key_events": deleted_servers_host_keys(request.user),
    }
    return render(request, "web/servers/list.html", context)


def deleted_servers_host_keys(user: Any) -> QuerySet[HostKeyEvent]:
    """The host-key history of the user's deleted servers: kept as an audit trail, shown here
    since those servers have no page any more."""
    return user_host_key_events(user).filter(server__isnull=True).select_related("user")


@require_http_methods(["GET", "POST"])
def server_add(request: HttpRequest) -> HttpResponse:
    form = AddServerForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (server := form.save(request.user)):
        messages.success(request, f"{server.name} added. Run the command below on it as root, then verify.")
        return redirect("server_detail", server.pk)
    return render(request, "web/servers/add.html", {"form": form})


def _live_context(server: Server) -> dict[str, Any]:
    """What changes while a job runs on the server: the part of its page that polls."""
    jobs = server.jobs.all()
    latest_job = jobs.first()
    sites = list(server.sites.all())
    attention = ssl_actions.needing_attention(sites)
    return {
        "server": server,
        "job_active": jobs.filter(status__in=JobStatus.active()).exists(),
        "package_event": latest_job.package_events().last() if latest_job else None,
        "packages": [(registry.label(p.package_name), p) for p in server.packages.all()],
        "firewall_rules": server.packages.filter(package_name=PackageName.FIREWALL_RULE),
        "sites": sites,
        # Each site with what its certificate needs a look for, if anything.
        "site_rows": [(site, attention[site.pk].problems if site.pk in attention else []) for site in sites],
        "host_key_events": server.host_key_events.select_related("user"),
        **journal_context(latest_job, with_outputs=False),
    }


@require_GET
def server_detail(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    context = {
        **_live_context(server),
        "connect_command": server_actions.server_connect_command(server),
        "credentials": [(c.label, server.public_key(c)) for c in CredentialType],
        "site_form": AddSiteForm(None, server),
    }
    return render(request, "web/servers/detail.html", context)


@require_GET
def server_live(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    return render(request, "web/servers/live.html", _live_context(server))


@require_POST
def server_verify(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    try:
        job = server_actions.provision(server, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Verifying the connection and provisioning {server.name} (job #{job.pk}).")
    return redirect("server_detail", server.pk)


@require_POST
def server_accept_host_key(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    # The fingerprint the page showed travels with the form: only that key can be accepted.
    shown = request.POST.get("fingerprint", "")
    try:
        server_actions.accept_host_key(server, request.user, shown)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"New host key of {server.name} accepted. Verify the connection again.")
    return redirect("server_detail", server.pk)


@require_http_methods(["GET", "POST"])
def server_delete(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    if request.method == "GET":
        return render(request, "web/servers/confirm_delete.html", {"server": server})
    try:
        server_actions.delete_server(server)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("server_detail", server.pk)
    messages.success(request, f"{server.name} deleted from BrokeForge. Nothing was changed on the server.")
    return redirect("servers")
