"""Shell snippets every package shares: apt with lock waiting, services with or without systemd.

Pure functions from inputs to command strings, so they are unit-tested without a server.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from brokeforge.lib.templates import render
from brokeforge.packages.base.command import Command

# apt waits up to 10 minutes for another apt/dpkg (unattended-upgrades, cloud-init) to finish.
APT_GET = (
    "DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "
    "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
)

_SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._-]{0,99}$")
_DEB_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]{0,99}$")
_MODE_RE = re.compile(r"^[0-7]{3,4}$")


def service_name(name: str) -> str:
    if not _SERVICE_RE.fullmatch(name):  # fullmatch: `$` alone lets a trailing newline in
        raise ValueError(f"Invalid service name {name!r}")
    return name


def debian_package(name: str) -> str:
    if not _DEB_RE.fullmatch(name):
        raise ValueError(f"Invalid Debian package name {name!r}")
    return name


def apt_install(packages: list[str]) -> str:
    """Install the packages, unless dpkg already has every one of them installed.

    Each apt run costs half a second and its dpkg triggers even when it has nothing to do; a
    re-provision, or a service whose packages provisioning already installed in its one combined
    apt run, skips it (an installed package is not upgraded here: that is an upgrade's job).
    """
    names = " ".join(shlex.quote(debian_package(p)) for p in packages)
    installed = f"dpkg-query -W -f='${{Status}}\\n' {names} 2>/dev/null | grep -c '^install ok installed$'"
    return (
        f'if [ "$({installed})" = {len(packages)} ]; then echo Already installed: {names}; '
        f"else {APT_GET} install --no-install-recommends {names}; fi"
    )


def apt_install_fresh(packages: list[str]) -> str:
    """apt_install, updating the package lists first if they are too old to install from (a
    server provisioned long ago: its lists name package versions the archive no longer has)."""
    return f"{apt_install(packages)} || {{ {APT_GET} update && {apt_install(packages)}; }}"


def daemon_reload() -> str:
    """systemd reads unit files (and drop-ins) written since it last did; nothing without systemd."""
    return "if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi"


def _systemd_or_service(systemd: str, sysv: str) -> str:
    # Containers and some VPSs run without systemd as PID 1: fall back to the init script.
    return f"if [ -d /run/systemd/system ]; then {systemd}; else {sysv}; fi"


def enable_and_start(name: str) -> str:
    unit = shlex.quote(service_name(name))
    return _systemd_or_service(
        f"systemctl enable {unit} && systemctl restart {unit}", f"service {unit} restart"
    )


def restart_service(name: str) -> str:
    unit = shlex.quote(service_name(name))
    return _systemd_or_service(f"systemctl restart {unit}", f"service {unit} restart")


def reload(name: str) -> str:
    unit = shlex.quote(service_name(name))
    return _systemd_or_service(f"systemctl reload {unit}", f"service {unit} reload")


def wait_until_running(name: str, seconds: int = 20) -> str:
    """Fail, saying so, unless the service is running within `seconds`."""
    unit = shlex.quote(service_name(name))
    check = _systemd_or_service(f"systemctl is-active --quiet {unit}", f"service {unit} status")
    script = (
        f"for i in $(seq 1 {seconds * 2}); do if {check} >/dev/null 2>&1; then "
        f"echo {unit} is running; exit 0; fi; sleep 0.5; done; "
        f"echo {unit} is not running after {seconds}s >&2; exit 1"
    )
    return f"sh -c {shlex.quote(script)}"


def write_file(path: str, content: str, mode: str = "0644") -> Command:
    """Write a file atomically. The content travels on stdin: any size, never on a command line
    (where `ps` shows it), never a heredoc to escape. The file is created 0600 and given its mode
    before it takes the place of the old one, so a secret in it is never readable by others."""
    if not _MODE_RE.fullmatch(mode):
        raise ValueError(f"Invalid file mode {mode!r}")
    target = shlex.quote(path)
    tmp = shlex.quote(f"{path}.brokeforge-tmp")
    return Command(f"umask 077 && cat > {tmp} && chmod {mode} {tmp} && mv -f {tmp} {target}", stdin=content)


@dataclass(frozen=True)
class ConfigCheck:
    """How a service judges its whole configuration (`nginx -t`) and takes a good one (a reload).

    A service with no offline check (a database server) is judged by restarting it and asking it
    a question; `recover` then starts it again once the previous file is back."""

    check: str
    reload: str
    recover: str = ""


def apply_config(path: str, content: str, checker: ConfigCheck, mode: str = "0644") -> Command:
    """Put a config file in place only if the service accepts it: write, check, then reload, or
    restore the previous file (remove the new one) and fail with the checker's output."""
    if not _MODE_RE.fullmatch(mode):
        raise ValueError(f"Invalid file mode {mode!r}")
    return Command(_apply_script(path, checker, remove=False, mode=mode), stdin=content)


def remove_config(path: str, checker: ConfigCheck) -> str:
    """Take a config file away only if the service accepts the rest: the file comes back otherwise."""
    return _apply_script(path, checker, remove=True, mode="")


def _apply_script(path: str, checker: ConfigCheck, *, remove: bool, mode: str) -> str:
    target = PurePosixPath(path)
    if not target.is_absolute() or ".." in target.parts:
        raise ValueError(f"A config file needs an absolute path, got {path!r}")
    script = render(
        "config/apply.sh.j2",
        target=str(target),
        new=str(target.with_name(f".{target.name}.brokeforge-new")),
        saved=str(target.with_name(f".{target.name}.brokeforge-saved")),
        check=checker.check,
        reload=checker.reload,
        recover=checker.recover,
        remove=remove,
        mode=mode,
    )
    # Its own shell: its `set -u` and `exit` stay inside, whatever the job wraps around it.
    return f"sh -c {shlex.quote(script)}"
