"""PackageJob subclasses validate their arguments when they are made, before anything is queued."""

import json

import pytest

from brokeforge.packages.services.firewall.jobs import FirewallInstallerJob, FirewallRuleInstallerJob
from brokeforge.packages.services.firewall.rules import FirewallRule
from brokeforge.packages.services.nginx.jobs import NginxInstallerJob
from brokeforge.packages.services.php.jobs import PhpInstallerJob
from brokeforge.packages.services.provision.jobs import ProvisionInstallerJob
from brokeforge.servers.models import Server


@pytest.mark.parametrize("job_class", [PhpInstallerJob, NginxInstallerJob, ProvisionInstallerJob])
@pytest.mark.parametrize("version", ["5.6", "8", "", "8.2; reboot"])
def test_php_version_jobs_refuse_unsupported_versions(job_class: type, version: str) -> None:
    with pytest.raises(ValueError) as raised:
        job_class(Server(name="web-1"), version)
    assert str(raised.value) == f"Unsupported PHP version {version!r}; choose one of: 8.2, 8.4."


def test_php_job_label_and_arguments() -> None:
    job = PhpInstallerJob(Server(name="web-1"), "8.2")
    assert job.label() == "Install PHP 8.2 on web-1"
    assert job.arguments == ["8.2"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((0,), "Port must be between 1 and 65535"),
        (("http",), "Port must be a number"),
        ((80, "HTTP", "reject"), "Rule type must be allow or deny"),
        ((80, "HTTP", "allow", "icmp"), "Protocol must be tcp or udp"),
        ((80, "HTTP;reboot"), "Rule name"),
        ((80, "HTTP", "allow", "tcp", "10.0.0.0/33"), "is not an IP address or network"),
    ],
)
def test_firewall_rule_job_refuses_bad_rules(arguments: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FirewallRuleInstallerJob(Server(name="web-1"), *arguments)  # type: ignore[arg-type]


def test_firewall_rule_job_keeps_its_arguments_as_json_and_its_rule_validated() -> None:
    job = FirewallRuleInstallerJob(Server(name="web-1"), "443", "HTTPS", "allow", "tcp", "192.0.2.1/24")
    assert json.loads(json.dumps(job.arguments)) == ["443", "HTTPS", "allow", "tcp", "192.0.2.1/24"]
    assert job.rule == FirewallRule(443, "HTTPS", "allow", "tcp", "192.0.2.0/24")
    assert job.label() == "Firewall: add allow 443/tcp from 192.0.2.0/24 on web-1"


def test_only_the_provisioning_job_moves_the_servers_provision_status() -> None:
    assert ProvisionInstallerJob.marks_provision_status
    assert not FirewallInstallerJob.marks_provision_status
    assert not PhpInstallerJob.marks_provision_status
