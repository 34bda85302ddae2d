"""Deployments through the CLI and the webhook, against a real git host and a real server: a site
answers with its application's page after a deploy; a preview shows what would go out; a signed
push deploys the pushed commit (once, however often it is delivered); a release that fails its
health check never stays live; a rollback by hand; a cancelled deployment is stopped on the server;
the history says who started what, and only the last releases are kept."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from brokeforge.lib import webhooks
from tests.browser.conftest import free_port, wait_for_http
from tests.e2e.conftest import Panel, ProvisionedServer
from tests.testbed import BootedServer
from tests.testbed.git_server import GitServer
from tests.workers import wait_for

pytestmark = pytest.mark.servers

DOMAIN = "deploy.test"
USER = "deploy_test"
SITE = f"/home/{USER}/{DOMAIN}"
REPOSITORY = "app.git"


def page(marker: str, status: int = 200) -> dict[str, str]:
    code = f"http_response_code({status});\n" if status != 200 else ""
    return {"public/index.php": f"<?php\n{code}echo 'app: {marker}', PHP_EOL;\n"}


def answer(srv: BootedServer) -> str:
    return srv.run(f"curl -sS -H 'Host: {DOMAIN}' http://127.0.0.1/", check=False).stdout


def live_release(srv: BootedServer) -> str:
    return srv.run(f"readlink {SITE}/current").stdout.strip().removeprefix("releases/")


def deploy(panel: Panel, site_id: int, *args: str, exit_code: int = 0) -> dict[str, Any]:
    result = panel.cli("sites", "deploy", str(site_id), *args, "--wait", "--json", check=False)
    assert result.returncode == exit_code, f"{result.stdout}\n{result.stderr}"
    deployment: dict[str, Any] = json.loads(result.stdout)
    return deployment


def deployments(panel: Panel, site_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = panel.json("sites", "deployments", str(site_id))
    return rows


@contextlib.contextmanager
def serving(panel: Panel) -> Iterator[str]:
    """The panel's web server (no workers of its own: the panel's worker runs the jobs)."""
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "brokeforge.cli", "serve", "--port", str(port), "--workers", "0"],
        env=panel.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/login/", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)


def push_delivery(url: str, body: bytes, secret: str, delivery: str) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - our own panel, on loopback
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": webhooks.sign(body, secret),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own panel, on loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_deployments_on_a_real_server(
    panel: Panel, provisioned_server: ProvisionedServer, git_server: GitServer, tmp_path: Path
) -> None:
    srv = provisioned_server.srv
    sleeping, default = tmp_path / "sleeping.sh", tmp_path / "default.sh"
    sleeping.write_text("sleep 300\n")
    default.write_text("")
    git_server.create_repository(REPOSITORY)
    first = git_server.commit(REPOSITORY, page("release-1"), "Release 1")
    site = panel.json("sites", "add", str(provisioned_server.server_id), "--domain", DOMAIN, "--wait")
    site_id = str(site["id"])
    shown = json.loads(panel.cli("sites", "repo", site_id, "--url", git_server.url(REPOSITORY), "--wait",
                                 "--json", check=False).stdout)  # fmt: skip
    git_server.authorize(shown["deploy_key_public"])
    settings = panel.json("sites", "script", site_id, "--shared", "uploads/,config.ini")
    assert settings["shared_paths"] == ["uploads/", "config.ini"]
    health = panel.json("sites", "health", site_id, "--path", "/", "--timeout", "3")
    assert health["health"] == {"path": "/", "status": 200, "timeout": 3}

    # A deployment: the site answers with its application; `current` names the release, which
    # holds the very commit, and links the shared paths.
    one = deploy(panel, site["id"])
    assert (one["status"], one["live"], one["commit"], one["trigger"]) == ("succeeded", True, first, "manual")
    assert "app: release-1" in answer(srv)
    assert live_release(srv) == one["release"]
    assert srv.run(f"git --git-dir={SITE}/current/.git rev-parse HEAD").stdout.strip() == first
    assert srv.run(f"readlink {SITE}/current/uploads").stdout.strip() == f"{SITE}/shared/uploads"
    owners = srv.run(f"stat -c %U {SITE}/releases/{one['release']} {SITE}/shared/config.ini").stdout
    assert owners.split() == [USER, USER]

    # The preview: the commit range that would go out, and the script with its values.
    second = git_server.commit(REPOSITORY, page("release-2"), "Release 2")
    preview = panel.json("sites", "deploy", site_id, "--preview")
    assert (preview["commit"], preview["live_commit"]) == (second, first)
    assert [commit["sha"] for commit in preview["commits"]] == [second]
    assert f"export BROKEFORGE_COMMIT={second}\n" in preview["script"]
    assert "app: release-1" in answer(srv) and live_release(srv) == one["release"]  # nothing changed

    # Push to deploy: a signed delivery deploys the pushed commit, once.
    hook = panel.json("sites", "webhook", site_id)
    with serving(panel) as origin:
        url = origin + urlsplit(hook["url"]).path
        body = json.dumps({"ref": "refs/heads/main", "after": second}).encode()
        assert push_delivery(url, body, "not the secret", "d-1")[0] == 401
        status, message = push_delivery(url, body, hook["secret"], "d-1")
        assert status == 202, message
        assert push_delivery(url, body, hook["secret"], "d-1")[0] == 200  # seen before
    wait_for(
        lambda: deployments(panel, site["id"])[0]["status"] not in ("queued", "running"), 120, "the push"
    )
    two = deployments(panel, site["id"])[0]
    assert (two["status"], two["trigger"], two["commit"], two["started_by"]) == (
        "succeeded",
        "webhook",
        second,
        None,
    )
    assert len(deployments(panel, site["id"])) == 2
    assert "app: release-2" in answer(srv)

    # A release that fails its health check never stays live.
    git_server.commit(REPOSITORY, page("broken", status=500), "Broken")
    three = deploy(panel, site["id"], exit_code=1)
    assert three["status"] == "failed" and not three["live"]
    assert "Health check failed: GET / answered 500, expected 200" in three["reason"]
    assert f"{two['release']} is live again" in three["reason"]
    assert "app: release-2" in answer(srv) and live_release(srv) == two["release"]

    # A rollback by hand, to the first release.
    result = panel.cli("sites", "rollback", site_id, "--to", str(one["id"]), "--wait", "--json")
    back = json.loads(result.stdout)
    assert (back["status"], back["trigger"], back["release"], back["rollback_of"]) == (
        "succeeded", "rollback", one["release"], one["id"],
    )  # fmt: skip
    assert "app: release-1" in answer(srv) and live_release(srv) == one["release"]

    # Cancel: the deploy script is stopped on the server; the live release stays.
    panel.cli("sites", "script", site_id, "--set", str(sleeping))
    started = panel.json("sites", "deploy", site_id)
    wait_for(
        lambda: srv.run(f"pgrep -u {USER} -f 'sleep 300'", check=False).returncode == 0, 60, "the script"
    )
    panel.json("sites", "cancel", site_id)
    wait_for(lambda: deployments(panel, site["id"])[0]["status"] == "cancelled", 60, "the cancel")
    assert deployments(panel, site["id"])[0]["id"] == started["id"]
    wait_for(
        lambda: srv.run(f"pgrep -u {USER} -f 'sleep 300'", check=False).returncode == 1, 15, "no script left"
    )
    assert live_release(srv) == one["release"] and "app: release-1" in answer(srv)

    # Only the releases to keep stay on the server (and never the live one).
    panel.cli("sites", "script", site_id, "--set", str(default), "--keep", "1")
    last = deploy(panel, site["id"], "--commit", second)  # the branch head is the broken one
    # The one live before stays too, for a rollback; the cancelled release's leftovers go.
    kept = srv.run(f"ls {SITE}/releases").stdout.split()
    assert set(kept) == {"initial", one["release"], last["release"]}
    history = deployments(panel, site["id"])
    assert [row["trigger"] for row in history] == [
        "manual",
        "manual",
        "rollback",
        "manual",
        "webhook",
        "manual",
    ]
    assert [row["started_by"] for row in history][:3] == ["admin", "admin", "admin"]
    assert sum(row["live"] for row in history) == 1 and history[0]["live"]
    assert all(row["duration_seconds"] is not None for row in history)
