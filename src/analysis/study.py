"""What a notebook opens: the tables for a set of parameters, with checked selections.

A notebook's ``parameters`` cell names the corpus, codebook and options; ``open_study``
returns the tables computed for them (from the cache when ``make report`` already built
them) and validates the guests and themes a notebook is asked to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .dfm import Dfm, build_dfm
from .errors import ParameterError
from .figures import check_lang, setup_style, theme_labels
from .paths import DEFAULT_CORPUS, FIGURES_DIR, PROJECT_ROOT
from .pipeline import BuildConfig, compute_tables
from .summary import guest_order
from .themes import Theme, load_codebook, select_themes


@dataclass
class Study:
    config: BuildConfig
    tables: dict[str, pd.DataFrame]
    themes: list[Theme]
    lang: str = "zh"
    figures_dir: Path = FIGURES_DIR
    parameters: dict = field(default_factory=dict)
    _dfms: dict = field(default_factory=dict, repr=False)

    def dfm(self, unit: str = "paragraph") -> Dfm:
        """The answers' content dfm for ``unit`` (paragraph or sentence), built once per study."""
        if unit not in self._dfms:
            self._dfms[unit] = build_dfm(self.tables["segments"], self.tables["tokens"], unit)
        return self._dfms[unit]

    @property
    def guests(self) -> list[str]:
        return guest_order(self.tables["segments"])

    def select_guests(self, wanted: list[str] | None) -> list[str]:
        """The guests to show, in chapter order; an unknown one lists the valid ones."""
        if not wanted:
            return self.guests
        if isinstance(wanted, str):
            wanted = [wanted]
        unknown = [g for g in wanted if g not in self.guests]
        if unknown:
            raise ParameterError(f"unknown guest {unknown[0]!r}; valid guests: {', '.join(self.guests)}")
        return [g for g in self.guests if g in wanted]

    def select_themes(self, wanted: list[str] | None) -> list[str]:
        if isinstance(wanted, str):
            wanted = [wanted] if wanted else []
        return [t.id for t in select_themes(self.themes, wanted)]

    def check_parameters(self, parameters: dict) -> None:
        """Fail fast, before any notebook runs, on a guest, theme or window that does not exist."""
        self.select_guests(parameters.get("guests"))
        self.select_themes(parameters.get("themes"))
        if parameters.get("theme"):
            self.select_themes([parameters["theme"]])
        window = parameters.get("window", "sentence")
        if window not in ("sentence", "paragraph"):
            raise ParameterError(f"unknown window {window!r}; valid: sentence, paragraph")
        for name in ("top_k", "min_count", "top_edges", "top_terms", "max_words", "width", "seed"):
            value = parameters.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ParameterError(f"parameter {name} must be a non-negative whole number, got {value!r}")

    def theme_names(self) -> dict[str, str]:
        return theme_labels(self.themes, self.lang)

    def figure_name(self, stem: str) -> str:
        """Stable file stem: ``<stem>_<lang>``, so Chinese and English editions sit side by side."""
        return f"{stem}_{self.lang}"


def _resolve(path: str | Path | None, default: Path | None = None) -> Path | None:
    if path in (None, ""):
        return default
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def open_study(corpus: str | Path | None = None, codebook: str | Path | None = None, lang: str = "zh",
               output_dir: str | Path | None = None, seed: int | None = None, top_k: int = 30,
               min_count: int = 3, quiet: bool = True, **parameters) -> Study:
    """Tables and codebook for the notebook's parameters (paths relative to the project root)."""
    check_lang(lang)
    config = BuildConfig(input_path=_resolve(corpus, DEFAULT_CORPUS), codebook=_resolve(codebook),
                         top_k=top_k, min_count=min_count)
    if seed is not None:
        config.seed = seed
    say = (lambda m: None) if quiet else print
    tables = compute_tables(config, say)
    setup_style()
    return Study(config, tables, load_codebook(config.codebook), lang, _resolve(output_dir, FIGURES_DIR),
                 {"corpus": str(config.input_path.relative_to(PROJECT_ROOT)) if config.input_path.is_relative_to(PROJECT_ROOT) else str(config.input_path),
                  "codebook": str(codebook or "default"), "lang": lang, "seed": config.seed, "top_k": top_k,
                  "min_count": min_count, **parameters})
