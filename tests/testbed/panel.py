"""The panel as a user runs it: the `brokeforge` CLI and worker processes on a fresh data dir.

Shared by the e2e fixtures and by the test bed's provisioned-image builder,
which provisions its image server exactly as a user would: `servers add`,
paste the connect command into a root shell, `servers verify`, `servers
provision --wait`. Nothing here reaches into the product's Python API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.testbed.procs import log
from tests.testbed.server import BootedServer
from tests.workers import REPO, WORKER_TIMINGS, Workers

# The PHP each Debian release ships (no third-party archive needed).
PHP_VERSIONS = {"bookworm": "8.2", "trixie": "8.4"}


@dataclass
class Panel:
    home: Path
    env: dict[str, str]
    workers: Workers

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`input`: what the command reads on stdin (a password); none: stdin is /dev/null."""
        result = subprocess.run(
            [sys.executable, "-m", "brokeforge.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"brokeforge {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.workers.start()

    def has_running_worker(self) -> bool:
        return any(worker.poll() is None for worker in self.workers.started)


@dataclass
class ProvisionedServer:
    """A server booted from the provisioned image and provisioned by the panel as server SERVER_ID."""

    srv: BootedServer
    server_id: int
    name: str


@dataclass
class SharedProvisionedServer(ProvisionedServer):
    """The session's shared, read-only provisioned server, with the panel that manages it."""

    panel: Panel


# The panel's first admin (its servers' owner): a browser test signs in as it on the same data.
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "e2e-admin-password"
# Tests want failures noticed in seconds; a benchmark runs with the product's own defaults.
TEST_TIMINGS = {"BROKEFORGE_SSH_CONNECT_TIMEOUT": "5", **WORKER_TIMINGS}


def create_panel(work_dir: Path, timings: dict[str, str] = TEST_TIMINGS) -> Panel:
    """A migrated panel with an admin, its data in WORK_DIR/home, worker logs in WORK_DIR.

    Stop its workers with `panel.workers.stop()` when done.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    home = work_dir / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BROKEFORGE_", "DJANGO_"))},
        "BROKEFORGE_HOME": str(home),
        **timings,
        "DJANGO_SUPERUSER_USERNAME": ADMIN_USERNAME,
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "admin@example.invalid",
        "PYTHONPATH": str(REPO),
    }
    panel = Panel(home=home, env=env, workers=Workers(env, work_dir))
    panel.cli("migrate")
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return panel


def add_and_connect(panel: Panel, srv: BootedServer, name: str, php: str | None = None) -> dict[str, Any]:
    """`servers add`, then what a user does by hand: paste the connect command into a root shell."""
    php_args = ("--php", php) if php else ()
    added: dict[str, Any] = panel.json("servers", "add", "--name", name, "--ip", srv.ip, *php_args)
    srv.run(added["connect_command"])
    return added


def provision(panel: Panel, srv: BootedServer, name: str) -> tuple[int, float]:
    """Add SRV to PANEL and provision it through the CLI; (server id, seconds verify+provision took).

    Starts a worker unless one is running. Uses the PHP that SRV's Debian release ships.
    """
    server_id = int(add_and_connect(panel, srv, name, PHP_VERSIONS[srv.release])["id"])
    if not panel.has_running_worker():
        panel.start_worker()
    started = time.monotonic()
    panel.cli("servers", "verify", str(server_id))
    panel.cli("servers", "provision", str(server_id), "--wait")
    seconds = time.monotonic() - started
    log.info("the product provisioned %s (%s) in %.1fs", name, srv.image.path.name, seconds)
    return server_id, seconds


def provision_image_server(srv: BootedServer, work_dir: Path) -> None:
    """The test bed's provisioner: provision the image server through a throwaway panel."""
    panel = create_panel(work_dir)
    try:
        provision(panel, srv, srv.hostname)
    finally:
        panel.workers.stop()
