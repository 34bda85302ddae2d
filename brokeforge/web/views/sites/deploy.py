"""A site's deployments: deploy (or preview), the history with the live release marked, roll
back, cancel, and how the site deploys (script, shared paths, releases kept, health check)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions.sites import deploy as deploy_actions
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import VARIABLES
from brokeforge.sites.models import Site
from brokeforge.web.forms import DeployForm, DeploySettingsForm
from brokeforge.web.views.scope import user_job, user_site

HISTORY_LENGTH = 50


def _history_context(site: Site) -> dict[str, object]:
    history = list(deploy_actions.deployments(site)[:HISTORY_LENGTH])
    return {
        "site": site,
        "deployments": history,
        "under_way": any(d.is_active for d in history),
        "live": deploy_actions.live_deployment(site),
    }


@require_GET
def site_deployments(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    return render(
        request, "web/sites/deploy/deployments.html", {**_history_context(site), "form": DeployForm()}
    )


@require_GET
def site_deployments_live(request: HttpRequest, site_id: int) -> HttpResponse:
    """The part of the page that polls while a deployment is under way."""
    return render(request, "web/sites/deploy/history.html", _history_context(user_site(request, site_id)))


@require_POST
def site_deploy(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = DeployForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a commit SHA, or nothing to deploy the branch head.")
        return redirect("site_deployments", site.pk)
    commit = form.cleaned_data["commit"]
    try:
        if "preview" in request.POST:
            job = deploy_actions.preview(site, request.user, commit)
            return redirect("site_preview", site.pk, job.pk)
        deployment = deploy_actions.deploy(site, request.user, commit)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("site_deployments", site.pk)
    messages.success(request, f"Deploying {site.domain} (deployment #{deployment.pk}).")
    return redirect("job_detail", deployment.job_id)


@require_GET
def site_deploy_preview(request: HttpRequest, site_id: int, job_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    job = user_job(request, job_id)
    if job.site_id != site.pk:
        return redirect("site_deployments", site.pk)
    partial = request.headers.get("HX-Request") == "true"
    template = "web/sites/deploy/preview_body.html" if partial else "web/sites/deploy/preview.html"
    return render(request, template, {"site": site, "job": job, "preview": job.result})


@require_POST
def site_rollback(request: HttpRequest, site_id: int, pk: int) -> HttpResponse:
    site = user_site(request, site_id)
    target = get_object_or_404(site.deployments, pk=pk)
    try:
        deployment = deploy_actions.rollback(site, request.user, target)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("site_deployments", site.pk)
    messages.success(request, f"Rolling {site.domain} back to release {deployment.release}.")
    return redirect("job_detail", deployment.job_id)


@require_POST
def site_cancel_deployment(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    try:
        deployment = deploy_actions.cancel(site, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Cancelling deployment #{deployment.pk}; the live release stays.")
    return redirect("site_deployments", site.pk)


@require_http_methods(["GET", "POST"])
def site_deploy_settings(request: HttpRequest, site_id: int) -> HttpResponse:
    site = user_site(request, site_id)
    form = DeploySettingsForm(request.POST or None, initial=_settings_initial(site))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deploy_actions.update_settings(
                site, data["script"], data["shared"].split(","), data["keep_releases"],
                data["health_path"], data["health_status"], data["health_timeout"],
            )  # fmt: skip
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved; the next deployment uses it.")
            return redirect("site_deployments", site.pk)
    return render(
        request, "web/sites/deploy/settings.html", {"site": site, "form": form, "variables": VARIABLES}
    )


def _settings_initial(site: Site) -> dict[str, object]:
    settings = DeploySettings.of(site)
    return {
        "script": settings.script,
        "shared": ", ".join(str(path) for path in settings.shared),
        "keep_releases": settings.keep_releases,
        "health_path": settings.health.path,
        "health_status": settings.health.status,
        "health_timeout": settings.health.timeout,
    }
