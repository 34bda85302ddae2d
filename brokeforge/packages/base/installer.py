from __future__ import annotations

from collections.abc import Sequence

from brokeforge.packages.base.manager import PackageManager, Step
from brokeforge.packages.enums import ProvisionType


class PackageInstaller(PackageManager):
    """Base of every installer: `execute(...)` prepares data, then `install(commands(...))`."""

    provision_type = ProvisionType.INSTALL

    def install(self, steps: Sequence[Step]) -> None:
        self.run_steps(steps)
