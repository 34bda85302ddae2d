import pytest

from brokeforge.lib.enums import PhpVersion
from brokeforge.packages.base import Command
from brokeforge.packages.services.nginx.installer import NginxInstaller
from brokeforge.servers.models import Server
from tests.unit.helpers import describe, expected
from tests.unit.installer_cases import CASES, build


@pytest.mark.parametrize("case", CASES["nginx"])
def test_commands(unsaved_server: Server, case: str) -> None:
    assert describe(build(unsaved_server, "nginx", case)) == expected("nginx")[case]


def test_markup_in_the_server_name_reaches_the_page_escaped() -> None:
    steps = NginxInstaller(Server(name="x")).commands(PhpVersion.PHP82, "<script>alert(1)</script>")
    page = next(s.stdin for s in steps if isinstance(s, Command) and "index.html" in s.script)
    assert page is not None
    assert "<script>" not in page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
