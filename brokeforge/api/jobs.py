"""The job journal over the API: a user's jobs, one job with its steps and its result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from brokeforge.actions.scope import user_jobs
from brokeforge.jobs.models import Job, JobStep

router = Router(tags=["jobs"])


class StepOut(Schema):
    seq: int
    section: str
    description: str
    status: str
    exit_code: int | None
    duration_ms: int | None
    output: str


class JobOut(Schema):
    id: int
    label: str
    kind: str
    server_id: int | None
    server_name: str
    site_id: int | None
    site_domain: str
    status: str
    attempt: int
    error: str
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobDetailOut(JobOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(job: Job) -> list[JobStep]:
        return list(job.steps.order_by("seq"))


@router.get("/", response=list[JobOut])
def list_jobs(
    request: HttpRequest, server: int | None = None, site: int | None = None, limit: int = 50
) -> Any:
    jobs = user_jobs(request.user)
    if server is not None:
        jobs = jobs.filter(server_id=server)
    if site is not None:
        jobs = jobs.filter(site_id=site)
    return jobs.order_by("-id")[: max(1, min(limit, 500))]


@router.get("/{job_id}", response=JobDetailOut)
def get_job(request: HttpRequest, job_id: int) -> Any:
    return get_object_or_404(user_jobs(request.user), pk=job_id)
