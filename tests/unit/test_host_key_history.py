"""Host-key history is an audit trail: it outlives its server and stays with the server's owner."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brokeforge.actions.scope import user_host_key_events
from brokeforge.actions.servers import delete_server
from brokeforge.servers.models import HostKeyEvent, Server


def record_history(server: Server) -> None:
    """Events as the job journal writes them: with nothing but the server to go by."""
    HostKeyEvent.objects.create(server=server, action=HostKeyEvent.Action.PINNED, fingerprint="SHA256:one")
    HostKeyEvent.objects.create(
        server=server,
        action=HostKeyEvent.Action.REFUSED,
        fingerprint="SHA256:two",
        previous_fingerprint="SHA256:one",
    )


def test_an_event_remembers_its_server_name_address_and_owner(server: Server, owner: User) -> None:
    record_history(server)
    remembered = HostKeyEvent.objects.values_list("server_name", "server_address", "server_port", "owner")
    assert set(remembered) == {("web-1", "203.0.113.10", 22, owner.pk)}


def test_history_survives_the_deletion_of_its_server(server: Server, owner: User) -> None:
    record_history(server)
    delete_server(server)
    assert not Server.objects.exists()
    events = list(HostKeyEvent.objects.order_by("id"))
    assert [(e.action, e.fingerprint, e.previous_fingerprint) for e in events] == [
        ("pinned", "SHA256:one", ""),
        ("refused", "SHA256:two", "SHA256:one"),
    ]
    assert all(e.server_deleted and e.server_name == "web-1" for e in events)
    assert all(e.server_address == "203.0.113.10" for e in events)


def test_the_owner_keeps_seeing_a_deleted_servers_history_and_nobody_else_does(
    server: Server, owner: User
) -> None:
    other = User.objects.create_user("mallory", password="correct horse battery")
    theirs = Server.objects.create(owner=other, name="theirs", public_ip="203.0.113.66")
    record_history(server)
    record_history(theirs)
    delete_server(server)
    assert {e.server_name for e in user_host_key_events(owner)} == {"web-1"}
    assert {e.server_name for e in user_host_key_events(other)} == {"theirs"}
    assert user_host_key_events(owner).count() == 2


def test_a_name_given_explicitly_is_kept(server: Server) -> None:
    event = HostKeyEvent.objects.create(
        server=server, action=HostKeyEvent.Action.PINNED, fingerprint="SHA256:one", server_name="old-name"
    )
    event.refresh_from_db()
    assert (event.server_name, event.server_address) == ("old-name", "203.0.113.10")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_events_recorded_before_it() -> None:
    executor = MigrationExecutor(connection)
    before, after = [("servers", "0001_initial")], [("servers", "0002_host_key_history")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    owner: Any = old.get_model("auth", "User").objects.create(username="alice")
    server = old.get_model("servers", "Server").objects.create(
        owner=owner, name="web-1", public_ip="203.0.113.10", ssh_port=2222
    )
    old.get_model("servers", "HostKeyEvent").objects.create(
        server=server, action="pinned", fingerprint="SHA256:one"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    event = HostKeyEvent.objects.get()
    assert (event.server_name, event.server_address, event.server_port, event.owner_id) == (
        "web-1",
        "203.0.113.10",
        2222,
        owner.pk,
    )
    Server.objects.get().delete()
    assert HostKeyEvent.objects.get().server_deleted
