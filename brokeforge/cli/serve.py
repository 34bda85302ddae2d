"""`brokeforge serve` (the panel, its workers, supervised), `brokeforge worker`, `brokeforge migrate`."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType

import click
import uvicorn
from django.conf import settings
from django.core.management import call_command

from brokeforge.cli.admin import ensure_first_admin
from brokeforge.cli.main import needs_database
from brokeforge.jobs.reaper import ReaperThread
from brokeforge.lib.public_url import PublicUrl

log = logging.getLogger("brokeforge.serve")

# How long a stopping worker may take to finish its current step before it is killed; a job it
# leaves behind is marked stalled by the reaper and can be retried.
WORKER_STOP_GRACE = 10.0
# Open server-sent-event streams never end on their own: cut them this long after a shutdown starts.
HTTP_SHUTDOWN_GRACE = 3
# Restarts of a worker that keeps dying young are spaced out up to this many seconds.
MAX_RESTART_DELAY = 60.0


class WorkerPool:
    """N `brokeforge worker` processes, each restarted if it dies, all stopped by PID on exit."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._started_at: list[float] = []
        # Seconds to wait before restarting each worker: doubles while it keeps dying young.
        self._delays: list[float] = []
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "brokeforge.cli", "worker", "--parent-pid", str(os.getpid())]

    def spawn(self) -> subprocess.Popen[bytes]:
        # Its own session: a Ctrl-C in the terminal reaches only us, and we stop workers in order.
        process = subprocess.Popen(self.command(), start_new_session=True)
        log.info("Started worker process %s", process.pid)
        return process

    def start(self) -> None:
        self.processes = [self.spawn() for _ in range(self.count)]
        self._started_at = [time.monotonic()] * self.count
        self._delays = [0.0] * self.count
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self._stopping.is_set():
                    self._restart(index)

    def _restart(self, index: int) -> None:
        dead = self.processes[index]
        lived = time.monotonic() - self._started_at[index]
        # A worker that dies at once (bad configuration, database down) is not restarted in a
        # tight loop: back off up to a minute, and start over once one has lived a while.
        delay = (
            0.0 if lived > MAX_RESTART_DELAY else min(max(1.0, 2 * self._delays[index]), MAX_RESTART_DELAY)
        )
        log.warning(
            "Worker process %s exited with code %s after %.0fs; starting a new one in %.0fs",
            dead.pid, dead.returncode, lived, delay,
        )  # fmt: skip
        if self._stopping.wait(delay):
            return
        self._delays[index] = delay
        self.processes[index] = self.spawn()
        self._started_at[index] = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        alive = [process for process in self.processes if process.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + WORKER_STOP_GRACE
        for process in alive:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("Worker process %s did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
        log.info("Stopped %s worker process(es)", len(alive))


def plain_http_refusal(host: str, public_url: PublicUrl | None, allow_plain_http: bool) -> str | None:
    """Why the panel must not listen on HOST, or None. Anywhere but loopback, plain HTTP would carry
    passwords and session cookies across the network: that needs a TLS proxy in front (and
    BROKEFORGE_PUBLIC_URL saying so) or an explicit --allow-plain-http."""
    if allow_plain_http or _is_loopback(host) or (public_url is not None and public_url.https):
        return None
    return (
        f"Refusing to serve plain HTTP on {host}: passwords and session cookies would cross the network "
        "unencrypted. Put a TLS reverse proxy in front and set BROKEFORGE_PUBLIC_URL=https://... "
        "(README: Running behind HTTPS), or pass --allow-plain-http if no one else can reach that network."
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal that stopped it; exiting through SystemExit runs our cleanup.
    raise SystemExit(0)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(0, 64), default=2, show_default=True, help="Job workers.")
@click.option(
    "--allow-plain-http",
    is_flag=True,
    help="Listen on a non-loopback address without BROKEFORGE_PUBLIC_URL=https://... (unencrypted).",
)
def serve(host: str, port: int, workers: int, allow_plain_http: bool) -> None:
    """Migrate the database, then run the panel and its job workers."""
    refusal = plain_http_refusal(host, settings.PUBLIC_URL, allow_plain_http)
    if refusal:
        raise click.UsageError(refusal)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    ensure_first_admin()
    pool = WorkerPool(workers)
    pool.start()
    try:
        config = uvicorn.Config(
            "brokeforge.asgi:application",
            host=host,
            port=port,
            lifespan="off",  # Django's ASGI handler has no lifespan support
            # X-Forwarded-For/-Proto are read by ProxyHeadersMiddleware, from the proxies in
            # BROKEFORGE_TRUSTED_PROXIES; uvicorn's own handling would be a second, different rule.
            proxy_headers=False,
            timeout_graceful_shutdown=HTTP_SHUTDOWN_GRACE,
        )
        click.echo(f"BrokeForge panel on http://{host}:{port} with {workers} worker(s); Ctrl-C stops it.")
        if settings.PUBLIC_URL is not None:
            click.echo(f"Public URL, through the proxy: {settings.PUBLIC_URL.origin}/")
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()


def _follow_parent(parent_pid: int) -> None:
    """Stop this worker when the process that started it is gone (even if it was SIGKILLed)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


@click.command()
@click.option("--parent-pid", type=int, hidden=True, help="Exit when this process goes away.")
@needs_database
def worker(parent_pid: int | None) -> None:
    """Run queued jobs, and mark stalled the jobs of workers that died."""
    if parent_pid is not None:
        threading.Thread(target=_follow_parent, args=(parent_pid,), daemon=True).start()
    reaper = ReaperThread()
    reaper.start()
    worker_id = f"{socket.gethostname()}:{os.getpid()}"[-64:]
    try:
        call_command(
            "db_worker", "--queue-name", "*", "--interval", "0.5", "--no-reload",
            "--no-startup-delay", "--worker-id", worker_id,
        )  # fmt: skip
    finally:
        reaper.stop()


@click.command()
def migrate() -> None:
    """Create or update the database tables."""
    call_command("migrate", interactive=False)
