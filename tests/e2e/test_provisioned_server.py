"""The fixtures a service's end-to-end test starts from: servers the product has provisioned."""

from __future__ import annotations

import urllib.request

import pytest

from tests.e2e.conftest import Panel, ProvisionedServer, SharedProvisionedServer
from tests.e2e.test_provision_from_scratch import assert_server_is_provisioned

pytestmark = pytest.mark.servers


def test_a_provisioned_server_is_the_panels_and_fully_provisioned(
    panel: Panel, provisioned_server: ProvisionedServer
) -> None:
    ps = provisioned_server
    assert ps.srv.provisioned
    # The re-provisioning made it this panel's server: its name on the page, its keys authorised.
    assert_server_is_provisioned(panel, ps.srv, ps.server_id, ps.name)
    jobs = panel.json("jobs", "list", "--server", str(ps.server_id))
    assert jobs and all(job["status"] == "succeeded" for job in jobs)
    # The test may change it at will: it is its own throwaway boot.
    ps.srv.run("touch /etc/changed-by-the-test")


def test_the_shared_server_can_be_read(shared_provisioned_server: SharedProvisionedServer) -> None:
    shared = shared_provisioned_server
    page = urllib.request.urlopen(f"http://{shared.srv.ip}/", timeout=10).read().decode()
    assert f"<h1>{shared.name}</h1>" in page
    assert shared.panel.json("servers", "show", str(shared.server_id))["provision_status"] == "completed"


def test_the_shared_server_is_the_same_for_every_test(
    shared_provisioned_server: SharedProvisionedServer,
) -> None:
    shared = shared_provisioned_server
    assert shared.srv.run("systemctl is-active nginx").stdout.strip() == "active"
    assert [s["name"] for s in shared.panel.json("servers", "list")] == [shared.name]
