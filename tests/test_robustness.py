"""Bad input end to end, through the CLI and notebook parameters: one line, non-zero, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import shutil
import pytest

from analysis import runfolder
from analysis.errors import InputError
from analysis.pipeline import BuildConfig, build


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
    """A root holding a complete earlier build."""
    root = tmp_path_factory.mktemp("previous")
    build(BuildConfig(root=root), quiet=True)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """The published contents of a root: a run's own staging folder and lock are not part of them."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and not p.relative_to(root).parts[0].startswith(".run")}


def copy_root(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".run*"))
    return target


def test_an_unknown_theme_parameter_lists_the_valid_ones(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "themes", "[NOPE]")
    assert_one_line_error(result, "unknown theme 'NOPE'", "valid: PLG, SLG")


def test_an_unknown_guest_parameter_lists_the_valid_ones(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "guests", "张三")
    assert_one_line_error(result, "unknown guest '张三'", "徐至行 (Xu Zhixing), 刘景媛")


def test_an_unknown_notebook_parameter_is_refused(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "colour", "red")
    assert_one_line_error(result, "parameter colour: unknown display parameter")


def test_a_table_parameter_given_to_the_notebooks_names_the_build_option(tmp_path):
    result = cli("report", "--output", str(tmp_path), "-q", "-p", "seed", "7")
    assert_one_line_error(result, "parameter seed", "build option", "--seed 7")
    assert not (tmp_path / "data").exists()  # refused before anything was built


def test_a_codebook_with_an_invalid_pattern_names_the_theme_and_field(tmp_path):
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("themes:\n  - id: PLG\n    label_zh: 产品驱动\n    label_en: PLG\n    definition: d\n"
                        "    terms: [社区]\n    patterns: ['免费(用户']\n", encoding="utf-8")
    result = cli("build", "--codebook", str(codebook), "--output", str(tmp_path / "out"))
    assert_one_line_error(result, "theme 'PLG'", "field 'patterns'", "invalid regex")
    assert not (tmp_path / "out" / "data" / "processed").exists()


def test_a_build_killed_midway_leaves_the_previous_outputs_intact(previous, tmp_path):
    root = copy_root(previous, tmp_path / "root")
    before = snapshot(root)
    process = subprocess.Popen([sys.executable, "-m", "analysis", "build", "--force", "-q", "--output", str(root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # killed midway: once it has staged a first table file, before the swap
    deadline = time.monotonic() + 60
    while not any(root.glob(".run-staging-*/data/processed/*")) and process.poll() is None:
        assert time.monotonic() < deadline, "the build staged no table within a minute"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL and list(root.glob(".run-staging-*"))  # it did die midway
    assert snapshot(root) == before
    assert cli("build", "--output", str(root), "-q").returncode == 0
    assert not list(root.glob(".run-staging-*"))


def test_a_build_interrupted_while_swapping_recovers_on_the_next_run(previous, tmp_path, monkeypatch):
    root = copy_root(previous, tmp_path / "root")
    real_rename = os.rename

    def dying_rename(src, dst):
        if Path(dst).name == "previous":  # the old folder moved aside: die before the new one moves in
            real_rename(src, dst)
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(runfolder.os, "rename", dying_rename)
    with pytest.raises(KeyboardInterrupt):
        build(BuildConfig(root=root), quiet=True, force=True)
    monkeypatch.undo()
    result = build(BuildConfig(root=root), quiet=True)
    assert not result.written  # the previous tables were put back, and they are current
    assert snapshot(root) == snapshot(previous)


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
        build(BuildConfig(root=folder), quiet=True, force=True)


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
    before = snapshot(previous)
    result = cli("build", "--output", str(previous))
    assert result.returncode == 0 and "up to date" in result.stdout + result.stderr
    assert snapshot(previous) == before
