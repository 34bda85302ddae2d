"""brokeforge/packages/base/shell.py: exact strings, and the generated shell run by a local /bin/sh."""

import os
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokeforge.packages.base.shell import (
    APT_GET,
    apt_install,
    enable_and_start,
    reload,
    wait_until_running,
    write_file,
)

SYSTEMD_CHECK = "[ -d /run/systemd/system ]"


def test_apt_install() -> None:
    assert apt_install(["nginx", "php8.2-fpm", "libstdc++6"]) == (
        "if [ \"$(dpkg-query -W -f='${Status}\\n' nginx php8.2-fpm libstdc++6 2>/dev/null "
        "| grep -c '^install ok installed$')\" = 3 ]; "
        "then echo Already installed: nginx php8.2-fpm libstdc++6; "
        "else DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "
        "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
        "install --no-install-recommends nginx php8.2-fpm libstdc++6; fi"
    )


@pytest.mark.parametrize(
    "bad", ["nginx; reboot", "$(reboot)", "-o", "Nginx", "", "a b", "nginx\n", "php'8", "x" * 101]
)
def test_apt_install_rejects_bad_package_names(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid Debian package name"):
        apt_install(["curl", bad])


def test_enable_and_start() -> None:
    assert enable_and_start("php8.2-fpm") == (
        "if [ -d /run/systemd/system ]; then systemctl enable php8.2-fpm && systemctl restart php8.2-fpm; "
        "else service php8.2-fpm restart; fi"
    )


def test_reload() -> None:
    assert reload("nginx") == (
        "if [ -d /run/systemd/system ]; then systemctl reload nginx; else service nginx reload; fi"
    )


def test_wait_until_running() -> None:
    assert wait_until_running("nginx", seconds=5) == (
        "sh -c 'for i in $(seq 1 10); do if if [ -d /run/systemd/system ]; then "
        "systemctl is-active --quiet nginx; else service nginx status; fi >/dev/null 2>&1; then "
        "echo nginx is running; exit 0; fi; sleep 0.5; done; echo nginx is not running after 5s >&2; exit 1'"
    )


@pytest.mark.parametrize("helper", [enable_and_start, reload, wait_until_running])
@pytest.mark.parametrize("bad", ["nginx; reboot", "", "-nginx", "a b", "$(id)", "nginx\n", "x" * 101])
def test_service_helpers_reject_bad_names(helper: object, bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid service name"):
        helper(bad)  # type: ignore[operator]


# -- running the generated commands locally, with fake systemctl/service that log their arguments ----


@pytest.fixture
def fake_init(tmp_path: Path) -> Path:
    """A bin directory with systemctl and service that log "<tool> <args>" and exit $FAKE_EXIT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("systemctl", "service"):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "$FAKE_LOG"\nexit "${{FAKE_EXIT:-0}}"\n')
        script.chmod(0o755)
    return bin_dir


def run_local(command: str, bin_dir: Path, systemd: bool, exit_code: int = 0) -> tuple[int, str, list[str]]:
    """Run a generated command with /bin/sh; `systemd` picks the branch the server would take."""
    marker = bin_dir.parent / "run-systemd-system"
    marker.mkdir(exist_ok=True)
    probe = f"[ -d {marker} ]" if systemd else "[ -d /nonexistent/systemd ]"
    assert SYSTEMD_CHECK in command
    log = bin_dir.parent / "calls.log"
    log.write_text("")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "FAKE_EXIT": str(exit_code)}
    result = subprocess.run(
        ["/bin/sh", "-c", command.replace(SYSTEMD_CHECK, probe)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.returncode, result.stdout + result.stderr, log.read_text().splitlines()


def test_enable_and_start_with_systemd(fake_init: Path) -> None:
    code, _, calls = run_local(enable_and_start("nginx"), fake_init, systemd=True)
    assert (code, calls) == (0, ["systemctl enable nginx", "systemctl restart nginx"])


def test_enable_and_start_without_systemd(fake_init: Path) -> None:
    code, _, calls = run_local(enable_and_start("nginx"), fake_init, systemd=False)
    assert (code, calls) == (0, ["service nginx restart"])


def test_enable_failure_stops_before_restart(fake_init: Path) -> None:
    code, _, calls = run_local(enable_and_start("nginx"), fake_init, systemd=True, exit_code=1)
    assert (code, calls) == (1, ["systemctl enable nginx"])


@pytest.mark.parametrize(
    ("systemd", "call"), [(True, "systemctl reload nginx"), (False, "service nginx reload")]
)
def test_reload_branches(fake_init: Path, systemd: bool, call: str) -> None:
    assert run_local(reload("nginx"), fake_init, systemd)[::2] == (0, [call])


@pytest.mark.parametrize(
    ("systemd", "call"),
    [(True, "systemctl is-active --quiet nginx"), (False, "service nginx status")],
)
def test_wait_until_running_succeeds_at_once(fake_init: Path, systemd: bool, call: str) -> None:
    code, output, calls = run_local(wait_until_running("nginx"), fake_init, systemd)
    assert (code, output, calls) == (0, "nginx is running\n", [call])


@pytest.mark.parametrize("systemd", [True, False])
def test_wait_until_running_gives_up_saying_so(fake_init: Path, systemd: bool) -> None:
    code, output, calls = run_local(wait_until_running("nginx", seconds=1), fake_init, systemd, exit_code=3)
    assert (code, output) == (1, "nginx is not running after 1s\n")
    assert len(calls) == 2  # two checks per second


# -- write_file ---------------------------------------------------------------------------------------


def test_write_file_sends_the_content_on_stdin_not_on_the_command_line() -> None:
    step = write_file("/etc/app.conf", "password = 'b'\n", "0600")
    assert step.remote_script() == (
        "umask 077 && cat > /etc/app.conf.brokeforge-tmp && "
        "chmod 0600 /etc/app.conf.brokeforge-tmp && mv -f /etc/app.conf.brokeforge-tmp /etc/app.conf"
    )
    assert step.stdin == "password = 'b'\n"
    assert "password" not in step.describe()
    assert step.describe().endswith("<stdin: 15 bytes>")


def test_write_file_carries_a_file_far_over_the_command_line_limit() -> None:
    content = "x" * (4 * 1024 * 1024) + "\nend\n"  # a command line stops at ~128 KiB per argument
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "big"
        step = write_file(str(target), content)
        subprocess.run(
            ["/bin/sh", "-c", step.remote_script()], input=step.stdin, text=True, check=True, timeout=20
        )
        assert target.read_text() == content


# Any text a shell argument can carry: everything but NUL (and lone surrogates, which are not text).
shell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=400)


@settings(max_examples=150, deadline=None)
@given(content=shell_text)
def test_write_file_reproduces_any_content_exactly(content: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        target = Path(directory) / "it's a $(file) `name` with spaces"
        step = write_file(str(target), content, "0640")
        subprocess.run(
            ["/bin/sh", "-c", step.remote_script()], input=step.stdin.encode(), check=True, timeout=10
        )
        assert target.read_bytes() == content.encode()
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        assert os.listdir(directory) == [target.name]  # the temporary file was moved into place


@pytest.mark.parametrize("mode", ["644; reboot", "u+x", "", "0999", "12345"])
def test_write_file_rejects_bad_modes(mode: str) -> None:
    with pytest.raises(ValueError, match="Invalid file mode"):
        write_file("/etc/app.conf", "x", mode)


def test_apt_get_waits_for_the_dpkg_lock() -> None:
    assert "-o DPkg::Lock::Timeout=600" in APT_GET
