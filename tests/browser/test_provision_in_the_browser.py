"""A user signs in, adds a real Debian server, verifies it and watches it provision live;
a failing job shows its output, and Retry carries it to the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LivePanel, sign_in
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.browser]

PROVISION_TIMEOUT_MS = 300_000


def add_server(page: Page, panel: LivePanel, name: str, ip: str) -> None:
    page.goto(f"{panel.url}/servers/add/")
    page.fill("input[name=name]", name)
    page.fill("input[name=public_ip]", ip)
    page.get_by_role("button", name="Add server", exact=True).click()
    expect(page.locator("#connect-command")).to_be_visible()


def test_sign_in_add_verify_fail_retry_and_watch_it_finish(
    page: Page, live_panel: LivePanel, debian_server: BootedServer
) -> None:
    page.goto(f"{live_panel.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    live_panel.shot(page, "01-login")
    sign_in(page, live_panel)
    live_panel.shot(page, "02-servers-empty")

    page.goto(f"{live_panel.url}/servers/add/")
    page.fill("input[name=name]", "web-1")
    page.fill("input[name=public_ip]", "999.1.1.1")
    page.get_by_role("button", name="Add server", exact=True).click()
    expect(page.get_by_text("not a valid IPv4 or IPv6 address")).to_be_visible()
    live_panel.shot(page, "03-add-server-error")

    add_server(page, live_panel, "web-1", debian_server.ip)
    live_panel.shot(page, "04-server-connect-command")
    # The user pastes the one-line command into a root shell on their server.
    debian_server.run(page.locator("#connect-command").inner_text().strip())

    # Break apt on the server so provisioning fails at step 2, as a half-broken VPS would.
    debian_server.run("chmod -x /usr/bin/apt-get")
    page.click("#verify-button")
    expect(page.locator("#host-key-fingerprint")).to_contain_text("SHA256:")
    failure = page.locator("#failed-command")
    expect(failure).to_be_visible(timeout=120_000)
    expect(failure).to_contain_text("apt-get")
    expect(page.locator("#failed-output")).to_contain_text("Permission denied")
    expect(page.locator('.provision-step[data-step="2"]')).to_have_attribute("data-status", "failed")
    live_panel.shot(page, "05-failed-job")

    debian_server.run("chmod +x /usr/bin/apt-get")
    page.click("#retry-button")
    progress = page.locator("#provision-progress")
    # Output streams in while the job runs, without reloading the page.
    expect(page.locator("#live-output")).not_to_be_empty(timeout=120_000)
    assert int(progress.get_attribute("data-progress") or 0) < 100
    live_panel.shot(page, "06-provisioning-live")
    expect(page.locator("#package-progress")).to_contain_text(re.compile(r"step \d+ of \d+"))

    expect(progress).to_have_attribute("data-progress", "100", timeout=PROVISION_TIMEOUT_MS)
    expect(page.locator('.provision-step[data-status="completed"]')).to_have_count(7)
    expect(page.locator("#packages")).to_contain_text("nginx")
    live_panel.shot(page, "07-provisioned")

    page.goto(f"http://{debian_server.ip}/")
    expect(page.locator("h1")).to_have_text("web-1")
    live_panel.shot(page, "08-default-site")

    page.goto(f"{live_panel.url}/jobs/")
    expect(page.get_by_text("Provision web-1").first).to_be_visible()
    live_panel.shot(page, "09-jobs")
    page.goto(f"{live_panel.url}/")
    expect(page.get_by_text("web-1")).to_be_visible()
    live_panel.shot(page, "10-servers")
    page.set_viewport_size({"width": 390, "height": 844})
    live_panel.shot(page, "11-servers-phone")
