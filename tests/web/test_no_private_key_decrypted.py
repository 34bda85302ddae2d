"""Showing a server never decrypts its private keys: the page needs only the public ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.lib import crypto
from brokeforge.servers.models import Server


def test_the_server_page_shows_public_keys_without_decrypting(
    user_client: Client, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = [c.public_key for c in server.credentials.all()]

    def refuse(token: str) -> str:
        raise AssertionError("a private key was decrypted to render a page")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    for name in ("server_detail", "server_live"):
        page = user_client.get(reverse(name, args=[server.pk])).content.decode()
        assert page  # rendered without decrypting
    page = user_client.get(reverse("server_detail", args=[server.pk])).content.decode()
    for key in public:
        assert key in page
