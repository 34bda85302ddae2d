"""A site's files and logs through the CLI on a provisioned server: browse, read and write as the
site user; every path that leads outside the site refused with nothing changed; a binary file
refused for editing; the access, PHP and application logs, and a log followed live.

One server, one PHP site for all of it (the server boots once)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import Panel, ProvisionedServer
from tests.e2e.test_sites import add, curl
from tests.testbed import BootedServer
from tests.workers import REPO, wait_for

pytestmark = pytest.mark.servers

BOOM_PHP = '<?php trigger_error("boom-from-e2e", E_USER_WARNING); echo "still here";\n'


def as_user(srv: BootedServer, user: str, script: str) -> str:
    return srv.run(f"su -s /bin/bash {user} -c {shlex.quote(script)}").stdout


def tree(srv: BootedServer, home: str) -> str:
    """Everything under the site user's home, with sizes and times: a change shows."""
    return srv.run(f"cd {home} && find . -printf '%p %y %s %m %T@ %l\\n' | sort").stdout


def at_once(panel: Panel, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess[str]]:
    """CLI commands that do not depend on each other, run side by side."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: panel.cli(*args, check=False), commands))


def test_site_files_and_logs(panel: Panel, provisioned_server: ProvisionedServer, tmp_path: Path) -> None:
    srv = provisioned_server.srv
    site = add(panel, provisioned_server.server_id, "files.test")
    sid, user, path = str(site["id"]), site["user"], site["path"]
    home = f"/home/{user}"
    files = ("sites", "files", sid)
    # What the site user may well make: a symlink out, a name with a newline, a binary file, a log.
    as_user(
        srv,
        user,
        f"cd {path} && ln -s /etc etc-link && touch $'we\\nird' && printf 'GIF\\0\\1' > shared/logo.gif"
        " && mkdir -p current/storage/logs && echo local.ERROR: app-e2e > current/storage/logs/laravel.log",
    )

    # Browse: the site's layout, `current` a symlink into releases/, listed where it resolves.
    top, public, index, gif, app = at_once(
        panel,
        (*files, "ls", "--json"),
        (*files, "ls", "current/public", "--json"),
        (*files, "cat", "current/public/index.html"),
        (*files, "cat", "shared/logo.gif", "--json"),
        ("sites", "logs", sid, "--kind", "app"),
    )
    by_name = {entry["name"]: entry for entry in json.loads(top.stdout)["entries"]}
    assert {"current", "releases", "shared", "etc-link", "we\nird"} <= set(by_name)
    assert (by_name["current"]["type"], by_name["current"]["target"]) == ("symlink", "releases/initial")
    assert json.loads(public.stdout)["path"] == "releases/initial/public"
    assert [(e["name"], e["owner"]) for e in json.loads(public.stdout)["entries"]] == [("index.html", user)]
    assert "<h1>files.test</h1>" in index.stdout
    assert {k: json.loads(gif.stdout)[k] for k in ("binary", "text", "size")} == {
        "binary": True,
        "text": None,
        "size": 5,
    }
    assert app.stdout == "local.ERROR: app-e2e\n"

    # Write: a new file and an existing one, as the site user, atomically; the mode is kept.
    new = tmp_path / "boom.php"
    new.write_text(BOOM_PHP)
    job = panel.json(*files, "write", "current/public/boom.php", "--from", str(new), "--wait")
    assert job["status"] == "succeeded", job
    written = f"{path}/releases/initial/public/boom.php"
    assert srv.run(f"cat {written}").stdout == BOOM_PHP
    assert srv.run(f"stat -c '%U:%G %a' {written}").stdout.strip() == f"{user}:{user} 644"
    srv.run(f"chmod 0664 {path}/current/public/index.html")
    page = tmp_path / "index.html"
    page.write_text("<h1>edited</h1>\n")
    panel.cli(*files, "write", "current/public/index.html", "--from", str(page), "--wait")
    assert srv.run(f"stat -c '%U %a' {path}/current/public/index.html").stdout.strip() == f"{user} 664"
    assert "<h1>edited</h1>" in curl(srv, "files.test").stdout

    # What leads outside is refused, whatever the way, and nothing changes: no file, no job.
    srv.run(f"echo root > {path}/shared/root-owned")  # inside, but not the site user's to write
    before = tree(srv, home)
    refusals = {
        ("cat", "/etc/shadow"): "leads outside",
        ("ls", "../../.."): "leads outside",
        ("write", "/etc/evil.conf", "--from", str(page)): "leads outside",
        ("ls", "etc-link"): "leads outside",
        ("write", "etc-link/evil.conf", "--from", str(page)): "leads outside",
        ("write", "../../../tmp/evil", "--from", str(page)): "leads outside",
        ("cat", "we\nird"): "has a newline in it",
        ("write", "shared/logo.gif", "--from", str(page)): "is a binary file",
        ("write", "shared/root-owned", "--from", str(page)): "cannot be written by the site's user",
    }
    answers = at_once(panel, *[(*files, *args) for args in refusals])
    for (args, reason), answer in zip(refusals.items(), answers, strict=True):
        assert answer.returncode != 0 and reason in answer.stderr, (args, answer.stderr)
    assert tree(srv, home) == before
    # The site's jobs: its creation and the two writes, none for a refusal.
    assert len(panel.json("jobs", "list", "--site", sid)) == 3
    assert srv.run("test -e /etc/evil.conf || test -e /tmp/evil", check=False).returncode == 1

    # Logs: requests in the access log, a PHP warning in the pool's log; one followed live: its
    # last line, then a new request as it happens, until its time limit.
    for n in range(3):
        curl(srv, "files.test", f"/hello-{n}")
    assert "still here" in curl(srv, "files.test", "/boom.php").stdout
    follower = follow(panel, sid, "--kind", "access", "--lines", "1", "--seconds", "8")
    try:
        access, php = at_once(
            panel,
            ("sites", "logs", sid, "--kind", "access", "--lines", "10", "--json"),
            ("sites", "logs", sid, "--kind", "php", "--json"),
        )
        tail = json.loads(access.stdout)
        assert tail["path"] == "/var/log/nginx/files.test-access.log"
        assert all(f"GET /hello-{n} " in tail["text"] for n in range(3))
        php_tail = json.loads(php.stdout)
        assert php_tail["path"] == f"{home}/.logs/php-error.log" and "boom-from-e2e" in php_tail["text"]
        wait_for(lambda: "GET /boom.php " in follower.lines(), 15, "the last line of the access log")
        curl(srv, "files.test", "/followed-e2e")
        wait_for(lambda: "GET /followed-e2e " in follower.lines(), 15, "the new line")
        assert follower.process.wait(timeout=20) == 0
    finally:
        follower.process.kill()
    wait_for(lambda: srv.run("pgrep -x tail", check=False).stdout == "", 10, "tail to end on the server")


class Follower:
    """`brokeforge sites logs --follow --json` running: what it printed so far, line by line."""

    def __init__(self, process: subprocess.Popen[str], out: Path) -> None:
        self.process, self.out = process, out

    def lines(self) -> str:
        return "\n".join(json.loads(line)["line"] for line in self.out.read_text().splitlines())


def follow(panel: Panel, sid: str, *options: str) -> Follower:
    out = panel.home.parent / "follow.out"
    command = [sys.executable, "-m", "brokeforge.cli", "sites", "logs", sid, "--follow", "--json", *options]
    with out.open("w") as sink:
        process = subprocess.Popen(
            command, cwd=REPO, env=panel.env, stdout=sink, stderr=subprocess.PIPE, text=True
        )
    return Follower(process, out)
