"""Host keys: pinned on first use, a changed one refused naming both fingerprints."""

from __future__ import annotations

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.jobs import queue
from brokeforge.jobs.models import JobStatus
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.packages.services.connection.jobs import ConnectionInstallerJob
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import HostKeyMismatch, SshTarget, connect, fingerprint
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]


def test_transport_refuses_a_changed_key_naming_both(debian_server: BootedServer) -> None:
    key = debian_server.root_key_path.read_text()
    first = SshTarget(debian_server.ip, 22, "root", key)
    with connect(first) as conn:
        pinned = conn.host_key
    debian_server.regenerate_host_keys()
    with pytest.raises(HostKeyMismatch) as refused:
        connect(SshTarget(debian_server.ip, 22, "root", key, pinned_host_key=pinned))
    assert refused.value.expected_fingerprint == fingerprint(pinned)
    assert refused.value.presented_fingerprint == fingerprint(debian_server.host_public_key())
    assert refused.value.expected_fingerprint in str(refused.value)
    assert refused.value.presented_fingerprint in str(refused.value)


def test_job_pins_then_refuses_until_a_user_accepts(
    connected_server: Server, debian_server: BootedServer, owner: object
) -> None:
    server = connected_server
    assert server.host_key_fingerprint == fingerprint(debian_server.host_public_key())
    assert server.host_key_events.filter(action=HostKeyEvent.Action.PINNED).count() == 1

    debian_server.regenerate_host_keys()
    job = queue.run_inline(ConnectionInstallerJob, server)
    server.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "changed" in job.error
    assert server.connection_status == ConnectionStatus.HOST_KEY_CHANGED
    assert server.presented_host_key_fingerprint == fingerprint(debian_server.host_public_key())
    # Nothing ran on the server after the refused connect: the only step is the failed connect.
    assert [s.status for s in job.steps.filter(is_command=True)] == []

    with pytest.raises(server_actions.ActionError):
        server_actions.provision(server)

    server_actions.accept_host_key(server, owner, server.presented_host_key_fingerprint)
    accepted = server.host_key_events.get(action=HostKeyEvent.Action.ACCEPTED)
    assert accepted.user == owner
    job = queue.run_inline(ConnectionInstallerJob, server)
    assert job.status == JobStatus.SUCCEEDED, job.error
