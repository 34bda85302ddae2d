import pytest

from brokeforge.packages.base.job import PackageJob
from brokeforge.packages.services.php.jobs import PhpInstallerJob
from brokeforge.packages.services.system.installer import SystemInstaller
from brokeforge.packages.services.system.milestones import SystemInstallerMilestones
from brokeforge.servers.models import Server

DISPATCH = "dispatch the job"


def test_install_outside_a_job_raises() -> None:
    with pytest.raises(RuntimeError, match=DISPATCH):
        SystemInstaller(Server(name="web-1")).install(["true"])


def test_execute_outside_a_job_raises() -> None:
    with pytest.raises(RuntimeError, match=DISPATCH):
        SystemInstaller(Server(name="web-1")).execute([])


def test_a_milestone_step_outside_a_job_raises() -> None:
    step = SystemInstaller(Server(name="web-1")).track(SystemInstallerMilestones.COMPLETE)
    with pytest.raises(RuntimeError, match=DISPATCH):
        step()


def test_dispatch_sync_outside_a_job_raises() -> None:
    job_class: type[PackageJob] = PhpInstallerJob
    with pytest.raises(RuntimeError, match=DISPATCH):
        job_class.dispatch_sync(Server(name="web-1"), "8.2")
