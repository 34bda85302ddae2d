"""Firewall rules through the CLI on a provisioned server: each rule a record, deleting one changes
the server and removes exactly its record; the SSH rule the panel uses cannot be deleted."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Panel, ProvisionedServer

pytestmark = pytest.mark.servers


def test_delete_one_rule_through_the_cli(panel: Panel, provisioned_server: ProvisionedServer) -> None:
    server_id, srv = str(provisioned_server.server_id), provisioned_server.srv
    rules = {rule["rule"]: rule for rule in panel.json("firewall", "list", server_id)}
    assert {"allow 22/tcp from any", "allow 80/tcp from any", "allow 443/tcp from any"} <= rules.keys()
    assert all(rule["status"] == "installed" for rule in rules.values())

    https = rules["allow 443/tcp from any"]
    job = panel.json("firewall", "delete", str(https["id"]), "--wait")
    assert job["status"] == "succeeded", job

    status = srv.run("ufw status").stdout
    assert "443/tcp" not in status
    assert "80/tcp" in status and "22/tcp" in status
    left = {rule["rule"] for rule in panel.json("firewall", "list", server_id)}
    assert left == rules.keys() - {"allow 443/tcp from any"}

    refused = panel.cli("firewall", "delete", str(rules["allow 22/tcp from any"]["id"]), check=False)
    assert refused.returncode == 2
    assert "cannot be deleted: the panel reaches" in refused.stderr
    assert "22/tcp" in srv.run("ufw status").stdout
