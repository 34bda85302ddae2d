"""A site's logs: the last lines of one, or the same followed live. Reads only: they run at once
(jobs/direct.py), outside the server's queue."""

from __future__ import annotations

from collections.abc import Callable

from brokeforge.actions import ActionError
from brokeforge.actions.sites.explorer import reading
from brokeforge.lib.enums import CredentialType
from brokeforge.packages.services.sites.logs.reader import LogKind, LogTail, SiteLogReader, check_lines
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.sites.models import Site


def _reader(site: Site) -> SiteLogReader:
    try:
        return SiteLogReader(site.server, SiteSpec.of(site))
    except ValueError as exc:
        raise ActionError(str(exc)) from None


def log_kinds(site: Site) -> list[LogKind]:
    return _reader(site).kinds()


def read_log(site: Site, kind: str, lines: int | str) -> LogTail:
    reader = _reader(site)
    try:
        log, count = reader.kind(kind), check_lines(lines)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    with reading(site):
        return reader.tail(log, count)


def follow_log(
    site: Site,
    kind: str,
    lines: int | str,
    seconds: int,
    on_output: Callable[[str], None],
    keep_going: Callable[[], bool],
) -> bool:
    """Hand the log's last `lines` lines, then each new one, to `on_output` as they come, for at
    most `seconds`, or until `keep_going()` says no. True if it ran to its time limit."""
    reader = _reader(site)
    try:
        command = reader.follow_command(kind, lines, seconds)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    with reading(site) as runner:
        result = runner.follow(command, CredentialType.BROKEFORGE, on_output, keep_going)
        if result is None:
            return False
        reader.judge(LogKind(kind), result)
    return True
