"""The job journal: every job, every step it ran, with the output as it streamed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from brokeforge.servers.models import Server, ServerPackageEvent
from brokeforge.sites.models import ServerSitePackageEvent, Site

# The output kept per step: the tail, which is where errors are. The byte count says what was cut.
OUTPUT_TAIL_BYTES = 256 * 1024


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STALLED = "stalled", "Stalled"

    @classmethod
    def active(cls) -> list[str]:
        return [cls.QUEUED, cls.RUNNING]


class StepStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Job(models.Model):
    kind = models.CharField(max_length=200, help_text="Dotted path of the job class")
    label = models.CharField(max_length=200)
    arguments = models.JSONField(default=list)
    server = models.ForeignKey(Server, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs")
    # Kept so the journal still says where a job ran after its server is deleted.
    server_name = models.CharField(max_length=100, blank=True)
    # Set for site-level package jobs; the domain is kept like server_name.
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs")
    site_domain = models.CharField(max_length=253, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempt = models.PositiveIntegerField(default=1)
    retry_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries"
    )
    error = models.TextField(blank=True)
    # What a job hands back for the UI, CLI and API to read (a site command's output and exit code).
    result = models.JSONField(null=True, blank=True)
    waiting_for = models.CharField(max_length=200, blank=True)
    # Why a user asked the running job to stop ("" : nobody did); its heartbeat sees it and stops it.
    stop_requested = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label}"

    @property
    def is_active(self) -> bool:
        return self.status in JobStatus.active()

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or self.heartbeat_at or self.started_at
        return (end - self.started_at).total_seconds()

    def package_events(self) -> models.QuerySet[Any]:
        """The milestones this job's packages reached: a site job's are its site's events."""
        if self.site_domain:
            return ServerSitePackageEvent.objects.filter(job_id=self.pk)
        return ServerPackageEvent.objects.filter(job_id=self.pk)

    def failed_step(self) -> JobStep | None:
        return self.steps.filter(status=StepStatus.FAILED).last()


class JobStep(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField()
    # Identifies the step across attempts ("provision/nginx#4"), so a retry can skip what succeeded.
    key = models.CharField(max_length=300)
    section = models.CharField(max_length=200)
    description = models.TextField(help_text="The command as run, secrets redacted")
    # HMAC of the command as sent (unredacted text, options, stdin): a retry skips a command only
    # when this matches the one that succeeded at the same key. Keyed, so it reveals no secret.
    command_hash = models.CharField(max_length=64, blank=True)
    is_command = models.BooleanField(default=True)
    status = models.CharField(max_length=20, choices=StepStatus.choices, default=StepStatus.RUNNING)
    exit_code = models.IntegerField(null=True, blank=True)
    output = models.TextField(blank=True)
    output_bytes = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="unique_step_seq")]

    def __str__(self) -> str:
        return f"{self.job_id}.{self.seq} {self.description[:60]}"

    @property
    def output_truncated(self) -> bool:
        return self.output_bytes > len(self.output.encode())


class ServerLock(models.Model):
    """At most one package job works on a server at a time: the row is the lock."""

    server = models.OneToOneField(Server, on_delete=models.CASCADE, primary_key=True)
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="lock")
    acquired_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"server {self.server_id} locked by job {self.job_id}"
