"""What the explorer makes of a server's answer: every name and symlink target comes back exactly
as it was sent, whatever it holds; an answer that is not what the scripts print is an error."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokeforge.packages.services.sites.explorer.listing import BadOutput, FileContent, Listing

# Any text but the NUL that ends every field (and the / no name holds).
names = st.text(st.characters(blacklist_characters="\x00/", blacklist_categories=("Cs",)), min_size=1)


def entry(name: str, kind: str = "f", target: str = "", target_kind: str = "f") -> str:
    return f"{kind}\0{target_kind}\0{len(name)}\x00644\x001700000000.5\0shop\0{target}\0{name}\0"


@given(st.lists(names, unique=True, max_size=20), names)
def test_any_names_and_targets_parse_back_exactly(entries: list[str], target: str) -> None:
    output = "current/public\0" + "".join(entry(name) for name in entries) + entry("link", "l", target, "N")
    listing = Listing.parse(output)
    assert listing.path == "current/public"
    assert sorted(e.name for e in listing.entries if e.kind == "file") == sorted(entries)
    [link] = [e for e in listing.entries if e.kind == "symlink"]
    assert (link.target, link.target_kind, link.permissions) == (target, "missing", "lrw-r--r--")


def test_an_entry_has_its_details() -> None:
    listing = Listing.parse("\0" + entry("a", "d", "", "d") + entry("b.txt"))
    directory, file = listing.entries
    assert directory.as_dict() == {
        "name": "a",
        "type": "directory",
        "size": 1,
        "mode": "0644",
        "permissions": "drw-r--r--",
        "modified": "2023-11-14T22:13:20.500000+00:00",
        "owner": "shop",
        "target": None,
        "target_type": None,
    }
    assert file.is_directory is False and directory.is_directory is True


def test_an_empty_directory() -> None:
    assert Listing.parse("shared\0").entries == ()


@pytest.mark.parametrize("output", ["\0x\0f\0NaN\0644\x001\0u\0\0n\0", "\0f\0f\x001\0999\x001\0u\0\0n\0"])
def test_an_answer_that_is_not_a_listing_is_an_error(output: str) -> None:
    with pytest.raises(BadOutput):
        Listing.parse(output)


def test_a_file_comes_back_byte_for_byte() -> None:
    data = b"\x00\xffbinary\r\n"
    content = FileContent.parse(f"img/a.png\x009\x00640\x001700000000\0{base64.b64encode(data).decode()}")
    assert (content.path, content.size, content.mode, content.data, content.binary) == (
        "img/a.png",
        9,
        0o640,
        data,
        True,
    )
    assert content.as_dict()["text"] is None and content.as_dict()["mode"] == "0640"


def test_a_file_that_is_not_base64_is_an_error() -> None:
    with pytest.raises(BadOutput):
        FileContent.parse("a\x001\x00644\x001\0not base64!")
