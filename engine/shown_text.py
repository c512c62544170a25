"""User-derived text made safe to show in one line of a message, a log, a table cell or a report:
nothing in it can move the cursor, recolour a terminal, reorder the line, break it in two, fail to
encode, or take minutes to lay out. Torch-free and Qt-free.

    one_line("net\\x1b[31m\\n" + "x" * 10**6)  ->  'net\\\\x1b[31m\\\\nxxx… (1,000,005 characters)'
"""
from __future__ import annotations

SHOWN_CHARS_MAX = 200  # longer names are cut: a 1 MB name took minutes to lay out in a report


def _escape_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)):  # C0, DEL, C1 (0x9b is a CSI)
        table[code] = f"\\x{code:02x}"
    for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029):
        table[code] = f"\\u{code:04x}"  # bidi controls and line/paragraph separators
    for code in range(0xD800, 0xE000):  # lone surrogates: not encodable, never a character on their own
        table[code] = f"\\u{code:04x}"
    table.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})
    return table


_ESCAPES = _escape_table()


def one_line(text: object, limit: int = SHOWN_CHARS_MAX) -> str:
    """`text` as one printable, encodable line of at most about `limit` characters (escapes count
    as their own length)."""
    s = str(text)
    tail = ""
    if len(s) > limit:
        tail = f"… ({len(s):,} characters)"
        s = s[:limit]
    return s.translate(_ESCAPES) + tail
