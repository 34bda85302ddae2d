"""Sites: adding one to a server, its page with the job that creates it live, changing its
settings, deleting it, and commands run in it as the site user with their results."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import sites as site_actions
from brokeforge.sites.models import Site
from brokeforge.web.forms import AddSiteForm, EditSiteForm, SiteCommandForm
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_server, user_site
from brokeforge.web.views.sites.ssl import active_certificate, pending_certificate

HISTORY_LENGTH = 50


@require_http_methods(["GET", "POST"])
def site_add(request: HttpRequest, server_id: int) -> HttpResponse:
    server = user_server(request, server_id)
    form = AddSiteForm(request.POST or None, server)
    if request.method == "POST" and form.is_valid() and (site := form.save(request.user)):
        messages.success(request, f"Creating {site.domain} as user {site.system_user}.")
        return redirect("site_detail", site.pk)
    return render(request, "web/sites/add.html", {"server": server, "form": form})


def _live_context(site: Site) -> dict[str, Any]:
    """What changes while the site's job runs: the part of its page that polls."""
    latest = site_actions.latest_job(site)
    return {
        "site": site,
        "package_event": latest.package_events().last() if latest else None,
        **journal_context(latest, with_outputs=False),
    }


@require_GET
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    context = {
        **_live_context(site),
        "form": SiteCommandForm(),
        "commands": site_actions.command_history(site)[:HISTORY_LENGTH],
        "jobs": site.jobs.select_related("started_by")[:HISTORY_LENGTH],
        "ssl": active_certificate(site),
        "ssl_pending": pending_certificate(site),
    }
    return render(request, "web/sites/detail.html", context)


@require_GET
def site_live(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return render(request, "web/sites/live.html", _live_context(site))


@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = EditSiteForm(request.POST or None, site)
    if request.method == "POST" and form.is_valid() and (job := form.save(request.user)):
        messages.success(
            request,
            f"Updating {site.domain} (job #{job.pk}): the new settings show once the server has them.",
        )
        return redirect("site_detail", site.pk)
    context = {"site": site, "form": form, "certificate": site.active_certificate()}
    return render(request, "web/sites/edit.html", context)


@require_http_methods(["GET", "POST"])
def site_delete(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    if request.method == "GET":
        return render(request, "web/sites/confirm_delete.html", {"site": site})
    try:
        job = site_actions.delete_site(site, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("site_detail", site.pk)
    messages.success(request, f"Deleting {site.domain} from {site.server.name} (job #{job.pk}).")
    return redirect("server_detail", site.server_id)


@require_POST
def site_run_command(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = SiteCommandForm(request.POST)
    if form.is_valid():
        try:
            job = site_actions.run_command(
                site, form.cleaned_data["command"], form.cleaned_data["timeout"], request.user
            )
        except ActionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Running the command as {site.system_user} (job #{job.pk}).")
            return redirect("job_detail", job.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("site_detail", site.pk)
