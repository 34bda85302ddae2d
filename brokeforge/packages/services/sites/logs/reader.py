"""The last lines of a site's logs, and the same followed live: Nginx's access and error logs,
the PHP-FPM pool's log, the application's own log (Laravel: the newest storage/logs/*.log).

Only reads, run at once through a direct runner (jobs/direct.py); nothing here is a job. Each
log is read by the least privileged user who can: the site user for the files the site writes
itself, confined to the site like the file explorer; root only for Nginx's logs, at a path made
from the site's validated domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from brokeforge.lib.enums import CredentialType
from brokeforge.lib.templates import render
from brokeforge.packages.base import Command
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.explorer import confine
from brokeforge.packages.services.sites.explorer.confine import Refusal, judge
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server
from brokeforge.ssh import CommandResult

MAX_LINES = 5000
DEFAULT_LINES = 100
MAX_FOLLOW_SECONDS = 3600
# Where a Laravel application logs, inside the live release; the file its default channel writes.
APP_LOG_DIR = "current/storage/logs"
APP_LOG_DEFAULT = "laravel.log"
PHP_LOG = "php-error.log"  # the pool's error_log (templates/sites/php-fpm-pool.conf.j2)
# Reading the last lines of a log: one SSH command, a few megabytes at most.
READ_TIMEOUT = 60
# The panel waits this much longer than a followed log's own time limit on the server.
FOLLOW_GRACE_SECONDS = 15
# What `timeout` exits with once a followed log's time is up.
TIME_LIMIT_EXIT = 124


class LogKind(models.TextChoices):
    ACCESS = "access", "Nginx access log"
    ERROR = "error", "Nginx error log"
    PHP = "php", "PHP-FPM pool log"
    APP = "app", "Application log"


@dataclass(frozen=True)
class LogTail:
    kind: LogKind
    # The file read, on the server; `exists` is False for a log nothing was written to yet.
    path: str
    exists: bool
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "path": self.path, "exists": self.exists, "text": self.text}


def check_lines(lines: int | str) -> int:
    try:
        number = int(lines)
    except (TypeError, ValueError):
        raise ValueError(f"Lines must be a number, got {lines!r}.") from None
    if not 1 <= number <= MAX_LINES:
        raise ValueError(f"Lines must be between 1 and {MAX_LINES}, got {number}.")
    return number


def check_seconds(seconds: int) -> int:
    if not 1 <= seconds <= MAX_FOLLOW_SECONDS:
        raise ValueError(f"A log is followed for 1 to {MAX_FOLLOW_SECONDS} seconds, got {seconds}.")
    return seconds


class SiteLogReader:
    """Commands that read one site's logs, and the reads themselves through the runner."""

    def __init__(self, server: Server, spec: SiteSpec) -> None:
        self.server = server
        self.spec = spec

    def kinds(self) -> list[LogKind]:
        """The logs this site has: PHP's and the application's only where PHP runs."""
        if self.spec.php_version is None:
            return [LogKind.ACCESS, LogKind.ERROR]
        return list(LogKind)

    def kind(self, value: str) -> LogKind:
        """The log called `value`, or ValueError naming those this site has."""
        kinds = self.kinds()
        if value not in kinds:
            names = ", ".join(kind.value for kind in kinds)
            raise ValueError(f"{self.spec.domain} has no {value!r} log; it has: {names}.")
        return LogKind(value)

    def tail_command(self, kind: str, lines: int | str) -> Command:
        return self._command(self.kind(kind), check_lines(lines), follow=False, seconds=0)

    def follow_command(self, kind: str, lines: int | str, seconds: int) -> Command:
        """`tail -F` of the log for at most `seconds`; its output is the log's lines as they come."""
        return self._command(self.kind(kind), check_lines(lines), follow=True, seconds=check_seconds(seconds))

    def tail(self, kind: str, lines: int = DEFAULT_LINES) -> LogTail:
        command = self.tail_command(kind, lines)
        result = self.judge(LogKind(kind), runner().command(self.server, command, CredentialType.BROKEFORGE))
        exists, path, text = result.stdout.split("\0", 2)
        return LogTail(LogKind(kind), path, exists == "1", text)

    def judge(self, kind: LogKind, result: CommandResult) -> CommandResult:
        """A read's result, or Refused / CommandFailed (confine.judge). A followed log that
        reached its time limit ended as it should."""
        if result.exit_code == TIME_LIMIT_EXIT:
            return result
        log = LogFile.of(self.spec, kind)
        return judge(result, log.named, log.base or "")

    def _command(self, kind: LogKind, lines: int, follow: bool, seconds: int) -> Command:
        log = LogFile.of(self.spec, kind)
        script = log.script(kind.label.lower(), lines, follow, seconds)
        timeout = seconds + FOLLOW_GRACE_SECONDS if follow else READ_TIMEOUT
        if log.base is None:
            return Command(script, credential=CredentialType.ROOT, check=False, timeout=timeout)
        return Command(script, site_user=self.spec.user, check=False, timeout=timeout)


@dataclass(frozen=True)
class LogFile:
    """Where a log is, and so who reads it.

    Nginx's logs (`base` None) are read as root: Nginx writes them as root, readable by root and
    group adm only, in a directory only root may write to, and their path is fixed, made from
    the site's validated domain; never a path a user gave. The logs the site writes itself are
    read as the site user, confined to `base` like the file explorer: never as root, who would
    follow any symlink the site put in their place. Such a log is the file `path`, or the newest
    *.log in the directory `newest_in`.
    """

    path: str = ""
    base: str | None = None
    newest_in: str = ""

    @classmethod
    def of(cls, spec: SiteSpec, kind: LogKind) -> LogFile:
        if kind == LogKind.PHP:
            return cls(PHP_LOG, base=spec.log_dir)
        if kind == LogKind.APP:
            return cls(base=spec.path, newest_in=APP_LOG_DIR)
        return cls(spec.nginx_log(kind.value))

    @property
    def named(self) -> str:
        """How a refusal names the log: the path its script was given."""
        return self.path or self.newest_in

    def script(self, what: str, lines: int, follow: bool, seconds: int) -> str:
        options = {"what": what, "lines": lines, "follow": follow, "seconds": seconds}
        if self.base is None:
            return render("sites/logs/root.sh.j2", path=self.path, codes=Refusal, **options)
        return confine.script(
            "sites/logs/site-user.sh.j2",
            self.base,
            path=self.path,
            newest_in=self.newest_in,
            default_name=APP_LOG_DEFAULT,
            **options,
        )
