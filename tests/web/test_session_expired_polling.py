"""A page left open after its session ends: its next poll sends the browser to sign in."""

from __future__ import annotations

from django.test import Client

from brokeforge.servers.models import Server


def test_htmx_poll_without_session_redirects_the_whole_page(client: Client, server: Server) -> None:
    page = f"http://testserver/servers/{server.pk}/"
    response = client.get(
        f"/servers/{server.pk}/live/", headers={"HX-Request": "true", "HX-Current-URL": page}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/login/?next=/servers/{server.pk}/"
    assert b"Sign in" not in response.content


def test_plain_request_without_session_is_redirected_to_login(client: Client, server: Server) -> None:
    response = client.get(f"/servers/{server.pk}/live/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
