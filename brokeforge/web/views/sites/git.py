"""A site's git repository: its form, the deploy key to copy, the git host's pinned key, the
repository job live; checking access again, and accepting a git host's changed key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions.sites import git as git_actions
from brokeforge.jobs.models import Job
from brokeforge.sites.models import Site
from brokeforge.web.forms import RepositoryForm
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_site


def _form(site: Site, data: Any = None) -> RepositoryForm:
    initial = {"url": site.repository_url, "branch": site.branch} if site.repository_url else None
    return RepositoryForm(data, initial=initial)


def _card_context(site: Site, form: RepositoryForm | None = None) -> dict[str, Any]:
    """The repository card: what the panel knows, and the latest repository job (it polls while
    that job runs)."""
    state = git_actions.repository_state(site)
    job = state.latest_job
    return {
        "site": site,
        "state": state,
        "result": state.result,
        "repository_form": form or _form(site),
        "package_event": job.package_events().last() if job else None,
        **journal_context(job, with_outputs=False),
    }


@require_http_methods(["GET", "POST"])
def site_repository(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = _form(site, request.POST or None)
    if request.method == "POST" and form.is_valid() and (job := form.save(site, request.user)):
        messages.success(request, f"Setting the repository of {site.domain} (job #{job.pk}).")
        return redirect("site_repository", site.pk)
    return render(request, "web/sites/git/repository.html", _card_context(site, form))


@require_GET
def site_repository_card(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return render(request, "web/sites/git/card.html", _card_context(site))


@require_GET
def site_repository_live(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    context = {**_card_context(site), "with_journal": request.GET.get("journal") == "1"}
    return render(request, "web/sites/git/live.html", context)


@require_POST
def site_repository_check(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return _queued(request, site, lambda: git_actions.set_repository(site, request.user), "Checking")


@require_POST
def site_repository_accept_host_key(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    # The fingerprint the page showed travels with the form: only the key with it can be pinned.
    shown = request.POST.get("fingerprint", "")
    return _queued(
        request,
        site,
        lambda: git_actions.accept_host_key(site, request.user, shown),
        f"Accepting {shown} for",
    )


def _queued(request: HttpRequest, site: Site, action: Callable[[], Job], doing: str) -> HttpResponse:
    try:
        job = action()
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{doing} the repository of {site.domain} (job #{job.pk}).")
    return redirect("site_repository", site.pk)
