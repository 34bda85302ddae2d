"""What a user can do to a server: add it, authorise the panel on it, provision it, accept a
changed host key, delete it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from brokeforge.actions import ActionError, jobs
from brokeforge.jobs import queue
from brokeforge.jobs.models import Job, JobStatus
from brokeforge.lib import validators
from brokeforge.lib.enums import (
    ConnectionStatus,
    CredentialType,
    PhpVersion,
    ProvisionStatus,
    ProvisionStep,
)
from brokeforge.packages.services.brokeforge_user.installer import connect_command
from brokeforge.packages.services.brokeforge_user.jobs import BrokeforgeUserInstallerJob
from brokeforge.packages.services.provision.jobs import ProvisionInstallerJob
from brokeforge.servers.models import HostKeyEvent, Server, ServerCredential
from brokeforge.ssh import generate_keypair


def add_server(
    owner: Any, name: str, public_ip: str, ssh_port: int | str = 22, php_version: str = "8.2"
) -> Server:
    try:
        name = validators.server_name(name)
        public_ip = validators.public_ip(public_ip)
        port = validators.ssh_port(ssh_port)
        php = PhpVersion.parse(php_version)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    if Server.objects.filter(owner=owner, name=name).exists():
        raise ActionError(f"You already have a server named {name!r}.")
    with transaction.atomic():
        server = Server.objects.create(
            owner=owner, name=name, public_ip=public_ip, ssh_port=port, php_version=php
        )
        for credential in CredentialType:
            pair = generate_keypair(comment=f"brokeforge-{credential.value}@{name}")
            ServerCredential.objects.create(
                server=server,
                credential_type=credential,
                public_key=pair.public_key,
                private_key=pair.private_key,
            )
    return server


def server_connect_command(server: Server) -> str:
    return connect_command(
        server.public_key(CredentialType.ROOT),
        server.public_key(CredentialType.BROKEFORGE),
    )


def authorize_with_root_key(server: Server, root_private_key: str, user: Any = None) -> Job:
    """Run the connect command over SSH with a root key the user supplies once (never stored)."""
    return queue.run_inline(
        BrokeforgeUserInstallerJob,
        server,
        started_by=user,
        private_key_overrides={CredentialType.ROOT: root_private_key},
    )


def active_provision_job(server: Server) -> Job | None:
    return (
        server.jobs.filter(kind=queue.job_path(ProvisionInstallerJob), status__in=JobStatus.active())
        .order_by("-id")
        .first()
    )


def provision(server: Server, user: Any = None) -> Job:
    """Start provisioning (step 1 verifies the connection); reuse a provisioning under way."""
    if server.connection_status == ConnectionStatus.HOST_KEY_CHANGED:
        raise ActionError(
            f"The host key of {server.name} changed ({server.presented_host_key_fingerprint}, "
            f"pinned {server.host_key_fingerprint}). Accept the new key before provisioning."
        )
    if existing := active_provision_job(server):
        return existing
    server.provision = {str(step.value): ProvisionStatus.PENDING.value for step in ProvisionStep}
    server.provision_status = ProvisionStatus.PENDING
    server.save(update_fields=["provision", "provision_status"])
    return jobs.dispatch(ProvisionInstallerJob, server, server.php_version, started_by=user)


def accept_host_key(server: Server, user: Any, fingerprint: str) -> HostKeyEvent:
    """Pin the key the server presented, if it is the very key the user was shown and judged.

    `fingerprint` is the presented key's fingerprint as the page or `servers show` printed it.
    A different key may have been presented since (the server was replaced again, or someone is
    in the middle): accepting it would pin a key nobody looked at, so it is refused.
    """
    shown = fingerprint.strip()
    seen = _host_key_state(server.pk)
    _check_acceptable(server.name, seen, shown)
    with transaction.atomic():
        if not _pin_presented_key(server.pk, seen):
            # A refusal recorded a new key, or another accept won, between our read and write.
            _check_acceptable(server.name, _host_key_state(server.pk), shown)
            raise ActionError(
                f"The host key of {server.name} changed while it was being accepted; "
                "reload and compare its fingerprint again."
            )
        event = HostKeyEvent.objects.create(
            server=server,
            action=HostKeyEvent.Action.ACCEPTED,
            fingerprint=seen["presented_host_key_fingerprint"],
            previous_fingerprint=seen["host_key_fingerprint"],
            user=user,
        )
    server.refresh_from_db()
    return event


_HOST_KEY_FIELDS = ("host_key_fingerprint", "presented_host_key", "presented_host_key_fingerprint")


def _host_key_state(server_id: int) -> dict[str, str]:
    """The server's pinned and presented keys as the database holds them now, not as the
    (possibly stale) object in hand says."""
    state: dict[str, str] = Server.objects.filter(pk=server_id).values(*_HOST_KEY_FIELDS).get()
    return state


def _check_acceptable(name: str, state: dict[str, str], shown: str) -> None:
    presented = state["presented_host_key_fingerprint"]
    if not state["presented_host_key"]:
        raise ActionError(f"{name} has not presented a different host key.")
    if not shown:
        raise ActionError(
            f"Give the fingerprint of the host key you accept ({presented} is the one {name} "
            "presents now); compare it with the server's own first."
        )
    if shown != presented:
        raise ActionError(
            f"{name} now presents host key {presented}, not {shown}, the one you were shown. "
            "It changed again since; compare the new fingerprint with the server's own before "
            "accepting it."
        )


def _pin_presented_key(server_id: int, seen: dict[str, str]) -> bool:
    """Compare-and-swap: pin the presented key only if the row still holds exactly what was
    checked, so a key recorded by a concurrent refusal is never pinned unseen."""
    now = timezone.now()
    updated = Server.objects.filter(pk=server_id, **seen).update(
        host_key=seen["presented_host_key"],
        host_key_fingerprint=seen["presented_host_key_fingerprint"],
        host_key_pinned_at=now,
        presented_host_key="",
        presented_host_key_fingerprint="",
        connection_status=ConnectionStatus.PENDING,
        connection_error="",
        updated_at=now,
    )
    return updated == 1


def delete_server(server: Server) -> None:
    # The row lock orders this against queueing a job (queue.dispatch takes it too): a job is
    # either queued first, and seen here, or finds its server gone.
    with transaction.atomic():
        locked = Server.objects.select_for_update().filter(pk=server.pk).first()
        if locked is None:
            return  # already deleted
        if locked.jobs.filter(status__in=JobStatus.active()).exists():
            raise ActionError(f"{server.name} has a job queued or running; wait for it to finish.")
        locked.delete()
