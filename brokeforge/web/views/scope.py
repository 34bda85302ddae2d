"""The signed-in user's own server, site or job by id, or 404 (see actions/scope.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from brokeforge.actions.scope import user_host_key_events, user_jobs, user_servers, user_sites
from brokeforge.jobs.models import Job
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

__all__ = [
    "user_host_key_events",
    "user_job",
    "user_jobs",
    "user_server",
    "user_servers",
    "user_site",
    "user_sites",
]


def user_server(request: HttpRequest, server_id: int) -> Server:
    return get_object_or_404(user_servers(request.user), pk=server_id)


def user_site(request: HttpRequest, site_id: int) -> Site:
    return get_object_or_404(user_sites(request.user).select_related("server"), pk=site_id)


def user_job(request: HttpRequest, job_id: int) -> Job:
    return get_object_or_404(user_jobs(request.user).select_related("server", "site"), pk=job_id)
