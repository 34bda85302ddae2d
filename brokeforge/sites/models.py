"""Sites on a server, and the record of the site-level packages on each (the seeds' tables)."""

from __future__ import annotations

from django.db import models

from brokeforge.lib.enums import SiteRedirect, SiteStatus, SiteType
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
