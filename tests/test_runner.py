"""The notebook runner: a failing or hanging notebook is named with its cell."""

from __future__ import annotations

import nbformat
import pytest

from analysis.runner import NotebookFailed, execute_notebook, figure_records, parse_parameters


def notebook_with(tmp_path, *sources: str):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_probe.ipynb"
    nbformat.write(notebook, str(path))
    return path


def test_a_failing_cell_names_the_notebook_the_cell_and_the_error(tmp_path):
    path = notebook_with(tmp_path, "x = 1", "raise ValueError('bad guest')")
    with pytest.raises(NotebookFailed, match=r"99_probe.ipynb: failed in cell .*ValueError: bad guest"):
        execute_notebook(path, {}, tmp_path / "out", timeout=60, kernel_cwd=tmp_path)
    assert not (tmp_path / "out" / "99_probe.ipynb").exists()


def test_a_cell_past_the_timeout_names_the_notebook_and_the_cell(tmp_path):
    path = notebook_with(tmp_path, "x = 1", "import time\ntime.sleep(30)")
    with pytest.raises(NotebookFailed, match=r"99_probe.ipynb: failed in cell 2 \(import time\): timed out after 2 s"):
        execute_notebook(path, {}, tmp_path / "out", timeout=2, kernel_cwd=tmp_path)


def test_figure_records_are_read_from_the_caption_outputs(tmp_path):
    path = notebook_with(tmp_path, "")
    notebook = nbformat.read(str(path), as_version=4)
    notebook.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "*c*"},
                                                        metadata={"analysis/figure": {"name": "f_zh", "files": []}})]
    nbformat.write(notebook, str(path))
    assert figure_records(path) == [{"name": "f_zh", "files": []}]


def test_command_line_values_are_read_as_yaml():
    assert parse_parameters([["guests", "[丁宁, 刘超]"], ["evidence_rows", "5"], ["lang", "en"]]) == {
        "guests": ["丁宁", "刘超"], "evidence_rows": 5, "lang": "en"}


def test_the_parameters_read_are_the_ones_papermill_finds_in_every_notebook():
    import papermill

    from analysis.runner import notebook_parameters, source_notebooks

    for notebook in source_notebooks():
        assert notebook_parameters(notebook) == set(papermill.inspect_notebook(str(notebook))), notebook.name


def test_parameters_are_the_names_assigned_at_the_top_of_the_parameters_cell(tmp_path):
    from analysis.runner import notebook_parameters

    path = notebook_with(tmp_path, "root = ''  # where\nguests = [\n  'a',\n]\nwidth: int = 25\nif True:\n    hidden = 1",
                         "later = 2")
    assert notebook_parameters(path) == {"root", "guests", "width"}


def test_a_notebook_whose_parameters_cannot_be_read_is_named(tmp_path):
    from analysis.runner import notebook_parameters

    broken = tmp_path / "98_broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(NotebookFailed, match=r"98_broken.ipynb: cannot read its parameters"):
        notebook_parameters(broken)
    path = notebook_with(tmp_path, "x = 1")
    notebook = nbformat.read(str(path), as_version=4)
    del notebook.metadata["kernelspec"]
    nbformat.write(notebook, str(path))
    with pytest.raises(NotebookFailed, match=r"cannot read its parameters .*kernel"):
        notebook_parameters(path)


def test_the_jupyter_libraries_load_without_the_iri_grammars_and_leave_them_importable():
    """jsonschema (under nbformat) would compile rfc3987_syntax's grammars at import: seconds
    before any notebook starts, for formats no notebook schema uses."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("rfc3987_syntax") is None:
        pytest.skip("rfc3987_syntax is not installed here: nothing to leave out")
    probe = ("import sys; from analysis.runner import load_jupyter; load_jupyter(); import nbconvert, nbformat; "
             "print('rfc3987_syntax' in sys.modules); "
             "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])); "
             "import rfc3987_syntax; print(rfc3987_syntax.is_valid_syntax('iri', 'https://example.org/é'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_notebooks_run_longest_first_by_their_last_run_and_untimed_ones_first_in_reading_order():
    from pathlib import Path

    from analysis.runner import longest_first

    notebooks = [Path(f"{n}.ipynb") for n in ("01_a", "02_b", "03_c", "04_d", "05_e")]
    seconds = {"01_a": 5.0, "03_c": 9.5, "05_e": 16.0}
    assert [p.stem for p in longest_first(notebooks, seconds)] == ["02_b", "04_d", "05_e", "03_c", "01_a"]
    assert longest_first(notebooks, {}) == notebooks


def test_one_kernel_more_than_the_cores_runs_unless_told_and_never_more_than_the_notebooks(monkeypatch):
    from analysis.runner import kernels_for

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert kernels_for(list(range(7)), None) == 3
    assert kernels_for(list(range(2)), None) == 2
    assert kernels_for(list(range(7)), 1) == 1 and kernels_for(list(range(7)), 5) == 5
