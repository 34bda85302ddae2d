"""The databases and database users on each server, as the server reports them.

The engines themselves (MariaDB, PostgreSQL) and Redis are inventory rows (servers.ServerPackage):
installed or not, their version, their configuration. What lives inside an engine has rows of its
own here, each moving through DatabaseStatus while the job that changes it runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import models

from brokeforge.home import home
from brokeforge.lib.crypto import EncryptedTextField
from brokeforge.lib.enums import BackupStatus, BackupTrigger, DatabaseAccess, DatabaseEngine, DatabaseStatus
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
    def label(self) -> str:
        """What a message to the user calls it."""
        raise NotImplementedError

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

    @property
    def label(self) -> str:
        return f"{self.get_engine_display()} database {self.name}"


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
    def label(self) -> str:
        return f"{self.get_engine_display()} user {self.account}"

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


# Where backups are written on a server, and kept in the panel's data directory.
SERVER_BACKUPS_DIR = "/var/backups/brokeforge/databases"
# How many backups of a database are kept when its schedule does not say.
DEFAULT_KEEP = 7


class Backup(models.Model):
    """One dump of one database: compressed on the server, copied into the panel, checksummed.

    It outlives its database (SET_NULL): a backup is what is left after a drop."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="database_backups")
    database = models.ForeignKey(
        Database, on_delete=models.SET_NULL, null=True, blank=True, related_name="backups"
    )
    engine = models.CharField(max_length=20, choices=DatabaseEngine.choices)
    database_name = models.CharField(max_length=64)
    trigger = models.CharField(max_length=20, choices=BackupTrigger.choices, default=BackupTrigger.MANUAL)
    status = models.CharField(max_length=20, choices=BackupStatus.choices, default=BackupStatus.QUEUED)
    file_name = models.CharField(max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    job_id = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Backup #{self.pk} of {self.database_name} ({self.status})"

    @property
    def remote_path(self) -> str:
        return f"{SERVER_BACKUPS_DIR}/{self.engine}/{self.database_name}/{self.file_name}"

    @property
    def local_path(self) -> Path:
        return home() / "backups" / str(self.server_id) / self.engine / self.database_name / self.file_name


def backup_file_name(backup: Backup, when: datetime) -> str:
    """Named after when and which: sorts by time on the server and in the panel."""
    return f"{when:%Y%m%d-%H%M%S}-{backup.pk}.sql.gz"


class BackupSchedule(models.Model):
    """When a database is backed up by itself, and how many of its backups are kept."""

    database = models.OneToOneField(Database, on_delete=models.CASCADE, related_name="backup_schedule")
    # A 5-field cron expression, normalised (lib/cron.py); presets are stored as their expression.
    cron = models.CharField(max_length=100)
    keep = models.PositiveIntegerField(default=DEFAULT_KEEP)
    # The next time it is due; the periodic pass queues a backup once it has passed.
    next_run_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Backups of {self.database_id} at {self.cron!r}, keep {self.keep}"
