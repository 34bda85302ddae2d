"""The seeds' package system: packages, installers, removers, milestones and thin jobs."""

from brokeforge.packages.base.installer import PackageInstaller
from brokeforge.packages.base.job import PackageJob
from brokeforge.packages.base.manager import PackageManager, Step
from brokeforge.packages.base.milestones import Milestones
from brokeforge.packages.base.package import Package, ServerPackage, SitePackage, UnknownPackageType
from brokeforge.packages.base.remover import PackageRemover

__all__ = [
    "Milestones",
    "Package",
    "PackageInstaller",
    "PackageJob",
    "PackageManager",
    "PackageRemover",
    "ServerPackage",
    "SitePackage",
    "Step",
    "UnknownPackageType",
]
