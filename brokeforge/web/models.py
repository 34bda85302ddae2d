"""The web panel's own table: failed sign-ins, counted where every panel process sees them."""

from __future__ import annotations

from django.db import models


class SignInFailures(models.Model):
    """Failed sign-ins for one key (an account, a client address, or the two together) in a window
    that opened with the first failure and closes at `window_ends`.

    A table rather than Django's cache: the cache's default backend lives in one process's memory
    (each uvicorn process and each machine of the scale-out mode would count apart), and its database
    backend increments with a read then a write, so failures sent in parallel could be lost. Here
    the database adds one in a single UPDATE, migrations create the table, and it works the same on
    SQLite and PostgreSQL.
    """

    key = models.CharField(max_length=80, unique=True)
    failures = models.PositiveIntegerField()
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} until {self.window_ends:%Y-%m-%d %H:%M:%S}"
