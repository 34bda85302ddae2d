"""The inputs each installer's commands() is tested with; the expected lists are in data/<name>.json."""

from __future__ import annotations

from typing import Any

from brokeforge.databases.models import Backup, Database, DatabaseUser
from brokeforge.lib.db_passwords import mysql_native_password, scram_sha_256
from brokeforge.lib.enums import DatabaseEngine, PhpVersion
from brokeforge.packages.base import PackageManager, SitePackage, Step
from brokeforge.packages.services.brokeforge_user.installer import BrokeforgeUserInstaller
from brokeforge.packages.services.connection.installer import ConnectionInstaller
from brokeforge.packages.services.databases.access.installer import DatabaseAccessInstaller
from brokeforge.packages.services.databases.backup.installer import DatabaseBackupInstaller
from brokeforge.packages.services.databases.backup.restorer import DatabaseRestoreInstaller
from brokeforge.packages.services.databases.database.installer import DatabaseInstaller
from brokeforge.packages.services.databases.database.remover import DatabaseRemover
from brokeforge.packages.services.databases.engine.installer import DatabaseEngineInstaller, DatabaseSync
from brokeforge.packages.services.databases.engine.remover import DatabaseEngineRemover
from brokeforge.packages.services.databases.engines import ENGINES
from brokeforge.packages.services.databases.user.installer import DatabaseUserInstaller
from brokeforge.packages.services.databases.user.remover import DatabaseUserRemover
from brokeforge.packages.services.firewall.installer import FirewallInstaller, FirewallRuleInstaller
from brokeforge.packages.services.firewall.remover import FirewallRuleRemover
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.packages.services.nginx.installer import NginxInstaller
from brokeforge.packages.services.php.installer import PhpInstaller
from brokeforge.packages.services.provision.installer import ProvisionInstaller
from brokeforge.packages.services.sites.command.installer import SiteCommandInstaller
from brokeforge.packages.services.sites.deploy.installer import DeploymentInstaller
from brokeforge.packages.services.sites.deploy.preview import DeploymentPreview
from brokeforge.packages.services.sites.deploy.rollback import RollbackInstaller
from brokeforge.packages.services.sites.deploy.settings import DeploySettings
from brokeforge.packages.services.sites.deploy.site import DeploySite
from brokeforge.packages.services.sites.env.installer import SiteEnvInstaller
from brokeforge.packages.services.sites.explorer.installer import SiteFileExplorer
from brokeforge.packages.services.sites.git.access import GitAccess
from brokeforge.packages.services.sites.git.installer import GitRepositoryInstaller
from brokeforge.packages.services.sites.git.repository import Repository
from brokeforge.packages.services.sites.site.installer import SiteInstaller
from brokeforge.packages.services.sites.site.remover import SiteRemover
from brokeforge.packages.services.sites.site.spec import SiteSpec, Tls
from brokeforge.packages.services.sites.site.updater import SiteUpdater
from brokeforge.packages.services.sites.ssl.installer import SslInstaller
from brokeforge.packages.services.sites.ssl.refresher import SslRefresher
from brokeforge.packages.services.sites.ssl.remover import SslRemover
from brokeforge.packages.services.sites.ssl.renewer import SslRenewer
from brokeforge.packages.services.system.installer import SystemInstaller
from brokeforge.servers.models import Server
from brokeforge.sites.models import Certificate, Deployment, Site

ROOT_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootRootRootRootRootRootRootRootRootRoot brokeforge-root@web-1"
)
USER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUserUserUserUserUserUserUserUserUserUser brokeforge@web-1"

# (installer, commands() arguments[, the site a site package works on, when the default will not do])
Case = tuple[type[PackageManager], tuple[Any, ...]] | tuple[type[PackageManager], tuple[Any, ...], Site]

PHP_SITE = SiteSpec.validated(
    "shop.example.com", "php", ["shop.example.org"], None, "8.2", None, "www-to-apex"
)
LARAVEL_SITE = SiteSpec.validated("example.com", "laravel", (), None, "8.4", None, "apex-to-www")
STATIC_SITE = SiteSpec.validated("docs.example.com", "static", (), "site/dist")
PROXY_SITE = SiteSpec.validated("app.example.com", "proxy", ["api.example.com"], None, None, "3000")

# The PHP site above as the panel records it, for the packages that work inside a site.
PHP_SITE_ROW = Site(**PHP_SITE.model_fields(), status="active")
# What a user may put in .env: quotes of both kinds, $, #, backslashes, spaces, =, unicode, CRLF.
ENV_FILE = (
    '# Shop\r\nAPP_NAME="Shop \\"B\\" & Co"\r\nAPP_KEY=base64:c2VjcmV0IHNlY3JldCBzZWNyZXQ=\r\n'
    'DB_PASSWORD=\'p$ss #1 \\ "x"\'\r\nMAIL_FROM="caf\u00e9 \\$HOME=1"\n'
)
# Not a real key: what the deploy key steps write, on stdin, is all a unit test needs.
FAKE_DEPLOY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----\n"
DOCS_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBFyGFrbeyYp1NDt+f/4a7+4Ku2DI324NggKHWY9gJdv"
LARAVEL_GIT_SITE = Site(
    domain="example.com", system_user="example_com", site_type="laravel", php_version="8.4", status="active",
    repository_url="git@github.com:example/shop.git", branch="main", deploy_key_private=FAKE_DEPLOY_KEY,
    health_path="/up", keep_releases=3,
)  # fmt: skip
STATIC_GIT_SITE = Site(
    domain="docs.example.com", system_user="docs_example_com", site_type="static", web_directory="",
    status="active", repository_url="ssh://git@git.example.net:2222/docs/site.git", branch="release/v2",
    deploy_key_private=FAKE_DEPLOY_KEY, shared_paths=["uploads/", ".htpasswd"],
    git_known_hosts=f"[git.example.net]:2222 {DOCS_HOST_KEY}\n",
    deploy_script="echo \"it's $BROKEFORGE_COMMIT\" > REVISION\nprintf '%s\\n' `date` $(id -u) '$HOME'\n",
)  # fmt: skip
DEPLOYMENT = Deployment(pk=42, release="20261123120000-42", trigger="manual")
PINNED_DEPLOYMENT = Deployment(
    pk=43, release="20261123120500-43", trigger="webhook", requested_commit="c0ffee1"
)
ROLLBACK = Deployment(pk=44, release="20261123120000-42", trigger="rollback")

# Certificates of the PHP site: one issued over ACME (live), one uploaded to take its place.
ACME_CERTIFICATE = Certificate(
    pk=7, site=PHP_SITE_ROW, kind="acme", status="active", email="ops@example.com",
    domains=["shop.example.com", "shop.example.org", "www.shop.example.com"],
    directory_url="https://acme-v02.api.letsencrypt.org/directory",
    names=["shop.example.com", "shop.example.org", "www.shop.example.com"],
)  # fmt: skip
# Not a real certificate or key: what the upload steps write, on stdin, is all a unit test needs.
UPLOADED_CERTIFICATE = Certificate(
    pk=8, site=PHP_SITE_ROW, kind="custom", domains=["shop.example.com"],
    certificate_pem="-----BEGIN CERTIFICATE-----\nnot-a-certificate\n-----END CERTIFICATE-----\n",
    private_key="-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n",
)  # fmt: skip
# The PHP site serving the ACME certificate, plain HTTP redirected, with HSTS.
PHP_SITE_TLS = PHP_SITE.with_tls(Tls.of(ACME_CERTIFICATE))
PHP_SITE_HTTPS = PHP_SITE_TLS.updated({"force_https": True, "hsts_max_age": 31536000})

CASES: dict[str, dict[str, Case]] = {
    "connection": {"default": (ConnectionInstaller, ())},
    "system": {"default": (SystemInstaller, ([],)), "with the stack": (SystemInstaller, (["ufw", "nginx"],))},
    "brokeforge_user": {"two keys": (BrokeforgeUserInstaller, (ROOT_KEY, USER_KEY))},
    "firewall": {
        "ssh on 22": (FirewallInstaller, (FirewallRule.validated(22, "SSH"),)),
        "ssh on 2222": (FirewallInstaller, (FirewallRule.validated("2222", "SSH"),)),
    },
    "firewall_rule": {
        "allow http": (FirewallRuleInstaller, (FirewallRule.validated(80, "HTTP"),)),
        "deny udp from a network": (
            FirewallRuleInstaller,
            (FirewallRule.validated(5353, "mDNS on the LAN", "deny", "udp", "10.1.2.3/8"),),
        ),
        "unnamed, from one IPv6 host": (
            FirewallRuleInstaller,
            (FirewallRule.validated("8080", "", "allow", "tcp", "2001:db8::1"),),
        ),
    },
    "firewall_rule_remover": {
        "allow http": (FirewallRuleRemover, (FirewallRule.validated(80, "HTTP"),)),
        "deny udp from a network": (
            FirewallRuleRemover,
            (FirewallRule.validated(5353, "mDNS on the LAN", "deny", "udp", "10.1.2.3/8"),),
        ),
    },
    "php": {"8.2": (PhpInstaller, (PhpVersion.PHP82,)), "8.4": (PhpInstaller, (PhpVersion.PHP84,))},
    "site_files": {
        "a new file in the release": (SiteFileExplorer, ("current/public/robots.txt", "User-agent: *\n")),
        "an absolute path, quotes and a newline in the contents": (
            SiteFileExplorer,
            ("/home/shop/shop.example.com/shared/.env", "APP_NAME='Shop \"$HOME\"'\r\nAPP_DEBUG=false\n"),
        ),
    },
    "site_command": {
        "artisan with quotes": (
            SiteCommandInstaller,
            ("php artisan tinker --execute='echo 1;'", 120),
            PHP_SITE_ROW,
        ),
        "a pipeline, 10 seconds": (
            SiteCommandInstaller,
            ('ls -la | grep "$HOME" > out.txt', 10),
            PHP_SITE_ROW,
        ),
    },
    "site_env": {
        "a new file": (SiteEnvInstaller, (ENV_FILE,), PHP_SITE_ROW),
        "over the version read": (SiteEnvInstaller, (ENV_FILE, "0" * 64), PHP_SITE_ROW),
        "undo": (SiteEnvInstaller, (None,), PHP_SITE_ROW),
    },
    "site": {
        "php, an alias, www to apex": (SiteInstaller, (PHP_SITE,)),
        "laravel on 8.4, apex to www": (SiteInstaller, (LARAVEL_SITE,)),
        "static in site/dist": (SiteInstaller, (STATIC_SITE,)),
        "proxy to port 3000": (SiteInstaller, (PROXY_SITE,)),
    },
    "site_update": {
        "php 8.2 to 8.4, an alias more": (
            SiteUpdater,
            (PHP_SITE, PHP_SITE.updated({"php_version": "8.4", "aliases": ["shop.example.org", "a.test"]})),
        ),
        "static: web directory and redirect": (
            SiteUpdater,
            (STATIC_SITE, STATIC_SITE.updated({"web_directory": "public", "redirect": "www-to-apex"})),
        ),
        "proxy to port 4000": (SiteUpdater, (PROXY_SITE, PROXY_SITE.updated({"proxy_port": "4000"}))),
        "force https with hsts": (SiteUpdater, (PHP_SITE_TLS, PHP_SITE_HTTPS)),
    },
    "site_remover": {
        "php": (SiteRemover, (PHP_SITE,)),
        "proxy": (SiteRemover, (PROXY_SITE,)),
        "php with its certificates": (SiteRemover, (PHP_SITE_TLS, [ACME_CERTIFICATE, UPLOADED_CERTIFICATE])),
    },
    "ssl": {
        "acme, every name of the site": (SslInstaller, (PHP_SITE, ACME_CERTIFICATE, None)),
        "an upload in place of the acme certificate, https forced": (
            SslInstaller,
            (PHP_SITE_HTTPS, UPLOADED_CERTIFICATE, ACME_CERTIFICATE),
        ),
    },
    "ssl_renew": {"acme": (SslRenewer, (PHP_SITE_TLS, ACME_CERTIFICATE))},
    "ssl_refresh": {"acme": (SslRefresher, (PHP_SITE_TLS, ACME_CERTIFICATE))},
    "ssl_remover": {
        "https forced, hsts": (SslRemover, (PHP_SITE_HTTPS, ACME_CERTIFICATE)),
        "an upload": (SslRemover, (PHP_SITE_TLS, UPLOADED_CERTIFICATE)),
    },
    "deployment": {
        "laravel from github, the branch head": (
            DeploymentInstaller,
            (DeploySite.of(LARAVEL_GIT_SITE), DeploySettings.of(LARAVEL_GIT_SITE), DEPLOYMENT),
            LARAVEL_GIT_SITE,
        ),
        "static, a commit, a hostile script": (
            DeploymentInstaller,
            (DeploySite.of(STATIC_GIT_SITE), DeploySettings.of(STATIC_GIT_SITE), PINNED_DEPLOYMENT),
            STATIC_GIT_SITE,
        ),
    },
    "deployment_rollback": {
        "to an earlier release": (
            RollbackInstaller,
            (DeploySite.of(LARAVEL_GIT_SITE), DeploySettings.of(LARAVEL_GIT_SITE), ROLLBACK),
            LARAVEL_GIT_SITE,
        ),
    },
    "deployment_preview": {
        "the branch head": (
            DeploymentPreview,
            (DeploySite.of(LARAVEL_GIT_SITE), DeploySettings.of(LARAVEL_GIT_SITE), ""),
            LARAVEL_GIT_SITE,
        ),
    },
    "git_repository": {
        "github, over ssh": (GitRepositoryInstaller, (GitAccess.of(LARAVEL_GIT_SITE),), LARAVEL_GIT_SITE),
        "a host of its own on port 2222, pinned": (
            GitRepositoryInstaller,
            (GitAccess.of(STATIC_GIT_SITE),),
            STATIC_GIT_SITE,
        ),
        "accepting a changed host key": (
            GitRepositoryInstaller,
            (GitAccess.of(STATIC_GIT_SITE), "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"),
            STATIC_GIT_SITE,
        ),
        "a public repository over https": (
            GitRepositoryInstaller,
            (GitAccess("shop", Repository.validated("https://gitlab.com/example/a.git"), FAKE_DEPLOY_KEY),),
        ),
    },
    "nginx": {
        "8.2 on web-1": (NginxInstaller, (PhpVersion.PHP82, "web-1")),
        "8.2, markup in the server name": (NginxInstaller, (PhpVersion.PHP82, "<script>alert(1)</script>")),
    },
    "provision": {"8.2": (ProvisionInstaller, (PhpVersion.PHP82,))},
}

MARIADB, POSTGRESQL = ENGINES[DatabaseEngine.MARIADB], ENGINES[DatabaseEngine.POSTGRESQL]
# Every character a password may hold that a shell or SQL would read: it never reaches either.
HOSTILE_PASSWORD = 'it\'s "q" \\ $(touch /tmp/owned) `id` % & ünï 🔑'
SHOP_DB = Database(engine="mariadb", name="shop", charset="utf8mb4", collation="utf8mb4_unicode_ci")
PG_DB = Database(engine="postgresql", name="shop_pg")
MARIADB_USER = DatabaseUser(engine="mariadb", name="shop_app", host="10.0.0.0/24")
PG_USER = DatabaseUser(engine="postgresql", name="shop_app", host="localhost")
# The grant map the user installer is given: every ready database of the engine on the server.
GRANT_MAP = [
    {"name": "blog", "access": None, "writers": ["blogger"], "readers": []},
    {"name": "shop", "access": "rw", "writers": ["shop_admin"], "readers": ["reporting"]},
    {"name": "stats_2026", "access": "ro", "writers": ["collector"], "readers": []},
]

CASES["database_engine"] = {
    "mariadb": (DatabaseEngineInstaller, (MARIADB,)),
    "postgresql": (DatabaseEngineInstaller, (POSTGRESQL,)),
}
CASES["database_engine_remover"] = {
    "mariadb": (DatabaseEngineRemover, (MARIADB,)),
    "postgresql": (DatabaseEngineRemover, (POSTGRESQL,)),
}
CASES["database_sync"] = {"postgresql": (DatabaseSync, (POSTGRESQL,))}
CASES["database"] = {
    "mariadb, a character set and collation": (DatabaseInstaller, (SHOP_DB,)),
    "postgresql, the default encoding": (DatabaseInstaller, (PG_DB,)),
}
CASES["database_remover"] = {
    "mariadb, the panel's users lose their grants": (
        DatabaseRemover,
        (SHOP_DB, [("shop_app", "10.0.0.0/24"), ("shop_admin", "localhost")]),
    ),
    "postgresql": (DatabaseRemover, (PG_DB, [("shop_app", "localhost")])),
}
CASES["database_user"] = {
    "mariadb, a hostile password, a network, grants": (
        DatabaseUserInstaller,
        (MARIADB_USER, mysql_native_password(HOSTILE_PASSWORD), GRANT_MAP),
    ),
    "postgresql, a hostile password, grants": (
        DatabaseUserInstaller,
        (PG_USER, scram_sha_256(HOSTILE_PASSWORD, salt=b"fixed salt 16 by"), GRANT_MAP),
    ),
    "postgresql, grants only": (DatabaseUserInstaller, (PG_USER, "", GRANT_MAP)),
}
CASES["database_user_remover"] = {
    "mariadb": (DatabaseUserRemover, (MARIADB_USER, ["blog", "shop"])),
    "postgresql": (DatabaseUserRemover, (PG_USER, ["blog", "shop"])),
}

SHOP_BACKUP = Backup(
    pk=7, engine="mariadb", database_name="shop", file_name="20261124-030000-7.sql.gz", sha256="ab" * 32
)
PG_BACKUP = Backup(
    pk=8, engine="postgresql", database_name="shop_pg", file_name="20261124-030000-8.sql.gz", sha256="cd" * 32
)
CASES["database_backup"] = {
    "mariadb, keep 7": (DatabaseBackupInstaller, (SHOP_BACKUP, 7)),
    "postgresql, keep 1": (DatabaseBackupInstaller, (PG_BACKUP, 1)),
}
CASES["database_restore"] = {
    "mariadb, over the database it came from": (DatabaseRestoreInstaller, (SHOP_BACKUP, SHOP_DB, False)),
    "postgresql, into a new database": (
        DatabaseRestoreInstaller,
        (PG_BACKUP, Database(engine="postgresql", name="shop_pg_copy"), True),
    ),
}

PG_CONFIGURATION = {
    "config_file": "/etc/postgresql/15/main/postgresql.conf",
    "hba_file": "/etc/postgresql/15/main/pg_hba.conf",
}
CASES["database_access"] = {
    "mariadb, opened to a network": (DatabaseAccessInstaller, (MARIADB, {}, ["10.0.0.0/24"], [], [])),
    "postgresql, one source more, one less, remote users": (
        DatabaseAccessInstaller,
        (
            POSTGRESQL,
            PG_CONFIGURATION,
            ["10.0.0.0/24", "192.0.2.7/32"],
            ["10.0.0.0/24", "198.51.100.0/24"],
            [("reporting", "192.0.2.7"), ("shop_app", "%")],
        ),
    ),
    "postgresql, closed again": (
        DatabaseAccessInstaller,
        (POSTGRESQL, PG_CONFIGURATION, [], ["10.0.0.0/24"], []),
    ),
}


def build(server: Server, name: str, case: str) -> list[Step]:
    installer_class, arguments, *own_site = CASES[name][case]
    site = own_site[0] if own_site else Site(domain="shop.example.com", system_user="shop")
    site.server = server
    # commands() signatures differ per installer; a site package works on a site.
    installer: Any = installer_class(server, site if issubclass(installer_class, SitePackage) else None)
    steps: list[Step] = installer.commands(*arguments)
    return steps


def all_cases() -> list[tuple[str, str]]:
    return [(name, case) for name, cases in CASES.items() for case in cases]
