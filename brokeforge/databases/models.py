"""The databases and database users on each server, as the server reports them.

The engines themselves (MariaDB, PostgreSQL) and Redis are inventory rows (servers.ServerPackage):
installed or not, their version, their configuration. What lives inside an engine has rows of its
own here, each moving through DatabaseStatus while the job that changes it runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from brokeforge.lib.crypto import EncryptedTextField
from brokeforge.lib.enums import DatabaseAccess, DatabaseEngine, DatabaseStatus
from brokeforge.servers.models import Server


class EngineRecord(models.Model):
    """What a database and a database user share: where it lives, where it stands, how it came."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE)
    engine = models.CharField(max_length=20, choices=DatabaseEngine.choices)
    status = models.CharField(max_length=20, choices=DatabaseStatus.choices, default=DatabaseStatus.QUEUED)
    # Found on the server (made by hand, or before the panel), not created by the panel.
    imported = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # The last job that changed it, and why that job failed (the engine's own words).
    job_id = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_busy(self) -> bool:
        return self.status in DatabaseStatus.busy()


class Database(EngineRecord):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="databases")
    name = models.CharField(max_length=64)
    charset = models.CharField(max_length=64, blank=True)
    collation = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["engine", "name"]
        constraints = [
            models.UniqueConstraint(fields=["server", "engine", "name"], name="unique_database_per_engine")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.engine} on server {self.server_id})"


class DatabaseUser(EngineRecord):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="database_users")
    name = models.CharField(max_length=64)
    # Where it may connect from: "localhost", an IP address or a network (CIDR), "%" for anywhere.
    host = models.CharField(max_length=100, default="localhost")
    # The password the next job sets, encrypted; emptied once set: the server keeps only its hash,
    # and the panel shows a password once, when it generates it.
    password = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["engine", "name", "host"]
        constraints = [
            models.UniqueConstraint(fields=["server", "engine", "name", "host"], name="unique_database_user")
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.engine} on server {self.server_id})"

    @property
    def account(self) -> str:
        return f"{self.name}@{self.host}"

    @property
    def is_local(self) -> bool:
        return self.host == "localhost"


class DatabaseGrant(models.Model):
    """What one user may do in one database. The user's job makes the server match its grants."""

    user = models.ForeignKey(DatabaseUser, on_delete=models.CASCADE, related_name="grants")
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="grants")
    access = models.CharField(max_length=2, choices=DatabaseAccess.choices)

    class Meta:
        ordering = ["database__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "database"], name="one_grant_per_user_database")
        ]

    def __str__(self) -> str:
        return f"{self.access} on {self.database_id} for {self.user_id}"


class ServicePassword(models.Model):
    """A password a server service (Redis's requirepass) is to be given by its next job, encrypted;
    the job deletes it once set, so the panel never keeps it longer than that. Its id, not the
    password, is the job's argument: nothing secret is stored in the queue."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="service_passwords")
    service = models.CharField(max_length=60)
    password = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.service} password for server {self.server_id}"
