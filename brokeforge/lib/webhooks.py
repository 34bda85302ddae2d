"""Push-to-deploy deliveries from git hosts: who sent it, proven by the site's secret, and what
was pushed. GitHub and Gitea/Forgejo sign the raw body (`X-Hub-Signature-256`, HMAC-SHA256);
GitLab sends the secret itself (`X-Gitlab-Token`). Both are compared in constant time, before
anything of the body is read."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

PING, PUSH = "ping", "push"
_NO_COMMIT = "0" * 40  # the `after` of a push that deleted the branch


class BadSignature(Exception):
    """The delivery does not carry the site's secret: it is refused, and nothing is recorded."""


@dataclass(frozen=True)
class Delivery:
    provider: str  # github, gitea or gitlab
    event: str  # push, ping, or the host's own name for another event
    delivery_id: str
    ref: str = ""
    commit: str = ""

    def pushed_branch(self) -> str | None:
        """The branch a push updated; None for tags, and for a push that deleted the branch."""
        if self.event != PUSH or not self.ref.startswith("refs/heads/") or self.commit in ("", _NO_COMMIT):
            return None
        return self.ref.removeprefix("refs/heads/")


def sign(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` value of a body: what GitHub and Gitea send."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse(headers: Mapping[str, str], body: bytes, secret: str) -> Delivery:
    """The delivery, once its signature (or token) proves it knows the secret; BadSignature otherwise.

    `headers` as sent, looked up without regard to case."""
    lower = {name.lower(): value for name, value in headers.items()}
    if not secret:
        raise BadSignature("This site has no webhook secret.")
    if "x-gitlab-token" in lower:
        _check(lower["x-gitlab-token"], secret)
        return _gitlab(lower, body)
    _check(lower.get("x-hub-signature-256", ""), sign(body, secret))
    provider = "github" if "x-github-event" in lower else "gitea"
    event = lower.get("x-github-event") or lower.get("x-gitea-event") or lower.get("x-forgejo-event") or ""
    delivery_id = (
        lower.get("x-github-delivery") or lower.get("x-gitea-delivery") or lower.get("x-forgejo-delivery")
    )
    payload = _payload(body) if event == PUSH else {}
    return Delivery(
        provider,
        event,
        delivery_id or _body_id(body),
        str(payload.get("ref", "")),
        str(payload.get("after", "")),
    )


def _gitlab(lower: dict[str, str], body: bytes) -> Delivery:
    event = PUSH if lower.get("x-gitlab-event") == "Push Hook" else lower.get("x-gitlab-event", "")
    payload = _payload(body) if event == PUSH else {}
    commit = payload.get("checkout_sha") or payload.get("after") or ""
    delivery_id = lower.get("x-gitlab-event-uuid") or lower.get("idempotency-key") or _body_id(body)
    return Delivery("gitlab", event, delivery_id, str(payload.get("ref", "")), str(commit))


def _check(given: str, expected: str) -> None:
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature("The signature does not match this site's webhook secret.")


def _payload(body: bytes) -> dict[str, object]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValueError(
            "The push payload is not JSON (set the webhook's content type to application/json)."
        ) from None
    if not isinstance(payload, dict):
        raise ValueError("The push payload is not a JSON object.")
    return payload


def _body_id(body: bytes) -> str:
    """A host that names no delivery: the same body twice is the same delivery."""
    return "body-" + hashlib.sha256(body).hexdigest()[:32]
