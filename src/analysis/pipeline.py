"""The build: raw chapters → every table in ``data/processed/``.

Each table is computed in memory, written to a staging folder inside the output folder,
and only when all of them are written are they moved into place, so an interrupted or
failed build leaves the previous outputs untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .checksums import verify_checksums
from .corpus import default_embedded_questions_path, load_corpus
from .cooccurrence import cooccurrence_edges, theme_cooccurrence
from .io import chapter_files, ensure_writable_dir, sha256_of, write_csv, write_parquet, write_text
from .keyness import keyness, tfidf_terms
from .kwic import kwic_for_hits
from .lexicon import LEXICON_FILES, default_lexicon_dir, load_lexicon
from .paths import DEFAULT_CORPUS, LABELS_DIR, PROCESSED_DIR, PROJECT_ROOT
from .stats import DEFAULT_RESAMPLES, DEFAULT_SEED, theme_balance, theme_by_guest
from .summary import corpus_summary
from .themes import codebook_table, find_theme_hits, load_codebook, theme_indicator
from .tokenizer import Tokenizer, tokenize_segments
from .validation import label_files, validation_tables

DEFAULT_GOLD = LABELS_DIR / "theme_gold.csv"
CACHE_DIR = PROJECT_ROOT / ".cache" / "tables"
BUILD_MANIFEST = "build_manifest.json"


@dataclass
class BuildConfig:
    """Everything a build depends on besides the code (also the cache key, see issue on caching)."""

    input_path: Path = DEFAULT_CORPUS
    output_dir: Path = PROCESSED_DIR
    lexicon_dir: Path | None = None
    codebook: Path | None = None
    gold: Path | None = DEFAULT_GOLD
    top_k: int = 30
    min_count: int = 3
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    workers: int = 1

    def fingerprint(self) -> str:
        """A content hash of everything the tables depend on: inputs, lexicons, codebook,
        gold labels, parameters and the package's own code. Same fingerprint, same tables."""
        from .themes import default_codebook_path

        digest = hashlib.sha256()
        files = list(chapter_files(self.input_path))
        lexicon_dir = Path(self.lexicon_dir) if self.lexicon_dir else default_lexicon_dir()
        files += [lexicon_dir / name for name in LEXICON_FILES]
        files.append(Path(self.codebook) if self.codebook else default_codebook_path())
        files.append(default_embedded_questions_path())
        if self.gold and Path(self.gold).exists():
            files += label_files(self.gold)  # both readers, the adjudication and the split
        files += sorted(Path(__file__).parent.glob("*.py"))
        for file in files:
            digest.update(file.name.encode() + b"\0")
            digest.update(sha256_of(file).encode() if file.exists() else b"missing")
        params = {"top_k": self.top_k, "min_count": self.min_count, "resamples": self.resamples, "seed": self.seed}
        digest.update(json.dumps(params, sort_keys=True).encode())
        return digest.hexdigest()[:20]


@dataclass
class BuildResult:
    output_dir: Path
    written: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def build_corpus_tables(input_path: Path | str = DEFAULT_CORPUS, lexicon_dir: Path | str | None = None,
                        say: Callable[[str], None] = lambda m: None, workers: int = 1) -> dict[str, pd.DataFrame]:
    """Compute the corpus-foundation tables (no writing): segments, tokens, corpus_summary."""
    files = chapter_files(input_path)
    verify_checksums(files)
    say(f"parsing {len(files)} chapter(s) from {input_path}")
    segments, _ = load_corpus(input_path)
    say(f"tokenising {len(segments)} segments")
    tokenizer = Tokenizer(load_lexicon(lexicon_dir))
    tokens = tokenize_segments(segments, tokenizer, workers=workers)
    return {
        "segments": segments,
        "tokens": tokens,
        "corpus_summary": corpus_summary(segments, tokens),
    }


def build_analysis_tables(segments: pd.DataFrame, tokens: pd.DataFrame, config: BuildConfig,
                          say: Callable[[str], None] = lambda m: None) -> dict[str, pd.DataFrame]:
    """Themes, distinctive terms, co-occurrence and evidence, from the corpus tables."""
    themes = load_codebook(config.codebook)
    say(f"tagging {len(themes)} themes")
    hits = find_theme_hits(segments, themes)
    indicator = theme_indicator(segments, hits, themes)
    tables = {
        "themes": codebook_table(themes),
        "theme_hits": hits,
        "theme_by_guest": theme_by_guest(segments, tokens, hits, themes, config.resamples, config.seed),
        "plg_slg_balance": theme_balance(segments, hits, "PLG", "SLG", config.resamples, config.seed)
        if {"PLG", "SLG"} <= {t.id for t in themes} else pd.DataFrame(),
        "theme_cooccurrence": theme_cooccurrence(indicator),
        "kwic": kwic_for_hits(segments, hits),
    }
    if config.gold:
        tables.update(validation_tables(segments, hits, [t.id for t in themes], config.gold))
    say("scoring distinctive terms and co-occurrence")
    tables["tfidf_terms"] = tfidf_terms(segments, tokens, top_k=config.top_k)
    tables["keyness"] = keyness(segments, tokens, top_k=config.top_k, min_count=config.min_count)
    tables["cooccurrence_edges"] = cooccurrence_edges(segments, tokens, min_count=config.min_count)
    return tables


#: table name → (file names) it is written to
OUTPUT_FILES = {
    "segments": ("segments.csv", "segments.parquet"),
    "tokens": ("tokens.parquet",),
    "corpus_summary": ("corpus_summary.csv",),
    "themes": ("themes.csv",),
    "theme_hits": ("theme_hits.csv",),
    "theme_by_guest": ("theme_by_guest.csv",),
    "plg_slg_balance": ("plg_slg_balance.csv",),
    "theme_cooccurrence": ("theme_cooccurrence.csv",),
    "kwic": ("kwic.csv",),
    "tagger_validation": ("tagger_validation.csv",),
    "reader_agreement": ("reader_agreement.csv",),
    "question_tagging": ("question_tagging.csv",),
    "tfidf_terms": ("tfidf_terms.csv",),
    "keyness": ("keyness.csv",),
    "cooccurrence_edges": ("cooccurrence_edges.csv",),
}


STAGING_PREFIX = ".staging-"


def publish(tables: dict[str, pd.DataFrame], output_dir: Path | str, files: dict[str, tuple[str, ...]]) -> list[Path]:
    """Write tables into a staging folder, then move them all into ``output_dir``.

    Every file is whole at every moment (it is renamed into place). The build manifest is
    removed before the first rename and written after the last, so a run killed half-way
    through the renames leaves no manifest and the next run rebuilds; staging folders of
    killed runs are swept away.
    """
    output_dir = ensure_writable_dir(output_dir)
    for stale in output_dir.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=output_dir))
    try:
        staged = []
        for name, names in files.items():
            if name not in tables:
                continue
            for file_name in names:
                target = staging / file_name
                if file_name.endswith(".parquet"):
                    write_parquet(tables[name], target)
                else:
                    write_csv(tables[name], target)
                staged.append(target)
        (output_dir / BUILD_MANIFEST).unlink(missing_ok=True)
        written = []
        for target in staged:
            final = output_dir / target.name
            os.replace(target, final)
            written.append(final)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_cache(folder: Path) -> dict[str, pd.DataFrame] | None:
    if not (folder / "complete").exists():
        return None
    return {path.stem: pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))}


def _write_cache(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Write the cache entry whole or not at all (staged, then renamed into place)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, table in tables.items():
            write_parquet(table, staging / f"{name}.parquet")
        (staging / "complete").write_text("", encoding="utf-8")
        try:
            os.replace(staging, folder)
        except OSError:
            pass  # another process wrote the same entry first: same fingerprint, same tables
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def compute_tables(config: BuildConfig | None = None, say: Callable[[str], None] = lambda m: None,
                   use_cache: bool = True) -> dict[str, pd.DataFrame]:
    """Every table for ``config``, from the cache when nothing it depends on has changed."""
    config = config or BuildConfig()
    fingerprint = config.fingerprint()
    folder = CACHE_DIR / fingerprint
    if use_cache:
        cached = _read_cache(folder)
        if cached is not None:
            say(f"inputs unchanged (fingerprint {fingerprint}): reusing cached tables")
            return cached
    tables = build_corpus_tables(config.input_path, config.lexicon_dir, say, workers=config.workers)
    tables.update(build_analysis_tables(tables["segments"], tables["tokens"], config, say))
    if use_cache:
        try:
            _write_cache(folder, tables)
        except OSError as err:
            say(f"note: could not write the cache ({err}); continuing without it")
    return tables


def _up_to_date(output_dir: Path, fingerprint: str) -> bool:
    manifest = output_dir / BUILD_MANIFEST
    if not manifest.exists():
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return recorded.get("fingerprint") == fingerprint and all((output_dir / f).exists() for f in recorded.get("files", []))


def build(config: BuildConfig | None = None, quiet: bool = False, force: bool = False, **overrides) -> BuildResult:
    """Build and write every table into ``config.output_dir``; return what was written.

    ``overrides`` set fields of :class:`BuildConfig` (``build(output_dir=tmp)``). When the
    output folder already holds the tables of the same fingerprint, nothing is rewritten.
    """
    config = config or BuildConfig()
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise TypeError(f"unknown build option {key!r}")
        setattr(config, key, value)
    started = time.perf_counter()
    say = lambda m: _say(m, quiet)  # noqa: E731
    output_dir = Path(config.output_dir)
    fingerprint = config.fingerprint()
    if not force and _up_to_date(output_dir, fingerprint):
        say(f"{output_dir}: up to date (fingerprint {fingerprint}), nothing to do")
        return BuildResult(output_dir, [], {})
    tables = compute_tables(config, say, use_cache=not force)
    written = publish(tables, output_dir, OUTPUT_FILES)
    manifest = {"fingerprint": fingerprint, "files": sorted(p.name for p in written),
                "input": str(config.input_path), "parameters": {"top_k": config.top_k, "min_count": config.min_count,
                                                                "resamples": config.resamples, "seed": config.seed}}
    write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", output_dir / BUILD_MANIFEST)
    say(f"wrote {len(written)} tables to {output_dir} in {time.perf_counter() - started:.1f} s")
    return BuildResult(output_dir, written, tables)
