"""The panel's root key, and the brokeforge user with its own key and sudo.

The same script is what a user pastes as root (`connect_command`), and what the panel runs over
SSH when it can already reach the server as root with a key the user supplies.
"""

from __future__ import annotations

import base64
import shlex

from brokeforge.lib.enums import CredentialType, PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command, PackageInstaller, ServerPackage, Step
from brokeforge.packages.base.lease import LEASE_DIR
from brokeforge.packages.services.brokeforge_user.milestones import (
    BrokeforgeUserInstallerMilestones as M,
)

# Site users are members of this group: the only users brokeforge may become through sudo.
SITES_GROUP = "brokeforge-sites"
# What brokeforge may run as root: checking and reloading the web services, nothing that writes.
ROOT_COMMANDS = [
    "/usr/sbin/nginx -t",
    "/usr/bin/systemctl reload nginx",
    "/usr/bin/systemctl reload php[0-9].[0-9]-fpm",
]


def authorize_script(root_public_key: str, brokeforge_public_key: str) -> str:
    return render(
        "users/authorize.sh.j2",
        user=CredentialType.BROKEFORGE.user,
        root_key=root_public_key,
        user_key=brokeforge_public_key,
        sites_group=SITES_GROUP,
        root_commands=ROOT_COMMANDS,
        lease_dir=LEASE_DIR,
    )


def connect_command(root_public_key: str, brokeforge_public_key: str) -> str:
    """One line to paste into a root shell on the server. Base64 keeps it one line and unmangled."""
    encoded = base64.b64encode(authorize_script(root_public_key, brokeforge_public_key).encode())
    return f'bash -c "$(echo {encoded.decode()} | base64 -d)"'


class BrokeforgeUserInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.BROKEFORGE_USER

    def package_type(self) -> PackageType:
        return PackageType.SERVER

    def milestones(self) -> type[M]:
        return M

    def execute(self) -> None:
        root = self.server.public_key(CredentialType.ROOT)
        user = self.server.public_key(CredentialType.BROKEFORGE)
        self.install(self.commands(root, user))

    def commands(self, root_public_key: str, brokeforge_public_key: str) -> list[Step]:
        script = authorize_script(root_public_key, brokeforge_public_key)
        return [
            self.track(M.AUTHORIZE_KEYS),
            f"sh -c {shlex.quote(script)}",
            self.track(M.CHECK_SUDO),
            # As brokeforge: its sudo rules answer, and none of them makes it root.
            Command(
                "sudo -n -l >/dev/null && if sudo -n true 2>/dev/null; then "
                "echo 'brokeforge can still become root' >&2; exit 1; fi",
                credential=CredentialType.BROKEFORGE,
            ),
            self.track(M.COMPLETE),
        ]
