from __future__ import annotations

from collections.abc import Sequence

from brokeforge.lib.enums import PackageStatus, ProvisionType
from brokeforge.packages.base.manager import PackageManager, Step


class PackageRemover(PackageManager):
    """Base of every remover: `execute(...)` prepares data, then `remove(commands(...))`."""

    provision_type = ProvisionType.UNINSTALL
    working_status = PackageStatus.REMOVING

    def remove(self, steps: Sequence[Step], instance: str | None = None) -> None:
        """Run the steps; with an `instance`, its inventory row is `removing` until forget()."""
        self.run_steps(steps, instance)
