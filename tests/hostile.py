"""Text a hostile or broken server can send, for every place the panel shows server text.

Markup for rich and for HTML, terminal escape sequences, a carriage return that would overwrite the
line, bidi overrides that reorder it, a NUL, emoji codes, and template syntax.
"""

from __future__ import annotations

HOSTILE = [
    "x [/bold] [red]y[/red] [/tmp]",
    "<script>alert('owned')</script><img src=x onerror=alert(1)>",
    "\x1b[2J\x1b[31mred\x1b]0;title\x07 \x1b[1A",
    "line one\roverwritten",
    "abc\u202edcba\u2066",
    "nul\x00byte \x7f\x9b",
    ":warning: {{ 7*7 }} {% now 'Y' %} ${HOME}",
]

# What the terminal or browser must never receive raw, whatever the value.
NEVER_RAW_IN_A_TERMINAL = ["\x1b", "\r", "\x00", "\x07", "\u202e", "\u2066", "\x9b"]
NEVER_RAW_IN_A_PAGE = ["<script>alert('owned')", "<img src=x"]
