"""What the stream sends: only the text that is new, also when the journal's tail has moved on."""

from brokeforge.web.stream import new_text


def test_growing_output() -> None:
    assert new_text("", "abc") == "abc"
    assert new_text("abc", "abcdef") == "def"
    assert new_text("abc", "abc") == ""


def test_tail_cut_at_the_start() -> None:
    previous = "".join(f"line {n}\n" for n in range(100))
    current = previous[300:] + "line 100\nline 101\n"
    assert new_text(previous, current) == "line 100\nline 101\n"


def test_repeated_lines_are_not_confused() -> None:
    previous = "x\n" * 300
    current = ("x\n" * 300)[10:] + "done\n"
    assert new_text(previous, current) == "done\n"


def test_nothing_in_common_means_replace() -> None:
    assert new_text("old", "entirely new") is None
