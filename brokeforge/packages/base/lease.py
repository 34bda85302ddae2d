"""The server's own lease: commands of two jobs never run on one server at the same time.

The job layer (jobs/journal.py) wraps every command it runs with `leased()`; it lives here, beside
Command, because the authorize script that creates the lease directory is a package's.

The panel's lock (ServerLock) says which job may work on a server, but a worker can lose it
without knowing: paused (SIGSTOP, a frozen VM) or cut off from the database past the stall
limit, the reaper frees its lock and the next job starts, while the first worker's command still
runs on the server and its next one may follow. So the server checks too, for every command:

- the first command a job runs on a server claims the lease: it writes the job's name into the
  lease file, then waits for every command of another job still running there (and says so in
  its output);
- every command first announces itself (a marker file named after its PID, holding its job's
  name and its start time), then runs only if the lease file still names its job. Announce then
  check, against take then look: a command of the old job is either waited for, or refused.
  A job whose lock was taken over is refused by the server itself, even if its panel-side
  check raced.

It costs shell builtins only (a `flock` process per command cost 3 ms, as much as the command
itself on a warm connection). The markers also say which process group to stop when the panel
stops following a command (stop_script).

The files live in /run (gone at reboot, along with every command that held it), in a directory
root and the brokeforge user share through their group (see users/authorize.sh.j2).
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.utils.crypto import salted_hmac

from brokeforge.lib.templates import render

LEASE_DIR = "/run/brokeforge"
# How long a stopped command has between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 3
# The exit status and stderr line of a command the server refused to run for a job that no
# longer holds it. Both must match: a command may exit 75 for reasons of its own.
REFUSED_EXIT = 75
REFUSED_MARKER = "brokeforge: lease refused"

_HOLDER_RE = re.compile(r"^[a-z0-9-]+/job-[0-9]+/[0-9]{1,19}$")


def holder(job_id: int, started_ns: int) -> str:
    """How the lease names a job: its panel (two panels may manage one server), its number, and
    when it started under its server's lock (ns since the epoch). A job that started earlier
    never takes the lease back from one that started later: a stale job that resumes after the
    reaper gave its server away is refused, instead of stopping the job that has it now."""
    panel = salted_hmac("brokeforge.jobs.lease", "panel", secret=settings.SECRET_KEY).hexdigest()[:12]
    return f"panel-{panel}/job-{job_id}/{started_ns}"


def leased(script: str, job_holder: str, *, claim: bool, lease_dir: str = LEASE_DIR) -> str:
    """`script` wrapped to run under the lease: claiming it for the job, or checking it still does."""
    before, after = _wrapper(_checked(job_holder), claim, lease_dir)
    return f"{before}{script}{after}"


# Stands for the command while the wrapper is rendered: rendered once per job and kind, the
# wrapper then costs a string join per command.
_SCRIPT_SLOT = "\0brokeforge-script\0"


@cache
def _wrapper(job_holder: str, claim: bool, lease_dir: str) -> tuple[str, str]:
    rendered = render(
        "jobs/lease.sh.j2",
        script=_SCRIPT_SLOT,
        holder=job_holder,
        panel=job_holder.split("/")[0],
        started=job_holder.rsplit("/", 1)[1],
        claim=claim,
        lease_dir=lease_dir,
        refused_exit=REFUSED_EXIT,
        refused_marker=REFUSED_MARKER,
    )
    before, after = rendered.split(_SCRIPT_SLOT)
    return before, after


def stop_script(job_holder: str, lease_dir: str = LEASE_DIR) -> str:
    """Stops the job's command if it still runs on the server: SIGTERM, then SIGKILL after a grace.

    SSH's own signal request cannot do this: OpenSSH refuses it for root's sessions."""
    return render(
        "jobs/stop.sh.j2",
        holder=_checked(job_holder),
        lease_dir=lease_dir,
        grace_tenths=STOP_GRACE_SECONDS * 10,
    )


def _checked(job_holder: str) -> str:
    if not _HOLDER_RE.fullmatch(job_holder):
        raise ValueError(f"Invalid lease holder {job_holder!r}")
    return job_holder


def was_refused(exit_code: int | None, stderr: str) -> bool:
    return exit_code == REFUSED_EXIT and REFUSED_MARKER in stderr
