"""``python -m analysis report``: build the tables, then execute every notebook with papermill.

Notebooks read the tables (from the cache the build just filled), so once the build is done
they are independent of one another and run in parallel, one kernel per core. Each
executed notebook is saved under ``notebooks/executed/`` with an HTML copy for readers
without Jupyter; the figures go to ``figures/``.
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import json
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
    _key_file(output_dir, notebook).unlink(missing_ok=True)  # until this run succeeds
    accepted = {k: v for k, v in parameters.items() if k in _known_parameters(notebook)}
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=accepted, kernel_name="python3", progress_bar=False,
            cwd=str(PROJECT_ROOT), log_output=False, request_save_on_cell_execute=False,
            # The kernel's own log (a TCP-transport notice at start, a KeyboardInterrupt notice at
            # shutdown) is noise here; errors in cells still reach the notebook and this runner.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
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


def run_key(notebook: Path, parameters: dict, tables_fingerprint: str) -> str:
    """What an executed notebook depends on: its source, its parameters and the tables' fingerprint
    (which covers the corpus, lexicons, codebook, labels and the package's code)."""
    digest = hashlib.sha256(notebook.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    digest.update(tables_fingerprint.encode())
    return digest.hexdigest()[:20]


def _key_file(output_dir: Path, notebook: Path) -> Path:
    return output_dir / f".{notebook.stem}.key"


def _up_to_date(notebook: Path, key: str, output_dir: Path, html: bool, figures_dir: Path | None) -> bool:
    from .figures import collect_manifest

    key_file = _key_file(output_dir, notebook)
    if not (key_file.exists() and key_file.read_text(encoding="utf-8") == key):
        return False
    if not (output_dir / notebook.name).exists() or (html and not (output_dir / f"{notebook.stem}.html").exists()):
        return False
    if figures_dir is not None:  # a figure deleted by hand must be drawn again
        for entry in collect_manifest(figures_dir):
            if not all((figures_dir / f).exists() for f in entry["files"]):
                return False
    return True


def run_notebooks(parameters: dict, only: list[str] | None = None, workers: int | None = None,
                  output_dir: Path = EXECUTED_DIR, html: bool = True, quiet: bool = False,
                  tables_fingerprint: str | None = None, figures_dir: Path | None = None) -> list[NotebookRun]:
    """Execute the notebooks in parallel; stop at the first failure with notebook, cell and error.

    With ``tables_fingerprint``, a notebook whose source, parameters and tables are unchanged
    since its last successful run (and whose figures are all still there) is skipped.
    """
    notebooks = source_notebooks(only=only)
    workers = max(1, min(workers or os.cpu_count() or 1, len(notebooks)))
    runs: list[NotebookRun] = []
    say = (lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    keys = {nb: run_key(nb, parameters, tables_fingerprint) for nb in notebooks} if tables_fingerprint else {}
    fresh = [nb for nb in notebooks if keys and _up_to_date(nb, keys[nb], output_dir, html, figures_dir)]
    for nb in fresh:
        say(f"  {nb.name}: up to date, skipped")
        html_path = output_dir / f"{nb.stem}.html"
        runs.append(NotebookRun(nb, output_dir / nb.name, html_path if html else None, 0.0))
    notebooks = [nb for nb in notebooks if nb not in fresh]
    if not notebooks:
        return sorted(runs, key=lambda r: r.notebook.name)
    workers = max(1, min(workers, len(notebooks)))
    say(f"executing {len(notebooks)} notebooks with {workers} kernel(s) in parallel")
    with futures.ThreadPoolExecutor(max_workers=workers) as pool:
        pending = {pool.submit(execute_notebook, nb, parameters, output_dir, html): nb for nb in notebooks}
        try:
            for done in futures.as_completed(pending):
                run = done.result()
                runs.append(run)
                if keys:
                    _key_file(output_dir, run.notebook).write_text(keys[run.notebook], encoding="utf-8")
                say(f"  [{len(runs)}/{len(notebooks)}] {run.notebook.name} done in {run.seconds:.1f} s")
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return sorted(runs, key=lambda r: r.notebook.name)


def figures_written(figures_dir: Path = FIGURES_DIR) -> list[Path]:
    return sorted(p for p in figures_dir.glob("*") if p.suffix in (".png", ".svg", ".pdf"))
