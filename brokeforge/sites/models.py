"""Sites on a server, and the record of the site-level packages on each (the seeds' tables)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from brokeforge.lib import certificates
from brokeforge.lib.crypto import EncryptedTextField
from brokeforge.lib.enums import (
    CertificateKind,
    CertificateStatus,
    DeploymentStatus,
    DeploymentTrigger,
    SiteRedirect,
    SiteStatus,
    SiteType,
)
from brokeforge.servers.models import InventoryRow, PackageEvent, Server


class Site(models.Model):
    """An application on a server, served under `domain`, owned by its own Linux user."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="sites")
    domain = models.CharField(max_length=253)
    # The site's own Linux user: site packages act as this user (`sudo -u`), never as root.
    system_user = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=SiteStatus.choices, default=SiteStatus.PENDING)
    site_type = models.CharField(max_length=20, choices=SiteType.choices, default=SiteType.PHP)
    # More names the site answers to; with the domain (and a redirect's other name), unique per server.
    aliases = models.JSONField(default=list, blank=True)
    # Relative to `path`; "" serves the site's directory itself. Unused by proxy sites.
    web_directory = models.CharField(max_length=100, blank=True, default="public")
    # One of the server's installed PHP versions, for PHP and Laravel sites; "" otherwise.
    php_version = models.CharField(max_length=10, blank=True)
    # The local port a proxy site passes requests to.
    proxy_port = models.PositiveIntegerField(null=True, blank=True)
    redirect = models.CharField(max_length=20, choices=SiteRedirect.choices, default=SiteRedirect.NONE)

    # -- git: where the site's code comes from ---------------------------------------------------
    repository_url = models.CharField(max_length=500, blank=True)
    branch = models.CharField(max_length=255, blank=True)
    # The site's own deploy key: the user adds the public half to their git host, read-only.
    deploy_key_public = models.TextField(blank=True)
    deploy_key_private = EncryptedTextField(blank=True)
    # The git host's keys as known_hosts lines, pinned at first contact (hosts the panel does not
    # ship keys for); a host presenting another key is refused.
    git_known_hosts = models.TextField(blank=True)

    # -- deployments -----------------------------------------------------------------------------
    # The site's deploy script; "" runs the default of its type.
    deploy_script = models.TextField(blank=True)
    # Files and directories kept in shared/ and linked into every release; None: the type's default.
    shared_paths = models.JSONField(null=True, blank=True)
    keep_releases = models.PositiveIntegerField(default=5)
    health_path = models.CharField(max_length=500, default="/")
    health_status = models.PositiveIntegerField(default=200)
    health_timeout = models.PositiveIntegerField(default=10)
    # The release `current` points to, as `readlink` reported it after the last deployment.
    current_release = models.CharField(max_length=100, blank=True)
    webhook_secret = EncryptedTextField(blank=True)

    # -- HTTPS (with the active certificate, see Certificate) -----------------------------------
    # Plain HTTP is redirected to HTTPS, except the ACME challenge path.
    force_https = models.BooleanField(default=False)
    # Strict-Transport-Security's max-age on HTTPS answers; 0 sends none.
    hsts_max_age = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "id"]
        constraints = [
            models.UniqueConstraint(fields=["server", "domain"], name="unique_site_domain_per_server"),
            models.UniqueConstraint(fields=["server", "system_user"], name="unique_site_user_per_server"),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def home(self) -> str:
        return f"/home/{self.system_user}"

    @property
    def path(self) -> str:
        """Where the site's files live: the site user's home, one directory per domain."""
        return f"{self.home}/{self.domain}"

    def active_certificate(self) -> Certificate | None:
        """The certificate the site's vhost serves, if any."""
        return self.certificates.filter(status=CertificateStatus.ACTIVE).first()


class Deployment(models.Model):
    """One deployment (or rollback) of a site: which commit, which release, how it ended and why.

    The job's journal keeps its full output; `job_id` is a plain id, since the jobs app depends
    on this one."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="deployments")
    job_id = models.PositiveIntegerField(null=True, blank=True)
    trigger = models.CharField(max_length=20, choices=DeploymentTrigger.choices)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=DeploymentStatus.choices, default=DeploymentStatus.QUEUED
    )
    branch = models.CharField(max_length=255, blank=True)
    # The commit asked for ("" : the branch head, resolved once when the deployment starts).
    requested_commit = models.CharField(max_length=40, blank=True)
    # What `git rev-parse HEAD` reports in the release.
    commit = models.CharField(max_length=40, blank=True)
    commit_message = models.CharField(max_length=500, blank=True)
    release = models.CharField(max_length=100, blank=True)
    # The release that was live when this one started: where a failed health check goes back to.
    previous_release = models.CharField(max_length=100, blank=True)
    # A rollback: the deployment whose release it makes live again.
    rollback_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.TextField(blank=True)
    # Set when a user cancels it: the job stops, and the deployment ends cancelled, not failed.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Deployment #{self.pk} of {self.site_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in DeploymentStatus.active()

    @property
    def is_live(self) -> bool:
        """Its release is the one `current` pointed to when the site's last deployment read it."""
        return (
            self.status == DeploymentStatus.SUCCEEDED
            and bool(self.release)
            and self.release == self.site.current_release
        )

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


# Where the panel keeps a site's uploaded certificates on the server (root only).
CUSTOM_CERTIFICATES_DIR = "/etc/brokeforge/ssl"
ACME_LIVE_DIR = "/etc/letsencrypt/live"
# How often the panel reads an active certificate again by itself (jobs/periodic.py): a renewal
# certbot's timer failed on the server is flagged within this long, without anyone asking.
CHECK_INTERVAL = timedelta(hours=12)


class Certificate(models.Model):
    """One certificate of a site: issued over ACME or uploaded. Each attempt is its own row, so a
    failed issuance keeps its error; the one the site serves is ACTIVE.

    What the panel shows of it (issuer, names, dates) is read from the file on the server and from
    what the site serves on port 443, never computed at issue time."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(max_length=20, choices=CertificateKind.choices)
    status = models.CharField(
        max_length=20, choices=CertificateStatus.choices, default=CertificateStatus.QUEUED
    )
    # The names asked for (ACME) or the site's names the upload was checked against.
    domains = models.JSONField(default=list)
    email = models.CharField(max_length=254, blank=True)
    # The ACME directory it was issued from ("" for an upload).
    directory_url = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    job_id = models.PositiveIntegerField(null=True, blank=True)
    # Why it failed: the ACME server's own words, Nginx's refusal.
    error = models.TextField(blank=True)
    # An upload: the chain as served (leaf first) and its key, encrypted at rest.
    certificate_pem = models.TextField(blank=True)
    private_key = EncryptedTextField(blank=True)

    # -- read from the certificate file on the server ---------------------------------------------
    issuer = models.CharField(max_length=500, blank=True)
    names = models.JSONField(default=list, blank=True)
    serial = models.CharField(max_length=100, blank=True)
    fingerprint = models.CharField(max_length=100, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # -- what the site serves on port 443, when last checked ---------------------------------------
    served_fingerprint = models.CharField(max_length=100, blank=True)
    served_not_after = models.DateTimeField(null=True, blank=True)
    served_error = models.CharField(max_length=500, blank=True)
    served_checked_at = models.DateTimeField(null=True, blank=True)
    # -- renewals (ACME): the last one seen on the server, and the last one that failed ------------
    renewed_at = models.DateTimeField(null=True, blank=True)
    renewal_error = models.TextField(blank=True)
    # When the panel reads it again by itself; set by each read, so only read certificates are.
    next_check_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status=CertificateStatus.ACTIVE),
                name="one_active_certificate_per_site",
            )
        ]

    def __str__(self) -> str:
        return f"Certificate #{self.pk} of {self.site_id} ({self.status})"

    @property
    def lineage(self) -> str:
        """Its name on the server: certbot's --cert-name, or the directory of an upload."""
        return f"{self.site.domain}-{self.pk}"

    @property
    def directory(self) -> str:
        root = ACME_LIVE_DIR if self.kind == CertificateKind.ACME else CUSTOM_CERTIFICATES_DIR
        return f"{root}/{self.lineage}"

    @property
    def fullchain_path(self) -> str:
        return f"{self.directory}/fullchain.pem"

    @property
    def key_path(self) -> str:
        return f"{self.directory}/privkey.pem"

    @property
    def is_pending(self) -> bool:
        return self.status in CertificateStatus.pending()

    @property
    def served_matches(self) -> bool:
        return bool(self.fingerprint) and self.served_fingerprint == self.fingerprint

    def expires_soon(self, now: datetime) -> bool:
        return self.not_after is not None and certificates.expires_soon(self.not_after, now)

    def days_left(self, now: datetime) -> int | None:
        return None if self.not_after is None else certificates.days_left(self.not_after, now)

    def problems(self, now: datetime) -> list[str]:
        """What needs the user's attention on an active certificate, as sentences."""
        if self.status != CertificateStatus.ACTIVE:
            return []
        found = []
        if self.not_after is not None and self.not_after <= now:
            found.append(f"expired on {self.not_after:%Y-%m-%d %H:%M} UTC")
        elif self.expires_soon(now):
            found.append(f"expires in {self.days_left(now)} days ({self.not_after:%Y-%m-%d})")
        if self.renewal_error:
            found.append("its last renewal failed")
        if self.served_checked_at is not None and not self.served_matches:
            found.append(
                "port 443 serves another certificate" if self.served_fingerprint else "not served on port 443"
            )
        return found


class WebhookDelivery(models.Model):
    """A push-to-deploy request the panel accepted (signature checked), and what came of it.

    A git host may send a delivery again; its id is unique per site so it never deploys twice."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_deliveries")
    delivery_id = models.CharField(max_length=100)
    provider = models.CharField(max_length=20)
    event = models.CharField(max_length=50)
    ref = models.CharField(max_length=255, blank=True)
    commit = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=200)
    deployment = models.ForeignKey(Deployment, on_delete=models.SET_NULL, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "delivery_id"], name="unique_delivery_per_site")
        ]

    def __str__(self) -> str:
        return f"{self.provider} delivery {self.delivery_id} ({self.outcome})"


class ServerSitePackage(InventoryRow):
    """The seeds' `server_site_packages`: what a site package put on a site, and when.

    Rows are kept when a package is removed (status uninstalled, `uninstalled_at` set): a site's
    history of what ran on it, which server packages' rows do not need.
    """

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="site_packages")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="packages")
    service_name = models.CharField(max_length=60)
    service_type = models.CharField(max_length=30)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_type", "service_name", "instance"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "service_type", "service_name", "instance"],
                name="unique_package_instance_per_site",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_name} on {self.site_id} ({self.status})"


class ServerSitePackageEvent(PackageEvent):
    """A milestone of a site package; also says how that package's run ended."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCESS = "success", "Succeeded"
        FAILED = "failed", "Failed"

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="site_package_events")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="package_events")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error_log = models.TextField(blank=True)

    class Meta(PackageEvent.Meta):
        pass

    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def is_success(self) -> bool:
        return self.status == self.Status.SUCCESS

    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED
