"""``python -m analysis report``: build the tables, then execute every notebook with papermill.

Notebooks read the tables (from the cache the build just filled), so once the build is done
they are independent of one another and run in parallel, one kernel per core. Each
executed notebook is saved under ``notebooks/executed/`` with an HTML copy for readers
without Jupyter; the figures go to ``figures/``.
"""

from __future__ import annotations

import concurrent.futures as futures
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import AnalysisError, ParameterError
from .paths import FIGURES_DIR, NOTEBOOKS_DIR, PROJECT_ROOT

EXECUTED_DIR = NOTEBOOKS_DIR / "executed"


class NotebookFailed(AnalysisError):
    """A notebook raised: the message names the notebook, the cell and the error."""


@dataclass
class NotebookRun:
    notebook: Path
    output: Path
    html: Path | None
    seconds: float


def source_notebooks(folder: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks in reading order (``NN_name.ipynb``), optionally a subset by name."""
    notebooks = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {n.removesuffix(".ipynb") for n in only}
        unknown = wanted - {p.stem for p in notebooks}
        if unknown:
            raise ParameterError(f"unknown notebook {sorted(unknown)[0]!r}; valid: {', '.join(p.stem for p in notebooks)}")
        notebooks = [p for p in notebooks if p.stem in wanted]
    return notebooks


def parse_parameters(pairs: list[list[str]] | None) -> dict:
    """``-p name value`` pairs; values are read as YAML (numbers, lists, booleans) like papermill does."""
    import yaml

    parameters = {}
    for name, value in pairs or []:
        try:
            parameters[name] = yaml.safe_load(value)
        except yaml.YAMLError:
            parameters[name] = value
    return parameters


def _failure_message(notebook: Path, error: Exception) -> str:
    cell = getattr(error, "exec_count", None)
    ename = getattr(error, "ename", type(error).__name__)
    evalue = getattr(error, "evalue", str(error))
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{notebook.name}: failed{where}: {ename}: {str(evalue).strip().splitlines()[-1] if str(evalue).strip() else ''}"


def _known_parameters(notebook: Path) -> set[str]:
    import papermill

    try:
        return set(papermill.inspect_notebook(str(notebook)).keys())
    except Exception as err:  # unreadable JSON, no kernelspec, no parameters cell…
        raise NotebookFailed(f"{notebook}: cannot read its parameters ({type(err).__name__}: {err})") from None


def execute_notebook(notebook: Path, parameters: dict, output_dir: Path = EXECUTED_DIR, html: bool = True) -> NotebookRun:
    import papermill

    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / notebook.name
    accepted = {k: v for k, v in parameters.items() if k in _known_parameters(notebook)}
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=accepted, kernel_name="python3", progress_bar=False,
            cwd=str(PROJECT_ROOT), log_output=False, request_save_on_cell_execute=False,
        )
    except papermill.PapermillExecutionError as err:
        raise NotebookFailed(_failure_message(notebook, err)) from None
    except Exception as err:  # kernel died, bad parameters…
        raise NotebookFailed(f"{notebook.name}: {type(err).__name__}: {err}") from None
    os.replace(tmp, output)
    html_path = export_html(output) if html else None
    return NotebookRun(notebook, output, html_path, time.perf_counter() - started)


def export_html(executed: Path) -> Path:
    import nbconvert
    import nbformat

    body, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
    target = executed.with_suffix(".html")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, target)
    return target


def run_notebooks(parameters: dict, only: list[str] | None = None, workers: int | None = None,
                  output_dir: Path = EXECUTED_DIR, html: bool = True, quiet: bool = False) -> list[NotebookRun]:
    """Execute the notebooks in parallel; stop at the first failure with notebook, cell and error."""
    notebooks = source_notebooks(only=only)
    workers = max(1, min(workers or os.cpu_count() or 1, len(notebooks)))
    runs: list[NotebookRun] = []
    say = (lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    say(f"executing {len(notebooks)} notebooks with {workers} kernel(s) in parallel")
    with futures.ThreadPoolExecutor(max_workers=workers) as pool:
        pending = {pool.submit(execute_notebook, nb, parameters, output_dir, html): nb for nb in notebooks}
        try:
            for done in futures.as_completed(pending):
                run = done.result()
                runs.append(run)
                say(f"  [{len(runs)}/{len(notebooks)}] {run.notebook.name} done in {run.seconds:.1f} s")
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return sorted(runs, key=lambda r: r.notebook.name)


def figures_written(figures_dir: Path = FIGURES_DIR) -> list[Path]:
    return sorted(p for p in figures_dir.glob("*") if p.suffix in (".png", ".svg", ".pdf"))
