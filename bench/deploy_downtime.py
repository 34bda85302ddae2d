"""Downtime during deployments, two ways, in one run, on one provisioned server.

A client requests the site without pause while 5 deployments of the same small PHP application
run, each of a new commit:

  ours      `brokeforge sites deploy --wait`: a new release built beside the live one, its build
            step run there, `current` renamed over to it once it passes the health check
  in_place  what many panels do: `git pull` in the directory the site serves, then the same build
            step, there

The application's page needs a file its build step makes (as vendor/ needs `composer install`):
the build step deletes it, takes a second, and writes it again. A failed request is any answer
but 200 with the application's page, or no answer.

  failed_ours: N   (must be 0)
  failed_in_place: M

Run as root from the repository: `.venv/bin/python bench/deploy_downtime.py [--deployments 5]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokeforge.settings")
django.setup()  # the git environment of a site is the product's own (git/access.py)

from brokeforge.packages.services.sites.git.access import environment_prefix  # noqa: E402
from tests.testbed import BootedServer, Testbed, default_cache_dir  # noqa: E402
from tests.testbed.git_server import GitServer  # noqa: E402
from tests.testbed.panel import Panel, create_panel, provision  # noqa: E402

REPOSITORY = "app.git"
# The build step both ways: what a dependency install or an asset build does to a directory.
BUILD = (
    "rm -rf build && mkdir build && sleep 1 && "
    "printf '<?php return %s;\\n' \"'$(git rev-parse --short HEAD)'\" > build/version.php"
)
INDEX = """<?php
$version = @include __DIR__ . '/../build/version.php';
if ($version === false) { http_response_code(503); echo "not built yet\\n"; exit; }
echo "app: $version\\n";
"""


@dataclass
class Tally:
    requests: int = 0
    failed: int = 0


class Client(threading.Thread):
    """Requests the site under its name, one request after another, until stopped."""

    def __init__(self, ip: str, host: str) -> None:
        super().__init__(daemon=True)
        self.ip, self.host = ip, host
        self.tally = Tally()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.tally.requests += 1
            if not self._ok():
                self.tally.failed += 1

    def _ok(self) -> bool:
        connection = http.client.HTTPConnection(self.ip, 80, timeout=5)
        try:
            connection.request("GET", "/", headers={"Host": self.host})
            response = connection.getresponse()
            return response.status == 200 and response.read().startswith(b"app: ")
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> Tally:
        self.stopping.set()
        self.join()
        return self.tally


def add_site(panel: Panel, server_id: int, git: GitServer, domain: str) -> int:
    site = panel.json("sites", "add", str(server_id), "--domain", domain, "--wait")
    shown = panel.cli(
        "sites", "repo", str(site["id"]), "--url", git.url(REPOSITORY), "--wait", "--json", check=False
    )
    git.authorize(json.loads(shown.stdout)["deploy_key_public"])
    return int(site["id"])


def as_site_user(srv: BootedServer, user: str, script: str) -> None:
    home = f"/home/{user}"
    line = f"cd {home} && export {environment_prefix(home)} && {script}"
    srv.run(f"sudo -u {user} -H bash -c {shlex.quote(line)}")


def measure(
    srv: BootedServer, host: str, deploy: Callable[[], None], deployments: int, git: GitServer
) -> Tally:
    client = Client(srv.ip, host)
    client.start()
    try:
        for number in range(deployments):
            git.commit(REPOSITORY, {"README": f"version {time.time_ns()} {number}\n"}, f"Change {number}")
            deploy()
    finally:
        tally = client.stop()
    return tally


def compare(bed: Testbed, tmp: Path, deployments: int) -> tuple[Tally, Tally]:
    git = GitServer.start(bed)
    srv = bed.boot("bench-web", provisioned=True)
    panel = create_panel(tmp / "panel", timings={})  # the product's own defaults
    try:
        server_id, _ = provision(panel, srv, "bench-web")
        git.create_repository(REPOSITORY)
        git.commit(REPOSITORY, {"public/index.php": INDEX, ".gitignore": "build/\n"}, "The application")

        ours = add_site(panel, server_id, git, "ours.test")
        script = tmp / "build.sh"
        script.write_text(BUILD + "\n")
        panel.cli("sites", "script", str(ours), "--set", str(script))
        panel.cli("sites", "deploy", str(ours), "--wait")

        # The in-place site serves a git working copy, updated where it is served from.
        add_site(panel, server_id, git, "inplace.test")
        user, work_copy = "inplace_test", "inplace.test/releases/initial"
        clone = f"git clone -q {shlex.quote(git.url(REPOSITORY))} {work_copy}"
        as_site_user(srv, user, f"rm -rf {work_copy} && {clone} && cd {work_copy} && {BUILD}")

        def deploy_ours() -> None:
            panel.cli("sites", "deploy", str(ours), "--wait")

        def deploy_in_place() -> None:
            as_site_user(srv, user, f"cd {work_copy} && git pull -q && {BUILD}")

        return (
            measure(srv, "ours.test", deploy_ours, deployments, git),
            measure(srv, "inplace.test", deploy_in_place, deployments, git),
        )
    finally:
        panel.workers.stop()
        srv.stop()
        git.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--deployments", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as work:
        bed = Testbed(cache_dir=default_cache_dir(), run_dir=Path(work) / "bed")
        bed.start()
        try:
            ours, in_place = compare(bed, Path(work), args.deployments)
        finally:
            bed.stop()
    print(f"deployments: {args.deployments} each way")
    print(f"requests_ours: {ours.requests}")
    print(f"failed_ours: {ours.failed}")
    print(f"requests_in_place: {in_place.requests}")
    print(f"failed_in_place: {in_place.failed}")
    sys.exit(0 if ours.failed == 0 else 1)


if __name__ == "__main__":
    main()
