"""The stall limit leaves room for heartbeats and a slow database; a failed heartbeat backs off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import override_settings

from brokeforge.jobs.queue import _retry_delay


def settings_error(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import brokeforge.settings"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stderr if result.returncode else ""


def test_a_stall_limit_too_close_to_the_heartbeat_and_lock_timeout_is_refused() -> None:
    error = settings_error(
        BROKEFORGE_JOB_HEARTBEAT="5", BROKEFORGE_JOB_STALL_AFTER="30", BROKEFORGE_DATABASE_LOCK_TIMEOUT="20"
    )
    assert "BROKEFORGE_JOB_STALL_AFTER (30s) must be at least three heartbeats" in error


@pytest.mark.parametrize(
    ("heartbeat", "stall", "lock_timeout"), [("5", "60", "20"), ("1", "6", "3"), ("5", "35", "20")]
)
def test_settings_that_leave_room_are_accepted(heartbeat: str, stall: str, lock_timeout: str) -> None:
    assert (
        settings_error(
            BROKEFORGE_JOB_HEARTBEAT=heartbeat,
            BROKEFORGE_JOB_STALL_AFTER=stall,
            BROKEFORGE_DATABASE_LOCK_TIMEOUT=lock_timeout,
        )
        == ""
    )


@override_settings(JOB_HEARTBEAT_SECONDS=5)
def test_a_failed_heartbeat_is_retried_soon_then_backs_off_to_the_interval() -> None:
    assert [_retry_delay(failures) for failures in range(6)] == [5, 0.25, 0.5, 1, 2, 4]
    assert _retry_delay(10) == 5
