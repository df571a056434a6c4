"""Printing untrusted text to the admin's terminal without letting it drive the terminal.

File names in a specs checkout, text quoted from a spec, error messages
that repeat either: any of them may hold escape sequences (``\\x1b[2J``
clears the screen, ``\\x1b]0;…\\x07`` sets the window title, others rewrite
the line being read) or bidirectional-override characters that make text
read differently from what it is. :func:`shown` writes every character
that is not printable as its Python escape, the way ``repr`` would.
"""

from __future__ import annotations


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 in a file name (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}")
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with control, format (bidi) and separator characters escaped; printable text unchanged.

    ``keep_newlines`` keeps line breaks of a message written in several lines.
    """
    value = str(text)
    if keep_newlines and "\n" in value:
        return "\n".join(shown(line) for line in value.split("\n"))
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in value)
