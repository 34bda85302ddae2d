"""One persistent asyncssh connection per server per job, used from synchronous code.

Jobs are synchronous (the Django ORM is), SSH is asynchronous. A single background event loop
thread owns every connection; callers submit coroutines to it and read a command's output from a
queue in their own thread, so output is written to the journal while the command still runs,
without the event loop ever touching the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncssh

from brokeforge.ssh.errors import CommandFailed, CommandTimeout, ConnectFailed, HostKeyMismatch
from brokeforge.ssh.keys import fingerprint

log = logging.getLogger(__name__)
T = TypeVar("T")

STDERR_TAIL_CHARS = 4000
KEEPALIVE_SECONDS = 15
# Prefer ed25519 when pinning a new server, so fingerprints match what users see in the panel.
FIRST_USE_HOST_KEY_ALGS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]


class _Loop:
    """The process-wide event loop thread on which all SSH I/O happens."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="ssh-loop", daemon=True)
                thread.start()
                cls._loop = loop
            return cls._loop


def _submit(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coro, _Loop.get()).result()


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int
    username: str
    private_key: str
    pinned_host_key: str = ""
    connect_timeout: float = 10.0

    def __repr__(self) -> str:  # the private key never lands in a log or traceback
        return f"SshTarget({self.username}@{self.host}:{self.port})"


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


class _PinningClient(asyncssh.SSHClient):
    """Accepts any host key on first use (it is then pinned by the caller); remembers a refused one.

    When a key is pinned it is the only trusted key, so asyncssh only asks us about a key that
    does not match it, and we refuse it.
    """

    def __init__(self, pinned: bool) -> None:
        self.pinned = pinned
        self.refused_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        if self.pinned:
            self.refused_key = key
            return False
        return True


class Connection:
    """A live connection. `host_key` is the key the server proved it holds on this connect."""

    def __init__(self, target: SshTarget, conn: asyncssh.SSHClientConnection) -> None:
        self.target = target
        self._conn = conn
        key = conn.get_server_host_key()
        assert key is not None
        self.host_key = key.export_public_key().decode().strip()
        self.host_key_fingerprint = fingerprint(self.host_key)

    def run(
        self,
        command: str,
        *,
        timeout: float,
        on_output: Callable[[str], None] | None = None,
        display: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        """Run a command; stream its output (stdout and stderr interleaved) to `on_output`.

        `display` is what error messages call the command: the caller's redacted form of it.
        """
        chunks: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        future = asyncio.run_coroutine_threadsafe(self._run(command, timeout, chunks), _Loop.get())
        while (chunk := chunks.get()) is not None:
            if on_output is not None:
                on_output(chunk)
        exit_code, stdout, stderr = future.result()
        shown = display if display is not None else command
        if exit_code is None:
            raise CommandTimeout(shown, timeout, stderr[-STDERR_TAIL_CHARS:])
        if check and exit_code != 0:
            raise CommandFailed(shown, exit_code, stderr[-STDERR_TAIL_CHARS:])
        return CommandResult(exit_code, stdout, stderr)

    async def _run(
        self, command: str, timeout: float, chunks: queue.SimpleQueue[str | None]
    ) -> tuple[int | None, str, str]:
        stdout: list[str] = []
        stderr: list[str] = []

        async def pump(stream: asyncssh.SSHReader[str], sink: list[str]) -> None:
            while data := await stream.read(65536):
                sink.append(data)
                chunks.put(data)

        try:
            process = await self._conn.create_process(
                command, encoding="utf-8", errors="replace", stdin=asyncssh.DEVNULL
            )
            try:
                await asyncio.wait_for(
                    asyncio.gather(
                        pump(process.stdout, stdout),
                        pump(process.stderr, stderr),
                        process.wait_closed(),
                    ),
                    timeout,
                )
            except TimeoutError:
                await self._abandon(process)
                return None, "".join(stdout), "".join(stderr)
            status = process.exit_status
            # A command killed by a signal has no exit status; report 255 as ssh does.
            if status is None or status < 0:
                status = 255
            return status, "".join(stdout), "".join(stderr)
        finally:
            chunks.put(None)

    @staticmethod
    async def _abandon(process: asyncssh.SSHClientProcess[str]) -> None:
        """Stop a command that ran out of time without waiting on it: kill, then close its channel."""
        with contextlib.suppress(OSError, asyncssh.Error):
            process.kill()
        process.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait_closed(), 2)

    def close(self) -> None:
        async def _close() -> None:
            self._conn.close()
            await self._conn.wait_closed()

        _submit(_close())

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(target: SshTarget) -> Connection:
    """Connect and authenticate. Raises HostKeyMismatch if the server's key is not the pinned one."""
    return _submit(_connect(target))


async def _connect(target: SshTarget) -> Connection:
    pinned = bool(target.pinned_host_key)
    client = _PinningClient(pinned)
    trusted = [asyncssh.import_public_key(target.pinned_host_key)] if pinned else []
    options: dict[str, Any] = {}
    if not pinned:
        options["server_host_key_algs"] = FIRST_USE_HOST_KEY_ALGS
    try:
        conn, _ = await asyncio.wait_for(
            asyncssh.create_connection(
                lambda: client,
                target.host,
                target.port,
                username=target.username,
                client_keys=[asyncssh.import_private_key(target.private_key)],
                known_hosts=(trusted, [], []),
                agent_path=None,
                config=None,
                preferred_auth="publickey",
                keepalive_interval=KEEPALIVE_SECONDS,
                keepalive_count_max=3,
                connect_timeout=target.connect_timeout,
                login_timeout=target.connect_timeout,
                **options,
            ),
            target.connect_timeout,
        )
    except asyncssh.HostKeyNotVerifiable as exc:
        if client.refused_key is None:
            raise ConnectFailed(target.host, target.port, str(exc)) from exc
        presented = client.refused_key.export_public_key().decode().strip()
        raise HostKeyMismatch(
            target.host, fingerprint(target.pinned_host_key), fingerprint(presented), presented
        ) from exc
    except asyncssh.PermissionDenied as exc:
        raise ConnectFailed(
            target.host, target.port, f"the server refused the key for user {target.username!r}"
        ) from exc
    except TimeoutError as exc:
        raise ConnectFailed(
            target.host, target.port, f"no answer within {target.connect_timeout:g}s"
        ) from exc
    except (OSError, asyncssh.Error) as exc:
        raise ConnectFailed(target.host, target.port, str(exc) or type(exc).__name__) from exc
    return Connection(target, conn)
