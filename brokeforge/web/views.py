"""The panel's pages. Every query starts from the signed-in user's own servers and jobs, so another
user's server or job is simply not found (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brokeforge.jobs import server_actions
from brokeforge.jobs.models import Job, JobStatus, StepStatus
from brokeforge.packages.enums import CredentialType
from brokeforge.servers.models import Server
from brokeforge.web.forms import AddServerForm, JobFilterForm, LoginForm

JOBS_PER_PAGE = 50

login = login_not_required(
    auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)
)
logout = auth_views.LogoutView.as_view()


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("servers")
    success_message = "Your password was changed."


password_change = PasswordChangeView.as_view()


def user_servers(user: Any) -> QuerySet[Server]:
    return Server.objects.filter(owner=user)


def user_jobs(user: Any) -> QuerySet[Job]:
    # A deleted server's jobs stay in the journal; they belong to whoever started them.
    return Job.objects.filter(Q(server__owner=user) | Q(server__isnull=True, started_by=user))


def _server(request: HttpRequest, server_id: int) -> Server:
    return get_object_or_404(user_servers(request.user), pk=server_id)


def _job(request: HttpRequest, job_id: int) -> Job:
    return get_object_or_404(user_jobs(request.user).select_related("server"), pk=job_id)


@require_GET
def servers(request: HttpRequest) -> HttpResponse:
    # One query for the servers and one for all their packages, however many servers there are.
    server_list = user_servers(request.user).prefetch_related("packages")
    return render(request, "web/server_list.html", {"servers": server_list})


@require_http_methods(["GET", "POST"])
def server_add(request: HttpRequest) -> HttpResponse:
    form = AddServerForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (server := form.save(request.user)):
        messages.success(request, f"{server.name} added. Run the command below on it as root, then verify.")
        return redirect("server_detail", server.pk)
    return render(request, "web/server_add.html", {"form": form})


def _journal_context(job: Job | None, with_outputs: bool) -> dict[str, Any]:
    if job is None:
        return {"job": None}
    steps = list(job.steps.all())
    return {
        "job": job,
        "steps": steps,
        "failed_step": next((s for s in reversed(steps) if s.status == StepStatus.FAILED), None),
        "with_outputs": with_outputs,
    }


def _live_context(server: Server) -> dict[str, Any]:
    """What changes while a job runs on the server: the part of its page that polls."""
    jobs = server.jobs.all()
    latest_job = jobs.first()
    return {
        "server": server,
        "job_active": jobs.filter(status__in=JobStatus.active()).exists(),
        "package_event": server.package_events.filter(job=latest_job).last() if latest_job else None,
        "packages": server.packages.all(),
        "host_key_events": server.host_key_events.select_related("user"),
        **_journal_context(latest_job, with_outputs=False),
    }


@require_GET
def server_detail(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    context = {
        **_live_context(server),
        "connect_command": server_actions.server_connect_command(server),
        "credentials": [(c.label, server.credential(c).public_key) for c in CredentialType],
    }
    return render(request, "web/server_detail.html", context)


@require_GET
def server_live(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    return render(request, "web/partials/server_live.html", _live_context(server))


@require_POST
def server_verify(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    try:
        job = server_actions.provision(server, request.user)
    except server_actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Verifying the connection and provisioning {server.name} (job #{job.pk}).")
    return redirect("server_detail", server.pk)


@require_POST
def server_accept_host_key(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    try:
        server_actions.accept_host_key(server, request.user)
    except server_actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"New host key of {server.name} accepted. Verify the connection again.")
    return redirect("server_detail", server.pk)


@require_http_methods(["GET", "POST"])
def server_delete(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server(request, server_id)
    if request.method == "GET":
        return render(request, "web/server_confirm_delete.html", {"server": server})
    try:
        server_actions.delete_server(server)
    except server_actions.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("server_detail", server.pk)
    messages.success(request, f"{server.name} deleted from BrokeForge. Nothing was changed on the server.")
    return redirect("servers")


@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    form = JobFilterForm(request.GET, servers=user_servers(request.user))
    job_list = user_jobs(request.user).select_related("server", "started_by")
    filtered = form.is_valid() and any(form.cleaned_data.values())
    if filtered:
        if form.cleaned_data["server"]:
            job_list = job_list.filter(server=form.cleaned_data["server"])
        if form.cleaned_data["status"]:
            job_list = job_list.filter(status=form.cleaned_data["status"])
    page = Paginator(job_list, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "web/job_list.html",
        {"form": form, "page": page, "filters": filters.urlencode(), "filtered": filtered},
    )


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "web/job_detail.html", _journal_context(job, with_outputs=True))


@require_GET
def job_journal(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "web/partials/job_live.html", _journal_context(job, with_outputs=True))


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        new_job = server_actions.retry(job, request.user)
    except server_actions.ActionError as exc:
        messages.error(request, str(exc))
        return redirect("job_detail", job.pk)
    messages.success(
        request, f"Retrying {job.label} as job #{new_job.pk}; it skips the steps that succeeded."
    )
    return redirect("server_detail", new_job.server_id) if new_job.server_id else redirect("jobs")
