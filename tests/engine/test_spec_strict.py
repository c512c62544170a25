"""Spec parsing is strict about types: strings and booleans are not numbers, a version is an int,
ids cannot hide a trailing newline, no text can hold a lone surrogate; a cycle's message stays short."""
from __future__ import annotations

import copy

import pytest

from engine.cli.netload import problems_line
from engine.net.analysis import analyze
from engine.net.spec import SpecFormatError, spec_from_dict

BASE = {"name": "t", "input": {"shape": [1, 28, 28]},
        "layers": [{"id": "f", "type": "Flatten", "inputs": ["input"]}]}


def _with(change) -> dict:
    data = copy.deepcopy(BASE)
    change(data)
    return data


@pytest.mark.parametrize("change, words", [
    (lambda d: d["input"].update(shape=["1", "28", "28"]), "input.shape.0: Input should be a valid integer"),
    (lambda d: d["input"].update(shape=[True, 28, 28]), "input.shape.0: Input should be a valid integer"),
    (lambda d: d["input"].update(shape=[1.0, 28, 28]), "input.shape.0"),
    (lambda d: d.update(version=True), "spec version True is not supported"),
    (lambda d: d.update(version="1"), "spec version '1' is not supported"),
    (lambda d: d.update(num_classes="10"), "num_classes"),
    (lambda d: d.update(name=5), "name: Input should be a valid string"),
    (lambda d: d.update(name="n\ud800"), "name: holds a lone surrogate"),
    (lambda d: d["layers"][0].update(id="\udc80"), "layer '\\udc80' field 'id': holds a lone surrogate"),
    (lambda d: d["layers"][0].update(type="Flatten\udc80"), "field 'type': holds a lone surrogate"),
    (lambda d: d["layers"][0].update(params={"act": ["\ud800"]}), "field 'params': holds a lone surrogate"),
])
def test_lax_values_are_refused(change, words):
    with pytest.raises(SpecFormatError) as info:
        spec_from_dict(_with(change), "s.json")
    assert words in str(info.value)
    str(info.value).encode("utf-8")  # the message itself can be printed anywhere


def test_id_with_trailing_newline_is_an_invalid_id():
    spec = spec_from_dict(_with(lambda d: d["layers"][0].update(id="f\n")))
    problems = analyze(spec).problems
    assert [p.field for p in problems] == ["id"] and "invalid id" in problems[0].message
    assert "\n" not in str(problems[0])


def test_a_huge_cycle_is_named_in_a_short_line():
    n = 10_000
    layers = [{"id": f"l{i}", "type": "ReLU", "inputs": [f"l{(i - 1) % n}"]} for i in range(n)]
    spec = spec_from_dict({"name": "ring", "input": {"shape": [4]}, "layers": layers})
    analysis = analyze(spec)
    line = problems_line(analysis.problems)
    assert "is part of a cycle" in line and "more layers" in line and len(line) < 1000


def test_many_problems_are_counted_not_listed():
    layers = [{"id": f"l{i}", "type": "Nope", "inputs": ["input"]} for i in range(500)]
    line = problems_line(analyze(spec_from_dict({"input": {"shape": [4]}, "layers": layers})).problems)
    assert "and 490 more problems" in line and len(line) < 3000
