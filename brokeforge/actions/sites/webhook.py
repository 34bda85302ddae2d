"""Push to deploy: each site's webhook (a URL and a secret), and what a delivery does. Only a
signed push to the site's branch deploys, and it deploys the commit pushed; a delivery seen
before never deploys twice; a wrong signature changes nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from brokeforge.actions import ActionError
from brokeforge.actions.sites import deploy as deploy_actions
from brokeforge.lib import webhooks
from brokeforge.lib.enums import DeploymentTrigger
from brokeforge.sites.models import Site, WebhookDelivery

SECRET_BYTES = 32
# Where a panel with no public URL listens (`brokeforge serve`): only for git hosts on this machine.
LOCAL_ORIGIN = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Answer:
    """What the git host is told: an HTTP status and one line."""

    status: int
    message: str


def webhook(site: Site, rotate: bool = False) -> tuple[str, str]:
    """The site's webhook URL and secret; a new secret with `rotate` (the old one stops working)."""
    if rotate or not site.webhook_secret:
        site.webhook_secret = secrets.token_urlsafe(SECRET_BYTES)
        site.save(update_fields=["webhook_secret", "updated_at"])
    origin = settings.PUBLIC_URL.origin if settings.PUBLIC_URL else LOCAL_ORIGIN
    return origin + reverse("site_webhook", args=[site.pk]), site.webhook_secret


def receive(site_id: int, headers: Any, body: bytes) -> Answer:
    """Handle one delivery to a site's webhook URL."""
    site = Site.objects.filter(pk=site_id).first()
    try:
        delivery = webhooks.parse(headers, body, site.webhook_secret if site else "")
    except webhooks.BadSignature:
        # An unknown site answers as a wrong secret does: the URL says nothing to a guesser.
        return Answer(401, "Signature or token does not match this site's webhook secret.")
    except ValueError as exc:
        return Answer(400, str(exc))
    assert site is not None
    if delivery.event == webhooks.PING:
        return Answer(200, "pong")
    if delivery.event != webhooks.PUSH:
        return Answer(202, f"Ignored: {delivery.event or 'an unnamed'} event; only pushes deploy.")
    try:
        with transaction.atomic():
            record = WebhookDelivery.objects.create(
                site=site,
                delivery_id=delivery.delivery_id[:100],
                provider=delivery.provider,
                event=delivery.event,
                ref=delivery.ref[:255],
                commit=delivery.commit[:40],
                outcome="received",
            )
    except IntegrityError:
        return Answer(200, f"Delivery {delivery.delivery_id} was handled before; not deployed again.")
    return _deploy(site, delivery, record)


def _deploy(site: Site, delivery: webhooks.Delivery, record: WebhookDelivery) -> Answer:
    branch = delivery.pushed_branch()
    if branch != site.branch:
        answer = Answer(202, f"Ignored: {delivery.ref or 'the push'} is not branch {site.branch}.")
    else:
        try:
            deployment = deploy_actions.deploy(site, None, delivery.commit, DeploymentTrigger.WEBHOOK)
        except ActionError as exc:
            answer = Answer(409, f"Not deployed: {exc}")
        else:
            record.deployment = deployment
            answer = Answer(202, f"Deploying {delivery.commit} as deployment #{deployment.pk}.")
    record.outcome = answer.message[:200]
    record.save(update_fields=["outcome", "deployment"])
    return answer


def deliveries(site: Site) -> Any:
    return site.webhook_deliveries.select_related("deployment")
