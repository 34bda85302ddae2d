"""apt_install skips apt when dpkg has every package installed, and installs all of them otherwise.

The generated command runs locally against stand-in dpkg-query and apt-get programs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from brokeforge.packages.base.shell import apt_install

FAKE_DPKG_QUERY = """#!/bin/sh
# Prints a status line per installed package named in $INSTALLED; nothing (and exit 1) for others.
shift 2
status=0
for name in "$@"; do
  case " $INSTALLED " in
    *" $name "*) printf 'install ok installed\\n' ;;
    *) echo "dpkg-query: no packages found matching $name" >&2; status=1 ;;
  esac
done
exit $status
"""


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    (tmp_path / "dpkg-query").write_text(FAKE_DPKG_QUERY)
    (tmp_path / "apt-get").write_text('#!/bin/sh\necho "apt-get $*" >> "$CALLS"\n')
    for program in ("dpkg-query", "apt-get"):
        (tmp_path / program).chmod(0o755)
    return tmp_path


def run(bin_dir: Path, installed: str, packages: list[str]) -> tuple[str, str]:
    calls = bin_dir / "calls"
    calls.write_text("")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "INSTALLED": installed,
        "CALLS": str(calls),
    }
    result = subprocess.run(
        ["sh", "-c", apt_install(packages)], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout, calls.read_text()


def test_everything_installed_skips_apt(bin_dir: Path) -> None:
    stdout, calls = run(bin_dir, "nginx ufw", ["nginx", "ufw"])
    assert stdout == "Already installed: nginx ufw\n"
    assert calls == ""


@pytest.mark.parametrize("installed", ["", "nginx", "ufw"])
def test_one_missing_package_installs_them_all(bin_dir: Path, installed: str) -> None:
    _stdout, calls = run(bin_dir, installed, ["nginx", "ufw"])
    assert calls.count("apt-get ") == 1
    assert calls.strip().endswith("install --no-install-recommends nginx ufw")
