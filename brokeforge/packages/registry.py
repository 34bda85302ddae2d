"""Every service the panel can put on a server or a site, declared once.

Actions, the web UI and the CLI find a service's installer, remover, jobs and label here by its
name (a PackageName); adding a service is adding its folder and one entry below
(see packages/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from brokeforge.lib.enums import PackageName
from brokeforge.packages.base import PackageInstaller, PackageJob, PackageRemover
from brokeforge.packages.services.brokeforge_user.installer import BrokeforgeUserInstaller
from brokeforge.packages.services.brokeforge_user.jobs import BrokeforgeUserInstallerJob
from brokeforge.packages.services.connection.installer import ConnectionInstaller
from brokeforge.packages.services.connection.jobs import ConnectionInstallerJob
from brokeforge.packages.services.databases.access.installer import DatabaseAccessInstaller
from brokeforge.packages.services.databases.access.jobs import DatabaseAccessInstallerJob
from brokeforge.packages.services.databases.backup.installer import DatabaseBackupInstaller
from brokeforge.packages.services.databases.backup.jobs import (
    DatabaseBackupInstallerJob,
    DatabaseRestoreInstallerJob,
)
from brokeforge.packages.services.databases.backup.restorer import DatabaseRestoreInstaller
from brokeforge.packages.services.databases.database.installer import DatabaseInstaller
from brokeforge.packages.services.databases.database.jobs import DatabaseInstallerJob, DatabaseRemoverJob
from brokeforge.packages.services.databases.database.remover import DatabaseRemover
from brokeforge.packages.services.databases.engine.installer import DatabaseEngineInstaller, DatabaseSync
from brokeforge.packages.services.databases.engine.jobs import (
    DatabaseEngineInstallerJob,
    DatabaseEngineRemoverJob,
    DatabaseSyncJob,
)
from brokeforge.packages.services.databases.engine.remover import DatabaseEngineRemover
from brokeforge.packages.services.databases.user.installer import DatabaseUserInstaller
from brokeforge.packages.services.databases.user.jobs import DatabaseUserInstallerJob, DatabaseUserRemoverJob
from brokeforge.packages.services.databases.user.remover import DatabaseUserRemover
from brokeforge.packages.services.firewall.installer import FirewallInstaller, FirewallRuleInstaller
from brokeforge.packages.services.firewall.jobs import (
    FirewallInstallerJob,
    FirewallRuleInstallerJob,
    FirewallRuleRemoverJob,
)
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
from brokeforge.packages.services.nginx.installer import NginxInstaller
from brokeforge.packages.services.nginx.jobs import NginxInstallerJob
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.packages.services.php.jobs import PhpInstallerJob
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.packages.services.provision.jobs import ProvisionInstallerJob
from brokeforge.packages.services.sites.command.installer import SiteCommandInstaller
from brokeforge.packages.services.sites.command.jobs import SiteCommandInstallerJob
from brokeforge.packages.services.sites.deploy.installer import DeploymentInstaller
from brokeforge.packages.services.sites.deploy.jobs import (
    DeploymentInstallerJob,
    DeploymentPreviewJob,
    RollbackInstallerJob,
)
from brokeforge.packages.services.sites.deploy.preview import DeploymentPreview
from brokeforge.packages.services.sites.deploy.rollback import RollbackInstaller
from brokeforge.packages.services.sites.env.installer import SiteEnvInstaller
from brokeforge.packages.services.sites.env.jobs import SiteEnvInstallerJob
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.packages.services.sites.explorer.jobs import SiteFileExplorerJob
from brokeforge.packages.services.sites.git.installer import GitRepositoryInstaller
from brokeforge.packages.services.sites.git.jobs import GitRepositoryInstallerJob
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.packages.services.sites.site.jobs import SiteInstallerJob, SiteRemoverJob, SiteUpdaterJob
from brokeforge.packages.services.sites.site.remover import SiteRemover
from brokeforge.packages.services.sites.site.updater import SiteUpdater
from brokeforge.packages.services.sites.ssl.installer import SslInstaller
from brokeforge.packages.services.sites.ssl.jobs import (
    SslInstallerJob,
    SslRefresherJob,
    SslRemoverJob,
    SslRenewerJob,
)
from brokeforge.packages.services.sites.ssl.refresher import SslRefresher
from brokeforge.packages.services.sites.ssl.remover import SslRemover
from brokeforge.packages.services.sites.ssl.renewer import SslRenewer
from brokeforge.packages.services.system.installer import SystemInstaller
from brokeforge.packages.services.system.jobs import SystemInstallerJob


@dataclass(frozen=True)
class Service:
    name: PackageName
    installer: type[PackageInstaller]
    installer_job: type[PackageJob]
    remover: type[PackageRemover] | None = None
    remover_job: type[PackageJob] | None = None

    @property
    def label(self) -> str:
        return str(self.name.label)

    @property
    def removable(self) -> bool:
        return self.remover_job is not None


SERVICES: dict[PackageName, Service] = {
    service.name: service
    for service in [
        Service(PackageName.PROVISION, ProvisionInstaller, ProvisionInstallerJob),
        Service(PackageName.CONNECTION, ConnectionInstaller, ConnectionInstallerJob),
        Service(PackageName.SYSTEM, SystemInstaller, SystemInstallerJob),
        Service(PackageName.BROKEFORGE_USER, BrokeforgeUserInstaller, BrokeforgeUserInstallerJob),
        Service(PackageName.FIREWALL_UFW, FirewallInstaller, FirewallInstallerJob),
        Service(
            PackageName.FIREWALL_RULE,
            FirewallRuleInstaller,
            FirewallRuleInstallerJob,
            FirewallRuleRemover,
            FirewallRuleRemoverJob,
        ),
        Service(PackageName.PHP, PhpInstaller, PhpInstallerJob),
        Service(PackageName.NGINX, NginxInstaller, NginxInstallerJob),
        Service(PackageName.SITE, SiteInstaller, SiteInstallerJob, SiteRemover, SiteRemoverJob),
        Service(PackageName.SITE_UPDATE, SiteUpdater, SiteUpdaterJob),
        Service(PackageName.SITE_COMMAND, SiteCommandInstaller, SiteCommandInstallerJob),
        Service(PackageName.GIT_REPOSITORY, GitRepositoryInstaller, GitRepositoryInstallerJob),
        Service(PackageName.SITE_ENV, SiteEnvInstaller, SiteEnvInstallerJob),
        Service(PackageName.SITE_FILES, SiteFileExplorer, SiteFileExplorerJob),
        Service(PackageName.DEPLOYMENT, DeploymentInstaller, DeploymentInstallerJob),
        Service(PackageName.DEPLOYMENT_ROLLBACK, RollbackInstaller, RollbackInstallerJob),
        Service(PackageName.DEPLOYMENT_PREVIEW, DeploymentPreview, DeploymentPreviewJob),
        Service(PackageName.SSL, SslInstaller, SslInstallerJob, SslRemover, SslRemoverJob),
        Service(PackageName.SSL_RENEW, SslRenewer, SslRenewerJob),
        Service(PackageName.SSL_REFRESH, SslRefresher, SslRefresherJob),
        Service(
            PackageName.DATABASE_ENGINE,
            DatabaseEngineInstaller,
            DatabaseEngineInstallerJob,
            DatabaseEngineRemover,
            DatabaseEngineRemoverJob,
        ),
        Service(PackageName.DATABASE_SYNC, DatabaseSync, DatabaseSyncJob),
        Service(PackageName.DATABASE_ACCESS, DatabaseAccessInstaller, DatabaseAccessInstallerJob),
        Service(PackageName.DATABASE_BACKUP, DatabaseBackupInstaller, DatabaseBackupInstallerJob),
        Service(PackageName.DATABASE_RESTORE, DatabaseRestoreInstaller, DatabaseRestoreInstallerJob),
        Service(
            PackageName.DATABASE, DatabaseInstaller, DatabaseInstallerJob, DatabaseRemover, DatabaseRemoverJob
        ),
        Service(
            PackageName.DATABASE_USER,
            DatabaseUserInstaller,
            DatabaseUserInstallerJob,
            DatabaseUserRemover,
            DatabaseUserRemoverJob,
        ),
    ]
}


def service(name: str | PackageName) -> Service:
    """The service called `name`; a clear error for a name no service has."""
    try:
        return SERVICES[PackageName(name)]
    except ValueError:
        raise LookupError(f"There is no service called {name!r}.") from None


def label(name: str) -> str:
    """A package name as people read it; a name no service has (an old row) is shown as it is."""
    try:
        return service(name).label
    except LookupError:
        return name
