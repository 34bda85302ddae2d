"""What a user can do to a server: add it, authorise the panel on it, provision it, accept a
changed host key, delete it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from brokeforge.actions import ActionError
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
    return queue.dispatch(ProvisionInstallerJob, server, server.php_version, started_by=user)


def accept_host_key(server: Server, user: Any) -> None:
    """Pin the key the server now presents: an explicit, recorded decision by a user."""
    if not server.presented_host_key:
        raise ActionError(f"{server.name} has not presented a different host key.")
    HostKeyEvent.objects.create(
        server=server,
        action=HostKeyEvent.Action.ACCEPTED,
        fingerprint=server.presented_host_key_fingerprint,
        previous_fingerprint=server.host_key_fingerprint,
        user=user,
    )
    server.host_key = server.presented_host_key
    server.host_key_fingerprint = server.presented_host_key_fingerprint
    server.host_key_pinned_at = timezone.now()
    server.presented_host_key = server.presented_host_key_fingerprint = ""
    server.connection_status = ConnectionStatus.PENDING
    server.connection_error = ""
    server.save()


def delete_server(server: Server) -> None:
    if server.jobs.filter(status__in=JobStatus.active()).exists():
        raise ActionError(f"{server.name} has a job queued or running; wait for it to finish.")
    server.delete()
