"""Every run option reaches every surface, or says why not; and a new lever needs only its field.

Coverage: for each RunConfig field, the `run` flags, the GUI run panel and the sweep (its flags, its
form for an axis, its grid for a fixed value) either offer it or its Option names an exemption.
The lever test declares a RunConfig subclass with one extra boolean field and its Option, and
finds it in the CLI help, parsed into the config, in the GUI run panel (a check box that sets it),
in the remembered settings, in the sweep form (an axis whose values multiply the runs) and back
through the `sweep` flags, with no other code written for it.
"""
from __future__ import annotations

import argparse
from typing import Annotated

import pytest
from pydantic import Field
from PySide6.QtWidgets import QCheckBox

from engine.cli import _Parser
from engine.cli import run as run_cli
from engine.cli import sweep as sweep_cli
from engine.run import Option, RunConfig, option_fields
from engine.sweep import grid_class
from engine.sweep.grid import describe
from gui.run.options import RunOptions
from gui.run.remembered import restore_run_options, save_run_options
from gui.sweep_form import SweepForm

SURFACES = ("cli", "gui", "sweep")


def _parser(module, schema) -> argparse.ArgumentParser:
    p = _Parser(prog="main.py")
    module.add_parser(p.add_subparsers(dest="command", parser_class=_Parser), schema=schema)
    return p


def _flags(parser: argparse.ArgumentParser, command: str) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {s for a in sub._actions for s in a.option_strings}


def _offered(schema, qtbot) -> dict[str, dict[str, bool]]:
    """field -> surface -> whether that surface really offers it (read from the built surfaces)."""
    run_flags = _flags(_parser(run_cli, schema), "run")
    sweep_flags = _flags(_parser(sweep_cli, schema), "sweep")
    panel = RunOptions(schema=schema)
    form = SweepForm("lenet", schema=schema)
    qtbot.addWidget(panel)
    qtbot.addWidget(form)
    out = {}
    for name, f in option_fields(schema).items():
        if f.option.axis:
            in_sweep = f.axis_flag in sweep_flags and (name in form.checks or name in form.lists)
        else:  # one value for the whole sweep: its flag, and the grid takes it
            in_sweep = f.flag in sweep_flags and grid_class(schema)(network="n", fixed={name: f.default}) is not None
        out[name] = {"cli": f.flag in run_flags, "gui": name in panel.controls, "sweep": in_sweep}
    return out


def test_every_option_is_on_every_surface_or_exempt_with_a_reason(qtbot):
    offered = _offered(RunConfig, qtbot)
    missing = []
    for name, f in option_fields(RunConfig).items():
        for surface in SURFACES:
            reason = f.option.exempt.get(surface)
            if reason is not None:
                assert len(reason) > 15, f"{name}: the exemption from {surface} needs a reason"
                continue
            if not offered[name][surface]:
                missing.append(f"{name} ({surface})")
    assert not missing, f"offered nowhere and not exempt: {', '.join(missing)}"


def test_a_field_without_an_option_is_refused_by_name():
    class Bare(RunConfig):
        secret: bool = False
    with pytest.raises(TypeError, match="Bare.secret has no Option"):
        option_fields(Bare)


class LeverConfig(RunConfig):
    """RunConfig plus one new lever, declared the way a real one is."""
    turbo: Annotated[bool, Option("Turbo lever", "Makes runs faster (a test lever)", axis=True)] = Field(
        default=False, description="the turbo lever")


def test_a_new_boolean_lever_appears_everywhere_from_its_field_alone(qtbot, capsys):
    # CLI: `run --help` lists it, and the flag sets it
    run_parser = _parser(run_cli, LeverConfig)
    with pytest.raises(SystemExit):
        run_parser.parse_args(["run", "--help"])
    assert "--turbo, --no-turbo" in capsys.readouterr().out
    config = run_cli._config(run_parser.parse_args(["run", "lenet", "--device", "cpu", "--turbo"]))
    assert isinstance(config, LeverConfig) and config.turbo is True

    # GUI run panel: a check box with its plain label; checking it sets the lever; remembered
    panel = RunOptions(schema=LeverConfig)
    qtbot.addWidget(panel)
    box = panel.controls["turbo"]
    assert isinstance(box, QCheckBox) and box.text() == "Turbo lever" and not box.isChecked()
    box.setChecked(True)
    assert panel.config().turbo is True
    save_run_options(panel)
    again = RunOptions(schema=LeverConfig)
    qtbot.addWidget(again)
    restore_run_options(again)
    assert again.value("turbo") is True

    # sweep form: an axis with off/on boxes; both checked doubles the runs
    form = SweepForm("lenet", schema=LeverConfig)
    qtbot.addWidget(form)
    runs = len(form.grid().configs())
    for cb in form.checks["turbo"]:
        cb.setChecked(True)
    grid = form.grid()
    assert len(grid.configs()) == 2 * runs and {c.turbo for c in grid.configs()} == {False, True}
    assert any(describe(c, LeverConfig).endswith("+turbo") for c in grid.configs())

    # ... and the grid travels through the `sweep` flags (--turbo-options off,on) unchanged
    argv = grid.to_argv()
    assert "--turbo-options" in argv
    back = sweep_cli._grid_from_args(_parser(sweep_cli, LeverConfig).parse_args(["sweep", *argv]))
    assert back.axes["turbo"] == [False, True] and back.configs() == grid.configs()
