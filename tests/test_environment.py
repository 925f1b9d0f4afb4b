"""environment.yml (conda users) and pyproject.toml (pip) name the same dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from analysis.paths import PROJECT_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_list_the_same_packages():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pip = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["test"]}
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
        else:
            conda.add(_name(dep))
    assert conda - {"python", "pip"} == pip


def test_environment_yml_installs_the_project_itself():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    assert "-e ." in pip_section


def test_source_notebooks_carry_no_outputs_and_match_their_jupytext_twins():
    import jupytext
    import nbformat

    for path in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(str(path), as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert not any(c.outputs or c.execution_count for c in code), f"{path.name} has outputs: run `make notebooks-sync`"
        twin = jupytext.read(str(path.with_suffix(".py")))
        assert [c.source for c in twin.cells] == [c.source for c in notebook.cells], f"{path.name} and its .py differ"
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: exactly one cell tagged parameters"


def test_git_strips_notebook_outputs_on_commit():
    attributes = (PROJECT_ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "*.ipynb filter=nbstripout" in attributes


def test_committed_notebooks_are_already_in_the_form_the_git_filter_writes():
    # otherwise every fresh clone shows the notebooks as modified once the filter is installed
    import subprocess
    import sys

    for path in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cleaned = subprocess.run([sys.executable, "-m", "nbstripout", "-t", str(path)], capture_output=True,
                                 text=True, check=True).stdout
        assert cleaned.strip() == path.read_text(encoding="utf-8").strip(), f"{path.name}: run nbstripout on it"
