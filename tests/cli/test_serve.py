"""`brokeforge serve`: the first admin, and the whole panel started and stopped as a process."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from brokeforge.cli import admin

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_admin_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, django_user_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(admin.USERNAME_ENV, "boss")
    monkeypatch.setenv(admin.PASSWORD_ENV, "a long passphrase from env")
    assert admin.ensure_first_admin() == "boss"
    user = django_user_model.objects.get()
    assert user.is_superuser and user.check_password("a long passphrase from env")
    assert "a long passphrase from env" not in capsys.readouterr().out
    assert admin.ensure_first_admin() is None  # a user exists: nothing more is created
    assert django_user_model.objects.count() == 1


def test_generated_password_is_printed_once_and_never_logged(
    monkeypatch: pytest.MonkeyPatch,
    django_user_model: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(admin.USERNAME_ENV, raising=False)
    monkeypatch.delenv(admin.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: nobody to ask
    caplog.set_level(logging.DEBUG)
    assert admin.ensure_first_admin() == "admin"
    out = capsys.readouterr().out
    password = out.split("password:")[1].split()[0]
    assert len(password) >= 20 and out.count(password) == 1
    assert django_user_model.objects.get(username="admin").check_password(password)
    assert password not in caplog.text


def test_prompted_admin_when_at_a_terminal(monkeypatch: pytest.MonkeyPatch, django_user_model: Any) -> None:
    monkeypatch.delenv(admin.USERNAME_ENV, raising=False)
    monkeypatch.delenv(admin.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(admin, "prompt_credentials", lambda: ("alice", "typed at the terminal"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    assert admin.ensure_first_admin() == "alice"
    assert django_user_model.objects.get().check_password("typed at the terminal")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone already
            # The command name (in parentheses) may hold spaces: the parent PID follows the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def get_status(url: str) -> int | None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_answers_restarts_a_dead_worker_and_stops_its_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "BROKEFORGE_HOME": str(tmp_path / "home"),
        "BROKEFORGE_ADMIN_USERNAME": "admin",
        "BROKEFORGE_ADMIN_PASSWORD": "correct horse battery staple",
    }
    log = (tmp_path / "serve.log").open("w")
    command = [sys.executable, "-m", "brokeforge.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = wait_for(lambda: get_status(f"http://127.0.0.1:{port}/"), 60, "the panel to answer")
        assert status == 302, status  # to the login page
        workers = wait_for(lambda: len(children(process.pid)) == 2 and children(process.pid), 20, "2 workers")

        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        wait_for(lambda: len(children(process.pid) - {dead}) == 2, 20, "a replacement worker")
        workers = children(process.pid)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert not any(alive(pid) for pid in workers)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "starting a new one" in text
    assert "correct horse battery staple" not in text
