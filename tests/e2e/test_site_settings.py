"""A site's settings, environment file and commands, on one provisioned server the tests of this
module share (each on a site of its own; none reads another's).

Settings (`sites update`): new aliases, web directory and redirect answer, the site answering every
request meanwhile; a change Nginx refuses (a user's include left broken) is rolled back with the
site still serving and its record unchanged, and a retry completes once it is fixed. (A PHP version
change needs two installed versions; the image has one: its steps are unit-tested.)

Environment (`sites env`): values with every character that needs care are on the server byte for
byte as the unit-tested renderer writes them, and Laravel's own reader (phpdotenv, from Debian's
archive) reads back exactly what was typed; our reader agrees with phpdotenv on a corpus of files
in every form; the file is 0600 and the site user's, its values masked unless revealed and absent
from the journal; a change is undone, and undone again.

Commands (`sites run`): they run in the live release as the site user; a failing one keeps its exit
code and error output; one past its timeout is stopped on the server with all it started (nothing
of the site user's left running) and still hands back what it printed; the history shows each with
its output, error output, exit code and duration.
"""

from __future__ import annotations

import hashlib
import json
import random
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from brokeforge.packages.services.sites.env import dotenv
from tests.e2e.conftest import Panel, ProvisionedServer
from tests.e2e.test_sites import curl, serves
from tests.testbed import BootedServer, Testbed
from tests.testbed.panel import create_panel, provision
from tests.workers import wait_for

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def shared(
    testbed: Testbed, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Panel, ProvisionedServer]]:
    """One panel and one provisioned server for the whole module: booting and provisioning one
    costs more than most checks here."""
    panel = create_panel(tmp_path_factory.mktemp("site-settings-panel"))
    srv = testbed.boot("site-settings", provisioned=True)
    try:
        server_id, _seconds = provision(panel, srv, "site-settings")
        yield panel, ProvisionedServer(srv, server_id, "site-settings")
    finally:
        panel.workers.stop()
        srv.stop()


VHOST = "/etc/nginx/sites-enabled/shop.test.conf"
BROKEN = "/etc/nginx/brokeforge-sites/shop.test/server/broken.conf"


def update(panel: Panel, site_id: int, *options: str) -> dict[str, Any]:
    """`sites update ... --wait --json`: the site as the job left it, its job, and the CLI's exit code."""
    result = panel.cli("sites", "update", str(site_id), *options, "--wait", "--json", check=False)
    return {"exit": result.returncode, **json.loads(result.stdout)}


@contextmanager
def requested_all_along(srv: BootedServer, host: str) -> Iterator[list[str]]:
    """Requests `host` without pause while the block runs; then the status codes it got."""
    loop = (
        "while [ ! -e /tmp/stop ]; do curl -s -o /dev/null -w '%{http_code}\\n' "
        f"-H {shlex.quote(f'Host: {host}')} http://127.0.0.1/; sleep 0.02; done > /tmp/codes; "
        "touch /tmp/stopped"
    )
    srv.run(f"rm -f /tmp/stop /tmp/stopped; setsid sh -c {shlex.quote(loop)} > /dev/null 2>&1 < /dev/null &")
    codes: list[str] = []
    try:
        yield codes
    finally:
        srv.run("touch /tmp/stop")
        wait_for(
            lambda: srv.run("test -e /tmp/stopped", check=False).returncode == 0, 10, "the requests to end"
        )
    codes += srv.run("cat /tmp/codes").stdout.split()


def test_site_settings(shared: tuple[Panel, ProvisionedServer]) -> None:
    panel, server = shared
    server_id, srv = server.server_id, server.srv
    site = panel.json(
        "sites", "add", str(server_id), "--domain", "shop.test", "--aliases", "a.shop.test", "--wait"
    )
    assert site["status"] == "active", site["job"]
    site_id = site["id"]
    serves(srv, "a.shop.test", "<h1>shop.test</h1>")

    # Other names and a redirect, while a client requests the site without pause: never a miss.
    with requested_all_along(srv, "shop.test") as codes:
        changed = update(panel, site_id, "--aliases", "b.shop.test,c.shop.test", "--redirect", "www-to-apex")
    assert changed["exit"] == 0 and changed["job"]["status"] == "succeeded", changed
    assert len(codes) > 20 and set(codes) == {"200"}, codes
    assert (changed["aliases"], changed["redirect"]) == (["b.shop.test", "c.shop.test"], "www-to-apex")
    serves(srv, "c.shop.test", "<h1>shop.test</h1>")
    moved = curl(srv, "www.shop.test", "/x", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
    assert moved.stdout == "301 http://shop.test/x"
    assert "<h1>shop.test</h1>" not in curl(srv, "a.shop.test").stdout  # the old alias is gone

    # A web directory of its own: made in the live release as the site user, served at once.
    changed = update(panel, site_id, "--web-dir", "web")
    assert changed["web_directory"] == "web", changed
    serves(srv, "shop.test", "/home/shop_test/shop.test/current/web")
    owner = srv.run("stat -c %U /home/shop_test/shop.test/releases/initial/web/index.html").stdout
    assert owner.strip() == "shop_test"

    # A user's broken include: the new vhost is refused and rolled back, the site serves on.
    before = srv.run(f"md5sum {VHOST}").stdout
    srv.run(f"echo 'not_a_directive on;' > {BROKEN}")
    refused = update(panel, site_id, "--aliases", "d.shop.test")
    assert refused["exit"] == 1 and refused["job"]["status"] == "failed", refused
    assert 'unknown directive "not_a_directive"' in refused["job"]["error"]
    # The record says what the server still serves; the site is as active as it was.
    assert (refused["aliases"], refused["status"]) == (["b.shop.test", "c.shop.test"], "active")
    assert srv.run(f"md5sum {VHOST}").stdout == before
    serves(srv, "b.shop.test", "/home/shop_test/shop.test/current/web")
    srv.run(f"rm {BROKEN}")
    retried = panel.cli("jobs", "retry", str(refused["job"]["id"]), "--wait")
    assert retried.returncode == 0, retried.stdout
    serves(srv, "d.shop.test", "/home/shop_test/shop.test/current/web")
    assert panel.json("sites", "show", str(site_id))["aliases"] == ["d.shop.test"]

    # What cannot change says so.
    result = panel.cli("sites", "update", str(site_id), "--domain", "other.test", check=False)
    assert result.returncode == 2 and "domain cannot change" in result.stderr, result.stderr
    assert srv.run("test -f /etc/php/8.2/fpm/pool.d/shop_test.conf", check=False).returncode == 0


ENV = "/home/env_test/env.test/shared/.env"
# What a user may type as a value; each must come back exactly. (No value shorter than 4
# characters: the journal only masks secrets from that length on.)
VALUES = {
    "QUOTES": "he said \"hi\" and 'bye'",
    "DOLLARS": "$HOME ${APP_NAME} $(id) `id`",
    "HASHES": "#not a comment # nor this",
    "BACKSLASHES": "C:\\path\\n\\t \\\\ end\\",
    "SPACES": "  padded on both sides  ",
    "EQUALS": "a=b==c=",
    "UNICODE": "café ✓ 💥 日本語",
    "NEWLINES": "line one\nline two\r\nline three",
    "APP.KEY_1": "base64:dGhpcyBpcyBub3QgYSByZWFsIGtleSAxMjM0NQ==",
}
# Reads files with Laravel's reader: each file's entries (name, characters, refers to others) or
# its error, as JSON; and the values a Laravel application ends up with for the site's .env.
PHP_READER = r"""
require '/usr/share/php/Dotenv/autoload.php';
$out = ['files' => []];
foreach (json_decode(stream_get_contents(STDIN), true) as $text) {
    try {
        $entries = [];
        foreach ((new Dotenv\Parser\Parser())->parse($text) as $entry) {
            $value = $entry->getValue();
            $entries[] = $value->isDefined()
                ? [$entry->getName(), $value->get()->getChars(), count($value->get()->getVars()) > 0]
                : [$entry->getName(), null, false];
        }
        $out['files'][] = ['ok', $entries];
    } catch (Dotenv\Exception\InvalidFileException $e) {
        $out['files'][] = ['error', $e->getMessage()];
    }
}
$out['loaded'] = Dotenv\Dotenv::createArrayBacked(getenv('SHARED'))->load();
echo json_encode($out);
"""


def env(panel: Panel, site_id: int, *options: str) -> dict[str, Any]:
    result = panel.cli("sites", "env", str(site_id), *options, "--json", check=False)
    return {"exit": result.returncode, "stderr": result.stderr, **json.loads(result.stdout or "{}")}


def sha256_on(srv: BootedServer, path: str) -> str:
    return srv.run(f"sha256sum < {shlex.quote(path)}").stdout.split()[0]


def corpus() -> list[str]:
    """Files in every form phpdotenv reads or refuses, made of the characters that matter."""
    pieces = [*"ab Z_=$#'\"\\\n\r\t{}().-é✓", "${A}", "export ", "\x0b", '="', "\\n", "\\\\", "\r\n", "\nK="]
    rng = random.Random(8)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 24))) for _ in range(1500)]
    return texts + [f"K={text}" for text in texts[:700]] + [f'K="{text}' for text in texts[:500]]


def ours(text: str) -> list[Any]:
    """What our reader makes of a file, as PHP_READER says it: its entries, or that it refuses it."""
    try:
        return ["ok", [[v.key, v.value, v.references] for v in dotenv.parse(text)]]
    except dotenv.DotenvError as exc:
        return ["error", str(exc)]


def agree(text: str, theirs: list[Any]) -> bool:
    mine = ours(text)
    return mine[0] == theirs[0] == "error" or mine == theirs


def test_the_environment_file(shared: tuple[Panel, ProvisionedServer], tmp_path: Path) -> None:
    panel, server = shared
    server_id, srv = server.server_id, server.srv
    site = panel.json("sites", "add", str(server_id), "--domain", "env.test", "--wait")
    assert site["status"] == "active", site["job"]
    site_id = site["id"]

    # Each value set as a variable: written quoted, byte for byte what the renderer makes.
    options = [word for name, value in VALUES.items() for word in ("--var", f"{name}={value}")]
    job = env(panel, site_id, *options, "--wait")
    assert job["status"] == "succeeded", job
    assert sha256_on(srv, ENV) == hashlib.sha256(dotenv.render(VALUES).encode()).hexdigest()
    assert srv.run(f"stat -c '%U %a' {ENV}").stdout.strip() == "env_test 600"

    # Laravel's reader reads back exactly what was typed, and agrees with ours on every file.
    srv.run("apt-get install -y -q --no-install-recommends php-vlucas-phpdotenv", timeout=300)
    texts = corpus()
    read = json.loads(
        srv.run(
            f"SHARED=/home/env_test/env.test/shared php -r {shlex.quote(PHP_READER)}", input=json.dumps(texts)
        ).stdout
    )
    assert read["loaded"] == VALUES
    disagree = [(t, theirs) for t, theirs in zip(texts, read["files"], strict=True) if not agree(t, theirs)]
    # Only where we refuse what phpdotenv silently drops: a double-quoted value never closed.
    dropped = [theirs[0] == "ok" and "never closed" in ours(text)[1] for text, theirs in disagree]
    assert all(dropped) and len(disagree) < len(texts) / 4, disagree[:5]

    # Masked unless revealed; never in the journal.
    shown = env(panel, site_id)
    assert (shown["path"], shown["exists"], shown["has_previous"]) == (ENV, True, False)
    assert {v["name"]: v["value"] for v in shown["variables"]} == dict.fromkeys(VALUES, "••••••")
    revealed = env(panel, site_id, "--reveal")
    assert {v["name"]: v["value"] for v in revealed["variables"]} == VALUES
    assert revealed["content"] == dotenv.render(VALUES)
    journal = panel.cli("jobs", "show", str(job["id"]), "--output", "--json").stdout
    assert not [
        name for name, value in VALUES.items() if value in journal or json.dumps(value)[1:-1] in journal
    ]

    # The whole file from a file; a file Laravel cannot read is refused before anything runs.
    raw = "# set from a file\nAPP_NAME='My app'\nAPP_URL=http://env.test\n"
    (tmp_path / "env").write_text(raw)
    assert env(panel, site_id, "--set", str(tmp_path / "env"), "--wait")["status"] == "succeeded"
    assert srv.run(f"cat {ENV}").stdout == raw
    (tmp_path / "bad").write_text("GREETING=hello world\n")
    refused = env(panel, site_id, "--set", str(tmp_path / "bad"))
    assert refused["exit"] == 2 and "Line 1: unexpected text after a value" in refused["stderr"]

    # Undo goes back to the variables; undo again brings the file back.
    assert env(panel, site_id, "--undo", "--wait")["status"] == "succeeded"
    assert sha256_on(srv, ENV) == hashlib.sha256(dotenv.render(VALUES).encode()).hexdigest()
    assert srv.run(f"cat {ENV}.previous").stdout == raw
    assert env(panel, site_id, "--undo", "--wait")["status"] == "succeeded"
    assert srv.run(f"cat {ENV}").stdout == raw
    assert srv.run(f"stat -c '%U %a' {ENV} {ENV}.previous").stdout.split() == ["env_test", "600"] * 2
    assert srv.run("ls -A /home/env_test/env.test/shared").stdout.split() == [".env", ".env.previous"]


def run(panel: Panel, site_id: int, *command: str, timeout: int = 30) -> tuple[int, dict[str, Any]]:
    """`sites run --wait --json`: the CLI's exit code and the job, with its result."""
    done = panel.cli(
        "sites",
        "run",
        str(site_id),
        "--timeout",
        str(timeout),
        "--wait",
        "--json",
        "--",
        *command,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_site_commands(shared: tuple[Panel, ProvisionedServer]) -> None:
    panel, server = shared
    server_id, srv = server.server_id, server.srv
    # A static site: no PHP-FPM workers of its own, so nothing else runs as its user.
    site = panel.json("sites", "add", str(server_id), "--domain", "cmd.test", "--type", "static", "--wait")
    assert site["status"] == "active", site["job"]
    site_id = site["id"]

    code, job = run(panel, site_id, "pwd", "-P", ";", "id", "-un")
    assert code == 0 and job["status"] == "succeeded", job
    assert job["result"]["output"] == "/home/cmd_test/cmd.test/releases/initial\ncmd_test\n"

    code, job = run(panel, site_id, "echo partial; echo 'it broke' >&2; exit 3")
    assert code == 1 and job["status"] == "failed", job
    result = job["result"]
    assert (result["exit_code"], result["output"], result["error_output"]) == (3, "partial\n", "it broke\n")
    assert result["duration_ms"] >= 0 and not result["timed_out"]

    # Past its timeout: stopped on the server, with what it started in the background too.
    code, job = run(panel, site_id, "sleep 600 & echo started; sleep 601; echo never", timeout=2)
    assert code == 1 and job["status"] == "failed", job
    result = job["result"]
    assert (result["exit_code"], result["output"], result["timed_out"]) == (124, "started\n", True), result
    assert 2000 <= result["duration_ms"] < 10_000
    assert "stopped on the server after its timeout of 2s" in job["error"]
    left = srv.run("pgrep -a -u cmd_test", check=False)
    assert left.returncode == 1, f"still running as cmd_test:\n{left.stdout}"

    history = panel.json("sites", "commands", str(site_id))
    assert [(j["result"]["exit_code"], j["status"]) for j in history] == [
        (124, "failed"), (3, "failed"), (0, "succeeded"),
    ]  # fmt: skip
    shown = " ".join(panel.cli("sites", "commands", str(site_id), "--output").stdout.split())  # unwrapped
    for text in ("it broke", "exit 3 in", "partial", "stopped after its timeout of 2s", "releases/initial"):
        assert text in shown, shown
