"""The explorer's scripts, run here by bash on a site tree with hostile names and symlinks: what
the server resolves, lists, reads and writes, and what it refuses (with which exit code).

On a server they run as the site user through sudo; here as whoever runs the tests, which is
all the path logic needs (permission refusals are the end-to-end test's)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from brokeforge.packages.services.sites.explorer import installer, listing
from brokeforge.packages.services.sites.explorer.confine import MAX_FILE_BYTES, Refusal
from brokeforge.packages.services.sites.explorer.installer import (
    check_script,
    list_script,
    read_script,
    write_script,
)
from brokeforge.packages.services.sites.explorer.listing import FileContent, Listing

WEIRD_NAMES = [
    "new\nline",
    "<img src=x onerror=alert(1)> & 'q'.txt",
    "-rf",
    "sp ace",
    "ünï ✓",
    " lead",
    "a\tb",
    "$(id)",
]


def run(script: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # The SSH transport decodes as UTF-8, replacing what is not: so does this.
    result = subprocess.run(["bash", "-c", script], input=stdin.encode(), capture_output=True, check=False)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode()
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site's directory as a deployed site has it, plus traps."""
    base = tmp_path / "shop.test"
    public = base / "releases" / "initial" / "public"
    public.mkdir(parents=True)
    (public / "index.html").write_text("<h1>shop</h1>\n")
    (base / "shared").mkdir()
    (base / "shared" / ".env").write_text("APP_KEY=secret\n")
    (base / "current").symlink_to("releases/initial")
    (base / "releases" / "initial" / ".env").symlink_to("../../shared/.env")
    (tmp_path / "outside.txt").write_text("not the site's\n")
    (base / "out").symlink_to("/etc")
    (base / "out-file").symlink_to(tmp_path / "outside.txt")
    (base / "dangling-out").symlink_to(tmp_path / "nothing-here.txt")
    (base / "new\nline").write_text("weird\n")
    (base / "to-newline").symlink_to("new\nline")
    (base / "binary.bin").write_bytes(b"GIF89a\x00\x01\x02")
    (base / "latin1.txt").write_bytes(b"caf\xe9\n")
    for name in WEIRD_NAMES[1:]:
        (base / name).write_text(name)
    return base


def listed(base: Path, path: str) -> Listing:
    result = run(list_script(str(base), path))
    assert result.returncode == 0, result.stderr
    return Listing.parse(result.stdout)


def test_a_listing_holds_every_name_as_it_is(site: Path) -> None:
    found = listed(site, ".")
    assert found.path == "" and not found.truncated
    names = [entry.name for entry in found.entries]
    assert set(WEIRD_NAMES) <= set(names)
    assert names[:4] == ["current", "out", "releases", "shared"]  # directories first (links to them too)
    by_name = {entry.name: entry for entry in found.entries}
    assert (by_name["current"].kind, by_name["current"].target, by_name["current"].target_kind) == (
        "symlink",
        "releases/initial",
        "directory",
    )
    assert (by_name["out"].target, by_name["dangling-out"].target_kind) == ("/etc", "missing")
    assert by_name["binary.bin"].size == 9 and by_name["binary.bin"].permissions == "-rw-r--r--"
    assert not by_name["new\nline"].openable and by_name["sp ace"].openable


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("current", "releases/initial"),
        ("current/public", "releases/initial/public"),
        ("releases/initial/public/../../..", ""),
        ("./shared/", "shared"),
    ],
)
def test_a_directory_inside_is_listed_under_its_real_path(site: Path, path: str, resolved: str) -> None:
    assert listed(site, path).path == resolved


def test_an_absolute_path_inside_the_site_is_listed(site: Path) -> None:
    assert listed(site, f"{site}/current/public").path == "releases/initial/public"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("..", Refusal.OUTSIDE),
        ("../../../..", Refusal.OUTSIDE),
        ("current/../../..", Refusal.OUTSIDE),
        ("/etc", Refusal.OUTSIDE),
        ("/", Refusal.OUTSIDE),
        ("out", Refusal.OUTSIDE),
        ("out/", Refusal.OUTSIDE),
        ("nowhere", Refusal.MISSING),
        ("index.html", Refusal.MISSING),
        ("sp ace", Refusal.NOT_A_DIRECTORY),
    ],
)
def test_what_leads_outside_or_nowhere_is_refused(site: Path, path: str, code: Refusal) -> None:
    result = run(list_script(str(site), path))
    assert result.returncode == code and result.stdout == ""


def test_a_path_next_to_the_site_that_shares_its_prefix_is_outside(site: Path) -> None:
    (site.parent / "shop.test-other").mkdir()
    assert run(list_script(str(site), f"{site}-other")).returncode == Refusal.OUTSIDE
    assert run(list_script(str(site), "../shop.test-other")).returncode == Refusal.OUTSIDE


def test_a_site_directory_replaced_by_a_symlink_is_refused_whole(tmp_path: Path) -> None:
    (tmp_path / "moved.test").symlink_to("/etc")
    assert run(list_script(str(tmp_path / "moved.test"), ".")).returncode == Refusal.NO_BASE
    assert run(list_script(str(tmp_path / "missing.test"), ".")).returncode == Refusal.NO_BASE


def test_a_symlink_to_a_name_with_a_newline_is_refused(site: Path) -> None:
    assert run(read_script(str(site), "to-newline")).returncode == Refusal.NEWLINE


def test_a_listing_is_cut_past_its_limit(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installer, "MAX_ENTRIES", 5)
    monkeypatch.setattr(listing, "MAX_ENTRIES", 5)
    found = listed(site, ".")
    assert len(found.entries) == 5 and found.truncated


def read(base: Path, path: str) -> FileContent:
    result = run(read_script(str(base), path))
    assert result.returncode == 0, result.stderr
    return FileContent.parse(result.stdout)


def test_a_file_is_read_through_an_inside_symlink(site: Path) -> None:
    content = read(site, "current/.env")
    assert (content.path, content.data, content.text, content.mode) == (
        "shared/.env",
        b"APP_KEY=secret\n",
        "APP_KEY=secret\n",
        0o644,
    )


@pytest.mark.parametrize("name", ["binary.bin", "latin1.txt"])
def test_binary_files_are_read_as_bytes_and_are_not_text(site: Path, name: str) -> None:
    content = read(site, name)
    assert content.data == (site / name).read_bytes() and content.binary and content.text is None


@pytest.mark.parametrize(
    ("path", "code"),
    [("out-file", Refusal.OUTSIDE), ("/etc/hostname", Refusal.OUTSIDE), ("current", Refusal.NOT_A_FILE)],
)
def test_reads_refused(site: Path, path: str, code: Refusal) -> None:
    assert run(read_script(str(site), path)).returncode == code


def test_a_file_past_the_limit_is_refused_with_its_size(site: Path) -> None:
    (site / "big.log").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    result = run(read_script(str(site), "big.log"))
    assert (result.returncode, result.stdout) == (Refusal.TOO_LARGE, f"{MAX_FILE_BYTES + 1}\0")
    assert run(check_script(str(site), "big.log")).returncode == Refusal.TOO_LARGE


def leftovers(base: Path) -> list[str]:
    return [str(path) for path in base.rglob(".brokeforge-edit.*")]


def test_a_new_file_is_written_whole_with_mode_644(site: Path) -> None:
    text = "line one\r\nünïcødé ✓ 'quoted' \"$HOME\" `id`\n\n"
    assert (
        run(check_script(str(site), "current/public/new.txt")).stdout
        == "releases/initial/public/new.txt\x00644\x00"
    )
    result = run(write_script(str(site), "current/public/new.txt"), text)
    assert (result.returncode, result.stdout) == (0, "releases/initial/public/new.txt\x00644\x00")
    written = site / "releases/initial/public/new.txt"
    assert written.read_bytes() == text.encode() and oct(written.stat().st_mode & 0o777) == "0o644"
    assert leftovers(site) == []


def test_an_existing_file_keeps_its_mode_and_a_symlink_inside_is_written_through(site: Path) -> None:
    os.chmod(site / "shared/.env", 0o600)
    result = run(write_script(str(site), "current/.env"), "APP_KEY=new\n")
    assert (result.returncode, result.stdout) == (0, "shared/.env\x00600\x00")
    assert (site / "shared/.env").read_text() == "APP_KEY=new\n"
    assert (site / "shared/.env").stat().st_mode & 0o777 == 0o600
    assert (site / "releases/initial/.env").is_symlink()


def test_an_empty_file_can_be_written(site: Path) -> None:
    assert run(write_script(str(site), "empty.txt"), "").returncode == 0
    assert (site / "empty.txt").read_bytes() == b""


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("out/passwd", Refusal.OUTSIDE),
        ("out-file", Refusal.OUTSIDE),
        ("dangling-out", Refusal.OUTSIDE),
        ("../escape.txt", Refusal.OUTSIDE),
        ("/tmp/escape.txt", Refusal.OUTSIDE),
        ("binary.bin", Refusal.BINARY),
        ("latin1.txt", Refusal.BINARY),
        ("no/such/dir/file.txt", Refusal.NO_PARENT),
        ("current", Refusal.NOT_A_FILE),
        (".", Refusal.NOT_A_FILE),
        ("to-newline", Refusal.NEWLINE),
    ],
)
def test_writes_refused_change_nothing(site: Path, tmp_path: Path, path: str, code: Refusal) -> None:
    before = snapshot(tmp_path)
    assert run(check_script(str(site), path)).returncode == code
    assert run(write_script(str(site), path), "overwritten\n").returncode == code
    assert snapshot(tmp_path) == before


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
