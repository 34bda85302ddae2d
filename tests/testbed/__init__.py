"""Test bed: real Debian servers (systemd-nspawn) for BrokeForge's tests.

    from tests.testbed import Testbed, BootedServer
    bed = Testbed(cache_dir=default_cache_dir(), run_dir=tmp)
    bed.start()
    srv = bed.boot("web1")                          # Debian 12 (bookworm) base
    srv13 = bed.boot("web2", release="trixie")      # Debian 13 base
    ready = bed.boot("web3", provisioned=True)      # the product already provisioned it
    srv.run("systemctl is-active ssh")
    bed.stop()

See README.md beside this file.
"""

from tests.testbed.bed import Testbed, default_cache_dir
from tests.testbed.errors import RemoteCommandError, TestbedError
from tests.testbed.images import DEFAULT_RELEASE, RELEASES, Image
from tests.testbed.server import BootedServer

__all__ = [
    "DEFAULT_RELEASE",
    "RELEASES",
    "BootedServer",
    "Image",
    "RemoteCommandError",
    "Testbed",
    "TestbedError",
    "default_cache_dir",
]
