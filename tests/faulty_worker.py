"""`python -m tests.faulty_worker worker`: a worker whose heartbeats never reach the database.

The fault is injected where a PostgreSQL failover or a locked SQLite file would strike: the
heartbeat's write raises a DatabaseError, while the job's own thread goes on working.
"""

from django.db import OperationalError

from brokeforge.cli.main import cli, setup_django

setup_django()

from brokeforge.jobs import queue  # noqa: E402  (models load only once Django is set up)


def _unreachable(job_id: int) -> bool:
    raise OperationalError("injected fault: the database cannot be reached")


queue._write_heartbeat = _unreachable
cli(prog_name="brokeforge")
