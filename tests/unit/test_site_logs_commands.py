"""SiteLogReader: which user reads which log, how, and what its scripts do on a site tree
(run here by bash): the newest application log, what the site put in a log's place refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from brokeforge.lib.enums import CredentialType
from brokeforge.packages.services.sites.explorer.confine import Refusal, Refused
from brokeforge.packages.services.sites.logs.reader import LogFile, LogKind, SiteLogReader
from brokeforge.servers.models import Server
from brokeforge.ssh import CommandResult
from tests.unit.installer_cases import LARAVEL_SITE, STATIC_SITE


def reader(server: Server, spec=LARAVEL_SITE) -> SiteLogReader:  # type: ignore[no-untyped-def]
    return SiteLogReader(server, spec)


def test_a_php_site_has_four_logs_a_static_one_two(unsaved_server: Server) -> None:
    assert reader(unsaved_server).kinds() == list(LogKind)
    assert reader(unsaved_server, STATIC_SITE).kinds() == [LogKind.ACCESS, LogKind.ERROR]
    with pytest.raises(ValueError, match=r"docs\.example\.com has no 'php' log; it has: access, error"):
        reader(unsaved_server, STATIC_SITE).tail_command("php", 10)
    with pytest.raises(ValueError, match="has no 'syslog' log"):
        reader(unsaved_server).tail_command("syslog", 10)


@pytest.mark.parametrize("kind", ["access", "error"])
def test_nginx_logs_are_read_as_root_at_their_fixed_path(unsaved_server: Server, kind: str) -> None:
    command = reader(unsaved_server).tail_command(kind, 50)
    assert (command.credential, command.site_user, command.check) == (CredentialType.ROOT, None, False)
    assert f"real=/var/log/nginx/example.com-{kind}.log\n" in command.script
    assert 'exec tail -n 50 -- "$real"' in command.script
    assert "resolve" not in command.script


@pytest.mark.parametrize("kind", ["php", "app"])
def test_the_sites_own_logs_are_read_as_the_site_user(unsaved_server: Server, kind: str) -> None:
    command = reader(unsaved_server).tail_command(kind, 20)
    assert (command.site_user, command.credential) == ("example_com", None)
    base = "/home/example_com/.logs" if kind == "php" else "/home/example_com/example.com"
    assert f"base={base}\n" in command.script


def test_following_a_log_has_a_time_limit_on_the_server_and_in_the_panel(unsaved_server: Server) -> None:
    command = reader(unsaved_server).follow_command("access", 10, 30)
    assert 'exec timeout 30 tail -n 10 -F -- "$real"' in command.script
    assert command.timeout == 45


@pytest.mark.parametrize(("lines", "seconds"), [(0, 10), (5001, 10), (10, 0), (10, 3601)])
def test_lines_and_seconds_have_bounds(unsaved_server: Server, lines: int, seconds: int) -> None:
    with pytest.raises(ValueError, match=r"between 1 and|for 1 to"):
        reader(unsaved_server).follow_command("error", lines, seconds)


def test_a_followed_log_that_reached_its_time_limit_ended_well(unsaved_server: Server) -> None:
    assert reader(unsaved_server).judge(LogKind.PHP, CommandResult(124, "", "")).exit_code == 124
    with pytest.raises(Refused, match=r"'current/storage/logs' leads outside /home/example_com/example\.com"):
        reader(unsaved_server).judge(LogKind.APP, CommandResult(Refusal.OUTSIDE, "", ""))


def tail(log: LogFile, lines: int = 2) -> subprocess.CompletedProcess[str]:
    script = log.script("log", lines, follow=False, seconds=0)
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    base = tmp_path / "example.com"
    logs = base / "releases" / "r1" / "storage" / "logs"
    logs.mkdir(parents=True)
    (base / "current").symlink_to("releases/r1")
    for age, name in enumerate(["laravel-2024-01-02.log", "laravel-2024-01-01.log", "notes.txt"]):
        (logs / name).write_text(f"{name} 1\n{name} 2\n{name} 3\n")
        os.utime(logs / name, (1_700_000_000 - age * 100, 1_700_000_000 - age * 100))
    os.utime(logs / "notes.txt", (1_800_000_000, 1_800_000_000))  # newest, but not a *.log
    return base


def test_the_application_log_is_the_newest_log_file(site: Path) -> None:
    result = tail(LogFile(base=str(site), newest_in="current/storage/logs"))
    assert result.returncode == 0, result.stderr
    exists, path, text = result.stdout.split("\0", 2)
    assert (exists, path) == ("1", f"{site}/releases/r1/storage/logs/laravel-2024-01-02.log")
    assert text == "laravel-2024-01-02.log 2\nlaravel-2024-01-02.log 3\n"


def test_no_log_yet_is_an_empty_answer(tmp_path: Path) -> None:
    (tmp_path / ".logs").mkdir()
    result = tail(LogFile("php-error.log", base=str(tmp_path / ".logs")))
    assert (result.returncode, result.stdout) == (0, f"0\0{tmp_path}/.logs/php-error.log\0")
    result = tail(LogFile(base=str(tmp_path / ".logs"), newest_in="storage/logs"))
    assert result.stdout == f"0\0{tmp_path}/.logs/storage/logs/laravel.log\0"


def test_a_log_the_site_turned_into_a_symlink_out_is_refused(site: Path) -> None:
    outside = site.parent / "secret.log"
    outside.write_text("not the site's\n")
    os.utime(outside, (1_900_000_000, 1_900_000_000))  # the newest log, by its target's time
    (site / "releases" / "r1" / "storage" / "logs" / "zzz.log").symlink_to(outside)
    assert tail(LogFile(base=str(site), newest_in="current/storage/logs")).returncode == Refusal.OUTSIDE
    (site.parent / ".logs").mkdir()
    (site.parent / ".logs" / "php-error.log").symlink_to("/etc/shadow")
    assert tail(LogFile("php-error.log", base=str(site.parent / ".logs"))).returncode == Refusal.OUTSIDE


def test_a_log_directory_that_leads_out_is_refused(site: Path, tmp_path: Path) -> None:
    (site / "releases" / "r1" / "storage" / "logs").rename(tmp_path / "elsewhere")
    (site / "releases" / "r1" / "storage" / "logs").symlink_to(tmp_path / "elsewhere")
    result = tail(LogFile(base=str(site), newest_in="current/storage/logs"))
    assert result.returncode == Refusal.OUTSIDE
