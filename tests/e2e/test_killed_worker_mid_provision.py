"""A worker killed in the middle of provisioning: the job stalls, the retry finishes it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.conftest import Panel
from tests.e2e.test_provision_from_scratch import assert_server_is_provisioned
from tests.testbed import BootedServer

pytestmark = pytest.mark.servers


def installing_step(panel: Panel, server_id: str) -> int | None:
    steps = panel.json("servers", "show", server_id)["provision_steps"]
    return next((s["step"] for s in steps if s["status"] == "installing"), None)


def test_stalled_provisioning_is_detected_and_retry_finishes_it(
    panel: Panel, debian_server: BootedServer
) -> None:
    # This time the panel authorises itself, with a root key the user hands it once.
    added = panel.json("servers", "add", "--name", "e2e-kill", "--ip", debian_server.ip)
    server_id = str(added["id"])
    worker = panel.start_worker()
    panel.cli("servers", "verify", server_id, "--root-key", str(debian_server.root_key_path))
    root_key = debian_server.root_key_path.read_text()
    jobs = panel.json("jobs", "list", "--server", server_id)
    for job in jobs:
        assert root_key not in panel.cli("jobs", "show", str(job["id"]), "--output").stdout

    # Kill the worker once provisioning is changing the server (step 2 onwards).
    deadline = time.monotonic() + 120
    while (installing_step(panel, server_id) or 0) < 2:
        assert time.monotonic() < deadline, "provisioning never went past connecting"
        time.sleep(0.2)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()

    panel.start_worker()
    jobs = panel.json("jobs", "list", "--server", server_id)
    provision_job = next(job for job in jobs if job["label"].startswith("Provision"))
    while panel.json("jobs", "show", str(provision_job["id"]))["status"] != "stalled":
        assert time.monotonic() - killed_at < 60, "the killed job was not marked stalled in a minute"
        time.sleep(0.5)
    shown = panel.json("jobs", "show", str(provision_job["id"]))
    assert all(step["status"] != "running" for step in shown["steps"])
    server = panel.json("servers", "show", server_id)
    assert server["provision_status"] == "failed"
    assert "installing" not in {step["status"] for step in server["provision_steps"]}

    panel.cli("jobs", "retry", str(provision_job["id"]), "--wait")
    assert_server_is_provisioned(panel, debian_server, int(server_id), "e2e-kill")
