"""The one atomic file writer."""
from __future__ import annotations

import os
import stat

import pytest

from engine.errors import FileWriteError
from engine.files import write_text_atomic


def test_writes_the_text_and_keeps_the_old_files_permissions(tmp_path):
    path = tmp_path / "a.json"
    write_text_atomic(path, "one\n")
    assert path.read_text(encoding="utf-8") == "one\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    write_text_atomic(path, "two\n")
    assert path.read_text(encoding="utf-8") == "two\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failed_write_keeps_the_old_file_and_names_it(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    path.write_text("OLD", encoding="utf-8")

    def boom(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(FileWriteError, match="a.json.*No space left"):
        write_text_atomic(path, "NEW")
    assert path.read_text(encoding="utf-8") == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(FileWriteError, match="nowhere"):
        write_text_atomic(tmp_path / "nowhere" / "a.json", "x")
