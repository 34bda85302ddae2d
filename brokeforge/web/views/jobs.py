"""The job journal: every job of the user's servers, one job's steps live, a retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from brokeforge.actions import ActionError
from brokeforge.actions import jobs as job_actions
from brokeforge.web.forms import JobFilterForm
from brokeforge.web.views.journal import journal_context
from brokeforge.web.views.scope import user_job, user_jobs, user_servers

JOBS_PER_PAGE = 50


@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    form = JobFilterForm(request.GET, servers=user_servers(request.user))
    job_list = user_jobs(request.user).select_related("server", "site", "started_by")
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
        "web/jobs/list.html",
        {"form": form, "page": page, "filters": filters.urlencode(), "filtered": filtered},
    )


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = user_job(request, job_id)
    return render(request, "web/jobs/detail.html", journal_context(job, with_outputs=True))


@require_GET
def job_journal(request: HttpRequest, job_id: int) -> HttpResponse:
    job = user_job(request, job_id)
    return render(request, "web/jobs/live.html", journal_context(job, with_outputs=True))


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = user_job(request, job_id)
    try:
        new_job = job_actions.retry(job, request.user)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("job_detail", job.pk)
    messages.success(
        request, f"Retrying {job.label} as job #{new_job.pk}; it skips the steps that succeeded."
    )
    if new_job.site_id:
        return redirect("site_detail", new_job.site_id)
    return redirect("server_detail", new_job.server_id) if new_job.server_id else redirect("jobs")
