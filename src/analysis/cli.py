"""Command line: ``python -m analysis <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import AnalysisError
from .paths import DEFAULT_CORPUS, PROCESSED_DIR, PROJECT_ROOT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Text analysis of the 商业化篇 chapter of the 2024 China Open Source Annual Report.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add_build_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--input", "-i", type=Path, default=DEFAULT_CORPUS,
                         help="a Markdown chapter or a folder of chapters (default: the embedded corpus)")
        sub.add_argument("--output", "-o", type=Path, default=PROCESSED_DIR,
                         help="folder for the processed tables (default: data/processed)")
        sub.add_argument("--lexicons", type=Path, default=None,
                         help="folder with userdict.txt, stopwords.txt, synonyms.tsv and optionally stopwords_en.txt "
                              "(default: the package's)")
        sub.add_argument("--codebook", type=Path, default=None,
                         help="theme codebook YAML (default: the package's lexicons/codebook.yaml)")
        sub.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
        sub.add_argument("--quiet", "-q", action="store_true", help="no progress messages")

    build = commands.add_parser("build", help="parse, tokenise and analyse the corpus into data/processed/")
    add_build_options(build)

    report = commands.add_parser(
        "report", help="the main job: build the tables, execute every notebook, export figures")
    add_build_options(report)
    report.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                        help="notebook parameter passed through to papermill (repeatable), e.g. -p lang en")
    report.add_argument("--notebook", action="append", metavar="NAME",
                        help="run only this notebook (repeatable), e.g. --notebook 02_themes_across_guests")
    report.add_argument("--jobs", "-j", type=int, default=None,
                        help="notebooks executed in parallel (default: one per core)")
    report.add_argument("--no-html", action="store_true", help="skip the HTML export of executed notebooks")

    kwic = commands.add_parser("kwic", help="print a term or theme in context, from the embedded corpus")
    kwic.add_argument("query", help="a codebook theme id (e.g. GLOBAL) or any term (e.g. 白嫖)")
    kwic.add_argument("--guest", action="append", help="only this guest (repeatable)")
    kwic.add_argument("--width", type=int, default=25, help="characters of context each side")
    kwic.add_argument("--input", "-i", type=Path, default=DEFAULT_CORPUS)
    return parser


def _config(args):
    from .pipeline import BuildConfig

    return BuildConfig(input_path=args.input, output_dir=args.output, lexicon_dir=args.lexicons,
                       codebook=args.codebook)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _report(args) -> int:
    from .figures import setup_style, write_manifest
    from .paths import FIGURES_DIR
    from .pipeline import build
    from .runner import EXECUTED_DIR, figures_written, parse_parameters, run_notebooks, source_notebooks

    started = time.perf_counter()
    config = _config(args)
    parameters = parse_parameters(args.parameter)
    _check_parameters(parameters, source_notebooks(only=args.notebook))
    if args.input != DEFAULT_CORPUS:
        parameters.setdefault("corpus", str(args.input.resolve()))
    if args.codebook:
        parameters.setdefault("codebook", str(args.codebook.resolve()))
    result = build(config, quiet=args.quiet, force=args.force)
    from .study import open_study

    open_study(corpus=config.input_path, codebook=config.codebook).check_parameters(parameters)
    setup_style()
    figures_dir = Path(parameters.get("output_dir") or FIGURES_DIR)
    figures_dir = figures_dir if figures_dir.is_absolute() else PROJECT_ROOT / figures_dir
    from .io import ensure_writable_dir

    ensure_writable_dir(figures_dir)
    runs = run_notebooks(parameters, only=args.notebook, workers=args.jobs, html=not args.no_html, quiet=args.quiet,
                         tables_fingerprint=None if args.force else config.fingerprint(), figures_dir=figures_dir)
    manifest = write_manifest(figures_dir)
    print(f"tables ({_relative(config.output_dir)}): {len(result.written) or 'up to date'}")
    for path in result.written:
        print(f"  {_relative(path)}")
    print(f"notebooks ({_relative(EXECUTED_DIR)}):")
    for run in runs:
        took = f"{run.seconds:.1f} s" if run.seconds else "up to date"
        print(f"  {_relative(run.output)}" + (f"  {_relative(run.html)}" if run.html else "") + f"  ({took})")
    figures = figures_written(figures_dir)
    print(f"figures ({_relative(figures_dir)}): {len(figures)} files, manifest {_relative(manifest)}")
    for path in figures:
        print(f"  {_relative(path)}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _check_parameters(parameters: dict, notebooks) -> None:
    from .errors import ParameterError
    from .runner import _known_parameters

    known = set().union(*(_known_parameters(nb) for nb in notebooks)) if notebooks else set()
    for name in parameters:
        if name not in known:
            raise ParameterError(f"unknown notebook parameter {name!r}; valid: {', '.join(sorted(known))}")
    lang = parameters.get("lang", "zh")
    from .figures import check_lang

    check_lang(lang)


def _kwic(args) -> int:
    import pandas as pd

    from .explorer import explore
    from .study import open_study

    study = open_study(corpus=args.input)
    is_theme = args.query in {t.id for t in study.themes}
    counts, lines = explore(study, theme=args.query if is_theme else "", term="" if is_theme else args.query,
                            guests=args.guest, width=args.width)
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 100, "display.width", 200):
        print(counts.to_string(index=False))
        print()
        for row in lines.itertuples():
            print(f"{row.guest}\t{row.left}【{row.match}】{row.right}\t{row.segment_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            from .pipeline import build

            result = build(_config(args), quiet=args.quiet, force=args.force)
            for path in result.written:
                print(path)
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
