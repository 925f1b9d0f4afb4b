"""End to end: every notebook executes headless with papermill on the real corpus."""

from __future__ import annotations

import json

import nbformat
import pytest

from analysis.runner import run_notebooks, source_notebooks

EXPECTED_FIGURES = [
    "corpus_size_by_guest", "theme_share_heatmap", "theme_prevalence_intervals", "plg_slg_balance",
    "theme_prompted_vs_unprompted", "distinctive_terms_tfidf", "distinctive_terms_log_odds",
    "cooccurrence_network_sentence", "theme_cooccurrence_heatmap", "tagger_validation",
    "wordcloud_xu_zhixing", "wordcloud_liu_jingyuan", "wordcloud_ding_ning", "wordcloud_liu_chao",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    runs = run_notebooks({"output_dir": str(root / "figures")}, output_dir=root / "executed", html=True, quiet=True)
    return root, runs


@pytest.mark.slow
def test_every_notebook_executes_and_exports_html(executed):
    root, runs = executed
    assert [r.notebook.name for r in runs] == [p.name for p in source_notebooks()]
    for run in runs:
        assert run.output.exists() and run.html.stat().st_size > 10_000


@pytest.mark.slow
def test_the_expected_figures_exist_in_three_formats_with_a_manifest(executed):
    root, _ = executed
    for stem in EXPECTED_FIGURES:
        for fmt in ("png", "svg", "pdf"):
            path = root / "figures" / f"{stem}_zh.{fmt}"
            assert path.exists() and path.stat().st_size > 5_000, path.name
        record = json.loads((root / "figures" / "manifest.d" / f"{stem}_zh.json").read_text(encoding="utf-8"))
        assert record["title"] and record["source_table"]


@pytest.mark.slow
def test_no_notebook_output_carries_a_warning_or_error(executed):
    root, runs = executed
    for run in runs:
        notebook = nbformat.read(str(run.output), as_version=4)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                text = output.get("text", "") if output.get("output_type") == "stream" else ""
                assert output.get("output_type") != "error", run.notebook.name
                assert "missing from font" not in text and "Glyph" not in text, (run.notebook.name, text[:200])
                assert not (output.get("name") == "stderr" and "Warning" in text), (run.notebook.name, text[:300])


def test_an_unchanged_notebook_is_skipped_and_a_changed_parameter_reruns_it(tmp_path):
    from analysis.runner import _key_file, _up_to_date, run_key

    notebook = source_notebooks(only=["07_explorer"])[0]
    parameters = {"lang": "zh"}
    key = run_key(notebook, parameters, "fingerprint")
    (tmp_path / notebook.name).write_text("{}", encoding="utf-8")
    (tmp_path / f"{notebook.stem}.html").write_text("<html/>", encoding="utf-8")
    _key_file(tmp_path, notebook).write_text(key, encoding="utf-8")
    runs = run_notebooks(parameters, only=["07_explorer"], output_dir=tmp_path, quiet=True,
                         tables_fingerprint="fingerprint", figures_dir=tmp_path)
    assert runs[0].seconds == 0.0  # skipped: no kernel was started
    assert not _up_to_date(notebook, run_key(notebook, {"lang": "en"}, "fingerprint"), tmp_path, True, tmp_path)
    assert not _up_to_date(notebook, run_key(notebook, parameters, "other tables"), tmp_path, True, tmp_path)
