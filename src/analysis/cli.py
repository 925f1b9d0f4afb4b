"""Command line: ``python -m analysis <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import AnalysisError, ParameterError
from .params import BUILD_PARAMS, DISPLAY_PARAMS
from .paths import DEFAULT_CORPUS, PROJECT_ROOT
from .runner import DEFAULT_TIMEOUT


def add_build_options(sub: argparse.ArgumentParser) -> None:
    """Input, output root and every build parameter of the spec (``--seed``, ``--top-k``, …)."""
    sub.add_argument("--input", "-i", type=Path, default=DEFAULT_CORPUS,
                     help="a Markdown chapter or a folder of chapters (default: the embedded corpus)")
    sub.add_argument("--output", "-o", type=Path, default=PROJECT_ROOT,
                     help="the run's root: ROOT/data/processed, ROOT/figures, ROOT/notebooks/executed "
                          "(default: the repository)")
    for param in BUILD_PARAMS:
        kind = int if isinstance(param.default, int) else str
        sub.add_argument(param.option, dest=param.name, type=kind, default=None,
                         # a parameter without a default value names its default in its own help
                         help=param.help if param.default is None else f"{param.help} (default: {param.default})")
    sub.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    sub.add_argument("--quiet", "-q", action="store_true", help="no progress messages")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Text analysis of the 商业化篇 chapter of the 2024 China Open Source Annual Report.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    build = commands.add_parser("build", help="parse, tokenise and analyse the corpus into ROOT/data/processed/")
    add_build_options(build)

    report = commands.add_parser(
        "report", help="the main job: build the tables, execute every notebook, export figures")
    add_build_options(report)
    display = ", ".join(p.name for p in DISPLAY_PARAMS)
    report.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                        help=f"display parameter for the notebooks (repeatable), e.g. -p lang en; one of: {display}")
    report.add_argument("--notebook", action="append", metavar="NAME",
                        help="run only this notebook (repeatable), e.g. --notebook 02_themes_across_guests")
    report.add_argument("--jobs", "-j", type=int, default=None,
                        help="notebooks executed in parallel (default: one more than the cores)")
    report.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help=f"seconds a notebook cell may run before the run fails (default {DEFAULT_TIMEOUT})")
    report.add_argument("--no-html", action="store_true", help="skip the HTML export of executed notebooks")

    kwic = commands.add_parser("kwic", help="print a term (and/or a theme's passages) in context",
                               description="The explorer's search: a term, a theme, or the term within the theme's "
                                           "paragraphs, per guest. Terms match like codebook terms (width- and "
                                           "case-insensitive, with the lexicon's synonyms).")
    kwic.add_argument("term", nargs="?", default="", help="any term, e.g. 白嫖 or ARR")
    kwic.add_argument("--theme", default="", help="a codebook theme id (e.g. GLOBAL): its passages, or with a term "
                                                  "the term within its paragraphs")
    kwic.add_argument("--guest", action="append", help="only this guest (repeatable; Chinese or English name)")
    kwic.add_argument("--width", type=int, default=25, help="characters of context each side")
    kwic.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the run's root (default: the repository)")
    return parser


def _config(args):
    from .pipeline import BuildConfig

    parameters = {p.name: getattr(args, p.name) for p in BUILD_PARAMS if getattr(args, p.name) is not None}
    for name in ("codebook", "lexicons", "gold", "profile"):
        if name in parameters:
            parameters[name] = str(Path(parameters[name]).resolve())
    return BuildConfig(input_path=args.input, root=args.output, parameters=parameters)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _report(args) -> int:
    from .runner import parse_parameters, report

    started = time.perf_counter()
    result = report(_config(args), parse_parameters(args.parameter), only=args.notebook, jobs=args.jobs,
                    html=not args.no_html, quiet=args.quiet, force=args.force, timeout=args.timeout)
    root = _relative(result.root)
    if result.up_to_date:
        print(f"{root}: report up to date (tables, notebooks and figures unchanged)")
    print(f"tables: {len(result.tables_written) or 'up to date'}")
    for path in result.tables_written:
        print(f"  {_relative(path)}")
    print("notebooks:")
    for run in result.notebooks:
        took = "up to date" if run.fresh else f"{run.seconds:.1f} s"
        print(f"  {_relative(result.root / 'notebooks' / 'executed' / run.notebook.name)}  ({took})")
    figures = result.figure_files()
    print(f"figures: {len(figures)} files, manifest {_relative(result.root / 'figures' / 'manifest.csv')}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _kwic(args) -> int:
    from .explorer import explore
    from .pipeline import BuildConfig, build
    from .study import open_study

    if args.root.resolve() == PROJECT_ROOT and not (PROJECT_ROOT / "data" / "processed" / "build_manifest.json").exists():
        build(BuildConfig(), quiet=True)  # a fresh clone has no tables yet
    study = open_study(args.root)
    if not args.term.strip() and not args.theme:
        raise ParameterError("kwic: give a term, --theme ID, or both")
    if args.term in study.themes and not args.theme:
        print(f"note: {args.term} is also a codebook theme; `kwic --theme {args.term}` shows the theme's passages",
              file=sys.stderr)
    result = explore(study, theme=args.theme, term=args.term, guests=args.guest, width=args.width)
    print(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            from .pipeline import build

            result = build(_config(args), quiet=args.quiet, force=args.force)
            if not result.written:
                print(f"{_relative(result.output_dir)}: up to date")
            for path in result.written:
                print(_relative(path))
            return 0
        if args.command == "report":
            return _report(args)
        if args.command == "kwic":
            return _kwic(args)
        return 2
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted; outputs left as they were", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
