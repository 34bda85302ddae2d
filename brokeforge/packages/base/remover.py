from __future__ import annotations

from collections.abc import Sequence

from brokeforge.packages.base.manager import PackageManager, Step
from brokeforge.packages.enums import ProvisionType


class PackageRemover(PackageManager):
    """Base of every remover: `execute(...)` prepares data, then `remove(commands(...))`."""

    provision_type = ProvisionType.UNINSTALL

    def remove(self, steps: Sequence[Step]) -> None:
        self.run_steps(steps)
