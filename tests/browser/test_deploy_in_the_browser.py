"""A user adds a site in the browser, gives it a repository, adds its deploy key to the git host,
deploys, watches the deployment's output live, and the site answers with the application."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import running_panel
from tests.e2e.conftest import Panel, ProvisionedServer
from tests.testbed.git_server import GitServer
from tests.testbed.panel import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = [pytest.mark.servers, pytest.mark.browser]

DOMAIN = "browser.test"
JOB_TIMEOUT_MS = 120_000


def test_add_a_site_set_its_repository_deploy_and_see_it_answer(
    page: Page, panel: Panel, provisioned_server: ProvisionedServer, git_server: GitServer, tmp_path: Path
) -> None:
    git_server.create_repository("browser.git")
    commit = git_server.commit_php_app("browser.git", "deployed from the browser")
    # The web server on the same data as the CLI panel that provisioned the server.
    with running_panel(tmp_path, {"BROKEFORGE_HOME": str(panel.home)}) as live:
        page.goto(f"{live.url}/login/")
        page.fill("input[name=username]", ADMIN_USERNAME)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        page.goto(f"{live.url}/servers/{provisioned_server.server_id}/")
        page.fill("#add-site input[name=domain]", DOMAIN)
        page.click("#add-site-button")
        expect(page).to_have_url(re.compile(r"/sites/\d+/$"))
        site_url = page.url
        expect(page.locator("#site-status")).to_have_attribute(
            "data-status", "active", timeout=JOB_TIMEOUT_MS
        )
        live.shot(page, "deploy-01-site-added")

        # The site's page holds its repository card (loaded once the page is there).
        page.fill("#repository-form input[name=url]", git_server.url("browser.git"))
        page.click("#set-repository-button")
        deploy_key = page.locator("#deploy-key")
        expect(deploy_key).to_contain_text("ssh-ed25519", timeout=JOB_TIMEOUT_MS)
        expect(page.locator("#repository-message")).to_contain_text("deploy key", timeout=JOB_TIMEOUT_MS)
        live.shot(page, "deploy-02-deploy-key")
        git_server.authorize(deploy_key.inner_text().strip())  # what the user does on their git host
        page.click("#check-repository-button")
        expect(page.locator("#repository-message")).to_contain_text("granted", timeout=JOB_TIMEOUT_MS)

        page.goto(site_url)
        page.click("#deployments-link")
        page.click("#deploy-button")
        # The deployment's job page: its output streams in while it runs, then it ends live.
        expect(page).to_have_url(re.compile(r"/jobs/\d+/"))
        expect(page.locator("#job-live")).to_contain_text("is live", timeout=JOB_TIMEOUT_MS)
        live.shot(page, "deploy-03-deployed")

        page.goto(f"{site_url}deployments/")
        row = page.locator(".deployment-row").first
        expect(row).to_have_attribute("data-status", "succeeded")
        expect(row).to_have_attribute("data-live", "true")
        expect(page.locator("#live-release")).to_contain_text(commit[:12])
        live.shot(page, "deploy-04-history")

    answer = subprocess.run(
        ["curl", "-sS", "-H", f"Host: {DOMAIN}", f"http://{provisioned_server.srv.ip}/"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert "app: deployed from the browser" in answer.stdout
