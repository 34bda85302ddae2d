"""A site's environment file: its variables with the values masked until the user reveals them,
a raw editor and a per-variable form (both on the revealed page: they show the values), an undo,
and the last change's job live on the same page.

The page is never cached (it may hold secrets); revealing is a plain GET flag, so a reload or a
shared link shows masked values again unless the user asks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions.sites import env as env_actions
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.env.dotenv import DotenvError
from brokeforge.sites.models import Site
from brokeforge.web.forms import EnvFileForm, EnvVariableForm, EnvVariableFormSet, env_changes
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_site

TEMPLATE = "web/sites/env/page.html"


@never_cache
@require_GET
def site_env(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return _page(request, site, reveal=request.GET.get("reveal") == "1")


@never_cache
@require_POST
def site_env_save(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = EnvFileForm(request.POST)
    if form.is_valid():
        try:
            job = env_actions.write_env(
                site, form.contents(), request.user, base=form.cleaned_data["base"] or None
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            return _queued(request, site, job, "Writing .env")
    return _page(request, site, reveal=True, file_form=form, status=400)


@never_cache
@require_POST
def site_env_variables(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    formset = EnvVariableFormSet(request.POST, prefix="var")
    base = request.POST.get("base") or None
    if formset.is_valid():
        try:
            job = env_actions.set_variables(site, env_changes(formset), request.user, base=base)
        except ActionError as exc:
            messages.error(request, str(exc))
        else:
            return _queued(request, site, job, "Writing .env")
    return _page(request, site, reveal=True, variables_formset=formset, status=400)


@require_POST
def site_env_undo(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return _queued(request, site, env_actions.undo_env(site, request.user), "Going back to the previous .env")


def _queued(request: HttpRequest, site: Site, job: Job, what: str) -> HttpResponse:
    messages.success(request, f"{what} of {site.domain} as {site.system_user} (job #{job.pk}).")
    return redirect("site_env", site.pk)


def _page(
    request: HttpRequest,
    site: Site,
    *,
    reveal: bool,
    file_form: EnvFileForm | None = None,
    variables_formset: Any = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"site": site, "reveal": reveal}
    latest = env_actions.latest_change(site)
    if latest is not None:
        context["latest"] = journal_context(latest, with_outputs=False)
    try:
        env_file = env_actions.read_env(site)
    except ActionError as exc:
        return render(request, TEMPLATE, {**context, "error": str(exc)}, status=400)
    context |= {"env": env_file, **_variables(env_file, reveal)}
    if reveal:
        context["base"] = env_file.sha256
        context["file_form"] = file_form or EnvFileForm.of(env_file.content, env_file.sha256)
        context["variables_formset"] = variables_formset or EnvVariableFormSet(
            initial=[EnvVariableForm.initial_of(v.key, v.value or "") for v in context["variables"]],
            prefix="var",
        )
    return render(request, TEMPLATE, context, status=status)


def _variables(env_file: env_actions.EnvFile, reveal: bool) -> dict[str, Any]:
    """The variables the file sets (a name's last value), values masked unless revealed; or why
    phpdotenv refuses the file."""
    try:
        parsed = env_file.variables
    except DotenvError as exc:
        return {"variables": [], "parse_error": str(exc)}
    last = {variable.key: variable for variable in parsed if variable.value is not None}
    rows = [
        {
            "name": v.key,
            "value": v.value if reveal else env_actions.masked(v.value),
            "references": v.references,
        }
        for v in last.values()
    ]
    return {"variables": list(last.values()), "rows": rows}
