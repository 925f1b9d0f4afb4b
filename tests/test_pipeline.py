"""The build: outputs whole or not at all, identical on rerun, bad input refused clearly."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import ChecksumError
from analysis.paths import RAW_DIR
from analysis import pipeline
from analysis.pipeline import build


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    build(output_dir=out, quiet=True, force=True)  # computed afresh, not read from the cache
    return out


def test_the_build_writes_every_documented_table(built):
    for name in ("segments.csv", "segments.parquet", "tokens.parquet", "corpus_summary.csv"):
        assert (built / name).stat().st_size > 0, name
    summary = pd.read_csv(built / "corpus_summary.csv")
    assert summary["guest"].tolist() == ["徐至行", "刘景媛", "丁宁", "刘超"]
    assert summary["questions"].tolist() == [10, 13, 6, 8]  # 刘景媛: 12 headings and one follow-up
    assert (summary["distinct_content_tokens"] < summary["content_tokens"]).all()
    csv = pd.read_csv(built / "segments.csv", keep_default_na=False)
    parquet = pd.read_parquet(built / "segments.parquet")
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)


def test_a_second_build_gives_byte_identical_tables(built, tmp_path):
    build(output_dir=tmp_path, quiet=True)  # through the cache: a round trip must not change a byte
    for path in built.iterdir():
        if path.is_file():
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_changed_raw_file_is_refused(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    chapter = raw / "commercialization_2024.md"
    chapter.write_bytes(chapter.read_bytes().replace("商业化".encode(), "商业话".encode(), 1))
    with pytest.raises(ChecksumError, match="SHA-256"):
        build(input_path=chapter, output_dir=tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists()


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "not found"),
        (b"", "file is empty"),
        ("## 标题\n### 问题？\n回答。\n".encode("gbk"), "not valid UTF-8"),
        ("没有任何标题的一段文字。\n".encode(), "no recognisable structure"),
    ],
    ids=["missing", "empty", "gbk", "unstructured"],
)
def test_bad_input_gets_a_one_line_error_naming_the_file(tmp_path, content, problem):
    chapter = tmp_path / "bad.md"
    if content is not None:
        chapter.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    (out / "segments.csv").write_text("previous\n", encoding="utf-8")
    code = main(["build", "--input", str(chapter), "--output", str(out), "--quiet"])
    assert code != 0
    result = _run_cli("build", "--input", str(chapter), "--output", str(out), "--quiet")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(chapter) in lines[0] and problem in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["segments.csv"]
    assert (out / "segments.csv").read_text(encoding="utf-8") == "previous\n"


def test_gbk_error_suggests_how_to_convert(tmp_path):
    chapter = tmp_path / "gbk.md"
    chapter.write_bytes("## 《访谈》\n### 问题？\n开源软件的商业化。\n".encode("gbk"))
    result = _run_cli("build", "--input", str(chapter), "--output", str(tmp_path / "o"))
    assert "GBK" in result.stderr


def test_a_folder_with_a_non_markdown_file_is_refused(tmp_path):
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "a.md").write_text("## 《访谈》\n### 问题？\n回答。\n", encoding="utf-8")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    result = _run_cli("build", "--input", str(folder), "--output", str(tmp_path / "o"))
    assert result.returncode != 0
    assert "notes.docx" in result.stderr and "not a Markdown chapter" in result.stderr


def test_help_lists_the_commands():
    result = _run_cli("--help")
    assert result.returncode == 0 and "build" in result.stdout


def test_the_parser_profile_is_part_of_the_build_fingerprint(tmp_path, monkeypatch):
    # a changed profile.yaml changes roles, so a cached build must not be taken as up to date
    config = pipeline.BuildConfig()
    before = config.fingerprint()
    profile = tmp_path / "profile.yaml"
    profile.write_text("languages:\n  zh:\n    overview_headings: [概述]\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "default_profile_path", lambda: profile)
    assert config.fingerprint() != before
