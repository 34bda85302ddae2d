"""pytest fixtures for the real-server test bed (loaded by tests/conftest.py).

testbed                    session: the started Testbed (fails, never skips, when the host
                           cannot run it; the error says why)
debian_server              function: a fresh server booted from a BASE image (nothing
                           provisioned), stopped after the test. Debian 12 (bookworm) unless
                           parametrized indirectly:
                           @pytest.mark.parametrize("debian_server", ["bookworm", "trixie"],
                                                    indirect=True)
panel                      function: a fresh panel (CLI + workers) on its own data dir
provisioned_server         function: a fresh server booted from the PROVISIONED image, added to
                           the test's `panel`, connected, verified and provisioned by the
                           product (quick: everything is installed already); bookworm unless
                           parametrized indirectly like debian_server. Change it at will.
shared_provisioned_server  session: ONE provisioned server (and its own panel) shared by every
                           test that asks for it. Read-only: a test that changes anything on it
                           (packages, files, services, firewall) or in its panel must use
                           provisioned_server instead; the session fails at teardown if files
                           under /etc, /usr, /var/www, /home or /root changed.
git_server                 session: a git host (tests/testbed/git_server.py): a `git` user with
                           git-shell serving bare repositories over SSH; create a repository per
                           test, push commits (a small PHP app), authorize a site's deploy key.
acme_server                session: an ACME server (tests/testbed/acme.py): Debian's pebble with
                           pebble-challtestsrv as its DNS, on the bed's bridge IP; point(domain,
                           ip) a name at a server, then certbot --server acme_server.directory_url
                           with REQUESTS_CA_BUNDLE holding acme_server.ca_bundle_pem.

The hooks at the end record per-directory timings (tests/testbed/timings.py).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.testbed import DEFAULT_RELEASE, BootedServer, Testbed, default_cache_dir, images, timings
from tests.testbed.acme import AcmeServer
from tests.testbed.git_server import GitServer
from tests.testbed.panel import Panel, ProvisionedServer, SharedProvisionedServer, create_panel, provision
from tests.testbed.procs import log


@pytest.fixture(scope="session")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Testbed]:
    bed = Testbed(cache_dir=default_cache_dir(), run_dir=tmp_path_factory.mktemp("testbed"))
    bed.start()
    try:
        yield bed
    finally:
        bed.stop()


def _release(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", DEFAULT_RELEASE))


@pytest.fixture
def debian_server(request: pytest.FixtureRequest, testbed: Testbed) -> Iterator[BootedServer]:
    srv = testbed.boot("debian-server", _release(request))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[Panel]:
    instance = create_panel(tmp_path)
    try:
        yield instance
    finally:
        instance.workers.stop()


@pytest.fixture
def provisioned_server(
    request: pytest.FixtureRequest, testbed: Testbed, panel: Panel
) -> Iterator[ProvisionedServer]:
    name = "provisioned"
    srv = testbed.boot(name, _release(request), provisioned=True)
    try:
        server_id, seconds = provision(panel, srv, name)
        timings.add_reprovision(seconds)
        request.node.user_properties.append(("reprovision_seconds", round(seconds, 1)))
        yield ProvisionedServer(srv, server_id, name)
    finally:
        srv.stop()


# Where a read-only test may not leave a trace (logs, journals, caches may change).
_WATCHED = "/etc /usr /var/www /home /root"
_READY_MARK = "/run/brokeforge-shared-ready"


@pytest.fixture(scope="session")
def shared_provisioned_server(
    testbed: Testbed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedProvisionedServer]:
    name = "shared-provisioned"
    shared_panel = create_panel(tmp_path_factory.mktemp("shared-panel"))
    srv = testbed.boot(name, provisioned=True)
    try:
        server_id, seconds = provision(shared_panel, srv, name)
        timings.add_reprovision(seconds)
        time.sleep(1.1)  # past the last write's mtime second
        srv.run(f"touch {_READY_MARK}")
        yield SharedProvisionedServer(srv, server_id, name, shared_panel)
        changed = srv.run(
            f"find {_WATCHED} -xdev -newer {_READY_MARK} -not -type d -print 2>/dev/null | head -20",
            check=False,
        ).stdout.split()
        if changed:
            raise AssertionError(
                f"a test changed the shared read-only provisioned server ({', '.join(changed)}); "
                "tests that change a server must use `provisioned_server`"
            )
    finally:
        shared_panel.workers.stop()
        srv.stop()


@pytest.fixture(scope="session")
def git_server(testbed: Testbed) -> Iterator[GitServer]:
    server = GitServer.start(testbed)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def acme_server(testbed: Testbed) -> Iterator[AcmeServer]:
    server = AcmeServer.start_for(testbed)
    try:
        yield server
    finally:
        server.stop()


# -- timings of the run (see tests/testbed/timings.py) ---------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    timings.mark("start")


def pytest_collection_finish(session: pytest.Session) -> None:
    timings.mark("collected")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    started, built_before = time.monotonic(), len(images.BUILDS)
    yield
    cache = default_cache_dir()
    built = [(path.name, secs) for path, secs in images.BUILDS[built_before:] if path.parent == cache]
    timings.add_test(item.nodeid, time.monotonic() - started, built)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    try:
        timings.write()
    except OSError as exc:
        log.warning("cannot write the test timings: %s", exc)
