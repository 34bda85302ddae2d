"""Run a command against a throwaway PostgreSQL server: `python -m tests.pg_run -- CMD...`.

Starts its own cluster (initdb into a temp dir, as the postgres user, on a free loopback port),
sets BROKEFORGE_DATABASE_URL for the command, and stops the server by its PID afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise SystemExit(f"PostgreSQL's {name} not found: install the postgresql package")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_postgres(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["runuser", "-u", "postgres", "--", *argv], **kwargs)  # type: ignore[call-overload]


def main() -> int:
    command = sys.argv[sys.argv.index("--") + 1 :]
    data = Path(tempfile.mkdtemp(prefix="brokeforge-pg-"))
    shutil.chown(data, "postgres", "postgres")
    port = free_port()
    init = as_postgres([pg_bin("initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "postgres"],
                       stdout=subprocess.DEVNULL)  # fmt: skip
    if init.wait() != 0:
        raise SystemExit("initdb failed")
    server = as_postgres(
        [pg_bin("postgres"), "-D", str(data / "db"), "-p", str(port), "-k", str(data),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        stdout=(data / "log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:  # fmt: skip
            if time.monotonic() > deadline or server.poll() is not None:
                print((data / "log").read_text(), file=sys.stderr)
                raise SystemExit("PostgreSQL did not start")
            time.sleep(0.2)
        env = {**os.environ, "BROKEFORGE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/brokeforge"}
        return subprocess.run(command, env=env).returncode
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
