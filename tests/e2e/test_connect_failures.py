"""Connection failures give a clear error fast and change nothing on the panel's record."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Panel
from tests.testbed import Testbed

pytestmark = pytest.mark.servers


def test_unreachable_ip_fails_within_the_connect_timeout(panel: Panel, testbed: Testbed) -> None:
    added = panel.json("servers", "add", "--name", "ghost", "--ip", testbed.unused_ip())
    panel.start_worker()
    started = time.monotonic()
    result = panel.cli("servers", "verify", str(added["id"]), check=False)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert "Cannot connect" in result.stdout + result.stderr
    assert elapsed < 5 + 10, f"took {elapsed:.1f}s with a 5s connect timeout"
    shown = panel.json("servers", "show", str(added["id"]))
    assert shown["connection_status"] == "failed"
    assert shown["host_key_fingerprint"] in ("", None)


def test_bad_input_is_rejected_before_anything_runs(panel: Panel) -> None:
    for args, message in [
        (["--name", "x", "--ip", "999.1.1.1"], "not a valid"),
        (["--name", "x", "--ip", "10.0.0.1", "--port", "70000"], "between 1 and 65535"),
        (["--name", "bad;name", "--ip", "10.0.0.1"], "Name must"),
        (["--name", "x", "--ip", "10.0.0.1", "--php", "5.6"], "Unsupported PHP version"),
    ]:
        result = panel.cli("servers", "add", *args, check=False)
        assert result.returncode == 2, result
        assert message in result.stdout + result.stderr
    assert panel.json("servers", "list") == []
