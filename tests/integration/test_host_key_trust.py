"""Host keys a user can check: the connect command prints the server's own fingerprints, and a
changed key is accepted only by the fingerprint the user was shown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.jobs import queue
from brokeforge.jobs.models import JobStatus
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.packages.services.connection.jobs import ConnectionInstallerJob
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import fingerprint
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

# "  SHA256:<base64> (<TYPE>)", one line per host key, as the connect command prints them.
PRINTED_FINGERPRINT = re.compile(r"^  (SHA256:[A-Za-z0-9+/]+) \(([A-Z0-9-]+)\)$", re.MULTILINE)


def printed_fingerprints(output: str) -> dict[str, str]:
    return {kind: fp for fp, kind in PRINTED_FINGERPRINT.findall(output)}


def connect(server: Server) -> Any:
    job = queue.run_inline(ConnectionInstallerJob, server)
    server.refresh_from_db()
    return job


def test_the_connect_command_prints_the_fingerprint_the_panel_then_pins(
    owner: Any, debian_server: BootedServer
) -> None:
    server = server_actions.add_server(owner, "web-1", debian_server.ip)
    # What a user does: paste the command into a root shell on the server and read what it says.
    said = debian_server.run(server_actions.server_connect_command(server)).stdout
    printed = printed_fingerprints(said)
    assert "compare these with the host key it shows" in said
    served = {
        kind.upper(): fingerprint(debian_server.host_public_key(kind)) for kind in ("ed25519", "ecdsa", "rsa")
    }
    assert printed == served  # every key sshd serves, each with the fingerprint it really has

    job = connect(server)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert server.host_key_fingerprint == printed["ED25519"]
    pinned = server.host_key_events.get()
    assert (pinned.action, pinned.fingerprint) == (HostKeyEvent.Action.PINNED, printed["ED25519"])
    assert (pinned.server_name, pinned.server_address, pinned.owner) == ("web-1", debian_server.ip, owner)


def test_only_the_key_the_user_was_shown_can_be_accepted(
    connected_server: Server, debian_server: BootedServer, owner: Any
) -> None:
    server = connected_server
    original = server.host_key_fingerprint

    debian_server.regenerate_host_keys()
    assert connect(server).status == JobStatus.FAILED
    shown = server.presented_host_key_fingerprint  # what the page and `servers show` now say
    assert shown == fingerprint(debian_server.host_public_key())

    debian_server.regenerate_host_keys()  # replaced again before the user pressed accept
    assert connect(server).status == JobStatus.FAILED
    latest = server.presented_host_key_fingerprint
    assert latest == fingerprint(debian_server.host_public_key())
    assert latest not in (shown, original)

    with pytest.raises(server_actions.ActionError) as refused:
        server_actions.accept_host_key(server, owner, shown)
    assert shown in str(refused.value) and latest in str(refused.value)
    server.refresh_from_db()
    assert (server.host_key_fingerprint, server.connection_status) == (
        original,
        ConnectionStatus.HOST_KEY_CHANGED,
    )
    assert connect(server).status == JobStatus.FAILED  # the refused accept pinned nothing

    server_actions.accept_host_key(server, owner, latest)
    job = connect(server)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert server.host_key_fingerprint == latest
    assert server.connection_status == ConnectionStatus.CONNECTED
    history = [(e.action, e.fingerprint) for e in server.host_key_events.order_by("id")]
    assert history == [
        (HostKeyEvent.Action.PINNED, original),
        (HostKeyEvent.Action.REFUSED, shown),
        (HostKeyEvent.Action.REFUSED, latest),
        (HostKeyEvent.Action.REFUSED, latest),
        (HostKeyEvent.Action.ACCEPTED, latest),
    ]
