"""End to end: the report on a chapter elsewhere executes every notebook and writes only under its root."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis.paths import DEFAULT_CORPUS, PROJECT_ROOT
from analysis.runner import source_notebooks

EXPECTED_FIGURES = [
    "corpus_size_by_guest", "theme_share_heatmap", "theme_prevalence_intervals", "plg_slg_balance",
    "theme_prompted_vs_unprompted", "distinctive_terms_tfidf", "distinctive_terms_log_odds",
    "cooccurrence_network_sentence", "theme_cooccurrence_heatmap", "tagger_validation",
    "wordcloud_xu_zhixing", "wordcloud_liu_jingyuan", "wordcloud_ding_ning", "wordcloud_liu_chao",
]
REPOSITORY_OUTPUTS = ("data/processed", "figures", "notebooks")


def repository_snapshot() -> dict[str, bytes]:
    files = {}
    for part in REPOSITORY_OUTPUTS:
        for path in sorted((PROJECT_ROOT / part).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                files[str(path.relative_to(PROJECT_ROOT))] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def report_root(tmp_path_factory):
    """``report --input <a copy of the chapter> --output <root>``, with the repository watched."""
    chapter = tmp_path_factory.mktemp("input") / DEFAULT_CORPUS.name  # same document name: its labels apply
    shutil.copyfile(DEFAULT_CORPUS, chapter)
    root = tmp_path_factory.mktemp("root")
    before = repository_snapshot()
    result = subprocess.run([sys.executable, "-m", "analysis", "report", "--input", str(chapter),
                             "--output", str(root), "-q"], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    return root, before, result


@pytest.mark.slow
def test_a_report_elsewhere_writes_only_under_its_root(report_root):
    root, before, _ = report_root
    assert repository_snapshot() == before
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == ["data", "figures", "notebooks"]


@pytest.mark.slow
def test_every_notebook_executes_and_exports_html_with_its_charts_inline(report_root):
    root, _, _ = report_root
    executed = root / "notebooks" / "executed"
    for notebook in source_notebooks():
        run = nbformat.read(str(executed / notebook.name), as_version=4)
        images = [o for c in run.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert images or notebook.stem == "07_explorer", f"{notebook.name} shows no chart"
        assert (executed / f"{notebook.stem}.html").stat().st_size > 10_000
        assert ".run-staging" not in (executed / notebook.name).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_expected_figures_exist_in_three_formats_with_a_manifest(report_root):
    root, _, _ = report_root
    manifest = {r["name"]: r for r in json.loads((root / "figures" / "manifest.json").read_text(encoding="utf-8"))}
    for stem in EXPECTED_FIGURES:
        for fmt in ("png", "svg", "pdf"):
            path = root / "figures" / f"{stem}_zh.{fmt}"
            assert path.exists() and path.stat().st_size > 5_000, path.name
        record = manifest[f"{stem}_zh"]
        assert record["title"] and record["source_table"] and record["notebook"]


@pytest.mark.slow
def test_no_notebook_output_carries_a_warning_or_error(report_root):
    root, _, _ = report_root
    for path in sorted((root / "notebooks" / "executed").glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") if output.get("output_type") == "stream" else ""
                assert output.get("output_type") != "error", path.name
                assert "missing from font" not in text and "Glyph" not in text, (path.name, text[:200])
                assert not (output.get("name") == "stderr" and "Warning" in text), (path.name, text[:300])


@pytest.mark.slow
def test_a_second_report_is_up_to_date_and_a_figure_replaced_by_hand_is_redrawn(report_root):
    root, _, _ = report_root
    again = subprocess.run([sys.executable, "-m", "analysis", "report", "--input", str(_input_of(root)),
                            "--output", str(root)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "report up to date" in again.stdout, again.stdout + again.stderr
    figure = root / "figures" / "plg_slg_balance_zh.png"
    figure.write_bytes(b"not the report's own")
    redo = subprocess.run([sys.executable, "-m", "analysis", "report", "--input", str(_input_of(root)),
                           "--output", str(root)], capture_output=True, text=True, timeout=600)
    assert redo.returncode == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert "02_themes_across_guests.ipynb  (up to date)" not in redo.stdout
    assert "01_corpus_overview.ipynb  (up to date)" in redo.stdout


def _input_of(root: Path) -> Path:
    manifest = json.loads((root / "data" / "processed" / "build_manifest.json").read_text(encoding="utf-8"))
    return Path(manifest["input"])


@pytest.mark.slow
def test_running_one_notebook_keeps_the_others_current_outputs_and_drops_its_own_old_ones(report_root):
    root, _, _ = report_root
    result = subprocess.run([sys.executable, "-m", "analysis", "report", "--input", str(_input_of(root)),
                             "--output", str(root), "--notebook", "01_corpus_overview", "-p", "lang", "en", "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = root / "figures"
    assert (figures / "corpus_size_by_guest_en.png").exists()
    assert not (figures / "corpus_size_by_guest_zh.png").exists()  # that run's figure is not this run's
    assert (figures / "theme_share_heatmap_zh.png").exists()  # 02 was not rerun and is still current
    assert (root / "notebooks" / "executed" / "02_themes_across_guests.html").exists()
