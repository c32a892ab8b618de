import os

import pytest

from kgen.core import files


def test_write_text_replaces_atomically(tmp_path):
    path = tmp_path / "a.txt"
    files.write_text(path, "one")
    files.write_text(path, "two")
    assert path.read_text() == "two"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_failed_write_leaves_target_untouched(tmp_path):
    path = tmp_path / "model.weights.h5"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with files.atomic_path(path) as tmp:
            assert tmp.endswith(".weights.h5")
            open(tmp, "w").write("partial")
            raise RuntimeError("crash")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["model.weights.h5"]


def test_atomic_directory_replaces_whole_folder(tmp_path):
    target = tmp_path / "preset"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with files.atomic_directory(target) as tmp:
        open(os.path.join(tmp, "new.txt"), "w").write("y")
        assert (target / "old.txt").exists()
    assert os.listdir(target) == ["new.txt"] and os.listdir(tmp_path) == ["preset"]
