"""One PHP version: FPM, CLI and the extensions a typical PHP application needs."""

from __future__ import annotations

from brokeforge.lib.enums import PackageName, PackageType, PhpVersion
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.base.shell import (
    ConfigCheck,
    apt_install,
    enable_and_start,
    reload,
    wait_until_running,
)
from brokeforge.packages.services.php.milestones import PhpInstallerMilestones as M

EXTENSIONS = [
    "fpm", "cli", "common", "mysql", "pgsql", "sqlite3", "redis", "xml", "mbstring",
    "curl", "zip", "gd", "bcmath", "intl", "readline", "opcache",
]  # fmt: skip


def php_packages(version: PhpVersion) -> list[str]:
    # php-redis is packaged as php<version>-redis on Debian too.
    return [f"php{version.value}-{extension}" for extension in EXTENSIONS]


def fpm_service(version: PhpVersion) -> str:
    return f"php{version.value}-fpm"


def fpm_config(version: PhpVersion) -> ConfigCheck:
    """A pool change is judged by that version's FPM before the service is reloaded."""
    return ConfigCheck(f"php-fpm{version.value} -t", reload(fpm_service(version)))


class PhpInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.PHP

    def package_type(self) -> PackageType:
        return PackageType.PHP

    def milestones(self) -> type[M]:
        return M

    def execute(self, version: PhpVersion) -> None:
        self.install(self.commands(version), instance=version.value)

    def commands(self, version: PhpVersion) -> list[Step]:
        fpm = fpm_service(version)
        return [
            self.track(M.INSTALL_PHP),
            apt_install(php_packages(version)),
            self.track(M.START_FPM),
            enable_and_start(fpm),
            self.track(M.VERIFY),
            wait_until_running(fpm),
            self.persist_installed(
                fpm,
                {"version": version.value, "extensions": EXTENSIONS, "fpm_service": fpm},
                instance=version.value,
            ),
            self.track(M.COMPLETE),
        ]
