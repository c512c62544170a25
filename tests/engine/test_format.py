"""engine.format: every value with its unit, one MISSING for no value, and plain() for names."""
from __future__ import annotations

import math

import pytest

from engine import format as f


@pytest.mark.parametrize("fn", [f.clock, f.usd, f.number, f.fixed, f.si, f.count, f.flops, f.byte_size, f.seconds, f.duration,
                                f.energy, f.power, f.throughput, f.pct, f.ratio])
def test_none_and_non_finite_are_the_one_missing_glyph(fn):
    assert fn(None) == f.MISSING
    assert fn(math.nan) == f.MISSING and fn(math.inf) == f.MISSING
    assert f.shape(None) == f.MISSING


def test_numbers_keep_three_significant_digits():
    assert f.number(23712.4) == "23,712" and f.number(45.23) == "45.2" and f.number(0.031234) == "0.0312"
    assert f.number(0) == "0" and f.number(-45.23) == "-45.2"
    assert f.fixed(312.4, 0, "W") == "312 W" and f.fixed(2 * 1024**3, 1, "GiB", 1024**3) == "2.0 GiB"
    assert f.fixed(1234567) == "1,234,567"


def test_units():
    assert f.throughput(23712.4) == "23,712 samples/s"
    assert f.energy(0.000812) == "812.0 µJ" and f.energy(0.00321) == "3.21 mJ" and f.energy(1234.5) == "1,234.5 J"
    assert f.power(312.4) == "312 W"
    assert f.seconds(42e-6) == "42 µs" and f.seconds(0.00314) == "3.14 ms" and f.seconds(12.5) == "12.5 s"
    assert f.seconds(185) == "3 min 05 s"
    assert f.clock(12.34) == "12.3 s" and f.clock(65) == "1:05" and f.usd(1234.5) == "$1,234.50"
    assert f.duration(45) == "45 s" and f.duration(75) == "1 min 15 s" and f.duration(3720) == "1 h 02 min"
    assert f.byte_size(512) == "512 B" and f.byte_size(1536) == "1.5 KiB" and f.byte_size(123456789) == "118 MiB"
    assert f.byte_size(3 * 1024**4) == "3 TiB"
    assert f.count(61706) == "61.7 k" and f.count(6_573_130) == "6.57 M" and f.count(999) == "999"
    assert f.flops(1.2e6) == "1.2 MFLOPs" and f.flops(500) == "500 FLOPs"
    assert f.si(0.0123, "J") == "12.3 mJ" and f.si(312.4, "W") == "312 W" and f.si(0, "W") == "0 W"
    assert f.pct(0.973) == "97.3 %" and f.pct(1.0, 0) == "100 %"
    assert f.ratio(5.123) == "5.12×" and f.ratio(12.34) == "12.3×" and f.ratio(1024) == "1,024×"
    assert f.shape((1, 28, 28)) == "1×28×28"


def test_plain_shows_control_characters_instead_of_obeying_them():
    assert f.plain("net\x1b[31mred\x07") == "net\\x1b[31mred\\x07"
    assert f.plain("csi\x9b2J del\x7f cr\r") == "csi\\x9b2J del\\x7f cr\\x0d"
    assert f.plain("evil\u202eexe.txt") == "evil\\u202eexe.txt"  # a bidi override reorders what is seen
    assert f.plain("lone \ud800 surrogate").encode("utf-8")  # encodable once escaped
    assert f.plain("two\nlines\tand tab, µs × ü") == "two\nlines\tand tab, µs × ü"  # ordinary text unchanged


def test_plain_one_line_also_shows_line_breaks_and_tabs():
    assert f.plain("a\nb\tc\u2028d", one_line=True) == "a\\x0ab\\x09c\\u2028d"
    assert f.plain("left\u200fmark\u061c") == "left\\u200fmark\\u061c"
