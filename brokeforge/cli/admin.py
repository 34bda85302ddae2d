"""The first admin account, created when `brokeforge serve` starts on an empty database."""

from __future__ import annotations

import os
import secrets
import sys

import click
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from brokeforge.cli import output

USERNAME_ENV = "BROKEFORGE_ADMIN_USERNAME"
PASSWORD_ENV = "BROKEFORGE_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a password)
GENERATED_USERNAME = "admin"


def ensure_first_admin() -> str | None:
    """Create the first admin if there is no user yet; returns the new username, if any."""
    users = get_user_model().objects
    if users.exists():
        return None
    username, password, generated = first_admin_credentials()
    users.create_superuser(username=username, email="", password=password)
    if generated:
        announce_generated(username, password)
    else:
        output.console().print(f"Created the first admin user {username!r}.")
    return username


def first_admin_credentials() -> tuple[str, str, bool]:
    """From the environment, else from whoever is at the terminal, else generated."""
    username, password = os.environ.get(USERNAME_ENV), os.environ.get(PASSWORD_ENV)
    if username and password:
        return username, password, False
    if sys.stdin.isatty():
        return *prompt_credentials(), False
    return GENERATED_USERNAME, secrets.token_urlsafe(18), True


def prompt_credentials() -> tuple[str, str]:
    click.echo("No user exists yet: create the first admin account.")
    username: str = click.prompt("Username", default=GENERATED_USERNAME)
    while True:
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            validate_password(password, get_user_model()(username=username))
        except ValidationError as exc:
            click.echo(" ".join(exc.messages), err=True)
            continue
        return username, password


def announce_generated(username: str, password: str) -> None:
    # Straight to the console, never through logging, so the password reaches no log file;
    # it is shown this once and stored only as a hash.
    output.console().print(
        output.text(
            "\n",
            ("First admin account created. Note the password now: it is not shown again.", "bold yellow"),
            "\n  username: ",
            (username, "bold"),
            "\n  password: ",
            (password, "bold"),
            "\n",
        )
    )
