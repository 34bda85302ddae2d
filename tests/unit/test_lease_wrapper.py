"""The lease wrapper every job command runs in, run here by bash on a lease file of our own."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from brokeforge.packages.base.lease import REFUSED_EXIT, holder, leased, stop_script, was_refused

A, B = "panel-abc/job-1/1000", "panel-abc/job-2/2000"


def run(
    script: str, lease: Path, job: str, *, claim: bool, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    wrapped = leased(script, job, claim=claim, lease_dir=str(lease.parent))
    return subprocess.run(["bash", "-c", wrapped], input=stdin, capture_output=True, text=True, timeout=30)


@pytest.fixture
def lease(tmp_path: Path) -> Path:
    return tmp_path / "run" / "brokeforge" / "lease"


def test_the_first_command_claims_the_lease_and_later_ones_run_while_it_holds(lease: Path) -> None:
    first = run("echo one", lease, A, claim=True)
    assert (first.returncode, first.stdout) == (0, "one\n")
    assert lease.read_text() == f"{A}\n"
    later = run('printf "%s" "$1-$(cat)"; exit 3', lease, A, claim=False, stdin="input")
    assert (later.returncode, later.stdout) == (3, "-input"), "exit status and stdin pass through"


def test_a_job_whose_lease_was_taken_over_is_refused_by_the_server(lease: Path, tmp_path: Path) -> None:
    run("true", lease, A, claim=True)
    run("true", lease, B, claim=True)  # the next job took the server over
    ran = tmp_path / "ran"
    refused = run(f"touch {ran}", lease, A, claim=False)
    assert refused.returncode == REFUSED_EXIT
    assert f"{A} no longer holds this server ({B} does); command not run" in refused.stderr
    assert was_refused(refused.returncode, refused.stderr)
    assert not ran.exists()


def test_a_refusal_needs_both_the_status_and_the_message() -> None:
    assert not was_refused(REFUSED_EXIT, "my own tool exits 75 too")
    assert not was_refused(1, "brokeforge: lease refused: but exit 1")


def test_a_command_waits_for_the_command_holding_the_lease(lease: Path, tmp_path: Path) -> None:
    order = tmp_path / "order"
    go = tmp_path / "go"
    run("true", lease, A, claim=True)
    # A's command holds the lease until the test lets it end.
    slow = leased(
        f"echo a-start >> {order}; while [ ! -e {go} ]; do sleep 0.05; done; echo a-end >> {order}",
        A, claim=False, lease_dir=str(lease.parent),
    )  # fmt: skip
    holding = subprocess.Popen(
        ["bash", "-c", slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 10
    while not order.exists():
        assert time.monotonic() < deadline, "the first command never started"
        time.sleep(0.02)
    waiting = subprocess.Popen(
        ["bash", "-c", leased(f"echo b >> {order}", B, claim=True, lease_dir=str(lease.parent))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # B says it waits (its output arrives before A is released), and runs only after A's end.
    assert waiting.stderr is not None
    assert f"another job ({A}) is still running on this server; waiting" in waiting.stderr.readline()
    go.touch()
    assert holding.wait(timeout=10) == 0 and waiting.wait(timeout=10) == 0
    assert order.read_text().split() == ["a-start", "a-end", "b"]


def test_a_background_process_the_command_leaves_does_not_keep_the_lease(lease: Path) -> None:
    started = run("sleep 30 >/dev/null 2>&1 & echo $!", lease, A, claim=True)
    background = int(started.stdout)
    try:
        nxt = subprocess.run(
            ["bash", "-c", leased("echo next", B, claim=True, lease_dir=str(lease.parent))],
            capture_output=True, text=True, timeout=5,
        )  # fmt: skip
        assert (nxt.returncode, nxt.stdout, nxt.stderr) == (0, "next\n", "")
    finally:
        subprocess.run(["kill", str(background)], check=False)


def test_holders_name_the_panel_and_the_job() -> None:
    assert holder(42, 1000).endswith("/job-42/1000")
    assert holder(42, 1000).split("/")[0] == holder(7, 2000).split("/")[0]
    with pytest.raises(ValueError):
        leased("true", "job 1; rm -rf /", claim=True)


def alive(pid: int) -> bool:
    """Running, not merely a zombie left for init to reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def session(script: str) -> subprocess.Popen[str]:
    """`script` in a new session, its shell the group leader, as sshd starts a command."""
    return subprocess.Popen(["setsid", "bash", "-c", script], text=True)


def test_the_stop_script_stops_the_jobs_command_and_everything_it_started(
    lease: Path, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    command = session(
        leased(
            f"sleep 60 & echo $! > {pids}; trap '' TERM; sleep 60", A, claim=True, lease_dir=str(lease.parent)
        )
    )
    deadline = time.monotonic() + 10
    while not pids.exists() or not pids.read_text().strip():
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.02)
    background = int(pids.read_text())
    # Another job's stop script leaves it alone.
    subprocess.run(["bash", "-c", stop_script(B, lease_dir=str(lease.parent))], check=True, timeout=10)
    assert command.poll() is None
    # Its own job's stops it: the shell ignores TERM, so it gets KILL after the grace.
    subprocess.run(["bash", "-c", stop_script(A, lease_dir=str(lease.parent))], check=True, timeout=10)
    assert command.wait(timeout=5) != 0
    assert not alive(background), "what the command started in the background still runs"


def test_the_stop_script_does_nothing_when_no_command_ran(lease: Path) -> None:
    stopped = subprocess.run(["bash", "-c", stop_script(A, lease_dir=str(lease.parent))], timeout=10)
    assert stopped.returncode == 0


def test_a_marker_whose_pid_was_reused_by_another_process_is_not_waited_for(lease: Path) -> None:
    run("true", lease, A, claim=True)
    # A marker left by a command that ended, its PID now another process's (this test's own).
    stale = lease.parent / f"cmd.{os.getpid()}.1"
    stale.write_text(f"{A}\n")
    claimed = run("echo mine", lease, B, claim=True)
    assert (claimed.returncode, claimed.stdout, claimed.stderr) == (0, "mine\n", "")
    assert not stale.exists(), "markers of ended commands are cleared at the next claim"


def test_a_job_that_started_earlier_never_takes_the_lease_back(lease: Path, tmp_path: Path) -> None:
    run("true", lease, B, claim=True)  # the job that holds the server now
    ran = tmp_path / "ran"
    stale = run(f"touch {ran}", lease, A, claim=True)  # resumed after it was declared stalled
    assert stale.returncode == REFUSED_EXIT and was_refused(stale.returncode, stale.stderr)
    assert f"{A} started before {B}, which holds this server now" in stale.stderr
    assert lease.read_text() == f"{B}\n" and not ran.exists()
    # Another panel's job is no judge of ours: its clock and numbers are its own.
    assert run("true", lease, "panel-xyz/job-9/1", claim=True).returncode == 0
