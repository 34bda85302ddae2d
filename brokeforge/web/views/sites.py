"""A site's page: its jobs, and commands run in it as the site user with their results."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import sites as site_actions
from brokeforge.web.forms import SiteCommandForm
from brokeforge.web.views.scope import user_site

HISTORY_LENGTH = 50


@require_GET
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    context = {
        "site": site,
        "form": SiteCommandForm(),
        "commands": site_actions.command_history(site)[:HISTORY_LENGTH],
        "jobs": site.jobs.select_related("started_by")[:HISTORY_LENGTH],
    }
    return render(request, "web/sites/detail.html", context)


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
