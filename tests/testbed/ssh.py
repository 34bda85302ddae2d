"""The test harness's own SSH client invocation.

ONLY the harness skips host key checking (StrictHostKeyChecking=no,
UserKnownHostsFile=/dev/null): every boot has new host keys by design. The
product pins host keys; its tests check that against these servers.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.testbed.errors import TestbedError


def ssh_argv(ip: str, port: int, key: Path, remote_command: str) -> list[str]:
    return [
        "ssh",
        "-F", "/dev/null",  # ignore the host's ssh_config (SendEnv LANG etc.)
        "-i", str(key),
        "-p", str(port),
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=10",
        "-o", "ServerAliveInterval=30",
        f"root@{ip}",
        remote_command,
    ]  # fmt: skip


def run_ssh(
    ip: str, port: int, key: Path, remote_command: str, *,
    timeout: float | None, input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        ssh_argv(ip, port, key, remote_command),
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for_banner(ip: str, port: int, deadline: float, still_booting: Callable[[], None]) -> None:
    """Wait until sshd at IP:PORT sends its "SSH-" banner (cheaper than spawning ssh).

    STILL_BOOTING is called between attempts and raises if the server died.
    """
    last_error = "no attempt"
    while time.monotonic() < deadline:
        still_booting()
        try:
            with socket.create_connection((ip, port), timeout=2) as sock:
                sock.settimeout(5)
                if sock.recv(4).startswith(b"SSH-"):
                    return
                last_error = "no SSH banner"
        except OSError as exc:
            last_error = str(exc)
        time.sleep(0.1)
    raise TestbedError(f"sshd at {ip}:{port} not answering: {last_error}")
