"""`brokeforge sites env`: values masked unless --reveal (which prints the file exactly); --set FILE
or stdin, --var/--unset and --undo queue jobs whose new file the queue keeps encrypted; bad input
exits 2 with nothing queued."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from brokeforge.actions.sites import env as env_actions
from brokeforge.cli.main import cli
from brokeforge.jobs.models import Job
from brokeforge.packages.services.sites.env.installer import EnvFile, unseal
from brokeforge.packages.services.sites.site.spec import SiteSpec
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site

from .conftest import Invoke

pytestmark = pytest.mark.django_db(transaction=True)

FILE = "# shop\r\nAPP_KEY='base64:c2VjcmV0LWtleQ=='\r\nAPP_NAME=Shop\r\n"


@pytest.fixture
def site(add_server: Any, monkeypatch: pytest.MonkeyPatch) -> Site:
    server = Server.objects.get(pk=add_server()["id"])
    spec = SiteSpec.validated("shop.example.com", "php", (), None, "8.2")
    monkeypatch.setattr(env_actions, "read_env", lambda _site: EnvFile(spec.env_file, FILE, "c" * 64, False))
    return Site.objects.create(server=server, **spec.model_fields(), status="active")


def test_values_are_masked_unless_revealed(invoke: Invoke, site: Site) -> None:
    masked = invoke("sites", "env", str(site.pk))
    assert masked.exit_code == 0 and "APP_KEY=••••••" in masked.stdout and "c2VjcmV0" not in masked.stdout
    shown = json.loads(invoke("sites", "env", str(site.pk), "--json").stdout)
    assert shown["variables"] == [
        {"name": "APP_KEY", "value": "••••••", "line": 2},
        {"name": "APP_NAME", "value": "••••••", "line": 3},
    ]
    assert "content" not in shown and shown["path"] == "/home/shop_example_com/shop.example.com/shared/.env"
    assert invoke("sites", "env", str(site.pk), "--reveal").stdout_bytes == FILE.encode()  # CRLF and all
    revealed = json.loads(invoke("sites", "env", str(site.pk), "--reveal", "--json").stdout)
    assert revealed["variables"][0]["value"] == "base64:c2VjcmV0LWtleQ==" and revealed["content"] == FILE


def _written(job_id: int) -> str:
    content, _base = unseal(Job.objects.get(pk=job_id).arguments[1])
    return content


def test_set_from_a_file_or_stdin(invoke: Invoke, site: Site, tmp_path: Path) -> None:
    (tmp_path / "env").write_bytes(b"A='from a file'\r\n")
    job = json.loads(invoke("sites", "env", str(site.pk), "--set", str(tmp_path / "env"), "--json").stdout)
    assert _written(job["id"]) == "A='from a file'\r\n" and job["status"] == "queued"
    piped = invoke("sites", "env", str(site.pk), "--set", "-", input='B="from stdin"\n')
    assert piped.exit_code == 0 and "Write the environment file of shop.example.com" in piped.stdout
    assert "from stdin" not in json.dumps(list(Job.objects.values_list("arguments", flat=True)))


def test_single_variables_change_and_the_rest_stays(invoke: Invoke, site: Site) -> None:
    changes = ["--var", 'APP_NAME=My "shop" $1', "--var", "NEW=", "--unset", "APP_KEY"]
    result = invoke("sites", "env", str(site.pk), *changes, "--json")
    assert result.exit_code == 0, result.output
    assert _written(json.loads(result.stdout)["id"]) == '# shop\nAPP_NAME="My \\"shop\\" \\$1"\nNEW=""\n'


def test_undo(invoke: Invoke, site: Site) -> None:
    job = json.loads(invoke("sites", "env", str(site.pk), "--undo", "--json").stdout)
    assert job["label"] == "Undo the last environment change of shop.example.com"


def test_a_file_that_is_not_text_is_refused(site: Site, brokeforge_home: Path) -> None:
    result = CliRunner().invoke(cli, ["sites", "env", str(site.pk), "--set", "-"], input=b"A=\xff\n")
    assert result.exit_code == 2 and "not UTF-8" in result.output
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("options", "message", "stdin"),
    [
        (["--set", "-"], "Line 1: unexpected text after a value", "A=two words\n"),
        (["--var", "NOEQUALS"], "is not NAME=VALUE", None),
        (["--var", "1A=x"], "Invalid variable name", None),
        (["--var", "APP_NAME=Shop"], "Nothing to change", None),
        (["--undo", "--var", "A=1"], "Give one of", None),
    ],
)
def test_bad_input_exits_2_and_queues_nothing(
    invoke: Invoke, site: Site, options: list[str], message: str, stdin: str | None
) -> None:
    result = invoke("sites", "env", str(site.pk), *options, input=stdin)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not Job.objects.exists()
