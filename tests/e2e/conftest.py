"""The panel as a user runs it: the `brokeforge` CLI and worker processes on a fresh data dir.

The fixtures (`panel`, `provisioned_server`, `shared_provisioned_server`, `debian_server`,
`testbed`) live in tests/conftest_testbed.py, so integration tests can use them too; `Panel`
itself is tests/testbed/panel.py's, importable from here as before.
"""

from __future__ import annotations

from tests.testbed.panel import Panel, ProvisionedServer, SharedProvisionedServer

__all__ = ["Panel", "ProvisionedServer", "SharedProvisionedServer"]
