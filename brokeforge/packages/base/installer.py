from __future__ import annotations

from collections.abc import Sequence

from brokeforge.lib.enums import PackageStatus, ProvisionType
from brokeforge.packages.base.manager import PackageManager, Step


class PackageInstaller(PackageManager):
    """Base of every installer: `execute(...)` prepares data, then `install(commands(...))`."""

    provision_type = ProvisionType.INSTALL
    working_status = PackageStatus.INSTALLING

    def install(self, steps: Sequence[Step], instance: str | None = None) -> None:
        """Run the steps; with an `instance`, its inventory row is `installing` until persist()."""
        self.run_steps(steps, instance)
