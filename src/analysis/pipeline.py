"""The build: raw chapters → every table in ``ROOT/data/processed/``.

The build owns the tables: every parameter that changes one is a build option (see
:mod:`analysis.params`) recorded in ``build_manifest.json``. The tables are up to date when
the inputs (chapters, lexicons, codebook, labels), the analysis-stage code and the build
parameters are unchanged — one key, :meth:`BuildConfig.key`. Chart code is not part of it:
editing a colour reruns notebooks, not the build.

Two passes: :func:`read_documents` reads each chapter into its segments, tokens and theme
hits (rows that depend on their own document only), and :func:`corpus_tables` computes every
other table over the whole corpus, as independent jobs (:func:`corpus_table_jobs`). On a
machine with several cores the chapters and then the jobs are shared among forked worker
processes (:func:`in_parallel`); the build (:func:`publish_tables`) writes each job's tables
in the process that computed them, and the documents' tables alongside. The tables are the
same either way (tests).

Every table is published as Parquet (what notebooks read) and, except ``tokens``, as CSV
(what people read). Schema of ``build_manifest.json``: ``key``, ``input``, ``inputs``
(file → SHA-256), ``parameters`` (every build parameter), ``files`` (file → SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .checksums import verify_checksums
from .corpus import (Profile, default_embedded_questions_path, default_profile_path, load_chapter,
                     load_embedded_questions, resolve_profile)
from .dfm import build_dfm
from .cooccurrence import cooccurrence_edges, theme_cooccurrence
from .io import chapter_files, sha256_of, write_csv, write_parquet
from .keyness import keyness, tfidf_terms
from .kwic import kwic_for_hits
from .lexicon import LEXICON_FILES, default_lexicon_dir, load_lexicon
from .params import build_defaults, check_build
from .paths import DEFAULT_CORPUS, LABELS_DIR, PROJECT_ROOT
from .runfolder import EXECUTED, FIGURES, PROCESSED, RunFolder, file_digest, files_intact, read_json, write_json
from .stats import theme_balance, theme_by_guest
from .summary import corpus_summary
from .themes import (Theme, codebook_table, coverage_warnings, default_codebook_path, document_languages, find_theme_hits,
                     load_codebook, theme_indicator)
from .tokenizer import Tokenizer, gc_paused, tokenize_segments
from .validation import disagreements, label_files, validation_tables

DEFAULT_GOLD = LABELS_DIR / "theme_gold.csv"
BUILD_MANIFEST = "build_manifest.json"
PACKAGE_DIR = Path(__file__).parent
#: modules that draw, save, run or parse the command line: they never change a table, so
#: editing them reruns notebooks but not the build (every other module is analysis stage)
PRESENTATION_MODULES = frozenset({
    "__init__.py", "__main__.py", "plots.py", "cli.py", "explorer.py", "figures.py", "params.py",
    "runfolder.py", "runner.py", "study.py", "kernel_server.py",
})
#: packaged data read only by the presentation layer
PRESENTATION_DATA = ("lexicons/figure_text.yaml", "lexicons/guests.csv")


def code_files(kind: str, package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The package's own files of one layer: ``stage`` (analysis) or ``presentation``."""
    modules = sorted(package_dir.glob("*.py"))
    if kind == "stage":
        return [p for p in modules if p.name not in PRESENTATION_MODULES]
    return [p for p in modules if p.name in PRESENTATION_MODULES] + [package_dir / d for d in PRESENTATION_DATA]


def digest_of(files: list[Path], *extra: str) -> str:
    """A content hash of files (by name and bytes) and extra strings."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        digest.update(sha256_of(file).encode() if file.exists() else b"missing")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:20]


@dataclass
class BuildConfig:
    """Where the build reads and writes, and every build parameter (see :mod:`analysis.params`)."""

    input_path: Path = DEFAULT_CORPUS
    root: Path = PROJECT_ROOT
    parameters: dict = field(default_factory=build_defaults)

    def __post_init__(self) -> None:
        self.input_path = Path(self.input_path)
        self.root = Path(self.root)
        self.parameters = check_build({k: v for k, v in self.parameters.items() if v is not None})

    def __getattr__(self, name: str):
        parameters = self.__dict__.get("parameters", {})
        if name in parameters:
            return parameters[name]
        raise AttributeError(name)

    @property
    def processed_dir(self) -> Path:
        return self.root / PROCESSED

    @property
    def gold_path(self) -> Path:
        return Path(self.parameters["gold"]) if self.parameters["gold"] else DEFAULT_GOLD

    def inputs(self) -> list[Path]:
        """Every file the tables are computed from, besides the code."""
        lexicons = Path(self.parameters["lexicons"]) if self.parameters["lexicons"] else default_lexicon_dir()
        files = list(chapter_files(self.input_path))
        files += [lexicons / name for name in LEXICON_FILES]
        files.append(Path(self.parameters["codebook"]) if self.parameters["codebook"] else default_codebook_path())
        files.append(default_embedded_questions_path())
        # the parser's conventions decide every unit's role
        files.append(Path(self.parameters["profile"]) if self.parameters["profile"] else default_profile_path())
        if self.gold_path.exists():
            files += label_files(self.gold_path)  # both readers, the adjudication and the split
        return files

    def key(self, package_dir: Path = PACKAGE_DIR) -> str:
        """Same key, same tables: inputs, analysis-stage code and build parameters."""
        return digest_of(self.inputs() + code_files("stage", package_dir),
                         json.dumps(self.parameters, sort_keys=True, default=str))

    def recorded_parameters(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.parameters.items()}


@dataclass
class BuildResult:
    root: Path
    written: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        return self.root / PROCESSED


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DocumentPass:
    """What reading one chapter needs, loaded once and shared by every document (and every
    worker process, which inherits it when it forks)."""

    embedded_questions: dict
    profile: Profile
    tokenizer: Tokenizer
    themes: list


#: the tables computed chapter by chapter: each row depends on its own document only, and these
#: three are most of the build's work (the smaller per-guest tables cost more to compute per
#: document and ship between processes than they take over the whole corpus)
DOCUMENT_TABLES = ("segments", "tokens", "theme_hits")
#: every table, in the order they are published (those of validation only with labels that apply)
TABLE_ORDER = ("segments", "tokens", "corpus_summary", "themes", "theme_hits", "theme_by_guest", "plg_slg_balance",
               "theme_cooccurrence", "kwic")


def document_tables(file: Path, reading: DocumentPass) -> dict[str, pd.DataFrame]:
    """One chapter's :data:`DOCUMENT_TABLES`: its segments, tokens and theme hits.

    A corpus's tables are its documents' tables one after the other, so documents can be read
    in parallel.
    """
    with gc_paused():
        segments, _ = load_chapter(file, reading.embedded_questions, reading.profile)
        return {"segments": segments, "tokens": tokenize_segments(segments, reading.tokenizer),
                "theme_hits": find_theme_hits(segments, reading.themes)}


#: the work each process of :func:`in_parallel` does (set before the processes fork)
_WORK: Callable | None = None


def _do_work(item):
    return _WORK(item)


#: at most this many worker processes by default: each holds its share of the tables, and on
#: corpora of this size more processes add memory faster than they save time
MAX_WORKERS = 4


def available_cores() -> int:
    """The cores this process may run on (a container's share, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def usable_cores() -> int:
    """:func:`available_cores`, at most :data:`MAX_WORKERS`."""
    return max(1, min(available_cores(), MAX_WORKERS))


def in_parallel(work: Callable, items: list, workers: int | None = None) -> list:
    """``work(item)`` for every item, in order, shared among up to ``workers`` processes
    (default: one per usable core, at most one per item; a single item stays in this process).

    The processes are forked, so they inherit everything loaded and computed so far (the
    dictionaries, the codebook, the corpus tables) instead of receiving it: only the items and
    the results travel between processes. An error in one (a malformed chapter) is raised here.
    """
    global _WORK
    workers = min(workers or usable_cores(), len(items))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(item) for item in items]
    _WORK = work
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_do_work, items, chunksize=max(1, len(items) // (workers * 4)))
    finally:
        _WORK = None


def read_documents(config: BuildConfig, themes: list[Theme], say: Callable[[str], None] = lambda m: None
                   ) -> dict[str, pd.DataFrame]:
    """The :data:`DOCUMENT_TABLES` of the whole input: each chapter's, one after the other."""
    files = chapter_files(config.input_path)
    verify_checksums(files)
    reading = DocumentPass(load_embedded_questions(), resolve_profile(config.profile),
                           Tokenizer(load_lexicon(config.lexicons)), themes)
    say(f"reading {len(files)} chapter(s) from {config.input_path}: parse, tokenise, tag")
    # The first chapter is read here, before the workers fork: it loads what each of them would
    # otherwise load again (the codebook's compiled indicators, the English lemma dictionary,
    # the parser's and tokeniser's first state), about a third of a second apiece in a fresh process.
    parts = [document_tables(file, reading) for file in files[:1]]
    parts += in_parallel(lambda file: document_tables(file, reading), files[1:])
    return {name: pd.concat([part[name] for part in parts], ignore_index=True) for name in DOCUMENT_TABLES}


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def corpus_table_jobs(documents: dict[str, pd.DataFrame], themes: list[Theme], config: BuildConfig
                      ) -> list[Callable[[], dict[str, pd.DataFrame]]]:
    """Every other table, from the documents' segments, tokens and theme hits, as independent
    jobs (each returns some tables), the longest first so that processes sharing them finish
    together: shares and intervals per guest (or section), the PLG–SLG balance, term
    co-occurrence, TF-IDF and keyness, theme co-occurrence, concordance lines, the corpus
    summary and codebook, validation against the labels.

    Term tables are keyed by (document, guest): same-titled sections of two chapters are two
    units. The answer-paragraph dfm is built once, here, and shared.
    """
    segments, tokens, hits = documents["segments"], documents["tokens"], documents["theme_hits"]
    paragraphs = build_dfm(segments, tokens, "paragraph")
    ids = [t.id for t in themes]

    def validation() -> dict[str, pd.DataFrame]:
        tables = validation_tables(segments, hits, ids, config.gold_path)
        if tables:
            tables["tagger_disagreements"] = disagreements({"segments": segments, "theme_hits": hits}, config.gold_path, ids)
        return tables

    return [  # (times at ×100, computing and writing: 0.9, 0.4, 0.35, 0.3 s, then the short ones)
        lambda: {"cooccurrence_edges": cooccurrence_edges([build_dfm(segments, tokens, "sentence"), paragraphs],
                                                          min_count=config.min_count)},
        lambda: {"tfidf_terms": tfidf_terms(paragraphs, top_k=config.top_k),
                 "keyness": keyness(paragraphs, top_k=config.top_k, min_count=config.min_count)},
        lambda: {"theme_by_guest": theme_by_guest(segments, tokens, hits, themes, config.resamples, config.seed,
                                                  paragraphs)},
        lambda: {"kwic": kwic_for_hits(segments, hits)},
        validation,
        lambda: {"theme_cooccurrence": theme_cooccurrence(theme_indicator(segments, hits, themes), hits, themes)},
        lambda: {"plg_slg_balance": theme_balance(segments, hits, "PLG", "SLG", config.resamples, config.seed)
                 if {"PLG", "SLG"} <= set(ids) else pd.DataFrame()},
        lambda: {"corpus_summary": corpus_summary(segments, paragraphs), "themes": codebook_table(themes)},
    ]


def corpus_tables(documents: dict[str, pd.DataFrame], themes: list[Theme], config: BuildConfig,
                  say: Callable[[str], None] = lambda m: None,
                  warn: Callable[[str], None] = _warn,
                  publish: Callable[[dict[str, pd.DataFrame]], object] | None = None,
                  alongside: list[Callable[[], object]] = ()) -> list:
    """The results of every :func:`corpus_table_jobs` job, computed side by side: its tables,
    or what ``publish`` returns for them (the build writes each job's tables in the process
    that computed them, and only file names travel back), with the results of the
    ``alongside`` jobs, run by the same processes (the build writes the documents' tables),
    after the first and longest job's.

    A document in a language the codebook has no terms for (in some theme) gets one warning
    line through ``warn`` (stderr, even when quiet): its shares would read as "never discussed".
    """
    for line in coverage_warnings(document_languages(documents["segments"]), {t.id: t.languages() for t in themes}):
        warn(line)
    say(f"scoring {len(themes)} themes, distinctive terms and co-occurrence")
    publish = publish or (lambda tables: tables)

    def run(job):
        with gc_paused():  # as in reading a chapter: many objects, few cycles
            return publish(job())

    jobs = [lambda job=job: run(job) for job in corpus_table_jobs(documents, themes, config)]
    work = jobs[:1] + list(alongside) + jobs[1:]  # the documents' tables take 0.2–0.4 s each to write at ×100
    return in_parallel(lambda index: work[index](), list(range(len(work))))  # the jobs are inherited: only indices travel


def in_order(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables in publishing order (:data:`TABLE_ORDER`, then any others as they came)."""
    first = [name for name in TABLE_ORDER if name in tables]
    return {name: tables[name] for name in first + [name for name in tables if name not in first]}


def compute_tables(config: BuildConfig | None = None, say: Callable[[str], None] = lambda m: None) -> dict[str, pd.DataFrame]:
    """Every table for ``config``, computed in memory (nothing is written), in publishing order."""
    config = config or BuildConfig()
    themes = load_codebook(config.codebook)  # a malformed codebook fails before any chapter is read
    tables = read_documents(config, themes, say)
    for part in corpus_tables(tables, themes, config, say):
        tables.update(part)
    return in_order(tables)


def table_files(name: str) -> tuple[str, ...]:
    """Parquet for every table (what notebooks read), CSV for people except the tokens table."""
    return (f"{name}.parquet",) if name == "tokens" else (f"{name}.parquet", f"{name}.csv")


def write_table(frame: pd.DataFrame, name: str, folder: Path) -> list[Path]:
    """One table's files (:func:`table_files`), each written atomically."""
    return [(write_parquet if file.endswith(".parquet") else write_csv)(frame, folder / file) for file in table_files(name)]


def publish_tables(config: BuildConfig, folder: Path, say: Callable[[str], None] = lambda m: None) -> list[Path]:
    """Compute every table for ``config`` and write its files into ``folder``; return them.

    The same tables as :func:`compute_tables`, written by the processes that compute them: the
    documents' tables are written while the corpus tables are computed, and no table travels
    between processes to be written.
    """
    themes = load_codebook(config.codebook)  # a malformed codebook fails before any chapter is read
    documents = read_documents(config, themes, say)
    parts = corpus_tables(documents, themes, config, say,
                          publish=lambda tables: [p for name, frame in tables.items() for p in write_table(frame, name, folder)],
                          alongside=[lambda name=name: write_table(documents[name], name, folder) for name in DOCUMENT_TABLES])
    return [path for part in parts for path in part]


def build_manifest(config: BuildConfig, written: list[Path]) -> dict:
    def shown(path: Path) -> str:
        return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)

    return {
        "key": config.key(),
        "input": shown(config.input_path.resolve()),
        "inputs": {shown(p.resolve()): sha256_of(p) for p in config.inputs()},
        "parameters": config.recorded_parameters(),
        "files": {p.name: file_digest(p) for p in sorted(written)},
    }


def tables_current(processed_dir: Path, key: str) -> bool:
    """The published tables were built with this key and are all still as written."""
    manifest = read_json(processed_dir / BUILD_MANIFEST)
    return manifest.get("key") == key and files_intact(processed_dir, manifest.get("files", {}))


def stage_tables(run: RunFolder, config: BuildConfig, force: bool, say) -> list[Path]:
    """Fill the run's staged ``data/processed``: carried over when current, else computed.

    Returns the files written (empty when the previous tables were still current).
    """
    final = run.final(PROCESSED)
    key = config.key()
    if not force and tables_current(final, key):
        say(f"tables up to date (key {key})")
        run.carry_over(PROCESSED, [*read_json(final / BUILD_MANIFEST)["files"], BUILD_MANIFEST])
        return []
    folder = run.staged(PROCESSED)
    written = publish_tables(config, folder, say)
    write_json(build_manifest(config, written), folder / BUILD_MANIFEST)
    return written


def build(config: BuildConfig | None = None, quiet: bool = False, force: bool = False) -> BuildResult:
    """Build the tables into ``config.root``/data/processed; return what was written.

    New tables make the root's figures and executed notebooks stale: they are cleared in
    the same swap (``make report`` draws them again), so a root never pairs tables of one
    run with figures of another.
    """
    config = config or BuildConfig()
    started = time.perf_counter()
    say = lambda m: _say(m, quiet)  # noqa: E731
    with RunFolder(config.root) as run:
        written = stage_tables(run, config, force, say)
        if not written:
            return BuildResult(config.root)
        run.commit((PROCESSED, FIGURES, EXECUTED))
    final = [config.processed_dir / p.name for p in written]
    say(f"wrote {len(final)} table files to {config.processed_dir} in {time.perf_counter() - started:.1f} s")
    return BuildResult(config.root, final)
