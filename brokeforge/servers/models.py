"""Servers, their keys, and the true record of what is installed on each (the seeds' tables)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from brokeforge.lib.crypto import EncryptedTextField
from brokeforge.lib.enums import (
    ConnectionStatus,
    CredentialType,
    PackageStatus,
    PhpVersion,
    ProvisionStatus,
    ProvisionStep,
    ProvisionType,
)


def _empty_provision() -> dict[str, str]:
    return {str(step.value): ProvisionStatus.PENDING.value for step in ProvisionStep}


class Server(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="servers")
    name = models.CharField(max_length=63)
    public_ip = models.GenericIPAddressField(unpack_ipv4=True)
    ssh_port = models.PositiveIntegerField(default=22)
    php_version = models.CharField(max_length=8, choices=PhpVersion.choices, default=PhpVersion.PHP82)

    os_name = models.CharField(max_length=100, blank=True)
    os_version = models.CharField(max_length=50, blank=True)

    # The host key pinned on first connect; any other key is refused until a user accepts it.
    host_key = models.TextField(blank=True)
    host_key_fingerprint = models.CharField(max_length=100, blank=True)
    host_key_pinned_at = models.DateTimeField(null=True, blank=True)
    # The key a server presented that did not match the pinned one, kept for the user to judge.
    presented_host_key = models.TextField(blank=True)
    presented_host_key_fingerprint = models.CharField(max_length=100, blank=True)

    connection_status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    connection_error = models.TextField(blank=True)
    last_connected_at = models.DateTimeField(null=True, blank=True)

    provision_status = models.CharField(
        max_length=20, choices=ProvisionStatus.choices, default=ProvisionStatus.PENDING
    )
    provision = models.JSONField(default=_empty_provision)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_server_name_per_owner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_ip})"

    def credential(self, credential_type: CredentialType) -> ServerCredential:
        """The whole keypair, private key decrypted: only for connecting."""
        return self.credentials.get(credential_type=credential_type)

    def public_key(self, credential_type: CredentialType) -> str:
        """The public key alone: the private key is neither loaded nor decrypted."""
        keys = self.credentials.filter(credential_type=credential_type).values_list("public_key", flat=True)
        return keys.get()

    def set_provision_step(self, step: ProvisionStep, status: ProvisionStatus) -> None:
        self.provision = {**self.provision, str(step.value): status.value}
        self.save(update_fields=["provision", "updated_at"])

    def fail_interrupted_provisioning(self) -> None:
        """Provisioning died with its worker: what was installing is now failed, not forever busy."""
        self.provision_status = ProvisionStatus.FAILED
        self.provision = {
            step: ProvisionStatus.FAILED.value if status == ProvisionStatus.INSTALLING else status
            for step, status in self.provision.items()
        }
        self.save(update_fields=["provision_status", "provision", "updated_at"])

    def provision_steps(self) -> list[dict[str, Any]]:
        return [
            {
                "step": step.value,
                "label": step.label,
                "status": self.provision.get(str(step.value), ProvisionStatus.PENDING.value),
            }
            for step in ProvisionStep
        ]

    def provision_progress(self) -> int:
        done = sum(1 for s in self.provision_steps() if s["status"] == ProvisionStatus.COMPLETED)
        return round(100 * done / len(ProvisionStep))


class ServerCredential(models.Model):
    """One ed25519 keypair per server per login user; the private key is encrypted at rest."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="credentials")
    credential_type = models.CharField(max_length=20, choices=CredentialType.choices)
    public_key = models.TextField()
    private_key = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "credential_type"], name="unique_credential_per_server")
        ]

    def __str__(self) -> str:
        return f"{self.credential_type}@{self.server_id}"

    @property
    def user(self) -> str:
        return CredentialType(self.credential_type).user


class InventoryRow(models.Model):
    """What every inventory row holds: which one of its kind, its configuration, where it stands.

    Abstract: servers keep ServerPackage rows, sites ServerSitePackage rows. A server or site can
    hold several rows of one kind, told apart by `instance` (PHP "8.2" beside "8.4", one row per
    firewall rule), so a remover deletes exactly the row of what it removed.
    """

    instance = models.CharField(max_length=200, blank=True, default="")
    configuration = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=PackageStatus.choices, default=PackageStatus.INSTALLING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ServerPackage(InventoryRow):
    """The seeds' `server_packages`: what is installed on a server, written from what it reports."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="packages")
    package_type = models.CharField(max_length=30)
    package_name = models.CharField(max_length=60)
    package_version = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["package_type", "package_name", "instance"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "package_type", "package_name", "instance"],
                name="unique_package_instance_per_server",
            )
        ]

    def __str__(self) -> str:
        instance = f"[{self.instance}]" if self.instance else ""
        return f"{self.package_name}{instance} {self.package_version} ({self.status})"


class PackageEvent(models.Model):
    """One milestone reached by an installer or remover: drives the "step N of M" progress.

    Abstract: server packages record ServerPackageEvent, site packages ServerSitePackageEvent.
    """

    # The job's id, not a foreign key: the journal's Job points at servers and sites, so a key back
    # would tie the apps' migrations in a cycle. Jobs are never deleted, so the id always resolves.
    job_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    service_type = models.CharField(max_length=60)
    provision_type = models.CharField(max_length=20, choices=ProvisionType.choices)
    milestone = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    current_step = models.PositiveIntegerField()
    total_steps = models.PositiveIntegerField()
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.service_type}: {self.label} ({self.current_step}/{self.total_steps})"

    @property
    def progress_percentage(self) -> float:
        return round(100 * self.current_step / self.total_steps, 2) if self.total_steps else 0.0

    def is_install(self) -> bool:
        return self.provision_type == ProvisionType.INSTALL

    def is_uninstall(self) -> bool:
        return self.provision_type == ProvisionType.UNINSTALL


class ServerPackageEvent(PackageEvent):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="package_events")

    class Meta(PackageEvent.Meta):
        pass


class HostKeyEvent(models.Model):
    """Audit trail of host keys: pinned on first use, refused on change, accepted by a user.

    The trail outlives its server: deleting a server keeps its events, with the server's name,
    address and owner as they were when each event was recorded.
    """

    class Action(models.TextChoices):
        PINNED = "pinned", "Pinned on first connect"
        REFUSED = "refused", "Changed key refused"
        ACCEPTED = "accepted", "New key accepted"

    server = models.ForeignKey(
        Server, on_delete=models.SET_NULL, null=True, blank=True, related_name="host_key_events"
    )
    # Copied from the server when the event is recorded (see save()), so the history still says
    # which machine and whose it was once the server row is gone.
    server_name = models.CharField(max_length=63, blank=True)
    server_address = models.GenericIPAddressField(unpack_ipv4=True, null=True, blank=True)
    server_port = models.PositiveIntegerField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="host_key_events_owned",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    fingerprint = models.CharField(max_length=100)
    previous_fingerprint = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.fingerprint}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every writer (the job journal, actions) creates events with just `server=`: filling the
        # copy here keeps them all correct without each having to remember it.
        if self._state.adding and self.server is not None:
            self.remember_server(self.server)
        super().save(*args, **kwargs)

    def remember_server(self, server: Server) -> None:
        """Copy what identifies the server, keeping any value the creator gave explicitly."""
        self.server_name = self.server_name or server.name
        self.server_address = self.server_address or server.public_ip
        self.server_port = self.server_port or server.ssh_port
        self.owner_id = self.owner_id or server.owner_id

    @property
    def server_deleted(self) -> bool:
        return self.server_id is None
