"""Webhook deliveries are believed only with the site's secret: GitHub and Gitea/Forgejo sign the
raw body with HMAC-SHA256, GitLab sends the secret as its token. Anything else is refused."""

from __future__ import annotations

import json

import pytest

from brokeforge.lib import webhooks

SECRET = "s3cret-with-'quotes'-and-ünïcode"
SHA = "a" * 40
PUSH = json.dumps({"ref": "refs/heads/main", "after": SHA}).encode()


def github(body: bytes, secret: str = SECRET, event: str = "push") -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "d-1",
        "X-Hub-Signature-256": webhooks.sign(body, secret),
    }


def test_a_signed_github_push_names_its_branch_and_commit() -> None:
    delivery = webhooks.parse(github(PUSH), PUSH, SECRET)
    assert delivery == webhooks.Delivery("github", "push", "d-1", "refs/heads/main", SHA)
    assert delivery.pushed_branch() == "main"


def test_gitea_and_forgejo_are_read_with_their_own_headers() -> None:
    headers = {
        "X-Gitea-Event": "push",
        "X-Gitea-Delivery": "g-7",
        "X-Hub-Signature-256": webhooks.sign(PUSH, SECRET),
    }
    assert webhooks.parse(headers, PUSH, SECRET) == webhooks.Delivery(
        "gitea", "push", "g-7", "refs/heads/main", SHA
    )
    forgejo = {
        "x-forgejo-event": "push",
        "x-forgejo-delivery": "f-1",
        "x-hub-signature-256": webhooks.sign(PUSH, SECRET),
    }
    assert webhooks.parse(forgejo, PUSH, SECRET).delivery_id == "f-1"


def test_gitlab_sends_the_secret_as_its_token() -> None:
    body = json.dumps({"ref": "refs/heads/main", "checkout_sha": SHA, "after": "b" * 40}).encode()
    headers = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "u-1"}
    assert webhooks.parse(headers, body, SECRET) == webhooks.Delivery(
        "gitlab", "push", "u-1", "refs/heads/main", SHA
    )


@pytest.mark.parametrize(
    "headers",
    [github(PUSH, "wrong"), {**github(PUSH), "X-Hub-Signature-256": ""}, {"X-GitHub-Event": "push"},
     {"X-Hub-Signature-256": webhooks.sign(PUSH, SECRET).upper()}, {"X-Gitlab-Token": SECRET + " "},
     {"X-Gitlab-Token": ""}, {}],
)  # fmt: skip
def test_anything_without_the_secret_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(webhooks.BadSignature):
        webhooks.parse(headers, PUSH, SECRET)


def test_a_changed_body_breaks_the_signature() -> None:
    other = PUSH.replace(b"main", b"mainx")
    with pytest.raises(webhooks.BadSignature):
        webhooks.parse(github(PUSH), other, SECRET)


def test_a_site_without_a_secret_accepts_nothing() -> None:
    with pytest.raises(webhooks.BadSignature):
        webhooks.parse({"X-Gitlab-Token": ""}, PUSH, "")


def test_a_ping_needs_no_payload() -> None:
    assert webhooks.parse(github(b"zen", event="ping"), b"zen", SECRET).event == "ping"


@pytest.mark.parametrize(
    ("ref", "after", "branch"),
    [
        ("refs/tags/v1", SHA, None),
        ("refs/heads/main", "0" * 40, None),
        ("refs/heads/feature/x", SHA, "feature/x"),
    ],
)
def test_tags_and_deleted_branches_deploy_nothing(ref: str, after: str, branch: str | None) -> None:
    assert webhooks.Delivery("github", "push", "d", ref, after).pushed_branch() == branch


def test_a_host_that_names_no_delivery_gets_one_from_the_body() -> None:
    headers = {"X-Hub-Signature-256": webhooks.sign(PUSH, SECRET), "X-Gitea-Event": "push"}
    assert (
        webhooks.parse(headers, PUSH, SECRET).delivery_id == webhooks.parse(headers, PUSH, SECRET).delivery_id
    )


def test_a_signed_payload_that_is_not_json_is_an_error_not_a_deployment() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        webhooks.parse(github(b"ref=main"), b"ref=main", SECRET)
