"""One booted test server: a systemd-nspawn container in its own netns and cgroup."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.testbed import cgroups
from tests.testbed.config import SSH_PORT
from tests.testbed.errors import RemoteCommandError, TestbedError
from tests.testbed.images import Image
from tests.testbed.network import ServerNet
from tests.testbed.procs import log, run
from tests.testbed.ssh import run_ssh, wait_for_banner

STOP_TIMEOUT = 30.0
DEFAULT_COMMAND_TIMEOUT = 900.0


class BootedServer:
    """A Debian server booted from a cached image; reach it as root over SSH.

    Create through Testbed.boot(); stop with stop() (idempotent). VOLATILE
    (the default) boots with --volatile=overlay: writes go to a tmpfs and
    vanish at stop, so many servers share one image. Only the test bed's image
    builder boots with volatile=False, writing into the image being built.
    """

    def __init__(
        self,
        hostname: str,
        net: ServerNet,
        image: Image,
        run_dir: Path,
        on_stopped: Callable[[BootedServer], None],
        volatile: bool = True,
    ) -> None:
        self.hostname = hostname
        self.ssh_port = SSH_PORT
        self.root_key_path = image.key_path
        self.release = image.release  # "bookworm" (Debian 12) or "trixie" (Debian 13)
        self.image = image
        self.console_log = run_dir / f"{hostname}.console.log"
        self._net = net
        self._volatile = volatile
        self._on_stopped = on_stopped
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_lock = threading.Lock()
        self._stopped = False

    def __repr__(self) -> str:
        return f"<BootedServer {self.hostname} {self.ip} pid={self.nspawn_pid}>"

    @property
    def ip(self) -> str:
        return str(self._net.ip)

    @property
    def netns(self) -> str:
        return self._net.netns

    @property
    def nspawn_pid(self) -> int:
        if self._proc is None:
            raise TestbedError(f"{self.hostname} was never launched")
        return self._proc.pid

    @property
    def provisioned(self) -> bool:
        """Booted from an image the product provisioned (nginx, PHP-FPM, ufw... installed)."""
        return self.image.kind == "provisioned"

    @property
    def exit_code(self) -> int | None:
        """systemd-nspawn's exit status once stopped (0 after a clean power-off), else None."""
        return self._proc.returncode if self._proc is not None else None

    @property
    def _cgroup(self) -> str:
        return f"{self._net.slot.cgroup}/{self._net.netns}"  # one per IP, like the netns

    # -- boot ---------------------------------------------------------------

    def _nspawn_argv(self) -> list[str]:
        return [
            "systemd-nspawn",
            "-D", str(self.image.root),
            "--boot",
            # No systemd (machined) on the test machine to register with or to
            # make a scope unit: nspawn must stay in the cgroup it started in.
            "--register=no", "--keep-unit",
            # Throwaway writes in a tmpfs overlay: many servers share one rootfs.
            *(["--volatile=overlay"] if self._volatile else []),
            f"--network-namespace-path={self._net.netns_path}",
            "--capability=CAP_NET_ADMIN",  # ufw, ip route... inside
            "--console=passive",
            f"--machine={self.hostname}", f"--hostname={self.hostname}",
            "--link-journal=no",  # keep the journal inside the container
            "--resolv-conf=off",  # brokeforge-boot-setup writes it (bridge IP)
            # nspawn would bind-mount the host's /etc/localtime read-only, and tzdata's
            # post-install (pulled in by PHP) fails replacing it: leave it to the server.
            "--timezone=off",
        ]  # fmt: skip

    def _launch(self) -> None:
        """Create the namespace and cgroup, then start nspawn (returns at once)."""
        self._net.create()
        argv = [*cgroups.launcher(cgroups.create(self._cgroup)), *self._nspawn_argv()]
        with self.console_log.open("ab") as out:
            out.write(f"=== boot of {self.hostname} at {time.ctime()} ===\n".encode())
            out.flush()
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                # Own session: a Ctrl-C at the terminal must not reach nspawn
                # (it would kill the container uncleanly); teardown stops it.
                start_new_session=True,
            )  # fmt: skip
        log.info("booting %s at %s (nspawn pid %d)", self.hostname, self.ip, self._proc.pid)

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise TestbedError(
                f"{self.hostname}: systemd-nspawn exited {self._proc.returncode} while "
                f"booting:\n{self.console_tail()}"
            )

    def _wait_ready(self, deadline: float) -> None:
        """Wait for sshd, then for systemd to finish booting (running or degraded)."""
        wait_for_banner(self.ip, self.ssh_port, deadline, self._check_alive)
        timeout = max(deadline - time.monotonic(), 5.0)
        state = self.run("systemctl is-system-running --wait", check=False, timeout=timeout)
        status = state.stdout.strip()
        if status == "degraded":
            failed = self.run("systemctl --failed --no-legend --plain", check=False).stdout
            log.warning("%s booted degraded; failed units:\n%s", self.hostname, failed)
        elif status != "running":
            raise TestbedError(
                f"{self.hostname}: systemctl is-system-running says {status!r} "
                f"({state.stderr.strip()})\n{self.console_tail()}"
            )

    def console_tail(self, chars: int = 3000) -> str:
        try:
            return self.console_log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no console log)"

    # -- use ------------------------------------------------------------------

    def run(
        self,
        cmd: str,
        check: bool = True,
        timeout: float | None = DEFAULT_COMMAND_TIMEOUT,
        input: str | None = None,  # named like subprocess.run's
    ) -> subprocess.CompletedProcess[str]:
        """Run CMD (a shell command line) as root over SSH; text output captured."""
        result = run_ssh(self.ip, self.ssh_port, self.root_key_path, cmd, timeout=timeout, input_text=input)
        if check and result.returncode != 0:
            raise RemoteCommandError(self.hostname, result)
        return result

    def host_public_key(self, key_type: str = "ed25519") -> str:
        """The server's current SSH host key as sshd offers it, e.g. "ssh-ed25519 AAAA..."."""
        scan = run(["ssh-keyscan", "-T", "10", "-p", str(self.ssh_port), "-t", key_type,
                    self.ip])  # fmt: skip
        for line in scan.stdout.splitlines():
            if line and not line.startswith("#"):
                return line.split(None, 1)[1]
        raise TestbedError(f"{self.hostname}: ssh-keyscan returned no {key_type} key")

    def regenerate_host_keys(self, timeout: float = 60.0) -> None:
        """Replace every SSH host key with new ones and restart sshd.

        Existing connections survive (ssh.service has KillMode=process); the
        method returns once the restarted sshd answers again.
        """
        self.run(
            "rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub"
            " && ssh-keygen -A && systemctl restart ssh.service"
        )
        wait_for_banner(self.ip, self.ssh_port, time.monotonic() + timeout, self._check_alive)

    # -- stop -------------------------------------------------------------------

    def stop(self) -> None:
        """Shut the server down (SIGTERM to nspawn) and remove its netns and cgroup."""
        self._request_stop()
        self._finish_stop()

    def _request_stop(self) -> None:
        # nspawn answers SIGTERM by asking the container's systemd to power off.
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)

    def _finish_stop(self, timeout: float = STOP_TIMEOUT) -> None:
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
            try:
                self._reap(timeout)
            finally:
                try:
                    cgroups.destroy(self._cgroup)  # kills anything nspawn left behind
                finally:
                    self._net.destroy()
                    self._on_stopped(self)
            log.info("stopped %s", self.hostname)

    def _reap(self, timeout: float) -> None:
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s: nspawn pid %d did not stop in %.0fs; killing its cgroup",
                        self.hostname, self._proc.pid, timeout)  # fmt: skip
            cgroups.kill_all(cgroups.group_dirs(self._cgroup))
            self._proc.wait(timeout=10)
