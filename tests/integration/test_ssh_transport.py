"""The SSH transport against a real server: one connection, streaming, errors, timeouts."""

from __future__ import annotations

import threading
import time

import pytest

from brokeforge.ssh import CommandFailed, CommandTimeout, ConnectFailed, SshTarget, connect, fingerprint
from tests.testbed import BootedServer, Testbed

pytestmark = pytest.mark.servers


def target(srv: BootedServer, pinned: str = "", timeout: float = 5.0) -> SshTarget:
    return SshTarget(
        host=srv.ip,
        port=srv.ssh_port,
        username="root",
        private_key=srv.root_key_path.read_text(),
        pinned_host_key=pinned,
        connect_timeout=timeout,
    )


def test_first_connect_reports_the_servers_real_host_key(debian_server: BootedServer) -> None:
    with connect(target(debian_server)) as conn:
        assert conn.host_key_fingerprint == fingerprint(debian_server.host_public_key())


def test_many_commands_share_one_connection(debian_server: BootedServer) -> None:
    with connect(target(debian_server)) as conn:
        # Each command is a new channel on the same TCP connection: the peer port never changes.
        ports = {conn.run("echo $SSH_CONNECTION", timeout=10).stdout.split()[1] for _ in range(20)}
    assert len(ports) == 1


def test_output_streams_while_the_command_runs(debian_server: BootedServer) -> None:
    seen: list[tuple[float, str]] = []
    with connect(target(debian_server)) as conn:
        started = time.monotonic()
        conn.run(
            "echo first; sleep 1.5; echo second",
            timeout=10,
            on_output=lambda chunk: seen.append((time.monotonic() - started, chunk)),
        )
    first_at = next(at for at, chunk in seen if "first" in chunk)
    assert first_at < 1.0, "first line arrived only when the command ended"
    assert "second" in "".join(chunk for _, chunk in seen)


def test_failed_command_carries_exit_code_and_stderr_tail(debian_server: BootedServer) -> None:
    with connect(target(debian_server)) as conn, pytest.raises(CommandFailed) as failure:
        conn.run("echo doing; echo broken pipe >&2; exit 3", timeout=10, display="the-command")
    assert failure.value.exit_code == 3
    assert "broken pipe" in failure.value.stderr_tail
    assert "the-command" in str(failure.value)


def test_command_timeout_is_enforced(debian_server: BootedServer) -> None:
    with connect(target(debian_server)) as conn:
        started = time.monotonic()
        with pytest.raises(CommandTimeout):
            conn.run("sleep 30", timeout=1)
        assert time.monotonic() - started < 5
        # The connection is still usable after a timed-out command.
        assert conn.run("echo alive", timeout=10).stdout == "alive\n"


def test_unreachable_ip_fails_within_the_connect_timeout(testbed: Testbed) -> None:
    unreachable = SshTarget(
        host=testbed.unused_ip(), port=22, username="root", private_key=_any_key(), connect_timeout=2
    )
    started = time.monotonic()
    with pytest.raises(ConnectFailed) as failure:
        connect(unreachable)
    assert time.monotonic() - started < 4
    assert unreachable.host in str(failure.value)


def test_connections_to_two_servers_run_concurrently(testbed: Testbed) -> None:
    servers = testbed.boot_many(["para-1", "para-2"])
    try:
        durations: list[float] = []

        def sleep_on(srv: BootedServer) -> None:
            with connect(target(srv)) as conn:
                started = time.monotonic()
                conn.run("sleep 1", timeout=10)
                durations.append(time.monotonic() - started)

        threads = [threading.Thread(target=sleep_on, args=(srv,)) for srv in servers]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 1.9, "commands on two servers ran one after the other"
    finally:
        for srv in servers:
            srv.stop()


def _any_key() -> str:
    from brokeforge.ssh import generate_keypair

    return generate_keypair("unused").private_key
