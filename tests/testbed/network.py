"""A slot's bridge and its servers' network namespaces.

Layout: a host bridge (slot.bridge, slot.bridge_ip/24) and, per server, a
network namespace holding one end of a veth pair whose other end is a bridge
port. Servers get a default route via the bridge IP, but the host neither
forwards nor NATs their traffic: they reach the host (apt-cacher-ng) and each
other, and nothing else.

Every MAC is fixed and derived from the IP: with random MACs a server
re-booted at a recently used IP is unreachable for ~50 s, until the host's
stale ARP entry expires.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from pathlib import Path

from tests.testbed.config import CONTAINER_IFACE, Slot
from tests.testbed.errors import TestbedError
from tests.testbed.procs import log, run

SYS_NET = Path("/sys/class/net")
NETNS_DIR = Path("/run/netns")


def mac_for(ip: ipaddress.IPv4Address, first_octet: int = 0x02) -> str:
    """A locally administered unicast MAC that encodes IP: 02:bf:<the four IP bytes>."""
    return ":".join(f"{b:02x}" for b in (first_octet, 0xBF, *ip.packed))


def setup_bridge(slot: Slot) -> None:
    """Create the slot's bridge with its fixed MAC and address (removing a leftover first)."""
    teardown_bridge(slot)
    br = slot.bridge
    run(["ip", "link", "add", br, "address", mac_for(slot.bridge_ip), "type", "bridge"])
    run(["ip", "addr", "add", f"{slot.bridge_ip}/{slot.subnet.prefixlen}", "dev", br])
    # Never route the servers' packets onward, whatever the host's ip_forward says.
    Path(f"/proc/sys/net/ipv4/conf/{br}/forwarding").write_text("0\n")
    run(["ip", "link", "set", br, "up"])


def teardown_bridge(slot: Slot) -> None:
    _delete_link(slot.bridge)


@dataclass(frozen=True)
class ServerNet:
    """The network namespace and veth pair of one server, named after its IP."""

    slot: Slot
    ip: ipaddress.IPv4Address

    @property
    def octet(self) -> int:
        return self.ip.packed[-1]

    @property
    def netns(self) -> str:
        return f"{self.slot.netns_prefix}{self.octet}"

    @property
    def netns_path(self) -> Path:
        return NETNS_DIR / self.netns

    @property
    def veth_host(self) -> str:
        return f"{self.slot.veth_prefix}{self.octet}"

    def create(self) -> None:
        """Namespace, veth pair (server end named eth0), address and default route."""
        self.destroy()
        ns = self.netns
        run(["ip", "netns", "add", ns])
        run([
            "ip", "link", "add", self.veth_host, "address", mac_for(self.ip, 0x06),
            "type", "veth",
            "peer", "name", CONTAINER_IFACE, "address", mac_for(self.ip), "netns", ns,
        ])  # fmt: skip
        run(["ip", "link", "set", self.veth_host, "master", self.slot.bridge, "up"])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "addr", "add", f"{self.ip}/{self.slot.subnet.prefixlen}",
             "dev", CONTAINER_IFACE])  # fmt: skip
        run(["ip", "-n", ns, "link", "set", CONTAINER_IFACE, "up"])
        run(["ip", "-n", ns, "route", "add", "default", "via", str(self.slot.bridge_ip)])

    def destroy(self) -> None:
        """Remove the namespace (which takes its veth end, and so the pair, with it)."""
        if self.netns_path.exists():
            run(["ip", "netns", "del", self.netns])
        _delete_link(self.veth_host)


def _delete_link(name: str, timeout: float = 5.0) -> None:
    """Delete link NAME if present and wait until it is gone.

    Deleting a namespace removes its veth pair asynchronously, so the host end
    can still be listed for a moment and then vanish under our own "ip link
    del": that is success, not an error.
    """
    sys_path = SYS_NET / name
    deadline = time.monotonic() + timeout
    while sys_path.exists():
        result = run(["ip", "link", "del", name], check=False)
        if result.returncode != 0 and sys_path.exists() and time.monotonic() >= deadline:
            raise TestbedError(f"cannot delete link {name}: {result.stderr.strip()}")
        time.sleep(0.02)


def remove_leftovers(slot: Slot) -> None:
    """Delete every namespace and link with the slot's names (a crashed run's)."""
    if NETNS_DIR.is_dir():
        for entry in NETNS_DIR.iterdir():
            if entry.name.startswith(slot.netns_prefix):
                log.info("removing leftover network namespace %s", entry.name)
                run(["ip", "netns", "del", entry.name])
    for link in SYS_NET.iterdir():
        if link.name.startswith(slot.veth_prefix):
            log.info("removing leftover link %s", link.name)
            _delete_link(link.name)
    teardown_bridge(slot)
