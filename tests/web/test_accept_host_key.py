"""Accepting a changed host key is an explicit POST, recorded with who and when, and it pins only
the key whose fingerprint the page showed."""

from __future__ import annotations

from html.parser import HTMLParser

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from brokeforge.actions import servers as server_actions
from brokeforge.lib.enums import ConnectionStatus
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import fingerprint, generate_keypair

OLD_KEY = generate_keypair("root@old").public_key
NEW_KEY = generate_keypair("root@new").public_key
NEWER_KEY = generate_keypair("root@newer").public_key


class FormFields(HTMLParser):
    """The fields of the form that posts to `action`, as a browser would submit them."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, dict[str, str]()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        elif tag == "input" and self.inside and attributes.get("name"):
            self.fields[str(attributes["name"])] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def accept_form(client: Client, server: Server) -> dict[str, str]:
    url = reverse("server_accept_host_key", args=[server.pk])
    parser = FormFields(url)
    parser.feed(client.get(reverse("server_detail", args=[server.pk])).content.decode())
    assert parser.fields, "the page has no accept form"
    return parser.fields


def key_changed(server: Server, presented: str) -> None:
    Server.objects.filter(pk=server.pk).update(
        host_key=OLD_KEY,
        host_key_fingerprint=fingerprint(OLD_KEY),
        connection_status=ConnectionStatus.HOST_KEY_CHANGED,
        presented_host_key=presented,
        presented_host_key_fingerprint=fingerprint(presented),
    )


def test_the_form_carries_the_fingerprint_the_page_shows(user_client: Client, server: Server) -> None:
    key_changed(server, NEW_KEY)
    fields = accept_form(user_client, server)
    assert fields["fingerprint"] == fingerprint(NEW_KEY)
    page = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    assert f'id="presented-host-key-fingerprint">{fingerprint(NEW_KEY)}<' in page
    assert f'id="pinned-host-key-fingerprint">{fingerprint(OLD_KEY)}<' in page


def test_submitting_the_form_pins_the_shown_key_and_records_who(
    user_client: Client, user: User, server: Server
) -> None:
    key_changed(server, NEW_KEY)
    response = user_client.post(
        reverse("server_accept_host_key", args=[server.pk]), accept_form(user_client, server), follow=True
    )
    server.refresh_from_db()
    assert (server.host_key, server.host_key_fingerprint) == (NEW_KEY, fingerprint(NEW_KEY))
    assert server.connection_status == ConnectionStatus.PENDING
    event = HostKeyEvent.objects.get(server=server)
    assert (event.action, event.user, event.previous_fingerprint) == ("accepted", user, fingerprint(OLD_KEY))
    page = response.content.decode()
    assert "New host key of web-1 accepted" in page
    assert 'data-action="accepted"' in page
    assert "by alice" in page


def test_a_key_presented_after_the_page_was_shown_is_refused(user_client: Client, server: Server) -> None:
    key_changed(server, NEW_KEY)
    shown = accept_form(user_client, server)
    key_changed(server, NEWER_KEY)  # a later connect attempt met yet another key
    response = user_client.post(reverse("server_accept_host_key", args=[server.pk]), shown, follow=True)
    page = response.content.decode()
    assert fingerprint(NEW_KEY) in page.split('id="connection"')[0]  # the message, above the card
    assert f"now presents host key {fingerprint(NEWER_KEY)}" in page
    server.refresh_from_db()
    assert server.host_key == OLD_KEY
    assert server.presented_host_key_fingerprint == fingerprint(NEWER_KEY)
    assert server.connection_status == ConnectionStatus.HOST_KEY_CHANGED
    assert not HostKeyEvent.objects.exists()


def test_a_post_without_the_fingerprint_accepts_nothing(user_client: Client, server: Server) -> None:
    key_changed(server, NEW_KEY)
    response = user_client.post(reverse("server_accept_host_key", args=[server.pk]), follow=True)
    assert b"Give the fingerprint of the host key you accept" in response.content
    server.refresh_from_db()
    assert server.host_key == OLD_KEY
    assert not HostKeyEvent.objects.exists()


def test_accept_without_a_changed_key_is_an_error(user_client: Client, server: Server) -> None:
    response = user_client.post(
        reverse("server_accept_host_key", args=[server.pk]), {"fingerprint": "SHA256:x"}, follow=True
    )
    assert b"has not presented a different host key" in response.content
    assert not HostKeyEvent.objects.exists()


def test_a_deleted_servers_history_stays_on_the_servers_page_of_its_owner_only(
    user_client: Client, server: Server, other_user: User
) -> None:
    key_changed(server, NEW_KEY)
    server_actions.accept_host_key(server, server.owner, fingerprint(NEW_KEY))
    user_client.post(reverse("server_delete", args=[server.pk]))
    assert not Server.objects.exists()
    page = user_client.get(reverse("servers")).content.decode()
    history = page.split('id="deleted-host-key-events"')[1]
    assert "web-1" in history and "203.0.113.10" in history
    assert fingerprint(NEW_KEY) in history and fingerprint(OLD_KEY) in history
    other = Client()
    other.force_login(other_user)
    assert fingerprint(NEW_KEY) not in other.get(reverse("servers")).content.decode()
