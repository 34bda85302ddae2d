"""Small display helpers for the panel's templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(milliseconds: int | float | None) -> str:
    """350 ms, 4.2 s, 3 min 05 s: precise for short steps, readable for long ones."""
    if milliseconds is None:
        return ""
    if milliseconds < 1000:
        return f"{round(milliseconds)} ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


@register.filter
def seconds_duration(seconds: float | None) -> str:
    return "" if seconds is None else duration(seconds * 1000)
