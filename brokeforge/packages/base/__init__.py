"""The seeds' package system: packages, installers, removers, milestones and thin jobs."""

from brokeforge.packages.base.command import Command
from brokeforge.packages.base.installer import PackageInstaller
from brokeforge.packages.base.job import PackageJob, SitePackageJob
from brokeforge.packages.base.manager import PackageManager, PanelStep, Step
from brokeforge.packages.base.milestones import Milestones
from brokeforge.packages.base.package import Package, ServerPackage, SitePackage, UnknownPackageType
from brokeforge.packages.base.remover import PackageRemover

__all__ = [
    "Command",
    "Milestones",
    "Package",
    "PackageInstaller",
    "PackageJob",
    "PackageManager",
    "PackageRemover",
    "PanelStep",
    "ServerPackage",
    "SitePackage",
    "SitePackageJob",
    "Step",
    "UnknownPackageType",
]
