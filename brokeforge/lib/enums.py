"""The enums the models and the package system share (the seeds' names).

They live below the models (lib/), so models, packages and everything above can use them; a leaf
module: it imports nothing of ours.
"""

from __future__ import annotations

from django.db import models


class CredentialType(models.TextChoices):
    ROOT = "root", "root"
    BROKEFORGE = "brokeforge", "brokeforge"

    @property
    def user(self) -> str:
        return self.value


class PackageName(models.TextChoices):
    SYSTEM = "system", "System"
    BROKEFORGE_USER = "brokeforge_user", "BrokeForge user"
    CONNECTION = "connection", "Connection"
    PROVISION = "provision", "Provisioning"
    FIREWALL_UFW = "firewall_ufw", "Firewall (ufw)"
    FIREWALL_RULE = "firewall_rule", "Firewall rule"
    PHP = "php", "PHP"
    NGINX = "nginx", "Nginx"
    SITE = "site", "Site"
    SITE_UPDATE = "site_update", "Site settings"
    SITE_COMMAND = "site_command", "Site command"
    GIT_REPOSITORY = "git_repository", "Git repository"
    DEPLOYMENT = "deployment", "Deployment"
    DEPLOYMENT_ROLLBACK = "deployment_rollback", "Rollback"
    DEPLOYMENT_PREVIEW = "deployment_preview", "Deployment preview"
    SITE_ENV = "site_env", "Environment file"
    SITE_FILES = "site_files", "Site files"
    SSL = "ssl", "SSL certificate"
    SSL_RENEW = "ssl_renew", "SSL renewal"
    SSL_REFRESH = "ssl_refresh", "SSL check"
    DATABASE_ENGINE = "database_engine", "Database engine"
    DATABASE = "database", "Database"
    DATABASE_USER = "database_user", "Database user"
    DATABASE_SYNC = "database_sync", "Database import"
    DATABASE_BACKUP = "database_backup", "Database backup"
    DATABASE_RESTORE = "database_restore", "Database restore"
    DATABASE_ACCESS = "database_access", "Remote database access"
    REDIS = "redis", "Redis"


class PackageType(models.TextChoices):
    SYSTEM = "system", "System"
    SERVER = "server", "Server"
    FIREWALL = "firewall", "Firewall"
    PHP = "php", "PHP"
    WEBSERVER = "webserver", "Web server"
    SITE = "site", "Site"
    DATABASE = "database", "Database"


class PhpVersion(models.TextChoices):
    """PHP versions we install from the OS archive: Debian 12 ships 8.2, Debian 13 ships 8.4."""

    PHP82 = "8.2", "PHP 8.2"
    PHP84 = "8.4", "PHP 8.4"

    @classmethod
    def parse(cls, value: str) -> PhpVersion:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(cls.values)
            raise ValueError(f"Unsupported PHP version {value!r}; choose one of: {allowed}.") from None


class PackageStatus(models.TextChoices):
    """Where one inventory row stands; it moves while the job that installs or removes it runs."""

    INSTALLING = "installing", "Installing"
    INSTALLED = "installed", "Installed"
    FAILED = "failed", "Failed"
    REMOVING = "removing", "Removing"
    # Site packages keep their row once removed (installed_at / uninstalled_at are their history).
    UNINSTALLED = "uninstalled", "Uninstalled"


class SiteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    INSTALLING = "installing", "Installing"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    REMOVING = "removing", "Removing"


class SiteType(models.TextChoices):
    """What a site runs; it decides the Nginx configuration and whether it gets a PHP-FPM pool."""

    PHP = "php", "PHP"
    LARAVEL = "laravel", "Laravel"
    STATIC = "static", "Static files"
    PROXY = "proxy", "Reverse proxy to a local port"

    @property
    def runs_php(self) -> bool:
        return self in (SiteType.PHP, SiteType.LARAVEL)


class SiteRedirect(models.TextChoices):
    """Which of the bare domain and its www. name is canonical; the other redirects to it."""

    NONE = "none", "No redirect"
    WWW_TO_APEX = "www-to-apex", "www. redirects to the bare domain"
    APEX_TO_WWW = "apex-to-www", "The bare domain redirects to www."


class DeploymentStatus(models.TextChoices):
    """Where one deployment stands; only SUCCEEDED means its release is (or was) the live one."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def active(cls) -> list[str]:
        return [cls.QUEUED, cls.RUNNING]


class CertificateKind(models.TextChoices):
    """Where a site's certificate comes from."""

    ACME = "acme", "Let's Encrypt (ACME)"
    CUSTOM = "custom", "Uploaded"


class CertificateStatus(models.TextChoices):
    """Where one certificate stands. At most one per site is ACTIVE: the one its vhost serves."""

    QUEUED = "queued", "Queued"
    INSTALLING = "installing", "Installing"
    ACTIVE = "active", "Active"
    FAILED = "failed", "Failed"
    # A newer certificate took its place, or it was removed: its files are gone from the server.
    REPLACED = "replaced", "Replaced"
    REMOVED = "removed", "Removed"

    @classmethod
    def pending(cls) -> list[str]:
        return [cls.QUEUED, cls.INSTALLING]


class DatabaseEngine(models.TextChoices):
    """The database servers the panel installs from the OS archive; a server runs at most one of each."""

    MARIADB = "mariadb", "MariaDB"
    POSTGRESQL = "postgresql", "PostgreSQL"

    @classmethod
    def parse(cls, value: str) -> DatabaseEngine:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"Unknown database engine {value!r}; choose one of: {', '.join(cls.values)}."
            ) from None


class DatabaseStatus(models.TextChoices):
    """Where a database or a database user stands; it moves while the job that changes it runs."""

    QUEUED = "queued", "Queued"
    APPLYING = "applying", "Applying"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    DROPPING = "dropping", "Dropping"

    @classmethod
    def busy(cls) -> list[str]:
        return [cls.QUEUED, cls.APPLYING, cls.DROPPING]


class DatabaseAccess(models.TextChoices):
    """What a user may do in one database."""

    READ_ONLY = "ro", "Read-only"
    READ_WRITE = "rw", "Read-write"


class BackupStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class BackupTrigger(models.TextChoices):
    """Why a backup was taken."""

    MANUAL = "manual", "Taken by hand"
    SCHEDULE = "schedule", "On its schedule"
    RESTORE = "restore", "Before a restore over it"


class DeploymentTrigger(models.TextChoices):
    """Who or what started a deployment."""

    MANUAL = "manual", "Started by hand"
    WEBHOOK = "webhook", "Push to deploy"
    ROLLBACK = "rollback", "Rollback"


class ProvisionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    INSTALLING = "installing", "Installing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Not yet connected"
    CONNECTED = "connected", "Connected"
    FAILED = "failed", "Connection failed"
    HOST_KEY_CHANGED = "host_key_changed", "Host key changed"


class ProvisionType(models.TextChoices):
    INSTALL = "install", "Install"
    UNINSTALL = "uninstall", "Uninstall"


class ProvisionStep(models.IntegerChoices):
    """The numbered provisioning steps, in order (the seeds' `provision` map)."""

    CONNECT = 1, "Connecting to the server"
    PREPARE_SYSTEM = 2, "Preparing the system"
    BROKEFORGE_USER = 3, "Setting up the brokeforge user"
    FIREWALL = 4, "Installing the firewall"
    FIREWALL_RULES = 5, "Opening SSH, HTTP and HTTPS"
    PHP = 6, "Installing PHP"
    NGINX = 7, "Installing Nginx"
