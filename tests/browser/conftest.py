"""The panel as `brokeforge serve` runs it, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.workers import REPO

ADMIN = ("admin", "browser-admin-password")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class LivePanel:
    url: str
    screenshots: Path

    def shot(self, page: Page, name: str) -> None:
        """Saved for a person to look at; the test run keeps them, git does not."""
        page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A panel behind an https public URL redirects plain HTTP there: that answer is enough.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def wait_for_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_NoRedirects)
    while True:
        try:
            opener.open(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the panel is up
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextlib.contextmanager
def running_panel(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[LivePanel]:
    """`brokeforge serve` on a free loopback port with its own data, stopped by PID on exit.

    EXTRA_ENV adds settings (e.g. BROKEFORGE_PUBLIC_URL); the LivePanel's url is the panel's own
    http://127.0.0.1 address.
    """
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BROKEFORGE_", "DJANGO_"))},
        "BROKEFORGE_HOME": str(tmp_path / "home"),
        "BROKEFORGE_ADMIN_USERNAME": ADMIN[0],
        "BROKEFORGE_ADMIN_PASSWORD": ADMIN[1],
        "BROKEFORGE_SSH_CONNECT_TIMEOUT": "5",
        "PYTHONPATH": str(REPO),
        **(extra_env or {}),
    }
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "brokeforge.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    screenshots = Path(os.environ.get("BROKEFORGE_TEST_ARTIFACTS", REPO / "test-artifacts")) / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/login/", timeout=60)
        yield LivePanel(url=f"http://127.0.0.1:{port}", screenshots=screenshots)
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()


@pytest.fixture
def live_panel(tmp_path: Path) -> Iterator[LivePanel]:
    with running_panel(tmp_path) as panel:
        yield panel


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is up,
# and code that runs its own loop here (the SSH transport, in other tests) must not meet it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, panel: LivePanel) -> None:
    page.goto(f"{panel.url}/")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{panel.url}/")
