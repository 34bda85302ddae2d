"""The panel's records of a package: its progress events and its inventory row.

Server packages write `ServerPackageEvent` and `ServerPackage`; site packages write
`ServerSitePackageEvent` and `ServerSitePackage`. The package's marker (ServerPackage /
SitePackage) picks which (`records_for`); the manager never branches on it itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from brokeforge.lib.enums import PackageStatus
from brokeforge.servers.models import Server, ServerPackage, ServerPackageEvent
from brokeforge.sites.models import ServerSitePackage, ServerSitePackageEvent, Site

# (package type, package name), as PackageType and PackageName values.
Kind = tuple[str, str]


class Records:
    """The event and inventory tables of one kind of package, for one server or one site."""

    event_model: type[ServerPackageEvent] | type[ServerSitePackageEvent]
    row_model: type[ServerPackage] | type[ServerSitePackage]
    # The inventory table's names for a package's type and name (the seeds named them differently).
    type_field: str
    name_field: str

    def owner(self) -> dict[str, Any]:
        raise NotImplementedError

    def installed(self, version: str, configuration: dict[str, Any]) -> dict[str, Any]:
        """The row's fields once the package is installed."""
        raise NotImplementedError

    def forget(self, kind: Kind, instance: str) -> None:
        """The package is gone from the server."""
        raise NotImplementedError

    def finish_events(self, event_ids: list[int], error: str | None) -> None:
        """Say how the run that recorded these events ended."""

    def event(self, **fields: Any) -> int:
        """Record a milestone reached; returns the event's id."""
        return self.event_model.objects.create(**self.owner(), **fields).pk

    def identity(self, kind: Kind, instance: str) -> dict[str, Any]:
        return {**self.owner(), self.type_field: kind[0], self.name_field: kind[1], "instance": instance}

    def rows(self, kind: Kind, instance: str) -> QuerySet[Any]:
        return self.row_model.objects.filter(**self.identity(kind, instance))

    def mark(self, kind: Kind, instance: str, status: PackageStatus, *, create: bool) -> None:
        """Move an inventory row's status while its job runs (an installer creates the row)."""
        if not self.rows(kind, instance).update(status=status) and create:
            self.row_model.objects.create(**self.identity(kind, instance), status=status)

    def record(self, kind: Kind, instance: str, version: str, configuration: dict[str, Any]) -> None:
        """The package is on the server, at this version, with this configuration."""
        self.row_model.objects.update_or_create(
            **self.identity(kind, instance), defaults=self.installed(version, configuration)
        )


class ServerRecords(Records):
    event_model = ServerPackageEvent
    row_model = ServerPackage
    type_field, name_field = "package_type", "package_name"

    def __init__(self, server: Server) -> None:
        self.server = server

    def owner(self) -> dict[str, Any]:
        return {"server": self.server}

    def installed(self, version: str, configuration: dict[str, Any]) -> dict[str, Any]:
        return {"package_version": version, "configuration": configuration, "status": PackageStatus.INSTALLED}

    def forget(self, kind: Kind, instance: str) -> None:
        self.rows(kind, instance).delete()


class SiteRecords(Records):
    event_model = ServerSitePackageEvent
    row_model = ServerSitePackage
    type_field, name_field = "service_type", "service_name"

    def __init__(self, site: Site) -> None:
        self.site = site

    def owner(self) -> dict[str, Any]:
        return {"server_id": self.site.server_id, "site": self.site}

    def installed(self, version: str, configuration: dict[str, Any]) -> dict[str, Any]:
        return {
            "configuration": {**configuration, "version": version} if version else configuration,
            "status": PackageStatus.INSTALLED,
            "installed_at": timezone.now(),
            "uninstalled_at": None,
        }

    def forget(self, kind: Kind, instance: str) -> None:
        # Kept as history: what was on the site, from when to when.
        self.rows(kind, instance).update(status=PackageStatus.UNINSTALLED, uninstalled_at=timezone.now())

    def finish_events(self, event_ids: list[int], error: str | None) -> None:
        events = ServerSitePackageEvent.objects.filter(pk__in=event_ids)
        if error is None:
            events.update(status=ServerSitePackageEvent.Status.SUCCESS)
        elif event_ids:
            # The milestones reached before the failure succeeded; the last one is where it failed.
            events.exclude(pk=event_ids[-1]).update(status=ServerSitePackageEvent.Status.SUCCESS)
            events.filter(pk=event_ids[-1]).update(
                status=ServerSitePackageEvent.Status.FAILED, error_log=error
            )
