"""The use cases the web panel, the API and the CLI share, one module per area.

Each action validates its input first and changes nothing when the input is bad; it raises
ActionError with a message for the user.
"""


class ActionError(ValueError):
    """Bad input or a state that forbids the action; the message is for the user."""
