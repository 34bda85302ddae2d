"""Test bed: real Debian servers (systemd-nspawn) for BrokeForge's tests.

    from tests.testbed import Testbed, BootedServer
    bed = Testbed(cache_dir=default_cache_dir(), run_dir=tmp)
    bed.start()
    srv = bed.boot("web1")
    srv.run("systemctl is-active ssh")
    bed.stop()

See README.md beside this file.
"""

from tests.testbed.bed import Testbed, default_cache_dir
from tests.testbed.errors import RemoteCommandError, TestbedError
from tests.testbed.server import BootedServer

__all__ = ["BootedServer", "RemoteCommandError", "Testbed", "TestbedError", "default_cache_dir"]
