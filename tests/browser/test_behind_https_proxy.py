"""The panel as people expose it: behind Debian's nginx over TLS, configured as the README says, with
BROKEFORGE_PUBLIC_URL set. Chromium trusts the test's CA (an NSS database in its HOME, nothing
ignored), signs in, adds a real Debian server and watches a job's output arrive over server-sent
events through the proxy, under the Content Security Policy, with no violation. Sign-in limits
count the client's real address as nginx forwards it."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright

from tests.browser.conftest import ADMIN, CHROMIUM_FLAGS, LivePanel, free_port, running_panel, sign_in
from tests.browser.test_provision_in_the_browser import PROVISION_TIMEOUT_MS, add_server
from tests.browser.tls_proxy import HOST, Certificates, make_certificates, start_nginx
from tests.testbed import BootedServer

pytestmark = [pytest.mark.servers, pytest.mark.browser]

# apt-get on the test server, held at two gates the test opens. Between them the command has
# printed a line and is still running: that line can only reach the page while the test watches,
# and only if the proxy passes events on as they come (a buffering proxy would hold it until the
# command ends). The script says so while it waits: the journal stores a running command's output
# when more arrives.
GATE, SECOND_GATE = "/run/brokeforge-test-gate", "/run/brokeforge-test-gate-2"
STREAMED = "gate opened: streamed-through-the-proxy"
GATED_APT_GET = f"""
mv /usr/bin/apt-get /usr/bin/apt-get.real
cat > /usr/bin/apt-get <<'SCRIPT'
#!/bin/sh
while [ ! -e {GATE} ]; do echo "apt-get held at the gate"; sleep 0.5; done
echo "{STREAMED}"
while [ ! -e {SECOND_GATE} ]; do echo "apt-get held at the second gate"; sleep 0.5; done
exec /usr/bin/apt-get.real "$@"
SCRIPT
chmod +x /usr/bin/apt-get
"""


@dataclass
class ProxiedPanel:
    panel: LivePanel  # url: the panel's own http://127.0.0.1 address, as nginx reaches it
    url: str  # the public https URL, through nginx
    port: int


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def proxied_panel(tmp_path: Path, certificates: Certificates) -> Iterator[ProxiedPanel]:
    listen_port = free_port()
    public_url = f"https://{HOST}:{listen_port}"
    settings = {
        "BROKEFORGE_PUBLIC_URL": public_url,
        # Only nginx's own address: the tests' clients on 127.0.0.2 and 127.0.0.3 are strangers.
        "BROKEFORGE_TRUSTED_PROXIES": "127.0.0.1",
    }
    with running_panel(tmp_path, settings) as panel:
        panel_port = urllib.parse.urlsplit(panel.url).port
        assert panel_port is not None
        nginx = start_nginx(tmp_path / "nginx", certificates, listen_port, panel_port)
        try:
            yield ProxiedPanel(panel, public_url, listen_port)
        finally:
            nginx.stop()


# Module scope for the same reason as conftest's `browser`; a browser of its own, whose HOME holds
# the NSS database that trusts the test CA, and whose resolver sends the panel's name to loopback.
@pytest.fixture(scope="module")
def trusting_browser(certificates: Certificates) -> Iterator[Browser]:
    flags = [*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=flags, env={"HOME": str(certificates.browser_home)}
        )
        yield chromium
        chromium.close()


@dataclass
class Watched:
    page: Page
    console_errors: list[str]
    page_errors: list[str]
    csp_violations: list[str]  # from every page the browser showed
    navigations: list[str]


# Runs in every page before its own scripts: reports each violation of the Content Security
# Policy to the test, and keeps the page's own list for the check that one is seen.
REPORT_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const text = `${e.violatedDirective} blocked ${e.blockedURI} on ${location.pathname}`;
  window.__cspViolations.push(text);
  window.reportCspViolation(text);
});
"""


@pytest.fixture
def watched(trusting_browser: Browser) -> Iterator[Watched]:
    context = trusting_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    result = Watched(page, [], [], [], [])
    context.expose_function("reportCspViolation", lambda text: result.csp_violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # The browser asks for /favicon.ico on its own; the panel has none to give. And Chromium
        # drops its connections when the machine's addresses change, as they do when test beds
        # (this one's, or another run's) add their bridges: EventSource then reconnects by itself.
        if message.location["url"].endswith("/favicon.ico") or "ERR_NETWORK_CHANGED" in message.text:
            return
        result.console_errors.append(f"{message.text} ({message.location['url']})")

    page.on("console", console)
    page.on("pageerror", lambda error: result.page_errors.append(str(error)))
    page.on("framenavigated", lambda frame: frame == page.main_frame and result.navigations.append(frame.url))
    yield result
    context.close()


def test_sign_in_add_a_server_and_watch_live_output_through_the_tls_proxy(
    watched: Watched, proxied_panel: ProxiedPanel, debian_server: BootedServer
) -> None:
    page, public = watched.page, proxied_panel
    shots = LivePanel(url=public.url, screenshots=public.panel.screenshots)

    login = page.goto(f"{public.url}/")
    assert login is not None and login.url == f"{public.url}/login/?next=/"
    assert "default-src 'self'" in login.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    assert login.headers["strict-transport-security"] == "max-age=31536000"
    sign_in(page, shots)
    cookies = {c["name"]: c for c in page.context.cookies(public.url)}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]
    shots.shot(page, "https-01-signed-in")

    add_server(page, shots, "behind-proxy", debian_server.ip)
    debian_server.run(page.locator("#connect-command").inner_text().strip())
    debian_server.run(GATED_APT_GET)

    streams: list[Request] = []
    page.on("request", lambda request: "/stream/" in request.url and streams.append(request))
    page.click("#verify-button")
    server_page = page.url
    server_path = urllib.parse.urlsplit(server_page).path
    live = page.locator("#live-output")
    # The job is at the gate (the page may have learnt it from a poll or from the stream).
    expect(live).to_contain_text("apt-get held at the gate", timeout=120_000)
    assert streams and streams[-1].url.startswith(f"{public.url}/jobs/")
    stream = streams[-1].response()
    assert stream is not None and stream.status == 200
    assert stream.headers["content-type"] == "text/event-stream"

    # Signing in, adding the server and starting the job: not one error in the console.
    assert watched.console_errors == []

    # From here the page's polling is cut off: what reaches it can only come over the stream. The
    # first poll refused also means none answered before is still on its way.
    page.route(re.compile(r"/servers/\d+/live/$"), lambda route: route.abort())
    page.wait_for_event("requestfailed", lambda request: request.url.endswith("/live/"))
    navigations_before = len(watched.navigations)
    debian_server.run(f"touch {GATE}")
    expect(live).to_contain_text(STREAMED, timeout=60_000)
    assert len(watched.navigations) == navigations_before
    assert page.url == server_page
    shots.shot(page, "https-02-streamed-output")
    page.unroute(re.compile(r"/servers/\d+/live/$"))
    debian_server.run(f"touch {SECOND_GATE}")

    expect(page.locator("#provision-progress")).to_have_attribute(
        "data-progress", "100", timeout=PROVISION_TIMEOUT_MS
    )
    expect(page.locator("#packages")).to_contain_text("nginx")
    shots.shot(page, "https-03-provisioned")

    assert watched.csp_violations == []
    assert watched.page_errors == []
    # The polls refused on purpose left errors in the console; of the rest, none may be the policy's.
    assert [e for e in watched.console_errors if "Content Security Policy" in e] == []
    # The check would see a violation: the policy blocks an inline script, and the page reports it.
    ran = page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__inlineRan = true"; document.head.append(s);
                   return window.__inlineRan === true; }"""
    )
    assert ran is False
    page.wait_for_function("window.__cspViolations.length > 0")
    blocked = f"script-src-elem blocked inline on {server_path}"
    assert page.evaluate("window.__cspViolations") == [blocked]
    # Reports reach the test in order: once a probe sent after it has arrived, so has this one.
    page.evaluate("window.reportCspViolation('probe')")
    assert watched.csp_violations == [blocked, "probe"]


def _stranger_signs_in(public: ProxiedPanel, certificates: Certificates, source: str, **form: str) -> int:
    """Sign in over TLS through nginx from SOURCE (a loopback address other than nginx's own),
    with a made-up X-Forwarded-For; the HTTP status of the form post."""
    context = ssl.create_default_context(cafile=str(certificates.ca))

    def connection() -> http.client.HTTPSConnection:
        conn = http.client.HTTPSConnection(HOST, public.port, context=context)
        raw = socket.create_connection(("127.0.0.1", public.port), source_address=(source, 0))
        conn.sock = context.wrap_socket(raw, server_hostname=HOST)
        return conn

    spoofed = {"X-Forwarded-For": "203.0.113.77"}
    conn = connection()
    conn.request("GET", "/login/", headers=spoofed)
    page = conn.getresponse()
    body = page.read().decode()
    conn.close()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
    assert token and cookie.startswith("csrftoken=")
    data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token.group(1)})
    headers = {
        **spoofed,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
        "Origin": public.url,
        "Referer": f"{public.url}/login/",
    }
    conn = connection()
    conn.request("POST", "/login/", body=data, headers=headers)
    answer = conn.getresponse()
    refused = "Too many failed sign-in attempts" in answer.read().decode()
    conn.close()
    return 429 if refused else answer.status


def test_sign_in_limit_counts_the_real_client_behind_the_proxy(
    proxied_panel: ProxiedPanel, certificates: Certificates
) -> None:
    wrong: dict[str, Any] = {"username": ADMIN[0], "password": "not the password"}
    right: dict[str, Any] = {"username": ADMIN[0], "password": ADMIN[1]}
    for _ in range(5):
        assert _stranger_signs_in(proxied_panel, certificates, "127.0.0.2", **wrong) == 200
    # The same X-Forwarded-For from another real address is another client, and not locked out;
    # the first is, whatever it writes in the header.
    assert _stranger_signs_in(proxied_panel, certificates, "127.0.0.2", **right) == 429
    assert _stranger_signs_in(proxied_panel, certificates, "127.0.0.3", **right) == 302
