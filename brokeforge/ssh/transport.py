"""One persistent asyncssh connection per server per job, used from synchronous code.

Jobs are synchronous (the Django ORM is), SSH is asynchronous. Each thread that talks SSH gets an
event loop of its own, and a connection lives on the loop of the thread that opened it: a command
runs that loop until it ends, and its output is handed to the caller's callback as it arrives, in
the caller's thread. No hand-off between threads, so a command costs what bare asyncssh costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import asyncssh

from brokeforge.ssh.errors import (
    CommandAborted,
    CommandFailed,
    CommandTimeout,
    ConnectFailed,
    HostKeyMismatch,
)
from brokeforge.ssh.keys import fingerprint

log = logging.getLogger(__name__)
T = TypeVar("T")

STDERR_TAIL_CHARS = 4000
# A command silent this long hands its caller a turn (on_quiet), e.g. to write out its last output.
QUIET_SECONDS = 0.5
KEEPALIVE_SECONDS = 15
DOWNLOAD_CHUNK_BYTES = 256 * 1024
# Prefer ed25519 when pinning a new server, so fingerprints match what users see in the panel.
FIRST_USE_HOST_KEY_ALGS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]


_local = threading.local()


def _loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for SSH, created on first use and kept for the thread's life."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop


def _run_in_loop(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _loop().run_until_complete(coro)
    coro.close()
    raise RuntimeError(
        "The SSH transport blocks: call it from synchronous code (a worker thread, or through "
        "sync_to_async), not from inside a running event loop."
    )


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
    # When the command started (seconds since the epoch) and how long it ran.
    started_at: float = 0.0
    duration_ms: int = 0


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


class _CommandSession(asyncssh.SSHClientSession[str]):
    """Collects one command's output; the caller takes each new piece between turns of the loop.

    Callbacks rather than stream readers: no task per stream, which is most of what one trivial
    command costs on a warm connection. The caller's own callbacks never run inside the event
    loop, so they may use the Django ORM.
    """

    def __init__(self) -> None:
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._new: list[str] = []
        self._exit_status: int | None = None
        self._news = asyncio.Event()
        self.finished = False

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        (self._stderr if datatype == asyncssh.EXTENDED_DATA_STDERR else self._stdout).append(data)
        self._new.append(data)
        self._news.set()

    def exit_status_received(self, status: int) -> None:
        self._exit_status = status

    def connection_lost(self, exc: Exception | None) -> None:
        self.finished = True
        self._news.set()

    async def wait_for_news(self, deadline: float) -> bool:
        """Wait for output or the end of the command; False if the deadline passed first."""
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            await asyncio.wait_for(self._news.wait(), max(remaining, 0))
        except TimeoutError:
            return False
        self._news.clear()
        return True

    def wake(self) -> None:
        """Make wait_for_news return now (the connection was aborted from another thread)."""
        self._news.set()

    def take_output(self) -> list[str]:
        new, self._new = self._new, []
        return new

    def exit_code(self) -> int:
        # A command killed by a signal has no exit status; report 255 as ssh does.
        return 255 if self._exit_status is None or self._exit_status < 0 else self._exit_status

    def stdout(self) -> str:
        return "".join(self._stdout)

    def stderr(self) -> str:
        return "".join(self._stderr)


async def _abandon(channel: asyncssh.SSHClientChannel[str]) -> None:
    """Stop following a command and close its channel, without waiting on it.

    This does not stop the command on the server: OpenSSH refuses SSH's signal request for
    root's sessions, and a closed channel goes unnoticed by a command that writes nowhere. The
    caller stops it with a command of its own (the job layer's stop script).
    """
    channel.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(channel.wait_closed(), 2)


@dataclass(frozen=True)
class _Callbacks:
    """What the caller of Connection.run wants to hear about a running command."""

    on_start: Callable[[], None] | None
    on_output: Callable[[str], None] | None
    on_quiet: Callable[[], None] | None

    def start(self) -> None:
        if self.on_start is not None:
            self.on_start()

    def output(self, chunk: str) -> None:
        if self.on_output is not None:
            self.on_output(chunk)

    def quiet(self) -> None:
        if self.on_quiet is not None:
            self.on_quiet()


class Connection:
    """A live connection. `host_key` is the key the server proved it holds on this connect."""

    def __init__(self, target: SshTarget, conn: asyncssh.SSHClientConnection) -> None:
        self.target = target
        self._conn = conn
        self._loop = _loop()
        key = conn.get_server_host_key()
        assert key is not None
        self.host_key = key.export_public_key().decode().strip()
        self.host_key_fingerprint = fingerprint(self.host_key)
        # Set from any thread by abort(); read by the thread that runs commands.
        self._abort_reason: str | None = None
        self._session: _CommandSession | None = None

    def abort(self, reason: str) -> None:
        """From any thread: stop following the command running now; its run() raises
        CommandAborted, and so does every later run() but a cleanup one."""
        self._abort_reason = reason
        # The loop belongs to the thread running the command; wake it there, never touch it here.
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing runs any more
            self._loop.call_soon_threadsafe(self._wake_session)

    def _wake_session(self) -> None:
        if self._session is not None:
            self._session.wake()

    def run(
        self,
        command: str,
        *,
        timeout: float,
        on_start: Callable[[], None] | None = None,
        on_output: Callable[[str], None] | None = None,
        on_quiet: Callable[[], None] | None = None,
        display: str | None = None,
        check: bool = True,
        stdin: str | None = None,
        cleanup: bool = False,
    ) -> CommandResult:
        """Run a command; hand its output (stdout and stderr interleaved) to `on_output` as it comes.

        `stdin` is written to the command's standard input, then closed (file contents and
        secrets go this way, never on the command line).

        `on_start` runs once the command is running on the server, before its output is handed
        over: work done there (a journal write) overlaps the command instead of adding to it.
        `on_quiet` runs after each QUIET_SECONDS without output (to write out what came last).
        `display` is what error messages call the command: the caller's redacted form of it.
        A `cleanup` command runs even after abort(): it is how the caller stops what was aborted.
        """
        if self._loop is not _loop():
            raise RuntimeError("An SSH connection is used only by the thread that opened it.")
        shown = display or command
        if self._abort_reason is not None and not cleanup:
            raise CommandAborted(shown, self._abort_reason)
        started_at, started = time.time(), time.monotonic()
        channel, session = _run_in_loop(self._start(command, stdin))
        self._session = session
        try:
            self._follow(
                channel, session, shown, timeout, _Callbacks(on_start, on_output, on_quiet), not cleanup
            )
        finally:
            self._session = None
        exit_code, stdout, stderr = session.exit_code(), session.stdout(), session.stderr()
        if check and exit_code != 0:
            raise CommandFailed(shown, exit_code, stderr[-STDERR_TAIL_CHARS:])
        duration_ms = round((time.monotonic() - started) * 1000)
        return CommandResult(exit_code, stdout, stderr, started_at, duration_ms)

    def _follow(
        self,
        channel: asyncssh.SSHClientChannel[str],
        session: _CommandSession,
        shown: str,
        timeout: float,
        callbacks: _Callbacks,
        abortable: bool,
    ) -> None:
        """Hand the command's output over until it ends. Whatever stops following it early (its
        time is up, an abort, a callback that raised) closes its channel on the way out."""
        deadline = self._loop.time() + timeout
        try:
            callbacks.start()
            while not session.finished:
                # Checked before each wait: an abort that came while no wait was running has
                # already spent its wake-up.
                if abortable and self._abort_reason is not None:
                    raise CommandAborted(shown, self._abort_reason)
                quiet_until = min(deadline, self._loop.time() + QUIET_SECONDS)
                if _run_in_loop(session.wait_for_news(quiet_until)):
                    for chunk in session.take_output():
                        callbacks.output(chunk)
                elif self._loop.time() >= deadline:
                    raise CommandTimeout(shown, timeout, session.stderr()[-STDERR_TAIL_CHARS:])
                else:
                    callbacks.quiet()
        except BaseException:
            if not session.finished:
                _run_in_loop(_abandon(channel))
            raise

    async def _start(
        self, command: str, stdin: str | None
    ) -> tuple[asyncssh.SSHClientChannel[str], _CommandSession]:
        channel, session = await self._conn.create_session(
            _CommandSession, command, encoding="utf-8", errors="replace"
        )
        if stdin:
            channel.write(stdin)  # buffered by asyncssh, sent as the server's window allows
        channel.write_eof()  # then end of input (with none: as with < /dev/null)
        return channel, cast(_CommandSession, session)

    def download(self, remote_path: str, local_path: str) -> int:
        """Copy a file from the server over SFTP (a backup: binary, and too big for a command's
        output, which the journal keeps). Written to `local_path` (created 0600); returns its size."""
        if self._loop is not _loop():
            raise RuntimeError("An SSH connection is used only by the thread that opened it.")
        if self._abort_reason is not None:
            raise CommandAborted(f"download {remote_path}", self._abort_reason)
        return _run_in_loop(self._download(remote_path, local_path))

    async def _download(self, remote_path: str, local_path: str) -> int:
        async with self._conn.start_sftp_client() as sftp, sftp.open(remote_path, "rb") as remote:
            fd = os.open(local_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            size = 0
            with os.fdopen(fd, "wb") as local:
                while chunk := cast(bytes, await remote.read(DOWNLOAD_CHUNK_BYTES)):  # "rb": bytes
                    local.write(chunk)
                    size += len(chunk)
        return size

    def close(self) -> None:
        self._conn.close()
        _run_in_loop(self._conn.wait_closed())

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(target: SshTarget) -> Connection:
    """Connect and authenticate. Raises HostKeyMismatch if the server's key is not the pinned one."""
    return _run_in_loop(_connect(target))


def _client_key(target: SshTarget) -> asyncssh.SSHKey:
    """The private key to log in with, or ConnectFailed saying why it cannot be used."""
    try:
        return asyncssh.import_private_key(target.private_key)
    except asyncssh.KeyImportError as exc:
        if "passphrase" in str(exc).lower():
            reason = "it is protected by a passphrase; give a key without one"
        else:
            reason = "it is not a private key asyncssh can read (OpenSSH, PEM or PKCS#8)"
        raise ConnectFailed(
            target.host, target.port, f"the private key for {target.username!r} cannot be used: {reason}"
        ) from None


async def _connect(target: SshTarget) -> Connection:
    client_key = _client_key(target)  # before any connection: a bad key fails fast and clearly
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
                client_keys=[client_key],
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
