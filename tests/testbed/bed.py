"""Testbed: the bridge, the apt cache and the servers booted for one test session."""

from __future__ import annotations

import atexit
import fcntl
import ipaddress
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from tests.testbed import cgroups, network, rootfs
from tests.testbed.aptcache import AptCache
from tests.testbed.config import (
    FIRST_SERVER_OCTET,
    INOTIFY_INSTANCES_PATH,
    INOTIFY_INSTANCES_WANTED,
    LAST_SERVER_OCTET,
    LOCK_DIR,
    MAX_SLOTS,
    Slot,
)
from tests.testbed.errors import TestbedError
from tests.testbed.network import ServerNet
from tests.testbed.procs import log
from tests.testbed.rootfs import BaseImage
from tests.testbed.server import BootedServer

DEFAULT_CACHE_DIR = Path("/var/cache/brokeforge-test")
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
REQUIRED_TOOLS = {
    "systemd-nspawn": "systemd-container",
    "mmdebstrap": "mmdebstrap",
    "apt-cacher-ng": "apt-cacher-ng",
    "ip": "iproute2",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "ssh-keyscan": "openssh-client",
}
TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def default_cache_dir() -> Path:
    return Path(os.environ.get("BROKEFORGE_TEST_CACHE", str(DEFAULT_CACHE_DIR)))


class Testbed:
    """Boots throwaway Debian servers reachable from this machine over SSH.

    start() before boot(); stop() ends everything it started (it also runs at
    interpreter exit and, via KeyboardInterrupt, on SIGTERM). Several beds can
    run on one machine at once, each in its own slot (own bridge and subnet).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, cache_dir: Path, run_dir: Path, boot_timeout: float = 120.0) -> None:
        self.cache_dir = cache_dir
        self.run_dir = run_dir
        self.boot_timeout = boot_timeout
        self._slot: Slot | None = None
        self._slot_lock: IO[str] | None = None
        self._image: BaseImage | None = None
        self._image_hold: IO[str] | None = None
        self._apt_cache: AptCache | None = None
        self._servers: dict[str, BootedServer] = {}
        self._lock = threading.Lock()
        self._inotify_before: str | None = None
        self._old_sigterm: Any = None

    def __enter__(self) -> Testbed:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start ----------------------------------------------------------------

    def start(self) -> None:
        """Build or reuse the base rootfs, create the bridge, start apt-cacher-ng."""
        if self._slot is not None:
            return
        _check_host()
        slot = self._take_slot()
        atexit.register(self.stop)
        self._handle_sigterm()
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(slot)
            started = time.monotonic()
            self._image, self._image_hold = rootfs.ensure_base_image(self.cache_dir)
            log.info("base image ready in %.1fs", time.monotonic() - started)
            self._raise_inotify_limit()
            network.setup_bridge(slot)
            self._apt_cache = AptCache(
                slot,
                cache_dir=self.cache_dir / f"apt-cacher-ng-slot{slot.index}",
                run_dir=self.run_dir / "apt-cacher-ng",
            )
            self._apt_cache.start()
        except BaseException:
            self.stop()
            raise
        log.info("test bed up in slot %d: bridge %s at %s", slot.index, slot.bridge,
                 slot.bridge_ip)  # fmt: skip

    def _take_slot(self) -> Slot:
        # The first slot whose lock we get is ours until stop() or process exit.
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        for index in range(MAX_SLOTS):
            slot = Slot(index)
            lock_file = slot.lock_path.open("a+")
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock_file.close()
                continue
            lock_file.truncate(0)
            lock_file.write(f"{os.getpid()}\n")
            lock_file.flush()
            self._slot, self._slot_lock = slot, lock_file
            return slot
        raise TestbedError(f"all {MAX_SLOTS} test bed slots are in use (locks in {LOCK_DIR})")

    def _handle_sigterm(self) -> None:
        # With Python's default SIGTERM the process dies without atexit or
        # fixture teardown, leaving containers running. KeyboardInterrupt makes
        # pytest stop the session and run its finalizers.
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._old_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    def _raise_inotify_limit(self) -> None:
        current = INOTIFY_INSTANCES_PATH.read_text().strip()
        if int(current) < INOTIFY_INSTANCES_WANTED:
            INOTIFY_INSTANCES_PATH.write_text(f"{INOTIFY_INSTANCES_WANTED}\n")
            self._inotify_before = current

    # -- servers ----------------------------------------------------------------

    @property
    def slot(self) -> Slot:
        if self._slot is None:
            raise TestbedError("Testbed.start() has not been called")
        return self._slot

    @property
    def image(self) -> BaseImage:
        if self._image is None:
            raise TestbedError("Testbed.start() has not been called")
        return self._image

    @property
    def root_key_path(self) -> Path:
        return self.image.key_path

    @property
    def bridge_ip(self) -> str:
        """The host's address on the servers' network (apt-cacher-ng listens here)."""
        return str(self.slot.bridge_ip)

    @property
    def servers(self) -> list[BootedServer]:
        with self._lock:
            return list(self._servers.values())

    def boot(self, hostname: str) -> BootedServer:
        """Boot one server and return once it is up and reachable over SSH."""
        return self.boot_many([hostname])[0]

    def boot_many(self, hostnames: Iterable[str]) -> list[BootedServer]:
        """Boot several servers at once (in parallel) and wait for all of them."""
        servers: list[BootedServer] = []
        try:
            for hostname in hostnames:
                srv = self._new_server(hostname)
                servers.append(srv)
                srv._launch()
            deadline = time.monotonic() + self.boot_timeout
            for srv in servers:
                srv._wait_ready(deadline)
        except BaseException:
            _stop_all(servers)
            raise
        return servers

    def _new_server(self, hostname: str) -> BootedServer:
        if not HOSTNAME_RE.match(hostname):
            raise TestbedError(f"invalid hostname {hostname!r}")
        image, slot = self.image, self.slot
        with self._lock:
            if hostname in self._servers:
                raise TestbedError(f"a server named {hostname} is already running")
            net = ServerNet(slot, self._free_ip(slot))
            srv = BootedServer(hostname, net, image, self.run_dir, self._forget)
            self._servers[hostname] = srv
        return srv

    def _free_ip(self, slot: Slot) -> ipaddress.IPv4Address:
        # Lowest free address: a re-booted server often reuses a recent IP,
        # which the fixed MACs make harmless.
        used = {srv.ip for srv in self._servers.values()}
        for octet in range(FIRST_SERVER_OCTET, LAST_SERVER_OCTET + 1):
            ip = slot.subnet.network_address + octet
            if str(ip) not in used:
                return ip
        raise TestbedError("no free IP on the test bridge")

    def _forget(self, srv: BootedServer) -> None:
        with self._lock:
            if self._servers.get(srv.hostname) is srv:
                del self._servers[srv.hostname]

    def unused_ip(self) -> str:
        """An address on the servers' subnet that no server ever gets (nothing answers)."""
        return str(self.slot.unused_ip)

    # -- stop -------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every server, apt-cacher-ng (by PID), the bridge; restore the host."""
        slot = self._slot
        if slot is None:
            return
        atexit.unregister(self.stop)
        errors: list[BaseException] = []
        steps = (self._stop_servers, self._stop_apt_cache, lambda: _remove_leftovers(slot),
                 self._restore_host)  # fmt: skip
        for step in steps:
            try:
                step()
            except Exception as exc:  # keep tearing down; report at the end
                log.exception("test bed teardown step failed")
                errors.append(exc)
        self._release()
        if errors:
            raise TestbedError(f"test bed teardown failed: {errors}")

    def _stop_servers(self) -> None:
        _stop_all(self.servers)

    def _stop_apt_cache(self) -> None:
        if self._apt_cache is not None:
            self._apt_cache.stop()
            self._apt_cache = None

    def _restore_host(self) -> None:
        # The inotify limit is shared: leave it raised while another bed runs.
        if self._inotify_before is not None and not _other_beds_running(self.slot):
            INOTIFY_INSTANCES_PATH.write_text(self._inotify_before + "\n")
        self._inotify_before = None
        if self._old_sigterm is not None:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    def _release(self) -> None:
        for f in (self._image_hold, self._slot_lock):
            if f is not None:
                f.close()  # releases its flock
        self._image_hold = self._slot_lock = None
        self._slot = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_all(servers: list[BootedServer]) -> None:
    """Stop servers in parallel: signal them all, then wait for each."""
    for srv in servers:
        srv._request_stop()
    errors: list[BaseException] = []
    for srv in servers:
        try:
            srv._finish_stop()
        except Exception as exc:
            log.exception("stopping %s failed", srv.hostname)
            errors.append(exc)
    if errors:
        raise TestbedError(f"stopping servers failed: {errors}")


def _remove_leftovers(slot: Slot) -> None:
    """Kill processes left in the slot's cgroups and remove its network objects.

    Only called while holding the slot's lock, so whatever carries its names
    belongs to a run that is gone (or to this one, at teardown).
    """
    cgroups.destroy(slot.cgroup)
    network.remove_leftovers(slot)


def _other_beds_running(mine: Slot) -> bool:
    for index in range(MAX_SLOTS):
        if index == mine.index or not Slot(index).lock_path.exists():
            continue
        with Slot(index).lock_path.open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
    return False


def _check_host() -> None:
    """Fail loudly, with the fix, when this machine cannot run the bed."""
    if os.geteuid() != 0:
        raise TestbedError("the test bed must run as root (network namespaces, cgroups, nspawn)")
    missing = sorted({pkg for tool, pkg in REQUIRED_TOOLS.items()
                      if shutil.which(tool, path=TOOL_PATH) is None})  # fmt: skip
    if missing:
        raise TestbedError(f"missing tools; install them with: apt-get install -y {' '.join(missing)}")
    cgroups.hierarchies()  # raises with the reason if unusable
    if not os.access(INOTIFY_INSTANCES_PATH, os.W_OK):
        raise TestbedError(f"{INOTIFY_INSTANCES_PATH} is not writable")
