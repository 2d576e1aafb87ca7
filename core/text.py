"""Text that people type: control characters (a NUL, an escape) are never a valid part of it."""

CONTROL_CHARACTERS = frozenset(chr(code) for code in (*range(32), 127))


def has_control_characters(text: str) -> bool:
    return not CONTROL_CHARACTERS.isdisjoint(text)
