"""Bad input end to end, through the CLI and notebook parameters: one line, non-zero, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis import pipeline
from analysis.errors import InputError
from analysis.pipeline import BUILD_MANIFEST, build
from analysis.runner import NotebookFailed, run_notebooks


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result, *needles):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """An output folder holding a complete earlier build."""
    out = tmp_path_factory.mktemp("previous")
    build(output_dir=out, quiet=True)
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_an_unknown_theme_parameter_lists_the_valid_ones(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "themes", "[NOPE]")
    assert_one_line_error(result, "unknown theme 'NOPE'", "valid themes: PLG, SLG")


def test_an_unknown_guest_parameter_lists_the_valid_ones(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "guests", "张三")
    assert_one_line_error(result, "unknown guest '张三'", "徐至行, 刘景媛, 丁宁, 刘超")


def test_an_unknown_notebook_parameter_is_refused(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "colour", "red")
    assert_one_line_error(result, "unknown notebook parameter 'colour'")


def test_a_codebook_with_an_invalid_pattern_names_the_theme_and_field(tmp_path):
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("themes:\n  - id: PLG\n    label_zh: 产品驱动\n    label_en: PLG\n    definition: d\n"
                        "    terms: [社区]\n    patterns: ['免费(用户']\n", encoding="utf-8")
    result = cli("build", "--codebook", str(codebook), "--output", str(tmp_path / "out"))
    assert_one_line_error(result, "theme 'PLG'", "field 'patterns'", "invalid regex")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_bad_notebook_parameter_names_the_notebook_and_cell(tmp_path):
    with pytest.raises(NotebookFailed) as failure:
        run_notebooks({"themes": ["NOPE"], "output_dir": str(tmp_path / "figures")},
                      only=["02_themes_across_guests"], output_dir=tmp_path, html=False, quiet=True)
    message = str(failure.value)
    assert "02_themes_across_guests.ipynb" in message and "cell" in message and "unknown theme 'NOPE'" in message


def test_a_build_killed_midway_leaves_the_previous_outputs_intact(previous, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in snapshot(previous).items():
        (out / name).write_bytes(data)
    before = snapshot(out)
    process = subprocess.Popen([sys.executable, "-m", "analysis", "build", "--force", "-q", "--output", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # importing and parsing: well before the outputs are replaced
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(out) == before
    assert cli("build", "--output", str(out), "-q").returncode == 0


def test_a_build_interrupted_while_replacing_files_recovers_on_the_next_run(previous, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in snapshot(previous).items():
        (out / name).write_bytes(data)
    calls = {"n": 0}
    real_replace = os.replace

    def dying_replace(src, dst):
        if Path(dst).parent == out:  # a rename into the output folder, not a write into staging
            calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C between two renames
        return real_replace(src, dst)

    monkeypatch.setattr(pipeline.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        build(output_dir=out, quiet=True, force=True)
    monkeypatch.undo()
    assert not (out / BUILD_MANIFEST).exists()  # so the next run cannot take it as up to date
    assert not list(out.glob(".staging-*"))
    for csv in out.glob("*.csv"):
        pd.read_csv(csv)  # every file is whole, old or new
    result = build(output_dir=out, quiet=True)
    assert result.written and (out / BUILD_MANIFEST).exists()
    assert snapshot(out) == snapshot(previous)


def test_stale_staging_folders_of_killed_runs_are_swept(previous, tmp_path):
    out = tmp_path / "out"
    (out / ".staging-dead").mkdir(parents=True)
    (out / ".staging-dead" / "segments.csv").write_text("half", encoding="utf-8")
    build(output_dir=out, quiet=True)
    assert not list(out.glob(".staging-*"))


def _read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "readonly"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    # root ignores permission bits; sysfs refuses new files even to root
    folder = Path("/sys/kernel")
    if not folder.is_dir():
        pytest.skip("no read-only folder available to root on this system")
    return folder


def test_a_read_only_output_folder_is_refused_clearly(tmp_path):
    folder = _read_only_folder(tmp_path)
    result = cli("build", "--output", str(folder), "-q")
    assert_one_line_error(result, str(folder), "not writable")
    with pytest.raises(InputError, match="not writable"):
        build(output_dir=folder, quiet=True, force=True)


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x", encoding="utf-8")
    assert_one_line_error(cli("build", "--output", str(target), "-q"), "not-a-folder")


def test_a_zero_byte_chapter_in_a_folder_is_refused(tmp_path):
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "empty.md").write_bytes(b"")
    assert_one_line_error(cli("build", "--input", str(folder), "--output", str(tmp_path / "o")), "empty.md", "empty")


def test_a_warm_build_does_nothing_and_says_so(previous):
    result = cli("build", "--output", str(previous))
    assert result.returncode == 0 and "up to date" in result.stderr
