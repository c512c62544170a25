"""User-derived text made safe to show in one line of a message, a log, a table cell or a report:
nothing in it can move the cursor, recolour a terminal, reorder the line, break it in two, fail to
encode, or take minutes to lay out. Torch-free and Qt-free.

    one_line("net\\x1b[31m\\n" + "x" * 10**6)  ->  'net\\\\x1b[31m\\\\nxxx… (1,000,005 characters)'
"""
from __future__ import annotations

from engine.format import plain

SHOWN_CHARS_MAX = 200  # longer names are cut: a 1 MB name took minutes to lay out in a report
_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def one_line(text: object, limit: int = SHOWN_CHARS_MAX) -> str:
    """`text` as one printable, encodable line of at most about `limit` characters (escapes count
    as their own length): engine.format.plain, with line breaks and tabs escaped too."""
    s = str(text)
    tail = ""
    if len(s) > limit:
        tail = f"… ({len(s):,} characters)"
        s = s[:limit]
    return plain(s).translate(_BREAKS) + tail
