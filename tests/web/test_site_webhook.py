"""Push to deploy through the panel's endpoint: only a signed push to the site's branch queues a
deployment of the pushed commit; a repeated delivery, a wrong signature, another branch or a
ping deploy nothing. The endpoint needs no session and no CSRF token: the signature is the proof."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from brokeforge.actions.sites import webhook as webhook_actions
from brokeforge.jobs.models import Job
from brokeforge.lib import webhooks
from brokeforge.lib.enums import DeploymentTrigger, SiteStatus
from brokeforge.servers.models import Server
from brokeforge.sites.models import Deployment, Site, WebhookDelivery

SHA = "c0ffee" + "0" * 34


@pytest.fixture
def site(server: Server) -> Site:
    return Site.objects.create(
        server=server, domain="shop.example.com", system_user="shop_example_com", status=SiteStatus.ACTIVE,
        repository_url="git@git.example.com:shop/app.git", branch="main", php_version="8.2",
    )  # fmt: skip


def deliver(site: Site, payload: dict[str, object], *, secret: str | None = None, delivery: str = "d-1",
            event: str = "push") -> tuple[int, str]:  # fmt: skip
    _, own_secret = webhook_actions.webhook(site)
    body = json.dumps(payload).encode()
    headers = {
        "HTTP_X_GITHUB_EVENT": event,
        "HTTP_X_GITHUB_DELIVERY": delivery,
        "HTTP_X_HUB_SIGNATURE_256": webhooks.sign(body, secret or own_secret),
    }
    # A client with CSRF checks on and no session: as a git host calls it.
    response = Client(enforce_csrf_checks=True).post(
        reverse("site_webhook", args=[site.pk]), body, content_type="application/json", **headers
    )
    return response.status_code, response.content.decode()


def test_a_signed_push_to_the_branch_deploys_the_pushed_commit(site: Site) -> None:
    status, message = deliver(site, {"ref": "refs/heads/main", "after": SHA})
    deployment = Deployment.objects.get()
    assert status == 202 and f"deployment #{deployment.pk}" in message
    assert (deployment.trigger, deployment.requested_commit, deployment.started_by) == (
        DeploymentTrigger.WEBHOOK, SHA, None,
    )  # fmt: skip
    assert Job.objects.get(pk=deployment.job_id).arguments == [deployment.pk]
    assert WebhookDelivery.objects.get().deployment == deployment


def test_the_same_delivery_twice_deploys_once(site: Site) -> None:
    deliver(site, {"ref": "refs/heads/main", "after": SHA})
    status, message = deliver(site, {"ref": "refs/heads/main", "after": SHA})
    assert status == 200 and "not deployed again" in message
    assert Deployment.objects.count() == 1


def test_a_wrong_signature_is_refused_and_changes_nothing(site: Site) -> None:
    status, _ = deliver(site, {"ref": "refs/heads/main", "after": SHA}, secret="guess")
    assert status == 401
    assert (
        not Deployment.objects.exists() and not WebhookDelivery.objects.exists() and not Job.objects.exists()
    )


def test_after_a_rotation_the_old_secret_no_longer_works(site: Site) -> None:
    _, old = webhook_actions.webhook(site)
    webhook_actions.webhook(site, rotate=True)
    assert deliver(site, {"ref": "refs/heads/main", "after": SHA}, secret=old)[0] == 401


def test_another_branch_and_a_ping_deploy_nothing(site: Site) -> None:
    status, message = deliver(site, {"ref": "refs/heads/dev", "after": SHA})
    assert status == 202 and "not branch main" in message
    assert deliver(site, {"zen": "hi"}, event="ping", delivery="d-2") == (200, "pong\n")
    assert not Deployment.objects.exists()


def test_an_unknown_site_answers_like_a_wrong_secret(db: None) -> None:
    response = Client().post(reverse("site_webhook", args=[999]), b"{}", content_type="application/json")
    assert response.status_code == 401


def test_the_webhook_page_shows_the_url_and_secret_to_its_owner_only(
    user_client: Client, site: Site, other_server: Server
) -> None:
    page = user_client.get(reverse("site_webhook_settings", args=[site.pk])).content.decode()
    site.refresh_from_db()  # the page made the secret
    url, secret = webhook_actions.webhook(site)
    assert url in page and secret in page
    theirs = Site.objects.create(server=other_server, domain="their.example.com", system_user="their")
    assert user_client.get(reverse("site_webhook_settings", args=[theirs.pk])).status_code == 404
