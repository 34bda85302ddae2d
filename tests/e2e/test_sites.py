"""Sites through the CLI on a provisioned server: PHP, static and proxy sites answer by their names,
PHP runs as the site's own user inside open_basedir, unknown names get the catch-all, a vhost that
breaks Nginx's configuration is rolled back while the other sites keep serving, and deleting a
site leaves nothing of it on the server."""

from __future__ import annotations

import json
import shlex
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import Panel, ProvisionedServer
from tests.testbed import BootedServer
from tests.workers import wait_for

pytestmark = pytest.mark.servers

BACKEND_PORT = 8123
WHO_PHP = (
    "<?php echo posix_getpwuid(posix_geteuid())['name'], '|', ini_get('open_basedir'), '|', "
    "@file_get_contents('/etc/hostname') === false ? 'denied' : 'read';"
)


def curl(srv: BootedServer, host: str, path: str = "/", *options: str) -> subprocess.CompletedProcess[str]:
    """A request to the server's own Nginx under a Host name, as a browser for that name sends it."""
    words = ["curl", "-sS", *options, "-H", f"Host: {host}", f"http://127.0.0.1{path}"]
    return srv.run(shlex.join(words), check=False)


def serves(srv: BootedServer, host: str, text: str, path: str = "/") -> None:
    # A reload lets old workers finish first: the new configuration answers within moments.
    wait_for(lambda: text in curl(srv, host, path).stdout, 10, f"{host}{path} to answer {text!r}")


def add(panel: Panel, server_id: int, domain: str, *options: str) -> dict[str, Any]:
    site: dict[str, Any] = panel.json("sites", "add", str(server_id), "--domain", domain, *options, "--wait")
    assert site["status"] == "active", site["job"]
    return site


def gone(srv: BootedServer, path: str) -> bool:
    return srv.run(f"test -e {shlex.quote(path)}", check=False).returncode == 1


def test_sites_on_a_real_server(panel: Panel, provisioned_server: ProvisionedServer) -> None:
    server_id, srv = provisioned_server.server_id, provisioned_server.srv
    backend = srv.run(
        f"mkdir -p /root/backend && echo 'hello from the backend' > /root/backend/index.html && "
        f"cd /root/backend && (setsid python3 -m http.server {BACKEND_PORT} --bind 127.0.0.1 "
        ">/dev/null 2>&1 < /dev/null & echo $!)"
    ).stdout.strip()
    try:
        php = add(panel, server_id, "php.test", "--aliases", "php-alias.test", "--redirect", "www-to-apex")
        static = add(panel, server_id, "static.test", "--type", "static", "--web-dir", "dist")
        proxy = add(panel, server_id, "app.test", "--type", "proxy", "--proxy-port", str(BACKEND_PORT))
        assert (php["user"], php["path"], php["php_version"]) == (
            "php_test",
            "/home/php_test/php.test",
            "8.2",
        )
        assert php["job_id"] == php["job"]["id"]

        # Each site answers under its own names: placeholder pages, the proxied application.
        serves(srv, "php.test", "<h1>php.test</h1>")
        serves(srv, "php-alias.test", "<h1>php.test</h1>")
        redirect = curl(
            srv, "www.php.test", "/a?b=1", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"
        )
        assert redirect.stdout == "301 http://php.test/a?b=1"
        serves(srv, "static.test", "/home/static_test/static.test/current/dist")
        serves(srv, "app.test", "hello from the backend")
        assert proxy["user"] == "app_test" and gone(srv, "/etc/php/8.2/fpm/pool.d/app_test.conf")
        headers = curl(srv, "static.test", "/", "-I").stdout.lower()
        assert "x-content-type-options: nosniff" in headers and "x-frame-options: sameorigin" in headers
        # A name no site claims: the server's default page, never one of the sites.
        unknown = curl(srv, "unknown.test").stdout
        assert "managed by BrokeForge" in unknown and "php.test" not in unknown

        # PHP runs as the site's user, confined to the site; the page is written as that user too.
        panel.cli(
            "sites",
            "run",
            str(php["id"]),
            "--wait",
            "--",
            f"printf '%s' {shlex.quote(WHO_PHP)} > public/who.php",
        )
        serves(srv, "php.test", "php_test|/home/php_test/php.test/:/home/php_test/.tmp/|denied", "/who.php")
        assert "php_test" in srv.run("ps -o user= -C php-fpm8.2").stdout.split()
        assert srv.run("stat -c '%U:%G %a' /home/php_test").stdout.strip() == "php_test:www-data 710"
        # Dotfiles are not served, .well-known is.
        panel.cli("sites", "run", str(static["id"]), "--wait", "--", "echo SECRET=1 > dist/.env")
        assert "SECRET" not in curl(srv, "static.test", "/.env").stdout
        assert curl(srv, "static.test", "/.env", "-o", "/dev/null", "-w", "%{http_code}").stdout == "403"

        # A user's addition that breaks Nginx: the next vhost is refused and rolled back, nothing
        # is reloaded, every site keeps serving; once fixed, a retry of the job completes.
        srv.run("echo 'not_a_directive on;' > /etc/nginx/brokeforge-sites/static.test/server/broken.conf")
        refused = panel.cli(
            "sites", "add", str(server_id), "--domain", "late.test", "--type", "static", "--wait", "--json",
            check=False,
        )  # fmt: skip
        assert refused.returncode == 1
        late = panel.json("sites", "show", str(json.loads(refused.stdout)["id"]))
        assert late["status"] == "failed"
        assert 'unknown directive "not_a_directive"' in late["latest_job"]["error"]
        assert gone(srv, "/etc/nginx/sites-enabled/late.test.conf")
        serves(srv, "php.test", "<h1>php.test</h1>")
        serves(srv, "app.test", "hello from the backend")
        srv.run("rm /etc/nginx/brokeforge-sites/static.test/server/broken.conf")
        panel.cli("jobs", "retry", str(late["latest_job"]["id"]), "--wait")
        serves(srv, "late.test", "<h1>late.test</h1>")

        # Deleting a site takes all of it away; the others still serve.
        deleted = panel.json("sites", "delete", str(php["id"]), "--wait")
        assert deleted["status"] == "succeeded", deleted
        for path in ("/etc/nginx/sites-enabled/php.test.conf", "/etc/php/8.2/fpm/pool.d/php_test.conf",
                     "/run/php/php8.2-fpm-php_test.sock", "/home/php_test",
                     "/etc/nginx/brokeforge-sites/php.test"):  # fmt: skip
            assert gone(srv, path), path
        assert srv.run("id php_test", check=False).returncode == 1
        assert [site["domain"] for site in panel.json("sites", "list", str(server_id))] == [
            "app.test",
            "late.test",
            "static.test",
        ]
        wait_for(
            lambda: "<h1>php.test</h1>" not in curl(srv, "php.test").stdout, 10, "php.test to stop answering"
        )
        serves(srv, "static.test", "/home/static_test/static.test/current/dist")
        serves(srv, "app.test", "hello from the backend")

        # Without a default server of its own, unknown names get the catch-all: no answer at all.
        srv.run("rm /etc/nginx/sites-enabled/default && nginx -t && systemctl reload nginx")
        wait_for(
            lambda: curl(srv, "unknown.test").returncode == 52, 10, "an empty reply (444) to unknown.test"
        )
        serves(srv, "static.test", "/home/static_test/static.test/current/dist")
    finally:
        srv.run(f"kill {backend}", check=False)
