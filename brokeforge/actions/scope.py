"""What a user may see: their own servers, the sites on them, the jobs that ran on them. Every page
and API call starts its queries here, so another user's record is simply not found."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from brokeforge.jobs.models import Job
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.sites.models import Site


def user_servers(user: Any) -> QuerySet[Server]:
    return Server.objects.filter(owner=user)


def user_sites(user: Any) -> QuerySet[Site]:
    return Site.objects.filter(server__owner=user)


def user_jobs(user: Any) -> QuerySet[Job]:
    # A deleted server's jobs stay in the journal; they belong to whoever started them.
    return Job.objects.filter(Q(server__owner=user) | Q(server__isnull=True, started_by=user))


def user_host_key_events(user: Any) -> QuerySet[HostKeyEvent]:
    # A deleted server's host-key history stays with the user who owned the server.
    return HostKeyEvent.objects.filter(Q(server__owner=user) | Q(server__isnull=True, owner=user))
