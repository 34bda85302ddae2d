"""JournalRunner: the Runner packages use, writing every step of a job to the journal.

It opens one SSH connection per login user for the whole job and reuses it for every step;
pins the host key on first connect and refuses a changed one; streams each command's output into
its JobStep while the command runs; masks the job's secrets in everything it stores.

It is also the job's fence. Before each step it checks that the job still runs and still holds
its server's lock, and that its time limit has not passed; each command runs under the server's
own lease (packages/base/lease.py); and stop() (called from the heartbeat thread) kills the command running.
A job that may not go on raises JobStopped and touches the server no more.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as database
from django.utils import timezone
from django.utils.crypto import salted_hmac

from brokeforge.jobs.direct import target
from brokeforge.jobs.models import OUTPUT_TAIL_BYTES, Job, JobStep, ServerLock, StepStatus
from brokeforge.lib.enums import ConnectionStatus, CredentialType
from brokeforge.lib.redact import REDACTION_MARGIN_CHARS, Secrets, redact, redact_tail
from brokeforge.packages.base.command import Command
from brokeforge.packages.base.lease import STOP_GRACE_SECONDS, holder, leased, stop_script, was_refused
from brokeforge.servers.models import HostKeyEvent, Server
from brokeforge.ssh import (
    CommandFailed,
    CommandResult,
    CommandTimeout,
    ConnectFailed,
    Connection,
    HostKeyMismatch,
    SshError,
    connect,
)

# Output is written to the database at most this often while a command runs.
FLUSH_SECONDS = 0.5
# The stop script waits out the command's grace period, then kills it: this is plenty.
STOP_SCRIPT_TIMEOUT = STOP_GRACE_SECONDS + 10
# What a job's result keeps of each long text it hands back (a site command's output).
RESULT_TEXT_CHARS = 64 * 1024


class JobStopped(Exception):
    """The job may not go on: it lost its server's lock or lease, its heartbeat, or its time."""


def command_hash(command: Command, credential: CredentialType) -> str:
    """Identifies a command as sent (its unredacted text, options and input), without revealing it:
    keyed with the panel's secret key, so a stored hash is no oracle for guessing a secret in it."""
    material = json.dumps([credential.value, command.remote_script(), command.stdin, command.check])
    return salted_hmac("brokeforge.jobs.command", material, algorithm="sha256").hexdigest()


@dataclass
class _Frame:
    key: str
    children: Counter[str]
    steps: int = 0


def _close_step(
    step: JobStep, status: StepStatus, started: float, output: str = "", output_bytes: int = 0,
    exit_code: int | None = None,
) -> None:  # fmt: skip
    # A queryset update, not Model.save(): this runs once per step, on the hot path.
    JobStep.objects.filter(pk=step.pk).update(
        status=status,
        exit_code=exit_code,
        output=output,
        output_bytes=output_bytes or len(output.encode()),
        finished_at=timezone.now(),
        duration_ms=round((time.monotonic() - started) * 1000),
    )


class _OutputWriter:
    """Keeps the tail of a command's output and writes it, redacted, a few times a second.

    The raw window it keeps is longer than the tail it stores by a margin, and is redacted whole
    before the tail is cut: a secret or key block across the cut never leaks in part.
    Its step is attached once the command runs (`attach`), so the journal write overlaps it.
    """

    WINDOW_CHARS = OUTPUT_TAIL_BYTES + REDACTION_MARGIN_CHARS

    def __init__(self, secrets: Secrets) -> None:
        self.step: JobStep | None = None
        self.secrets = secrets
        self.window = ""
        self.total_bytes = 0
        self.last_flush = time.monotonic()
        self.dirty = False

    def attach(self, step: JobStep) -> None:
        self.step = step

    def write(self, chunk: str) -> None:
        self.total_bytes += len(chunk.encode())
        self.window = (self.window + chunk)[-self.WINDOW_CHARS :]
        self.dirty = True
        if time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def stored(self) -> str:
        return redact_tail(self.window, OUTPUT_TAIL_BYTES, self.secrets)

    def flush(self) -> None:
        if self.dirty and self.step is not None:
            JobStep.objects.filter(pk=self.step.pk).update(
                output=self.stored(), output_bytes=self.total_bytes
            )
            self.dirty = False
        self.last_flush = time.monotonic()

    def finish(self, status: StepStatus, exit_code: int | None, started: float) -> None:
        if self.step is not None:
            _close_step(self.step, status, started, self.stored(), self.total_bytes, exit_code)

    def finish_failed(self, exit_code: int | None, started: float) -> None:
        """Close the step as failed, on the way out of an error: when the journal itself is what
        failed, this write may fail too, and the error to report is the first one."""
        with suppress(DatabaseError):
            self.finish(StepStatus.FAILED, exit_code, started)


class JournalRunner:
    def __init__(
        self,
        job: Job,
        *,
        succeeded: dict[str, str] | None = None,
        private_key_overrides: dict[CredentialType, str] | None = None,
        time_limit: float | None = None,
    ) -> None:
        self.job = job
        self.job_id: int | None = job.pk
        self.secrets = Secrets()
        self.time_limit = time_limit
        self._deadline = None if time_limit is None else time.monotonic() + time_limit
        # Why the job must stop, once something (the heartbeat) said so; read before every step.
        self._stop_reason: str | None = None
        # Created once the job holds its server's lock: after the lock of any job it follows was
        # freed, so after that job's runner began.
        self._lease_holder = holder(job.pk, time.time_ns())
        self._claimed: set[int] = set()  # servers whose lease this job has claimed
        # {step key: command hash} of the commands that succeeded in the attempt this one retries.
        self.succeeded = succeeded or {}
        self.private_key_overrides = private_key_overrides or {}
        self._connections: dict[tuple[int, CredentialType], Connection] = {}
        self._frames = [_Frame(key="job", children=Counter())]
        self._seq = job.steps.count()

    # -- Runner protocol -----------------------------------------------------------------------

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        parent = self._frames[-1]
        parent.children[name] += 1
        self._frames.append(_Frame(f"{parent.key}/{name}[{parent.children[name]}]", Counter()))
        try:
            yield
        finally:
            self._frames.pop()

    def command(self, server: Server, command: Command, default_credential: CredentialType) -> CommandResult:
        key = self._next_key()
        credential = command.login(default_credential)
        digest = command_hash(command, credential)
        shown = redact(command.describe(), self.secrets)
        if command.skippable and self.succeeded.get(key) == digest:
            self._record_skipped(key, shown, digest)
            return CommandResult(0, "", "")
        self._fence(server.pk)
        connection = self._connection(server, credential)
        timeout, limited_by_job = self._command_timeout(command.timeout or settings.SSH_COMMAND_TIMEOUT)
        script = leased(command.remote_script(), self._lease_holder, claim=server.pk not in self._claimed)
        writer = _OutputWriter(self.secrets)
        started = time.monotonic()
        try:
            result = connection.run(
                script,
                stdin=command.stdin,
                timeout=timeout,
                check=command.check,
                on_start=lambda: writer.attach(
                    self._start_step(key, shown, is_command=True, command_hash=digest)
                ),
                on_output=writer.write,
                on_quiet=writer.flush,
                display=shown,
            )
        except CommandFailed as exc:
            if isinstance(exc, CommandTimeout):
                self._stop_remote(connection)
            writer.finish_failed(exc.exit_code, started)
            if isinstance(exc, CommandTimeout) and limited_by_job:
                raise JobStopped(self._time_limit_message()) from exc
            if was_refused(exc.exit_code, exc.stderr_tail):
                raise JobStopped(self._lease_lost_message(server)) from exc
            raise
        except BaseException:
            # Stopped following it (an abort, a journal write that failed): stop it on the server.
            self._stop_remote(connection)
            writer.finish_failed(None, started)
            raise
        self._claimed.add(server.pk)
        writer.finish(
            StepStatus.SUCCEEDED if result.exit_code == 0 else StepStatus.FAILED, result.exit_code, started
        )
        if was_refused(result.exit_code, result.stderr):
            raise JobStopped(self._lease_lost_message(server))
        return result

    def download(
        self, server: Server, remote_path: str, local_path: str, default_credential: CredentialType
    ) -> int:
        self._fence(server.pk)
        connection = self._connection(server, default_credential)
        step = self._start_step(
            self._next_key(), redact(f"Copy {remote_path} to the panel", self.secrets), is_command=True
        )
        started = time.monotonic()
        try:
            size = connection.download(remote_path, local_path)
        except BaseException as exc:
            _close_step(
                step, StepStatus.FAILED, started, redact(f"{type(exc).__name__}: {exc}", self.secrets)
            )
            raise
        _close_step(step, StepStatus.SUCCEEDED, started, f"{size} bytes copied")
        return size

    def record_result(self, result: dict[str, Any]) -> None:
        Job.objects.filter(pk=self.job.pk).update(result=_redacted(result, self.secrets))

    def panel_step(self, description: str, action: Callable[[], None]) -> None:
        if self.job.server_id is not None:
            self._fence(self.job.server_id)
        step = self._start_step(self._next_key(), description, is_command=False)
        started = time.monotonic()
        try:
            action()
        except BaseException as exc:
            _close_step(
                step, StepStatus.FAILED, started, redact(f"{type(exc).__name__}: {exc}", self.secrets)
            )
            raise
        _close_step(step, StepStatus.SUCCEEDED, started)

    # -- the fence -----------------------------------------------------------------------------

    def stop(self, reason: str) -> None:
        """From any thread: the job must not go on. The command running is killed on the server
        and the next step raises JobStopped."""
        self._stop_reason = reason
        for connection in list(self._connections.values()):
            connection.abort(reason)

    def _fence(self, server_id: int) -> None:
        """Raise JobStopped unless this job may still take a step on the server."""
        if self._stop_reason is not None:
            raise JobStopped(f"Job #{self.job.pk} stopped: {self._stop_reason}.")
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise JobStopped(self._time_limit_message())
        if not _holds_lock(server_id, self.job.pk):
            raise JobStopped(
                f"Job #{self.job.pk} no longer holds its server's lock (it was declared stalled, "
                "or its lock was freed); it stopped before its next step."
            )

    def _stop_remote(self, connection: Connection) -> None:
        """Stop this job's command if it still runs on the server; the panel stopped following it."""
        # Best effort on the way out of an error: that error is what the job reports.
        with suppress(SshError):
            connection.run(
                stop_script(self._lease_holder),
                timeout=STOP_SCRIPT_TIMEOUT,
                check=False,
                cleanup=True,
                display="stop the command",
            )

    def _command_timeout(self, requested: float) -> tuple[float, bool]:
        """The command's timeout, cut to the job's time left; and whether the job's limit is what binds."""
        if self._deadline is None:
            return requested, False
        left = self._deadline - time.monotonic()
        return (left, True) if left < requested else (requested, False)

    def _time_limit_message(self) -> str:
        return (
            f"Job #{self.job.pk} ran past its time limit of {self.time_limit:g}s and was stopped; "
            "the command running then was killed on the server."
        )

    def _lease_lost_message(self, server: Server) -> str:
        return (
            f"{server.name} refused this job's command: another job took the server over "
            f"(this job had been declared stalled). Job #{self.job.pk} stopped."
        )

    # -- connections ---------------------------------------------------------------------------

    def _connection(self, server: Server, credential: CredentialType) -> Connection:
        cache_key = (server.pk, credential)
        if cache_key not in self._connections:
            connection = self._connections[cache_key] = self._open(server, credential)
            if self._stop_reason is not None:  # stop() came while this one was opening
                connection.abort(self._stop_reason)
        return self._connections[cache_key]

    def _open(self, server: Server, credential: CredentialType) -> Connection:
        where = target(server, credential, self.private_key_overrides.get(credential))
        description = f"Connect to {credential.user}@{server.public_ip}:{server.ssh_port}"
        # Outside the step numbering: where a connection opens differs between attempts (a retry
        # skips commands), and must not shift the keys that say which commands already succeeded.
        key = f"{self._frames[-1].key}@connect-{credential.value}"
        step = self._start_step(key, description, is_command=False)
        started = time.monotonic()
        try:
            connection = connect(where)
        except SshError as exc:
            message = redact(str(exc), self.secrets)
            _close_step(step, StepStatus.FAILED, started, message)
            _record_connect_failure(server, exc, message)
            raise
        if not server.host_key:
            _pin_host_key(server, connection)
        _close_step(step, StepStatus.SUCCEEDED, started, f"Host key {connection.host_key_fingerprint}\n")
        server.connection_status = ConnectionStatus.CONNECTED
        server.connection_error = ""
        server.last_connected_at = timezone.now()
        server.save(update_fields=["connection_status", "connection_error", "last_connected_at"])
        return connection

    def close(self) -> None:
        for connection in self._connections.values():
            # The job's outcome is already recorded; a failed goodbye changes nothing.
            with suppress(SshError):
                connection.close()
        self._connections.clear()

    # -- journal -------------------------------------------------------------------------------

    def _next_key(self) -> str:
        frame = self._frames[-1]
        frame.steps += 1
        return f"{frame.key}#{frame.steps}"

    def _section_label(self) -> str:
        return " > ".join(f.key.rsplit("/", 1)[-1].split("[")[0] for f in self._frames[1:])

    def _start_step(self, key: str, description: str, *, is_command: bool, **final: object) -> JobStep:
        self._seq += 1
        return JobStep.objects.create(
            job=self.job,
            seq=self._seq,
            key=key,
            section=self._section_label(),
            description=description,
            is_command=is_command,
            **final,
        )

    def _record_skipped(self, key: str, description: str, digest: str) -> None:
        self._start_step(
            key,
            description,
            is_command=True,
            command_hash=digest,
            status=StepStatus.SKIPPED,
            output="Skipped: this step succeeded in an earlier attempt.",
            finished_at=timezone.now(),
            duration_ms=0,
        )


def _holds_lock(server_id: int, job_id: int) -> bool:
    """Whether the job holds the server's lock. The lock row goes in the same transaction that
    takes the job out of RUNNING (the reaper, the job's end), so the row alone says both.

    Asked before every step, so asked in plain SQL: building the ORM query cost more than a
    millisecond a step, a third of what a trivial command costs on a warm connection."""
    with database.cursor() as cursor:
        cursor.execute(_HOLDS_LOCK_SQL, [server_id, job_id])
        return cursor.fetchone() is not None


_HOLDS_LOCK_SQL = f"SELECT 1 FROM {ServerLock._meta.db_table} WHERE server_id = %s AND job_id = %s"  # noqa: S608 - a table name, no input


def _pin_host_key(server: Server, connection: Connection) -> None:
    server.host_key = connection.host_key
    server.host_key_fingerprint = connection.host_key_fingerprint
    server.host_key_pinned_at = timezone.now()
    server.save(update_fields=["host_key", "host_key_fingerprint", "host_key_pinned_at"])
    HostKeyEvent.objects.create(
        server=server,
        action=HostKeyEvent.Action.PINNED,
        fingerprint=connection.host_key_fingerprint,
    )


def _redacted(value: Any, secrets: Secrets) -> Any:
    """A job's result with every text in it redacted, and long texts cut to their tail."""
    if isinstance(value, str):
        return redact_tail(value, RESULT_TEXT_CHARS, secrets)
    if isinstance(value, dict):
        return {key: _redacted(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    return value


def _record_connect_failure(server: Server, exc: SshError, message: str) -> None:
    if isinstance(exc, HostKeyMismatch):
        server.connection_status = ConnectionStatus.HOST_KEY_CHANGED
        server.presented_host_key = exc.presented_key
        server.presented_host_key_fingerprint = exc.presented_fingerprint
        HostKeyEvent.objects.create(
            server=server,
            action=HostKeyEvent.Action.REFUSED,
            fingerprint=exc.presented_fingerprint,
            previous_fingerprint=exc.expected_fingerprint,
        )
    elif isinstance(exc, ConnectFailed):
        server.connection_status = ConnectionStatus.FAILED
    server.connection_error = message
    server.save(
        update_fields=[
            "connection_status",
            "connection_error",
            "presented_host_key",
            "presented_host_key_fingerprint",
        ]
    )
