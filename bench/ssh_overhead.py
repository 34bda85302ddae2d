"""SSH overhead per command, three ways, in one run against one booted test server.

  spawn   `ssh` spawned per command (what the seeds' PHP code does)
  floor   a bare asyncssh loop on one connection: the least any asyncssh transport can cost
  ours    our transport as jobs use it: JournalRunner, one connection, two journal writes a step

Prints ms per command for each and the ratios:
  ratio_vs_spawn: spawn ms / ours ms   (target: at least 30)
  ratio_vs_floor: ours ms / floor ms   (target: at most 1.5)

Run as root from the repository: `.venv/bin/python bench/ssh_overhead.py [--commands 100]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
TARGET_VS_SPAWN = 30.0

if TYPE_CHECKING:
    from brokeforge.servers.models import Server
TARGET_VS_FLOOR = 1.5
sys.path.insert(0, str(REPO))


def bench_spawn(ip: str, key: Path, count: int) -> float:
    argv = [
        "ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", f"root@{ip}", "true",
    ]  # fmt: skip
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000 / count


def bench_floor(ip: str, key: Path, count: int) -> float:
    import asyncssh

    async def loop() -> float:
        async with asyncssh.connect(
            ip, username="root", client_keys=[str(key)], known_hosts=None, config=None
        ) as conn:
            await conn.run("true", check=True)  # warm up
            started = time.perf_counter()
            for _ in range(count):
                await conn.run("true", check=True)
            return (time.perf_counter() - started) * 1000 / count

    return asyncio.run(loop())


def prepare_ours(ip: str, key: Path) -> Server:
    """A panel database with the server added and authorised, as a user would have it."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from brokeforge.actions import servers as server_actions

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench")
    server = server_actions.add_server(owner, "bench", ip)
    job = server_actions.authorize_with_root_key(server, key.read_text())
    assert job.status == "succeeded", job.error
    server.refresh_from_db()
    return server


def bench_ours(server: Server, count: int) -> float:
    from bench.timed_commands import TimedJob, timings
    from brokeforge.jobs import queue

    job = queue.run_inline(TimedJob, server, count)
    assert job.status == "succeeded", job.error
    return (timings["end"] - timings["start"]) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--commands", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of floor and ours")
    args = parser.parse_args()

    from tests.testbed import Testbed, default_cache_dir

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BROKEFORGE_HOME"] = tmp
        os.environ.pop("BROKEFORGE_DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "brokeforge.settings"
        bed = Testbed(cache_dir=default_cache_dir(), run_dir=Path(tmp) / "bed")
        bed.start()
        try:
            srv = bed.boot("bench")
            spawn = bench_spawn(srv.ip, srv.root_key_path, args.commands)
            server = prepare_ours(srv.ip, srv.root_key_path)
            # Floor and ours alternate, round after round, so a burst of load elsewhere on the
            # machine hits both alike; the medians are compared.
            floors, ours_runs = [], []
            for _ in range(args.rounds):
                floors.append(bench_floor(srv.ip, srv.root_key_path, args.commands))
                ours_runs.append(bench_ours(server, args.commands))
            floor, ours = statistics.median(floors), statistics.median(ours_runs)
        finally:
            bed.stop()
    print(f"commands: {args.commands} (floor and ours: median of {args.rounds} rounds)")
    print(f"spawn_ms_per_command: {spawn:.2f}")
    print(f"floor_ms_per_command: {floor:.2f}")
    print(f"ours_ms_per_command: {ours:.2f}")
    print(f"ratio_vs_spawn: {spawn / ours:.1f}")
    print(f"ratio_vs_floor: {ours / floor:.2f}")
    met = spawn / ours >= TARGET_VS_SPAWN and ours / floor <= TARGET_VS_FLOOR
    verdict = "met" if met else "MISSED"
    print(f"targets: {verdict} (vs spawn >= {TARGET_VS_SPAWN}, vs floor <= {TARGET_VS_FLOOR})")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
