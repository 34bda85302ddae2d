"""`brokeforge servers accept-host-key` and `servers host-keys` on rows in the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokeforge.actions import servers as server_actions
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import fingerprint, generate_keypair

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)

OLD_KEY = generate_keypair("root@old").public_key
NEW_KEY = generate_keypair("root@new").public_key
NEWER_KEY = generate_keypair("root@newer").public_key


def key_changed(server_id: int, presented: str) -> None:
    """What the journal records when a connect meets another key than the pinned one."""
    Server.objects.filter(pk=server_id).update(
        host_key=OLD_KEY,
        host_key_fingerprint=fingerprint(OLD_KEY),
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        presented_host_key=presented,
        presented_host_key_fingerprint=fingerprint(presented),
    )


def shown_fingerprint(invoke: Invoke, server_id: int) -> str:
    """The presented key's fingerprint, as `servers show` tells the user to pass it."""
    shown: str = json.loads(invoke("servers", "show", str(server_id), "--json").stdout)[
        "presented_host_key_fingerprint"
    ]
    return shown


def test_show_prints_the_command_that_accepts_the_presented_key(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    result = invoke("servers", "show", str(server_id))
    assert f"presented a different host key: {fingerprint(NEW_KEY)}" in result.stdout
    assert (
        f"brokeforge servers accept-host-key {server_id} --fingerprint {fingerprint(NEW_KEY)}`"
        in result.stdout
    )


def test_accepting_the_shown_fingerprint_pins_it(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    shown = shown_fingerprint(invoke, server_id)
    result = invoke("servers", "accept-host-key", str(server_id), "--fingerprint", shown, "--json")
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)
    assert (event["action"], event["fingerprint"], event["previous_fingerprint"]) == (
        "accepted",
        fingerprint(NEW_KEY),
        fingerprint(OLD_KEY),
    )
    assert (event["server_name"], event["user"]) == ("web-1", "admin")
    shown_after = json.loads(invoke("servers", "show", str(server_id), "--json").stdout)
    assert shown_after["host_key_fingerprint"] == fingerprint(NEW_KEY)
    assert shown_after["presented_host_key_fingerprint"] == ""
    assert shown_after["connection_status"] == ConnectionStatus.PENDING


def test_accepting_prints_what_was_accepted(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    result = invoke("servers", "accept-host-key", str(server_id), "--fingerprint", fingerprint(NEW_KEY))
    assert result.exit_code == 0, result.output
    assert f"Accepted host key {fingerprint(NEW_KEY)} for web-1" in result.stdout
    assert f"brokeforge servers verify {server_id}" in result.stdout


def test_a_key_presented_since_it_was_shown_is_refused(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    shown = shown_fingerprint(invoke, server_id)
    key_changed(server_id, NEWER_KEY)
    result = invoke("servers", "accept-host-key", str(server_id), "--fingerprint", shown, "--json")
    assert result.exit_code != 0
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    assert fingerprint(NEW_KEY) in message and fingerprint(NEWER_KEY) in message
    server = Server.objects.get(pk=server_id)
    assert server.host_key == OLD_KEY
    assert server.presented_host_key_fingerprint == fingerprint(NEWER_KEY)
    assert not HostKeyEvent.objects.exists()


def test_the_fingerprint_is_required(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    result = invoke("servers", "accept-host-key", str(server_id))
    assert result.exit_code == 2
    assert "--fingerprint" in result.stderr
    assert Server.objects.get(pk=server_id).host_key == OLD_KEY


def test_nothing_to_accept_is_refused(invoke: Invoke, add_server: Any) -> None:
    server_id = add_server()["id"]
    result = invoke("servers", "accept-host-key", str(server_id), "--fingerprint", fingerprint(NEW_KEY))
    assert result.exit_code != 0
    assert "has not presented a different host key" in result.stderr
    assert not HostKeyEvent.objects.exists()


def test_host_key_history_is_listed_after_the_server_is_deleted(
    invoke: Invoke, add_server: Any, django_user_model: Any
) -> None:
    server_id = add_server()["id"]
    key_changed(server_id, NEW_KEY)
    server = Server.objects.get(pk=server_id)
    server_actions.accept_host_key(server, server.owner, fingerprint(NEW_KEY))
    other = django_user_model.objects.create_user("mallory", password="correct horse battery staple")
    theirs = add_server("theirs", "203.0.113.66", "--owner", "mallory")["id"]
    key_changed(theirs, NEWER_KEY)
    server_actions.accept_host_key(Server.objects.get(pk=theirs), other, fingerprint(NEWER_KEY))
    assert invoke("servers", "delete", str(server_id), "--yes").exit_code == 0

    admins = json.loads(invoke("servers", "host-keys", "--owner", "admin", "--json").stdout)
    assert [(e["server_name"], e["server_deleted"], e["fingerprint"]) for e in admins] == [
        ("web-1", True, fingerprint(NEW_KEY))
    ]
    everyone = json.loads(invoke("servers", "host-keys", "--json").stdout)
    assert {e["server_name"] for e in everyone} == {"web-1", "theirs"}
    table = invoke("servers", "host-keys").stdout
    assert (
        f"web-1 (deleted) 203.0.113.10  accepted {fingerprint(NEW_KEY)} (was {fingerprint(OLD_KEY)}) by admin"
        in table
    )


def test_host_keys_of_one_server(invoke: Invoke, add_server: Any) -> None:
    first, second = add_server("web-1")["id"], add_server("web-2", "203.0.113.11")["id"]
    for server_id in (first, second):
        key_changed(server_id, NEW_KEY)
        server = Server.objects.get(pk=server_id)
        server_actions.accept_host_key(server, server.owner, fingerprint(NEW_KEY))
    listed = json.loads(invoke("servers", "host-keys", str(second), "--json").stdout)
    assert [(e["server_id"], e["action"]) for e in listed] == [(second, "accepted")]
