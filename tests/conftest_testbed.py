"""pytest fixtures for the real-server test bed (loaded by tests/conftest.py).

testbed        session: the started Testbed (fails, never skips, when the
               host cannot run it; the error says why)
debian_server  function: a freshly booted BootedServer, stopped after the test
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.testbed import BootedServer, Testbed, default_cache_dir


@pytest.fixture(scope="session")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Testbed]:
    bed = Testbed(cache_dir=default_cache_dir(), run_dir=tmp_path_factory.mktemp("testbed"))
    bed.start()
    try:
        yield bed
    finally:
        bed.stop()


@pytest.fixture
def debian_server(testbed: Testbed) -> Iterator[BootedServer]:
    srv = testbed.boot("debian-server")
    try:
        yield srv
    finally:
        srv.stop()
