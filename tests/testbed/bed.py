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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from tests.testbed import cgroups, network, provisioned, rootfs
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
from tests.testbed.images import DEFAULT_RELEASE, Image, check_release
from tests.testbed.network import ServerNet
from tests.testbed.procs import log
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


# Provisions a booted, writable image server (through the product), given a
# directory for its own files (a panel's data, worker logs).
Provisioner = Callable[[BootedServer, Path], None]


def default_cache_dir() -> Path:
    return Path(os.environ.get("BROKEFORGE_TEST_CACHE", str(DEFAULT_CACHE_DIR)))


class Testbed:
    """Boots throwaway Debian servers reachable from this machine over SSH.

    start() before boot(); stop() ends everything it started (it also runs at
    interpreter exit and, via KeyboardInterrupt, on SIGTERM). Several beds can
    run on one machine at once, each in its own slot (own bridge and subnet).

    Images are built (or found in the cache) the first time a boot needs them:
    the base of each release, and the provisioned image of each release
    (built by PROVISIONER, by default through the product's CLI: see panel.py).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        cache_dir: Path,
        run_dir: Path,
        boot_timeout: float = 120.0,
        provisioner: Provisioner | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.run_dir = run_dir
        self.boot_timeout = boot_timeout
        self.provisioner = provisioner
        self._slot: Slot | None = None
        self._slot_lock: IO[str] | None = None
        self._images: dict[tuple[str, str], Image] = {}  # (kind, release) -> image held
        self._image_holds: list[IO[str]] = []
        self._image_failures: dict[tuple[str, str], str] = {}
        self._images_lock = threading.RLock()
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
        """Take a slot, create the bridge, start apt-cacher-ng (images come at first boot)."""
        if self._slot is not None:
            return
        _check_host()
        slot = self._take_slot()
        atexit.register(self.stop)
        self._handle_sigterm()
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(slot)
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
    def image(self) -> Image:
        """The bookworm base image (built first if needed)."""
        return self.base_image()

    @property
    def root_key_path(self) -> Path:
        """The key authorised for root on servers booted from the bookworm base."""
        return self.image.key_path

    def base_image(self, release: str = DEFAULT_RELEASE) -> Image:
        """The base image of RELEASE, built (or found in the cache) the first time it is asked for."""
        check_release(release)
        key = ("base", release)
        with self._images_lock:
            if key not in self._images:
                with self._once(key):
                    started = time.monotonic()
                    image, hold = rootfs.ensure_base_image(self.cache_dir, release, self.slot.apt_proxy)
                    self._hold(key, image, hold)
                    log.info("%s ready in %.1fs", image.path.name, time.monotonic() - started)
            return self._images[key]

    def provisioned_image(self, release: str = DEFAULT_RELEASE) -> Image:
        """The image of a RELEASE server the product provisioned, built on first use (see provisioned.py)."""
        check_release(release)
        key = ("provisioned", release)
        with self._images_lock:
            if key not in self._images:
                base = self.base_image(release)
                with self._once(key):
                    started = time.monotonic()
                    image, hold = provisioned.ensure_provisioned_image(
                        self.cache_dir, base, lambda tmp: self._provision_image(tmp)
                    )
                    self._hold(key, image, hold)
                    log.info("%s ready in %.1fs", image.path.name, time.monotonic() - started)
            return self._images[key]

    @contextmanager
    def _once(self, key: tuple[str, str]) -> Iterator[None]:
        """Build an image at most once per bed: after a failure, later asks fail at once.

        Every test that needs a broken image fails with the build's error, and
        the run does not spend a build's minutes again for each of them.
        """
        if key in self._image_failures:
            raise TestbedError(
                f"the {key[0]} image of {key[1]} failed to build earlier in this run "
                f"(not retried):\n{self._image_failures[key]}"
            )
        try:
            yield
        except Exception as exc:
            self._image_failures[key] = f"{type(exc).__name__}: {exc}"
            raise

    def _hold(self, key: tuple[str, str], image: Image, hold: IO[str]) -> None:
        self._images[key] = image
        self._image_holds.append(hold)

    def _provision_image(self, tmp: Image) -> None:
        """Boot TMP's rootfs writable, let the provisioner provision it, power it off cleanly."""
        provisioner = self.provisioner
        if provisioner is None:
            from tests.testbed.panel import provision_image_server

            provisioner = provision_image_server
        srv = self._new_server(f"image-{tmp.release}", tmp, volatile=False)
        try:
            srv._launch()
            srv._wait_ready(time.monotonic() + self.boot_timeout)
            provisioner(srv, self.run_dir / f"{tmp.path.name}-panel")
        finally:
            srv.stop()
        if srv.exit_code != 0:
            raise TestbedError(
                f"the image server did not power off cleanly (nspawn exited {srv.exit_code}); "
                f"see {srv.console_log}"
            )

    @property
    def bridge_ip(self) -> str:
        """The host's address on the servers' network (apt-cacher-ng listens here)."""
        return str(self.slot.bridge_ip)

    @property
    def servers(self) -> list[BootedServer]:
        with self._lock:
            return list(self._servers.values())

    def boot(
        self, hostname: str, release: str = DEFAULT_RELEASE, *, provisioned: bool = False
    ) -> BootedServer:
        """Boot one server and return once it is up and reachable over SSH.

        RELEASE: "bookworm" (Debian 12) or "trixie" (Debian 13). PROVISIONED:
        boot from the provisioned image (nginx, PHP-FPM, ufw, the brokeforge
        user already installed by the product) instead of the bare base.
        """
        return self.boot_many([hostname], release, provisioned=provisioned)[0]

    def boot_many(
        self, hostnames: Iterable[str], release: str = DEFAULT_RELEASE, *, provisioned: bool = False
    ) -> list[BootedServer]:
        """Boot several servers at once (in parallel) and wait for all of them."""
        image = self.provisioned_image(release) if provisioned else self.base_image(release)
        servers: list[BootedServer] = []
        try:
            for hostname in hostnames:
                srv = self._new_server(hostname, image)
                servers.append(srv)
                srv._launch()
            deadline = time.monotonic() + self.boot_timeout
            for srv in servers:
                srv._wait_ready(deadline)
        except BaseException:
            _stop_all(servers)
            raise
        return servers

    def _new_server(self, hostname: str, image: Image, volatile: bool = True) -> BootedServer:
        if not HOSTNAME_RE.match(hostname):
            raise TestbedError(f"invalid hostname {hostname!r}")
        slot = self.slot
        with self._lock:
            if hostname in self._servers:
                raise TestbedError(f"a server named {hostname} is already running")
            net = ServerNet(slot, self._free_ip(slot))
            srv = BootedServer(hostname, net, image, self.run_dir, self._forget, volatile=volatile)
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
        for f in [*self._image_holds, self._slot_lock]:
            if f is not None:
                f.close()  # releases its flock
        self._image_holds, self._images = [], {}
        self._slot_lock = None
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
