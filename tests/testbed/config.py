"""Names and addresses of the test bed.

Several test beds can run on one machine at once (two developers' test runs,
or pytest-xdist workers): each takes a free *slot* and owns that slot's
bridge, subnet, namespaces and cgroups. A slot's lock file (flock) is held for
the life of its bed; the kernel drops it when the process dies, so whatever
carries a slot's names when its lock is taken is a crashed run's leftover and
is removed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MAX_SLOTS: Final = 8
LOCK_DIR: Final = Path("/run/brokeforge-testbed")

CONTAINER_IFACE: Final = "eth0"  # the server's end of its veth pair, in its namespace
FIRST_SERVER_OCTET: Final = 10
LAST_SERVER_OCTET: Final = 250
APT_PROXY_PORT: Final = 3142  # also in files/brokeforge-boot-setup
SSH_PORT: Final = 22

# Each slot's servers and apt-cacher-ng get child cgroups under this one, in
# every cgroup hierarchy systemd-nspawn uses.
CGROUP_NAME: Final = "brokeforge-testbed"
CGROUP_ROOT: Final = Path("/sys/fs/cgroup")

INOTIFY_INSTANCES_PATH: Final = Path("/proc/sys/fs/inotify/max_user_instances")
# Each booted systemd uses several inotify instances; the default 128 runs out
# at about a dozen servers.
INOTIFY_INSTANCES_WANTED: Final = 8192


@dataclass(frozen=True)
class Slot:
    """Everything one test bed owns on the host, derived from its slot number."""

    index: int

    @property
    def bridge(self) -> str:
        return f"bfbr{self.index}"

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"10.213.{self.index}.0/24")

    @property
    def bridge_ip(self) -> ipaddress.IPv4Address:
        return self.subnet.network_address + 1

    @property
    def unused_ip(self) -> ipaddress.IPv4Address:
        # Reserved and never assigned: nothing answers ARP for it, so a
        # connection to it fails like one to a server that is down, without
        # any packet leaving the bridge.
        return self.subnet.network_address + 2

    @property
    def netns_prefix(self) -> str:
        return f"bftb{self.index}-"  # + last octet of the server's IP

    @property
    def veth_prefix(self) -> str:
        return f"bfv{self.index}-"  # + last octet; host end of the veth pair

    @property
    def cgroup(self) -> str:
        return f"slot{self.index}"

    @property
    def lock_path(self) -> Path:
        return LOCK_DIR / f"slot{self.index}.lock"

    @property
    def apt_proxy(self) -> str:
        return f"http://{self.bridge_ip}:{APT_PROXY_PORT}"
