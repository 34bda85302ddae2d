"""actions.servers.accept_host_key: only the key whose fingerprint the user was shown is pinned."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from brokeforge.actions import servers as server_actions
from brokeforge.actions.servers import ActionError, accept_host_key
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import fingerprint, generate_keypair


def host_key() -> str:
    return generate_keypair("root@web-1").public_key


def pin(server: Server, key: str) -> None:
    Server.objects.filter(pk=server.pk).update(host_key=key, host_key_fingerprint=fingerprint(key))


def present(server: Server, key: str) -> None:
    """What the journal records when a connect is refused: the key the server presented."""
    Server.objects.filter(pk=server.pk).update(
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        connection_error="Host key changed",
        presented_host_key=key,
        presented_host_key_fingerprint=fingerprint(key),
    )


def host_key_record(server: Server) -> tuple[str, str, str, str]:
    server.refresh_from_db()
    return (
        server.host_key,
        server.host_key_fingerprint,
        server.presented_host_key_fingerprint,
        server.connection_status,
    )


@pytest.fixture
def pinned(server: Server) -> str:
    key = host_key()
    pin(server, key)
    return key


def test_accepting_the_shown_fingerprint_pins_that_key(server: Server, pinned: str, owner: User) -> None:
    new = host_key()
    present(server, new)
    event = accept_host_key(server, owner, fingerprint(new))
    assert (server.host_key, server.host_key_fingerprint) == (new, fingerprint(new))
    assert (server.presented_host_key, server.connection_status) == ("", ConnectionStatus.PENDING)
    assert server.host_key_pinned_at is not None
    assert (event.action, event.fingerprint, event.previous_fingerprint, event.user) == (
        HostKeyEvent.Action.ACCEPTED,
        fingerprint(new),
        fingerprint(pinned),
        owner,
    )


def test_surrounding_whitespace_of_a_pasted_fingerprint_is_ignored(
    server: Server, pinned: str, owner: User
) -> None:
    new = host_key()
    present(server, new)
    accept_host_key(server, owner, f"  {fingerprint(new)}\n")
    assert server.host_key == new


def test_a_key_presented_after_the_one_shown_is_refused_naming_both(
    server: Server, pinned: str, owner: User
) -> None:
    shown, since = host_key(), host_key()
    present(server, shown)
    present(server, since)  # the server was swapped again before the user pressed accept
    before = host_key_record(server)
    with pytest.raises(ActionError) as refused:
        accept_host_key(server, owner, fingerprint(shown))
    assert fingerprint(shown) in str(refused.value)
    assert fingerprint(since) in str(refused.value)
    assert host_key_record(server) == before
    assert not HostKeyEvent.objects.filter(action=HostKeyEvent.Action.ACCEPTED).exists()


@pytest.mark.parametrize("given", ["", "   ", "SHA256:", "sha256:{fp}", "{fp}x", "{bare}"])
def test_anything_but_the_exact_presented_fingerprint_is_refused(
    server: Server, pinned: str, owner: User, given: str
) -> None:
    new = host_key()
    present(server, new)
    shown = fingerprint(new)
    before = host_key_record(server)
    with pytest.raises(ActionError, match=re.escape(shown)):
        accept_host_key(server, owner, given.format(fp=shown, bare=shown.removeprefix("SHA256:")))
    assert host_key_record(server) == before


def test_the_pinned_fingerprint_accepts_nothing(server: Server, pinned: str, owner: User) -> None:
    present(server, host_key())
    with pytest.raises(ActionError):
        accept_host_key(server, owner, fingerprint(pinned))
    server.refresh_from_db()
    assert server.host_key == pinned


def test_without_a_presented_key_there_is_nothing_to_accept(server: Server, pinned: str, owner: User) -> None:
    with pytest.raises(ActionError, match="has not presented a different host key"):
        accept_host_key(server, owner, fingerprint(pinned))
    assert host_key_record(server)[:2] == (pinned, fingerprint(pinned))
    assert not HostKeyEvent.objects.exists()


def test_a_stale_server_object_cannot_accept_a_key_it_never_saw(
    server: Server, pinned: str, owner: User
) -> None:
    # The object in hand says key A is presented; the database, since a later refusal, says B.
    shown, since = host_key(), host_key()
    present(server, shown)
    server.refresh_from_db()
    present(server, since)
    with pytest.raises(ActionError, match=re.escape(fingerprint(since))):
        accept_host_key(server, owner, fingerprint(shown))
    assert host_key_record(server)[:3] == (pinned, fingerprint(pinned), fingerprint(since))


def test_a_refusal_landing_between_check_and_pin_wins(
    server: Server, pinned: str, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passes on the key shown; before the pin is written, a connect attempt records a
    new key. Pinning what was checked would overwrite the record of a key nobody looked at."""
    shown, since = host_key(), host_key()
    present(server, shown)
    read_state = server_actions._host_key_state
    reads = []

    def read_then_a_refusal_lands(server_id: int) -> dict[str, str]:
        state = read_state(server_id)
        if not reads:
            present(server, since)
        reads.append(state)
        return state

    monkeypatch.setattr(server_actions, "_host_key_state", read_then_a_refusal_lands)
    with pytest.raises(ActionError) as refused:
        accept_host_key(server, owner, fingerprint(shown))
    assert reads[0]["presented_host_key_fingerprint"] == fingerprint(shown)  # the check did pass
    assert fingerprint(since) in str(refused.value)
    assert host_key_record(server)[:3] == (pinned, fingerprint(pinned), fingerprint(since))
    assert not HostKeyEvent.objects.filter(action=HostKeyEvent.Action.ACCEPTED).exists()


def test_two_accepts_of_one_key_pin_it_once(server: Server, pinned: str, owner: User) -> None:
    new = host_key()
    present(server, new)
    stale = Server.objects.get(pk=server.pk)
    accept_host_key(server, owner, fingerprint(new))
    with pytest.raises(ActionError, match="has not presented a different host key"):
        accept_host_key(stale, owner, fingerprint(new))
    assert HostKeyEvent.objects.filter(action=HostKeyEvent.Action.ACCEPTED).count() == 1
