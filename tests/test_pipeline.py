"""The build: tables whole or not at all, identical on rerun, owned by one key, bad input refused clearly."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import ChecksumError
from analysis.pipeline import BUILD_MANIFEST, PACKAGE_DIR, BuildConfig, build, code_files
from analysis.paths import DEFAULT_CORPUS, RAW_DIR
from analysis.runfolder import read_json
from analysis.runner import notebook_key, source_notebooks


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    build(BuildConfig(root=root), quiet=True, force=True)
    return root / "data" / "processed"


def test_the_build_writes_every_documented_table_as_parquet_and_csv(built):
    for name in ("segments", "corpus_summary", "theme_by_guest", "keyness", "cooccurrence_edges"):
        assert (built / f"{name}.parquet").stat().st_size > 0 and (built / f"{name}.csv").stat().st_size > 0, name
    assert (built / "tokens.parquet").exists() and not (built / "tokens.csv").exists()
    summary = pd.read_csv(built / "corpus_summary.csv")
    assert summary["guest"].tolist() == ["徐至行", "刘景媛", "丁宁", "刘超"]
    assert summary["questions"].tolist() == [10, 13, 6, 8]  # 刘景媛: 12 headings and one follow-up
    csv = pd.read_csv(built / "segments.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(csv, pd.read_parquet(built / "segments.parquet"), check_dtype=False)


def test_the_build_publishes_exactly_the_computed_tables_written_one_by_one(built, tmp_path):
    # the build writes each table in the process that computed it: the files must be those of
    # computing every table in memory and writing it here, no table missing, none extra
    from analysis.pipeline import compute_tables, write_table

    tables = compute_tables(BuildConfig())
    expected = {p.name: p.read_bytes() for name, frame in tables.items() for p in write_table(frame, name, tmp_path)}
    published = {p.name: p.read_bytes() for p in built.iterdir() if p.name != BUILD_MANIFEST}
    assert sorted(published) == sorted(expected)
    assert [name for name in published if published[name] != expected[name]] == []
    assert list(tables)[:3] == ["segments", "tokens", "corpus_summary"]  # publishing order


def test_the_manifest_records_inputs_parameters_and_every_file(built):
    manifest = read_json(built / BUILD_MANIFEST)
    assert manifest["parameters"]["seed"] == 20241 and manifest["parameters"]["top_k"] == 30
    assert any(path.endswith("commercialization_2024.md") for path in manifest["inputs"])
    assert set(manifest["files"]) == {p.name for p in built.iterdir() if p.name != BUILD_MANIFEST}


def test_a_second_build_gives_byte_identical_tables(built, tmp_path):
    build(BuildConfig(root=tmp_path), quiet=True, force=True)
    for path in built.iterdir():
        assert (tmp_path / "data" / "processed" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_build_parameter_changes_the_key_and_is_recorded(tmp_path):
    default, seeded = BuildConfig(), BuildConfig(parameters={"seed": 7})
    assert default.key() != seeded.key()
    assert seeded.recorded_parameters()["seed"] == 7


def test_editing_plotting_code_reruns_notebooks_but_not_the_build(tmp_path):
    package = tmp_path / "analysis"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    config = BuildConfig()
    notebook = source_notebooks(only=["02_themes_across_guests"])[0]
    build_before = config.key(package)
    from analysis import pipeline

    notebook_before = pipeline.digest_of([notebook, *code_files("presentation", package)], build_before)
    charts = package / "plots.py"
    charts.write_text(charts.read_text(encoding="utf-8").replace("#", "# colour edited\n#", 1), encoding="utf-8")
    assert config.key(package) == build_before
    assert pipeline.digest_of([notebook, *code_files("presentation", package)], build_before) != notebook_before
    stats = package / "stats.py"
    stats.write_text(stats.read_text(encoding="utf-8") + "\n# a change to an analysis stage\n", encoding="utf-8")
    assert config.key(package) != build_before


def test_a_notebook_key_depends_on_its_display_parameters_and_tables():
    notebook = source_notebooks(only=["07_explorer"])[0]
    assert notebook_key(notebook, "tables", {"lang": "zh"}) != notebook_key(notebook, "tables", {"lang": "en"})
    assert notebook_key(notebook, "tables", {}) != notebook_key(notebook, "other tables", {})


def test_a_changed_raw_file_is_refused(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW_DIR, raw)
    chapter = raw / "commercialization_2024.md"
    chapter.write_bytes(chapter.read_bytes().replace("商业化".encode(), "商业话".encode(), 1))
    with pytest.raises(ChecksumError, match="SHA-256"):
        build(BuildConfig(input_path=chapter, root=tmp_path / "out"), quiet=True)
    assert not (tmp_path / "out" / "data").exists()


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
    root = tmp_path / "out"
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "processed" / "segments.csv").write_text("previous\n", encoding="utf-8")
    assert main(["build", "--input", str(chapter), "--output", str(root), "--quiet"]) != 0
    result = _run_cli("build", "--input", str(chapter), "--output", str(root), "--quiet")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(chapter) in lines[0] and problem in lines[0], result.stderr
    assert sorted(p.name for p in (root / "data" / "processed").iterdir()) == ["segments.csv"]
    assert (root / "data" / "processed" / "segments.csv").read_text(encoding="utf-8") == "previous\n"


def test_gbk_error_suggests_how_to_convert(tmp_path):
    chapter = tmp_path / "gbk.md"
    chapter.write_bytes("## 《访谈》\n### 问题？\n开源软件的商业化。\n".encode("gbk"))
    assert "GBK" in _run_cli("build", "--input", str(chapter), "--output", str(tmp_path / "o")).stderr


def test_a_folder_with_a_non_markdown_file_is_refused(tmp_path):
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "a.md").write_text("## 《访谈》\n### 问题？\n回答。\n", encoding="utf-8")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    result = _run_cli("build", "--input", str(folder), "--output", str(tmp_path / "o"))
    assert result.returncode != 0
    assert "notes.docx" in result.stderr and "not a Markdown chapter" in result.stderr


def test_help_lists_the_commands_and_the_build_options():
    result = _run_cli("build", "--help")
    assert result.returncode == 0 and "--seed" in result.stdout and "--top-k" in result.stdout
    assert DEFAULT_CORPUS.exists()
    help_text = " ".join(result.stdout.split())  # argparse wraps lines
    assert "(default: 20241)" in help_text and "(default: the package's lexicons/codebook.yaml)" in help_text
    assert "see text" not in help_text and ") (default:" not in help_text  # each default said once


def test_the_parser_profile_is_part_of_the_build_key(tmp_path, monkeypatch):
    from analysis import pipeline

    config = BuildConfig()
    before = config.key()
    profile = tmp_path / "profile.yaml"
    profile.write_text("languages:\n  zh:\n    overview_headings: [概述]\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "default_profile_path", lambda: profile)
    assert config.key() != before


# -- languages ------------------------------------------------------------------------------

from .english_chapter import CHINESE_CHAPTER, ENGLISH_CHAPTER  # noqa: E402

CHINESE_ONLY_CODEBOOK = """themes:
  - id: GLOBAL
    label_zh: 出海
    label_en: Going global
    definition: Chinese companies going global.
    terms: [出海, 海外]
"""


def _two_languages(tmp_path):
    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "english.md").write_text(ENGLISH_CHAPTER, encoding="utf-8")
    (folder / "chinese.md").write_text(CHINESE_CHAPTER, encoding="utf-8")
    return folder


def test_a_codebook_without_english_terms_makes_the_build_warn_for_an_english_document(tmp_path, capsys):
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(CHINESE_ONLY_CODEBOOK, encoding="utf-8")
    result = build(BuildConfig(_two_languages(tmp_path), tmp_path / "root", {"codebook": codebook}), quiet=True)
    warnings = capsys.readouterr().err.splitlines()
    assert warnings == ["warning: english: language en, but the codebook has no English terms for any theme: "
                        "their shares there are 0 by construction"]
    segments = pd.read_csv(result.output_dir / "segments.csv")
    assert segments.groupby("document")["language"].agg(set).to_dict() == {"chinese": {"zh"}, "english": {"en"}}
    themes = pd.read_csv(result.output_dir / "themes.csv", keep_default_na=False)
    assert themes[["theme", "languages"]].to_dict("records") == [{"theme": "GLOBAL", "languages": "zh"}]


def test_the_default_codebook_covers_both_languages_without_a_warning(tmp_path, capsys):
    result = build(BuildConfig(_two_languages(tmp_path), tmp_path / "root"), quiet=True)
    assert capsys.readouterr().err == ""
    shares = pd.read_csv(result.output_dir / "theme_by_guest.csv").set_index(["document", "theme"])["paragraphs"]
    assert shares[("english", "PLG")] == 1 and shares[("english", "GLOBAL")] == 1 and shares[("chinese", "GLOBAL")] == 1


@pytest.mark.parametrize("content, problem", [(b"", "file is empty"),
                                              ("没有任何标题的一段文字。\n".encode(), "no recognisable structure")],
                         ids=["empty", "unstructured"])
def test_a_bad_chapter_among_several_read_in_parallel_is_named_in_one_line(tmp_path, content, problem):
    folder = tmp_path / "chapters"
    folder.mkdir()
    for name in ("a.md", "b.md", "d.md"):
        shutil.copy(DEFAULT_CORPUS, folder / name)
    (folder / "c_bad.md").write_bytes(content)
    result = _run_cli("build", "--input", str(folder), "--output", str(tmp_path / "o"), "--quiet")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert str(folder / "c_bad.md") in lines[0] and problem in lines[0]


def test_documents_read_in_parallel_give_the_tables_read_one_by_one(tmp_path, monkeypatch):
    import analysis.pipeline as pipeline
    from analysis.themes import load_codebook

    for name in (DEFAULT_CORPUS.name, "x.md", "y.md"):
        shutil.copy(DEFAULT_CORPUS, tmp_path / name)
    config, themes = BuildConfig(input_path=tmp_path), load_codebook()
    parallel = pipeline.read_documents(config, themes)
    one_by_one = pipeline.in_parallel
    monkeypatch.setattr(pipeline, "in_parallel", lambda work, files: one_by_one(work, files, workers=1))
    serial = pipeline.read_documents(config, themes)
    for name in pipeline.DOCUMENT_TABLES:
        pd.testing.assert_frame_equal(parallel[name], serial[name])
    assert parallel["segments"]["document"].unique().tolist() == [DEFAULT_CORPUS.stem, "x", "y"]
    # and a chapter read in a folder gives the tables it gives read alone
    alone = pipeline.read_documents(BuildConfig(), themes)
    for name in pipeline.DOCUMENT_TABLES:
        pd.testing.assert_frame_equal(parallel[name].iloc[:len(alone[name])], alone[name])


def test_in_parallel_keeps_the_order_and_uses_processes_for_several_items(tmp_path):
    import os

    from analysis.pipeline import in_parallel as map_documents

    files = [tmp_path / f"{i}.md" for i in range(5)]
    results = map_documents(lambda file: (file.name, os.getpid()), files, workers=2)
    assert [name for name, _ in results] == [f.name for f in files]
    assert os.getpid() not in {pid for _, pid in results}
    assert map_documents(lambda file: os.getpid(), files[:1], workers=2) == [os.getpid()]  # one file: no pool


def test_worker_processes_default_to_the_usable_cores_and_never_more_than_the_cap(monkeypatch):
    import os

    from analysis import pipeline

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert pipeline.usable_cores() == pipeline.MAX_WORKERS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert pipeline.usable_cores() == 1
    assert pipeline.in_parallel(lambda item: os.getpid(), [1, 2, 3]) == [os.getpid()] * 3  # one core: no pool
