"""Hostile strings in stored and imported results: History (table, filters, the opened run's card and
charts) and Compare (table, plots, findings, recommendation) show them as literal text, elided, and
never read a file because of them."""
from __future__ import annotations

import pytest

from engine.results import RunStore
from gui import plain_text
from gui.run.replay import make_script
from tests.gui.rich_text_probe import ImageProbe, labels_longer_than, rich_text_leaks
from tests.hostile_strings import ENCODABLE, HOSTILE

SHOWN_MAX = plain_text.MESSAGE_CHARS_MAX + 400  # a message holding a name, plus its own words


def _hostile_result(text: str, run_id: str, status: str = "failed", kind: str = "gpu"):
    """A plausible run whose every free-text field holds `text`."""
    r = make_script(kind=kind, seconds=1.0, network=text).result
    r.run_id = run_id
    r.status = status
    r.error = text
    r.quality = [text, f"second note: {text}"]
    r.unavailable = {**{key: text for key in r.unavailable}, text: text}  # chart overlays show these
    r.hardware.device_name = text
    r.config.dataset = text  # free text; the device is checked (cpu, cuda, cuda:N)
    return r


@pytest.fixture(scope="module")
def _views(qapp, tmp_path_factory):
    """One History panel and one Compare view over one store for the module (building them takes seconds)."""
    from gui.compare import CompareView
    from gui.history.panel import HistoryPanel
    store = RunStore(tmp_path_factory.mktemp("hostile-results") / "runs.sqlite")
    panel, compare = HistoryPanel(db_path=store.path), CompareView(store_path=store.path)
    for w in (panel, compare):
        w.resize(1300, 900)
        w.show()
    yield store, panel, compare
    for w in (panel, compare):
        w.close()
        w.deleteLater()


@pytest.fixture
def views(_views):
    store, panel, compare = _views
    store.delete(r.run_id for r in store.list())
    panel.refresh()
    return _views


def _assert_shown_safely(widget, text: str, probe: ImageProbe | None = None) -> None:
    widget.grab()  # lay out and paint, as the screen would
    assert rich_text_leaks(widget, text) == []
    assert labels_longer_than(widget, SHOWN_MAX) == []
    if probe is not None:
        assert not probe.was_read()


def test_an_img_tag_in_a_stored_result_is_never_loaded(views, tmp_path):
    store, panel, compare = views
    probe = ImageProbe(tmp_path)
    ids = [f"run-{i}" for i in range(4)]
    for i, status in enumerate(("ok", "oom", "failed", "cancelled")):
        store.add(_hostile_result(probe.markup, ids[i], status, kind="cpu" if i % 2 else "gpu"))
    panel.refresh()
    for run_id in ids:
        assert panel.open_run(run_id)
        _assert_shown_safely(panel, probe.markup, probe)
    assert probe.markup in panel.view.card.title.text()  # shown, literally
    assert compare.show_runs(ids) == []
    _assert_shown_safely(compare, probe.markup, probe)


def test_an_imported_result_with_hostile_names_is_shown_as_text(views, tmp_path):
    store, panel, _compare = views
    probe = ImageProbe(tmp_path)
    path = tmp_path / "from-server.json"
    path.write_text(_hostile_result(probe.markup, "imported", "oom").model_dump_json())
    assert panel.import_path(path) is None
    assert panel.view.result.run_id == "imported"
    _assert_shown_safely(panel, probe.markup, probe)


@pytest.mark.parametrize("text", ENCODABLE.values(), ids=ENCODABLE.keys())
def test_every_hostile_string_in_stored_results_is_shown_safely(views, text):
    store, panel, compare = views
    store.add(_hostile_result(text, text, "oom"))  # the run id too: it is shown in tooltips
    store.add(_hostile_result(text, "other", "ok", kind="cpu"))
    panel.refresh()
    assert panel.open_run(text)
    _assert_shown_safely(panel, text)
    assert compare.show_runs([text, "other"]) == []
    _assert_shown_safely(compare, text)


@pytest.mark.parametrize("text", [v for k, v in HOSTILE.items() if k not in ENCODABLE],
                         ids=[k for k in HOSTILE if k not in ENCODABLE])
def test_results_holding_lone_surrogates_are_shown_without_a_crash(views, text):
    """The store refuses such text; a result in memory (a live run's) can still hold it."""
    _store, panel, compare = views
    results = [_hostile_result(text, text, "failed"), _hostile_result(text, "other", "ok", kind="cpu")]
    panel.view.show_result(results[0])
    panel.detail.setCurrentWidget(panel.view)
    _assert_shown_safely(panel, text)
    assert "\\ud" in panel.view.card.title.text()  # the surrogate is shown as an escape, not dropped
    compare.set_results(results)
    _assert_shown_safely(compare, text)
