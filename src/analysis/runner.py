"""``python -m analysis report``: build the tables, then execute every notebook with papermill.

The run happens in a run folder (:mod:`analysis.runfolder`): tables, figures and executed
notebooks are staged under the root and swapped in together at the end, so a failed run
leaves the previous report as it was. Notebooks read the staged tables, take display
parameters only, and run in parallel, one kernel more than the cores; each kernel is forked
from one process that has imported what the notebooks import (:mod:`analysis.kernel_server`).

Freshness: a notebook is up to date when its tables (the build key), its source, the
plotting code and its display parameters are unchanged and its outputs are still the ones
this runner wrote (checked by SHA-256). Then its outputs are carried over, not re-run.
Schema of ``notebooks/executed/run_manifest.json``: ``tables_key`` and, per notebook,
``key``, ``display`` (the parameters it was run with), ``files`` (executed notebook and
HTML → SHA-256), ``figures`` (its figure records, as in ``figures/manifest.json``); and
``seconds``: how long each notebook last took to run, which orders the next run (longest
first, so that the parallel kernels finish together).
"""

from __future__ import annotations

import ast
import concurrent.futures as futures
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AnalysisError, ParameterError
from .params import check_display
from .paths import NOTEBOOKS_DIR, PROJECT_ROOT
from .runfolder import EXECUTED, FIGURES, PROCESSED, RunFolder, file_digest, files_intact, read_json, write_json

RUN_MANIFEST = "run_manifest.json"
#: parameters the runner itself sets in every notebook (where to read, where to save)
LOCATION_PARAMETERS = ("root", "save_to")
DEFAULT_TIMEOUT = 600


class NotebookFailed(AnalysisError):
    """A notebook raised: the message names the notebook, the cell and the error."""


@dataclass
class NotebookRun:
    notebook: Path
    key: str
    display: dict
    files: dict = field(default_factory=dict)  # executed notebook / HTML name → SHA-256
    figures: list = field(default_factory=list)  # figure records (see figures.write_figure_manifest)
    seconds: float = 0.0
    fresh: bool = False
    title: str = ""

    def as_entry(self) -> dict:
        return {"key": self.key, "display": self.display, "files": self.files, "figures": self.figures,
                "title": self.title}

    def figure_files(self) -> dict[str, str]:
        return {name: digest for record in self.figures for name, digest in record.get("digests", {}).items()}


def load_jupyter() -> None:
    """Import the Jupyter libraries the runner uses (papermill, nbformat, nbconvert).

    nbformat validates notebooks with jsonschema, whose import compiles some forty Lark grammars
    for the ``iri`` formats when ``rfc3987_syntax`` is installed: about 1.5 s of a cold report,
    spent before any notebook can start (jsonschema issue #1428). No notebook schema uses those
    formats and nothing here asks jsonschema to check formats, so jsonschema is loaded without
    them; the block is lifted afterwards, so anything else may still import ``rfc3987_syntax``.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError, which jsonschema expects
        try:
            import jsonschema._format  # noqa: F401
        finally:
            if sys.modules.get("rfc3987_syntax", False) is None:
                del sys.modules["rfc3987_syntax"]
    import nbformat  # noqa: F401
    import papermill  # noqa: F401


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


def notebook_parameters(notebook: Path) -> set[str]:
    """The names in a notebook's ``parameters`` cell: the names assigned at its top level, which
    are the ones papermill finds and overrides.

    Read from the notebook's JSON with :mod:`ast` rather than with papermill, whose import
    (nbformat, jsonschema and its format grammars) costs seconds: an up-to-date report needs
    these names but never papermill.
    """
    try:
        data = json.loads(notebook.read_text(encoding="utf-8"))
        if not (data.get("metadata", {}).get("kernelspec") or {}).get("name"):
            raise ValueError("no kernel name found in notebook")
        cell = next((c for c in data.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
        if cell is None:
            return set()
        source = cell.get("source", "")
        tree = ast.parse(source if isinstance(source, str) else "".join(source))
    except Exception as err:  # unreadable JSON, no kernelspec, a parameters cell that is not Python…
        raise NotebookFailed(f"{notebook}: cannot read its parameters ({type(err).__name__}: {err})") from None
    names = set()
    for statement in tree.body:
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def display_for(notebooks: list[Path], display: dict) -> dict[Path, dict]:
    """Each notebook's share of the display parameters; one no notebook takes is an error."""
    display = check_display(display)
    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    taken = set().union(*declared.values()) if declared else set()
    for name in display:
        if name not in taken:
            raise ParameterError(f"parameter {name}: no notebook of this run takes it")
    return {nb: {k: v for k, v in display.items() if k in declared[nb]} for nb in notebooks}


def notebook_key(notebook: Path, tables_key: str, display: dict) -> str:
    """What an executed notebook depends on: its tables, its source, the plotting code, its display parameters."""
    from .pipeline import code_files, digest_of

    return digest_of([notebook, *code_files("presentation")], tables_key,
                     json.dumps(display, sort_keys=True, default=str))


def _timed_out_cell(notebook: Path, message: str) -> str:
    """Which cell timed out: nbclient's message quotes the start of the cell's source."""
    load_jupyter()
    import nbformat

    preview = message.split("-------------------\n")
    source = preview[1].strip() if len(preview) > 2 else ""
    if not source:
        return ""
    for index, cell in enumerate(nbformat.read(str(notebook), as_version=4).cells):
        if cell.cell_type == "code" and cell.source.strip().startswith(source[:200]):
            return f" in cell {index + 1} ({source.splitlines()[0][:60]})"
    return f" in the cell starting {source.splitlines()[0][:60]!r}"


def execute_notebook(notebook: Path, parameters: dict, output_dir: Path, timeout: int = DEFAULT_TIMEOUT,
                     kernel_cwd: Path = PROJECT_ROOT, kernels=None) -> Path:
    """Run one notebook with papermill into ``output_dir``; a failure names the notebook and cell.
    ``kernels``: a :class:`~analysis.kernel_server.KernelServer` to fork the kernel from (else
    the kernel is launched as usual)."""
    load_jupyter()
    import papermill

    forked = {} if kernels is None else {"kernel_manager_class": kernels.manager_class}

    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / notebook.name
    tmp = output.with_name(f".{output.name}.tmp.ipynb")
    try:
        papermill.execute_notebook(
            str(notebook), str(tmp), parameters=parameters, kernel_name="python3", progress_bar=False,
            cwd=str(kernel_cwd), log_output=False, request_save_on_cell_execute=False,
            execution_timeout=timeout,
            # The kernel's own log (a TCP-transport notice at start, a KeyboardInterrupt notice at
            # shutdown) is noise here; errors in cells still reach the notebook and this runner.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"], **forked,
        )
    except papermill.PapermillExecutionError as err:
        tmp.unlink(missing_ok=True)
        raise NotebookFailed(_failure_message(notebook, err)) from None
    except Exception as err:  # timeout, kernel died…
        tmp.unlink(missing_ok=True)
        if "Timeout" in type(err).__name__:
            where = _timed_out_cell(notebook, str(err))
            raise NotebookFailed(f"{notebook.name}: failed{where}: timed out after {timeout} s "
                                 "(raise it with --timeout)") from None
        last = str(err).strip().splitlines()[-1] if str(err).strip() else ""
        raise NotebookFailed(f"{notebook.name}: failed: {type(err).__name__}: {last}") from None
    os.replace(tmp, output)
    return output


def figure_records(executed: Path) -> list[dict]:
    """The figure records a notebook's caption outputs carry (see :meth:`Study.show`)."""
    load_jupyter()
    import nbformat

    from .figures import FIGURE_METADATA

    records = []
    for cell in nbformat.read(str(executed), as_version=4).cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(FIGURE_METADATA)
            if record:
                records.append(dict(record))
    return records


def relocate(executed: Path, staging: Path, root: Path) -> None:
    """Executed notebooks name the folder they ran in; after the swap that folder is the root."""
    text = executed.read_text(encoding="utf-8")
    executed.write_text(text.replace(str(staging), str(root)), encoding="utf-8")


#: scripts nbconvert's template loads from the internet (require.js, MathJax, mermaid): the
#: exports show tables and embedded figures only, so they work offline without them
_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|"
                            r"<script type=\"module\">(?:(?!</script>).)*?https?://(?:(?!</script>).)*</script>", re.S)


def notebook_title(notebook) -> str:
    """The notebook's first Markdown heading (``# 02 · Themes across guests``)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Notebook"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "<p><i>An interactive widget: open this notebook in JupyterLab to use it.</i></p>"


def without_widgets(notebook):
    """The notebook as a page without a kernel shows it: each widget by its HTML fallback (or a note).

    The export loads no script from the internet, so a widget view would be a blank space.
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                data.setdefault("text/html", WIDGET_NOTE)
                data.pop("text/plain", None)  # "VBox(children=(…" is no reading matter
    return notebook


def export_html(executed: Path) -> Path:
    """A report page: the real title, no code (it stays in the notebook), figures embedded, offline."""
    load_jupyter()
    import nbconvert
    import nbformat

    notebook = without_widgets(nbformat.read(str(executed), as_version=4))
    exporter = nbconvert.HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": notebook_title(notebook)}})
    target = executed.with_suffix(".html")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(_REMOTE_SCRIPT.sub("", body), encoding="utf-8")
    os.replace(tmp, target)
    return target


def run_one(notebook: Path, key: str, display: dict, run: RunFolder, html: bool, timeout: int,
            kernels=None) -> NotebookRun:
    load_jupyter()
    import nbformat

    started = time.perf_counter()
    figures_dir = run.staged(FIGURES)
    parameters = {**display, "root": str(run.staging), "save_to": str(figures_dir)}
    executed = execute_notebook(notebook, parameters, run.staged(EXECUTED), timeout, kernels=kernels)
    relocate(executed, run.staging, run.root)
    files = [executed] + ([export_html(executed)] if html else [])
    records = figure_records(executed)
    for record in records:
        record["notebook"] = notebook.stem
        record["digests"] = {name: file_digest(figures_dir / name) for name in record["files"]}
    title = notebook_title(nbformat.read(str(executed), as_version=4))
    return NotebookRun(notebook, key, display, {p.name: file_digest(p) for p in files}, records,
                       time.perf_counter() - started, title=title)


def previous_run(run: RunFolder, notebook: Path, key: str) -> NotebookRun | None:
    """The previous run of ``notebook``, when it is current and its outputs are untouched."""
    entry = read_json(run.final(EXECUTED) / RUN_MANIFEST).get("notebooks", {}).get(notebook.stem)
    if not entry or entry.get("key") != key:
        return None
    previous = NotebookRun(notebook, key, entry["display"], entry["files"], entry["figures"], fresh=True,
                           title=entry.get("title", ""))
    if not files_intact(run.final(EXECUTED), previous.files):
        return None
    if previous.figures and not files_intact(run.final(FIGURES), previous.figure_files()):
        return None
    return previous


@dataclass
class NotebookPlan:
    """Which notebooks a run executes and which it carries over (see :func:`plan_notebooks`)."""
    keys: dict
    shares: dict
    current: list  # NotebookRun of each notebook whose outputs are carried over
    pending: list  # notebooks to execute: longest first by their last run, then in reading order


def plan_notebooks(run: RunFolder, tables_key: str, display: dict, only: list[str] | None = None,
                   force: bool = False) -> NotebookPlan:
    """Each notebook's key, and whether its previous outputs are current (a notebook left out of
    the run is judged by the parameters it last ran with)."""
    notebooks = source_notebooks()
    chosen = set(source_notebooks(only=only))
    shares = display_for(sorted(chosen), display)
    entries = read_json(run.final(EXECUTED) / RUN_MANIFEST).get("notebooks", {})
    for nb in notebooks:
        if nb not in chosen:
            shares[nb] = entries.get(nb.stem, {}).get("display", {})
    keys = {nb: notebook_key(nb, tables_key, shares[nb]) for nb in notebooks}
    current, pending = [], []
    for nb in notebooks:
        # a notebook left out of this run keeps its outputs while they are still current
        previous = None if force and nb in chosen else previous_run(run, nb, keys[nb])
        if previous is not None:
            current.append(previous)
        elif nb in chosen:
            pending.append(nb)
    return NotebookPlan(keys, shares, current, longest_first(pending, run_seconds(run)))


def run_seconds(run: RunFolder) -> dict[str, float]:
    """Seconds each notebook took when it last ran in this root (empty for a new root)."""
    seconds = read_json(run.final(EXECUTED) / RUN_MANIFEST).get("seconds", {})
    return {k: float(v) for k, v in seconds.items() if isinstance(v, (int, float))}


def longest_first(notebooks: list[Path], seconds: dict[str, float]) -> list[Path]:
    """The order two kernels finish soonest in (longest processing time first): by the time a
    notebook took last, longest first; notebooks never timed keep reading order, ahead of
    those timed (they may be long)."""
    unknown = [nb for nb in notebooks if nb.stem not in seconds]
    timed = sorted((nb for nb in notebooks if nb.stem in seconds), key=lambda nb: -seconds[nb.stem])
    return unknown + timed


def kernels_for(pending: list, jobs: int | None) -> int:
    """Kernels run in parallel: ``jobs``, or one more than the cores this process may use (a
    kernel starting up, or the runner saving a notebook, leaves a core idle for a while: one
    kernel more keeps it busy; on 2 cores a cold report took 18.0 s with three, 19.2 s with
    two), no more than there are notebooks."""
    from .pipeline import available_cores

    return max(1, min(jobs or available_cores() + 1, len(pending)))


def run_notebooks(run: RunFolder, tables_key: str, display: dict, only: list[str] | None = None,
                  jobs: int | None = None, html: bool = True, force: bool = False, timeout: int = DEFAULT_TIMEOUT,
                  say=lambda m: None, kernels=None) -> list[NotebookRun]:
    """Execute (or carry over) every notebook into the run's staging folders; stop at the first
    failure. ``kernels``: a kernel server to fork the kernels from (see :func:`kernel_server_for`)."""
    plan = plan_notebooks(run, tables_key, display, only, force)
    runs = []
    for previous in plan.current:
        run.carry_over(EXECUTED, previous.files)
        run.carry_over(FIGURES, previous.figure_files())
        runs.append(previous)
        say(f"  {previous.notebook.name}: up to date")
    pending = plan.pending
    if pending:
        workers = kernels_for(pending, jobs)
        say(f"executing {len(pending)} notebook(s) with {workers} kernel(s) in parallel")
        load_jupyter()  # once, before the workers need it
        with futures.ThreadPoolExecutor(max_workers=workers) as executor:
            submitted = {executor.submit(run_one, nb, plan.keys[nb], plan.shares[nb], run, html, timeout, kernels): nb
                         for nb in pending}
            try:
                for done in futures.as_completed(submitted):
                    result = done.result()
                    runs.append(result)
                    say(f"  {result.notebook.name} done in {result.seconds:.1f} s")
            except BaseException:
                for future in submitted:
                    future.cancel()
                raise
    return sorted(runs, key=lambda r: r.notebook.name)


def kernel_server_for(pending: list[Path], fork: bool = True):
    """A kernel server preloaded with what ``pending`` notebooks import, as a context manager;
    a null context (kernels launched as usual) when nothing is pending, ``fork`` is false or
    the platform cannot fork kernels."""
    import contextlib

    from . import kernel_server

    if not (pending and fork and kernel_server.available()):
        return contextlib.nullcontext()
    load_jupyter()
    return kernel_server.KernelServer(kernel_server.notebook_imports(pending))


INDEX = "index.html"


def write_index(folder: Path, runs: list[NotebookRun], html: bool) -> Path:
    """``notebooks/executed/index.html``: what a report author opens first — the notebooks in
    reading order, then every figure as a gallery with its caption, source table and files."""
    import html as escape

    def e(text) -> str:
        return escape.escape(str(text))

    items, gallery = [], []
    for run in runs:
        title = run.title or run.notebook.stem
        target = f"{run.notebook.stem}.html" if html else run.notebook.name
        items.append(f'<li><a href="{e(target)}">{e(title)}</a></li>')
        for record in run.figures:
            png = next((f for f in record["files"] if f.endswith(".png")), None)
            if png is None:
                continue
            links = " · ".join(f'<a href="../../figures/{e(f)}">{e(f.rsplit(".", 1)[-1].upper())}</a>'
                               for f in record["files"])
            gallery.append(
                f'<figure><a href="../../figures/{e(png)}"><img src="../../figures/{e(png)}" alt="{e(record["title"])}"></a>'
                f'<figcaption><b>{e(record["title"])}</b><br>{e(record["caption"])}<br>'
                f'<small>source: <code>{e(record["source_table"])}</code> · notebook: '
                f'<a href="{e(target)}">{e(title)}</a> · {links}</small></figcaption></figure>')
    page = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>Report · notebooks and figures</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
figure {{ margin: 2em 0; border-top: 1px solid #ddd; padding-top: 1em; }}
img {{ max-width: 100%; height: auto; }}
figcaption {{ margin-top: .5em; line-height: 1.5; }}
code {{ background: #f4f4f4; padding: 0 .2em; }}
</style></head><body>
<h1>Report</h1>
<p>The executed notebooks, in reading order, then every figure with its caption and the table it is drawn from.</p>
<h2>Notebooks</h2>
<ol>
{chr(10).join(items)}
</ol>
<h2>Figures ({len(gallery)})</h2>
{chr(10).join(gallery)}
</body></html>
"""
    target = folder / INDEX
    target.write_text(page, encoding="utf-8")
    return target


@dataclass
class ReportResult:
    root: Path
    tables_written: list[Path]
    notebooks: list[NotebookRun]
    up_to_date: bool

    def figure_files(self) -> list[Path]:
        return sorted(self.root / FIGURES / name for r in self.notebooks for rec in r.figures for name in rec["files"])


def report(config, display: dict | None = None, only: list[str] | None = None, jobs: int | None = None,
           html: bool = True, quiet: bool = False, force: bool = False, timeout: int = DEFAULT_TIMEOUT,
           fork_kernels: bool = True) -> ReportResult:
    """The main job: tables, executed notebooks and figures of one root, swapped in together.
    ``fork_kernels``: fork the notebooks' kernels from one warm process where the platform
    allows (:mod:`analysis.kernel_server`); else each kernel is launched on its own."""
    from .figures import write_figure_manifest
    from .pipeline import stage_tables
    from .study import checked_study

    say = (lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    display = check_display(display or {})
    notebooks = source_notebooks(only=only)
    display_for(notebooks, display)  # fail fast, before the build, on a parameter no notebook takes
    with RunFolder(config.root) as run, \
            kernel_server_for(plan_notebooks(run, config.key(), display, only, force).pending, fork_kernels) as kernels:
        written = stage_tables(run, config, force, say)  # while the kernel server imports
        checked_study(run.staging, **display)  # guests and themes that exist in these tables
        runs = run_notebooks(run, config.key(), display, only, jobs, html, force, timeout, say, kernels)
        previous = read_json(run.final(EXECUTED) / RUN_MANIFEST)
        entries = {r.notebook.stem: r.as_entry() for r in runs}
        if not written and all(r.fresh for r in runs) and previous.get("notebooks") == entries:
            say("report up to date")
            return ReportResult(run.root, [], runs, True)
        write_figure_manifest(run.staged(FIGURES), [rec for r in runs for rec in r.figures])
        write_index(run.staged(EXECUTED), runs, html)
        seconds = {**run_seconds(run), **{r.notebook.stem: round(r.seconds, 1) for r in runs if not r.fresh}}
        write_json({"tables_key": config.key(), "notebooks": entries,
                    "seconds": {r.notebook.stem: seconds[r.notebook.stem] for r in runs if r.notebook.stem in seconds}},
                   run.staged(EXECUTED) / RUN_MANIFEST)
        run.commit()
    return ReportResult(config.root, [config.root / PROCESSED / p.name for p in written], runs, False)
