"""A worker killed in the middle of provisioning: the job stalls, the retry finishes it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.e2e.conftest import Panel
from tests.e2e.test_provision_from_scratch import add_and_connect, assert_server_is_provisioned
from tests.testbed import BootedServer

pytestmark = pytest.mark.servers


def step_status(panel: Panel, server_id: str, step: int) -> str:
    steps = panel.json("servers", "show", server_id)["provision_steps"]
    return str(next(s["status"] for s in steps if s["step"] == step))


def test_stalled_provisioning_is_detected_and_retry_finishes_it(
    panel: Panel, debian_server: BootedServer
) -> None:
    added = add_and_connect(panel, debian_server, "e2e-kill")
    server_id = str(added["id"])
    worker = panel.start_worker()
    panel.cli("servers", "verify", server_id)

    # Kill the worker once provisioning is installing packages (step 2 onwards).
    deadline = time.monotonic() + 120
    while step_status(panel, server_id, 2) != "installing":
        assert time.monotonic() < deadline, "provisioning never reached step 2"
        time.sleep(0.3)
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

    panel.cli("jobs", "retry", str(provision_job["id"]), "--wait")
    assert_server_is_provisioned(panel, debian_server, int(server_id), "e2e-kill")
