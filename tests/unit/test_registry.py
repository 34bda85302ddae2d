"""Every service is declared once in the registry, where actions, the UI and the CLI find it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import brokeforge.packages.services as services_package
from brokeforge.lib.enums import PackageName
from brokeforge.packages import registry
from brokeforge.packages.base import PackageInstaller, PackageJob, PackageRemover


def all_classes(base: type) -> set[type]:
    found = set()
    for module in pkgutil.walk_packages(services_package.__path__, services_package.__name__ + "."):
        for _name, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if (
                issubclass(value, base)
                and value.__module__ == module.name
                and not value.__name__.startswith("_")
                and not inspect.isabstract(value)  # a base its services share, never run itself
            ):
                found.add(value)
    return found


def test_every_installer_and_remover_is_registered() -> None:
    installers = {service.installer for service in registry.SERVICES.values()}
    removers = {service.remover for service in registry.SERVICES.values()} - {None}
    assert all_classes(PackageInstaller) == installers
    assert all_classes(PackageRemover) == removers


def test_every_job_is_registered() -> None:
    jobs = {s.installer_job for s in registry.SERVICES.values()} | {
        s.remover_job for s in registry.SERVICES.values()
    }
    assert all_classes(PackageJob) == jobs - {None}


def test_a_service_is_found_by_its_name_and_runs_the_package_of_that_name() -> None:
    for name, service in registry.SERVICES.items():
        assert registry.service(name.value) is service
        assert service.installer.package_name(service.installer.__new__(service.installer)) == name
        if service.remover is not None:
            assert service.remover.package_name(service.remover.__new__(service.remover)) == name


def test_labels_come_from_the_names() -> None:
    assert registry.label(PackageName.FIREWALL_RULE.value) == "Firewall rule"
    assert registry.label("something-from-an-old-version") == "something-from-an-old-version"


def test_an_unknown_service_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="There is no service called 'mongodb'"):
        registry.service("mongodb")
