""".env values as Laravel reads them: whatever a user types comes back exactly through phpdotenv's
rules (the reader here follows them; the e2e test checks against phpdotenv itself), and files in
every form phpdotenv takes are read as it reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokeforge.packages.services.sites.env import dotenv
from brokeforge.packages.services.sites.env.dotenv import DotenvError, Variable

# Any text an environment can hold: every code point but NUL and the lone surrogates UTF-8 cannot carry.
values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"))
# Mostly the characters that need care, so the interesting cases are not rare.
tricky = st.text(st.sampled_from(list("\"'$#\\ =\n\r\t{}()`!&|;<>*?~é✓💥xX09_.-")) | st.characters())
keys = st.from_regex(dotenv.KEY_RE, fullmatch=True).filter(lambda key: len(key) < 60)


@given(keys, values | tricky.filter(lambda v: "\0" not in v and not _surrogate(v)))
def test_any_value_reads_back_exactly(key: str, value: str) -> None:
    assert dotenv.parse(f"{dotenv.line(key, value)}\n") == [Variable(key, value, 1)]


@given(st.dictionaries(keys, tricky.filter(lambda v: "\0" not in v and not _surrogate(v)), max_size=8))
def test_a_whole_file_reads_back_exactly(variables: dict[str, str]) -> None:
    assert dotenv.values(dotenv.render(variables)) == variables


@given(st.dictionaries(keys, tricky.filter(lambda v: "\0" not in v and not _surrogate(v)), max_size=5))
def test_changes_keep_every_other_line(changes: dict[str, str]) -> None:
    text = '# keep me\r\nAPP_NAME=Shop\n\nREF="${APP_NAME}/x"  # and me\nexport DEBUG=true\n'
    changed = dotenv.apply(text, changes)
    assert dotenv.values(changed) == {"APP_NAME": "Shop", "REF": "${APP_NAME}/x", "DEBUG": "true", **changes}
    untouched = {
        "APP_NAME": "APP_NAME=Shop",
        "REF": 'REF="${APP_NAME}/x"  # and me',
        "DEBUG": "export DEBUG=true",
    }
    for name, text_line in untouched.items():
        assert (text_line in changed.splitlines()) is (name not in changes)
    assert changed.startswith("# keep me\n")


def _surrogate(value: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in value)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("it's", '"it\'s"'),
        ("$HOME ${APP_KEY}", '"\\$HOME \\${APP_KEY}"'),
        ("a#b #c", '"a#b #c"'),
        ("C:\\path\\n", '"C:\\\\path\\\\n"'),
        ("two\nlines\r\n", '"two\\nlines\\r\\n"'),
        ("  spaced = out  ", '"  spaced = out  "'),
        ("", '""'),
        ("ünï ✓", '"ünï ✓"'),
    ],
)
def test_values_are_double_quoted_and_escaped(value: str, written: str) -> None:
    assert dotenv.quote(value) == written


@pytest.mark.parametrize("value", ["a\0b", "\udc80"])
def test_what_no_environment_can_hold_is_refused(value: str) -> None:
    with pytest.raises(DotenvError, match=r"NUL|UTF-8"):
        dotenv.quote(value)


@pytest.mark.parametrize("key", ["1ABC", ".env", "A-B", "A B", "", "É", "A\n"])
def test_bad_names_are_refused(key: str) -> None:
    with pytest.raises(DotenvError, match="Invalid variable name"):
        dotenv.line(key, "x")


def test_a_file_in_every_form_phpdotenv_takes() -> None:
    text = (
        "# comment\n"
        "   \n"
        "PLAIN=value # comment\n"
        "export EXPORTED=1\n"
        "'QUOTED_NAME'=yes\n"
        "SINGLE='$not ${a} \\n reference'\n"
        'DOUBLE="tab\\there \\$x \\"q\\" \\\\ ${PLAIN}"\n'
        'MULTI="one\n'
        "two # not a comment\n"
        'three"\n'
        "EMPTY=\n"
        "UNSET\n"
        "CRLF=yes\r\n"
        "LAST=1\rNEXT=2"
    )
    assert dotenv.parse(text) == [
        Variable("PLAIN", "value", 3),
        Variable("EXPORTED", "1", 4),
        Variable("QUOTED_NAME", "yes", 5),
        Variable("SINGLE", "$not ${a} \\n reference", 6),
        Variable("DOUBLE", 'tab\there $x "q" \\ ${PLAIN}', 7, references=True),
        Variable("MULTI", "one\ntwo # not a comment\nthree", 8),
        Variable("EMPTY", "", 11),
        Variable("UNSET", None, 12),
        Variable("CRLF", "yes", 13),
        Variable("LAST", "1", 14),
        Variable("NEXT", "2", 15),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("KEY=two words", "Line 1: unexpected text after a value"),
        ("\nKEY='open", "Line 2: a missing closing quote"),
        ('KEY="\\q"', "unknown escape \\q"),
        ("=value", "an `=` with no name"),
        ("BAD-NAME=1", "'BAD-NAME' is not a valid variable name"),
        ('A=1\nKEY="never closed\nB=2', "Line 2: a double-quoted value is never closed"),
    ],
)
def test_what_phpdotenv_refuses_is_refused_with_the_line(text: str, error: str) -> None:
    with pytest.raises(DotenvError, match=error.replace("\\", "\\\\")):
        dotenv.parse(text)


def test_changes_rewrite_a_name_where_it_was_last_set_and_remove_the_rest() -> None:
    text = "A=1\nB=2\nA=3\nC=4"
    assert dotenv.apply(text, {"A": "new", "C": None, "D": "d"}) == 'B=2\nA="new"\nD="d"\n'


def test_every_value_is_found_to_mask_even_in_a_file_phpdotenv_refuses() -> None:
    assert dotenv.secret_values("A='s3cret'\nB=\"x y\"\n# C=not\nD=") == {
        "s3cret",
        "'s3cret'",
        "x y",
        '"x y"',
    }
    assert dotenv.secret_values("A=two words\nB='p@ss'") == {"two words", "'p@ss'", "p@ss"}
