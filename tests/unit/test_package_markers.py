import pytest

from brokeforge.lib.enums import CredentialType, PackageName, PackageType
from brokeforge.packages.base import (
    Milestones,
    PackageInstaller,
    ServerPackage,
    SitePackage,
    UnknownPackageType,
)
from brokeforge.servers.models import Server


class _Milestones(Milestones):
    COMPLETE = "complete", "Done"


class Unmarked(PackageInstaller):
    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[_Milestones]:
        return _Milestones


class ServerLevel(Unmarked, ServerPackage):
    pass


class SiteLevel(Unmarked, SitePackage):
    pass


def test_a_package_without_marker_has_no_credential() -> None:
    with pytest.raises(UnknownPackageType, match="Unknown package type: Unmarked must inherit"):
        Unmarked(Server(name="web-1")).credential_type()


def test_a_package_without_marker_refuses_to_run() -> None:
    # Fails on the marker before it even looks for a job to run in.
    with pytest.raises(UnknownPackageType, match="Unknown package type"):
        Unmarked(Server(name="web-1")).install(["true"])


def test_server_packages_run_as_root() -> None:
    assert ServerLevel(Server(name="web-1")).credential_type() is CredentialType.ROOT


def test_site_packages_run_as_brokeforge() -> None:
    assert SiteLevel(Server(name="web-1")).credential_type() is CredentialType.BROKEFORGE


def test_unknown_package_type_is_a_type_error() -> None:
    assert issubclass(UnknownPackageType, TypeError)
