"""Verify a server: connect as root (pinning its host key on first use), record its OS, and
check that the brokeforge user logs in with its own key and can use sudo."""

from __future__ import annotations

import shlex

from brokeforge.lib.enums import CredentialType, PackageName, PackageType
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.services.connection.milestones import ConnectionInstallerMilestones as M

OS_RELEASE = '. /etc/os-release && printf \'%s\\n%s\\n%s\\n\' "$ID" "$VERSION_ID" "$PRETTY_NAME"'


def parse_os_release(output: str) -> tuple[str, str]:
    """(name, version) from OS_RELEASE's three lines: id, version id, pretty name."""
    lines = [*output.splitlines(), "", "", ""]
    os_id, version, pretty = (line.strip() for line in lines[:3])
    return (pretty or os_id or "unknown"), version


class ConnectionInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.CONNECTION

    def package_type(self) -> PackageType:
        return PackageType.SERVER

    def milestones(self) -> type[M]:
        return M

    def execute(self) -> None:
        self.install(self.commands())

    def commands(self) -> list[Step]:
        return [
            self.track(M.CONNECT),
            "true",
            self.track(M.DETECT_OS),
            self.panel("Record the operating system", self._record_os),
            self.track(M.CHECK_BROKEFORGE_USER),
            self.panel("Log in as brokeforge and check sudo", self._check_brokeforge_user),
            self.track(M.COMPLETE),
        ]

    def _record_os(self) -> None:
        name, version = parse_os_release(self.query(f"sh -c {shlex.quote(OS_RELEASE)}").stdout)
        self.server.os_name, self.server.os_version = name, version
        self.server.save(update_fields=["os_name", "os_version"])

    def _check_brokeforge_user(self) -> None:
        # Logs in with its own key and has its sudo rules; how narrow they are is checked (and
        # made so on servers connected before) by the brokeforge user step of provisioning.
        self.query("id && sudo -n -l", CredentialType.BROKEFORGE)
