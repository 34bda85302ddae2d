"""Nginx with a default site that names the server and hands PHP to the chosen PHP-FPM."""

from __future__ import annotations

from brokeforge.lib.enums import CredentialType, PackageName, PackageType, PhpVersion
from brokeforge.lib.templates import render
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.base.shell import (
    ConfigCheck,
    apt_install,
    enable_and_start,
    reload,
    wait_until_running,
    write_file,
)
from brokeforge.packages.services.nginx.milestones import NginxInstallerMilestones as M

DEFAULT_ROOT = "/var/www/default/public"
DEFAULT_SITE_CONFIG = "/etc/nginx/sites-available/default"
# Every change to Nginx's configuration is judged by Nginx before it is reloaded.
NGINX_CONFIG = ConfigCheck("nginx -t", reload("nginx"))

NGINX_PACKAGES = ["nginx"]


class NginxInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.NGINX

    def package_type(self) -> PackageType:
        return PackageType.WEBSERVER

    def milestones(self) -> type[M]:
        return M

    def execute(self, php_version: PhpVersion) -> None:
        self.install(self.commands(php_version, self.server.name), instance="")

    def commands(self, php_version: PhpVersion, server_name: str) -> list[Step]:
        site = render("nginx/default-site.conf.j2", document_root=DEFAULT_ROOT, php_version=php_version.value)
        page = render("nginx/default-page.html.j2", server_name=server_name, php_version=php_version.value)
        owner = CredentialType.BROKEFORGE.user
        return [
            self.track(M.INSTALL_SOFTWARE),
            apt_install(NGINX_PACKAGES),
            self.track(M.CONFIGURE_DEFAULT_SITE),
            f"mkdir -p {DEFAULT_ROOT}",
            write_file(f"{DEFAULT_ROOT}/index.html", page),
            f"chown -R {owner}:{owner} /var/www/default",
            write_file(DEFAULT_SITE_CONFIG, site),
            f"ln -sfn {DEFAULT_SITE_CONFIG} /etc/nginx/sites-enabled/default",
            self.track(M.TEST_CONFIGURATION),
            "nginx -t",
            self.track(M.START_SERVICE),
            enable_and_start("nginx"),
            self.track(M.VERIFY),
            wait_until_running("nginx"),
            "curl -fsS -o /dev/null http://127.0.0.1/",
            self.persist_installed(
                "nginx",
                {
                    "default_site": DEFAULT_SITE_CONFIG,
                    "document_root": DEFAULT_ROOT,
                    "php_version": php_version.value,
                },
            ),
            self.track(M.COMPLETE),
        ]
