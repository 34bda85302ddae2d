"""The Package protocol and the ServerPackage / SitePackage markers every package must carry."""

from __future__ import annotations

from typing import ClassVar

from brokeforge.lib.enums import CredentialType, PackageName, PackageType
from brokeforge.packages.base.milestones import Milestones


class UnknownPackageType(TypeError):
    pass


class ServerPackage:
    """Marker: a server-level package (runs as root, lives under packages/services/<category>/)."""

    default_credential: ClassVar[CredentialType] = CredentialType.ROOT


class SitePackage:
    """Marker: a site-level package (runs as brokeforge, lives under packages/services/sites/)."""

    default_credential: ClassVar[CredentialType] = CredentialType.BROKEFORGE


class Package:
    """What every installer, remover and single-command executor answers."""

    def package_name(self) -> PackageName:
        raise NotImplementedError

    def package_type(self) -> PackageType:
        raise NotImplementedError

    def milestones(self) -> type[Milestones]:
        raise NotImplementedError

    def credential_type(self) -> CredentialType:
        """Root for server packages, brokeforge for site packages, unless a package says otherwise."""
        if isinstance(self, ServerPackage | SitePackage):
            return self.default_credential
        raise UnknownPackageType(
            f"Unknown package type: {type(self).__name__} must inherit ServerPackage or SitePackage"
        )
