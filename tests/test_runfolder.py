"""A run folder: staged, swapped in whole, never left half-written, tracked READMEs kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analysis.runfolder import FIGURES, PROCESSED, RunFolder, files_intact, file_digest


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / PROCESSED).mkdir(parents=True)
    (root / PROCESSED / "README.md").write_text("schemas", encoding="utf-8")
    (root / PROCESSED / "old.csv").write_text("old", encoding="utf-8")
    return root


def test_a_committed_run_replaces_the_folder_whole_and_keeps_its_readme(tmp_path):
    root = make_root(tmp_path)
    with RunFolder(root) as run:
        (run.staged(PROCESSED) / "new.csv").write_text("new", encoding="utf-8")
        run.commit((PROCESSED,))
    assert sorted(p.name for p in (root / PROCESSED).iterdir()) == ["README.md", "new.csv"]
    assert not [p for p in root.iterdir() if p.name.startswith(".run-") and p.is_dir()]


def test_a_failed_run_leaves_the_previous_contents_as_they_were(tmp_path):
    root = make_root(tmp_path)
    with pytest.raises(RuntimeError):
        with RunFolder(root) as run:
            (run.staged(PROCESSED) / "new.csv").write_text("new", encoding="utf-8")
            raise RuntimeError("a notebook failed")
    assert sorted(p.name for p in (root / PROCESSED).iterdir()) == ["README.md", "old.csv"]
    assert not list(root.glob(".run-staging-*"))


def test_carried_over_files_are_linked_not_recomputed(tmp_path):
    root = make_root(tmp_path)
    with RunFolder(root) as run:
        run.carry_over(PROCESSED, ["old.csv"])
        run.commit((PROCESSED,))
    assert (root / PROCESSED / "old.csv").read_text(encoding="utf-8") == "old"


def test_a_run_killed_between_its_two_renames_is_put_back_by_the_next_run(tmp_path):
    root = make_root(tmp_path)
    aside = root / ".run-old-dead"
    aside.mkdir()
    (aside / "part").write_text(str(PROCESSED), encoding="utf-8")
    os.rename(root / PROCESSED, aside / "previous")  # the state right after the first rename
    with RunFolder(root):
        pass
    assert (root / PROCESSED / "old.csv").read_text(encoding="utf-8") == "old"
    assert not aside.exists()


def test_staging_folders_of_killed_runs_are_swept(tmp_path):
    root = make_root(tmp_path)
    (root / ".run-staging-dead" / "figures").mkdir(parents=True)
    with RunFolder(root) as run:
        assert [p.name for p in root.glob(".run-staging-*")] == [run.staging.name]


def test_a_file_changed_after_the_run_is_not_taken_as_its_own(tmp_path):
    folder = tmp_path / FIGURES
    folder.mkdir()
    (folder / "a.png").write_bytes(b"drawn by the report")
    digests = {"a.png": file_digest(folder / "a.png")}
    assert files_intact(folder, digests)
    (folder / "a.png").write_bytes(b"overwritten by hand")
    assert not files_intact(folder, digests)
    assert not files_intact(folder, {})  # nothing recorded: nothing to trust
