"""Make attacker-controlled text safe for a terminal.

userAgent, request parameters and error messages are written by whoever called AWS. Shown raw,
an ESC could move the cursor, rewrite the screen or (OSC 52) the clipboard, and a bidi override
could make text read differently than it is. Every such character is shown as an escape
instead: `\\x1b`, `\\n`, `\\u202e`.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), bidi embedding,
# override and isolate marks, and the line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, escape or bidi character shown as a visible escape."""
    return _UNSAFE.sub(_escape, text)
