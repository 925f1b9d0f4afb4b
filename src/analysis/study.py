"""What a notebook opens: a root's published tables, and the display parameters to show them.

``open_study(root)`` reads ``ROOT/data/processed/`` (Parquet + ``build_manifest.json``) and
never computes a table: the build owns them. A notebook takes display parameters only
(:mod:`analysis.params`); a build parameter found among them (``seed = 7`` in the
parameters cell, or injected by papermill) is an error naming the build option to use.

A chart is shown where it is drawn (:meth:`Study.show`) and saved only when the notebook was
asked to (``save_to``): ``make report`` passes its staging folder; by hand, ``save_to =
"scratch"`` writes to ``scratch/figures/``, which ``make clean`` removes. Nothing run by hand
writes a root's ``figures/``.
"""

from __future__ import annotations

import inspect
import os
from functools import lru_cache
from importlib import resources
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import InputError
from .figures import FIGURE_METADATA, check_lang, guest_label, guest_table, save_figure, setup_style
from .params import BUILD_PARAMS, SPEC, check_display, not_a_display_parameter, problem
from .paths import PROJECT_ROOT
from .runfolder import FIGURES, PROCESSED, STAGING_PREFIX, read_json

if TYPE_CHECKING:  # a dfm is built on first use (scipy and the segmenter load then)
    from .dfm import Dfm

BUILD_MANIFEST = "build_manifest.json"
SCRATCH = PROJECT_ROOT / "scratch" / "figures"
#: joins document and guest in a unit key (:meth:`Study.unit_key`)
UNIT_SEPARATOR = " › "


class FigureRecord(dict):
    """A shown figure's manifest record. Displays as nothing, so a cell ending in ``study.show(…)``
    shows the chart and its caption, not the record's dict as the cell's result."""

    def _ipython_display_(self) -> None:
        pass


@dataclass
class Study:
    root: Path
    manifest: dict
    tables: dict[str, pd.DataFrame]
    display: dict = field(default_factory=dict)
    save_to: Path | None = None
    notebook: str = ""

    # -- what the tables hold ------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.display.get("lang", SPEC["lang"].default)

    @property
    def build_parameters(self) -> dict:
        return self.manifest.get("parameters", {})
    _dfms: dict = field(default_factory=dict, repr=False)
    shown: list = field(default_factory=list, repr=False)  # figure records, in the order shown

    def dfm(self, unit: str = "paragraph") -> Dfm:
        """The answers' content dfm for ``unit`` (paragraph or sentence), built once per study."""
        if unit not in self._dfms:
            from .dfm import build_dfm

            self._dfms[unit] = build_dfm(self.tables["segments"], self.tables["tokens"], unit)
        return self._dfms[unit]

    @cached_property
    def lexicon(self):
        """The lexicon the tables were built with (its synonyms widen a term search)."""
        from .lexicon import load_lexicon

        return load_lexicon(self.build_parameters.get("lexicons"))

    @property
    def guests(self) -> list[str]:
        """Guests (report mode: sections) in chapter order, overview excluded."""
        segments = self.tables["segments"]
        return list(dict.fromkeys(segments.loc[segments["guest"] != "", "guest"]))

    @property
    def unit_kind(self) -> str:
        """``"guest"`` when the units compared are interview guests, ``"section"`` for a report's
        ``##`` sections (or a corpus mixing both): what every chart calls its units.

        The parser names a report's section after its heading (``guest == interview_title``)
        and an interview's guest after the guest line, with an organisation when one is given;
        so a document is an interview when any of its units differs from its heading or has an
        organisation.
        """
        segments = self.tables["segments"]
        units = segments[segments["guest"] != ""]
        if units.empty:
            return "guest"
        interview = (units["guest"] != units["interview_title"]) | (units["organization"].fillna("") != "")
        by_document = interview.groupby(units["document"]).any()
        return "guest" if bool(by_document.all()) else "section"

    @property
    def documents(self) -> list[str]:
        """Documents (chapters) with units, in corpus order."""
        segments = self.tables["segments"]
        return list(dict.fromkeys(segments.loc[segments["guest"] != "", "document"]))

    @property
    def several_documents(self) -> bool:
        return len(self.documents) > 1

    def unit_key(self, document: str, guest: str) -> str:
        """A unit's key in keyed tables: the guest, or ``document › guest`` when the corpus holds
        several documents (two chapters may have sections of the same title)."""
        return f"{document}{UNIT_SEPARATOR}{guest}" if self.several_documents else guest

    def keyed(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with its ``guest`` column made unit keys (:meth:`unit_key`) when the corpus
        holds several documents and the table has a ``document`` column; else as it is."""
        if not self.several_documents or "document" not in table.columns:
            return table
        table = table.copy()
        table["guest"] = [self.unit_key(d, g) for d, g in zip(table["document"], table["guest"])]
        return table

    def select_units(self, wanted: list[str] | str | None = None) -> list[str]:
        """The units to show as keys of :meth:`keyed` tables (the guests parameter applies)."""
        chosen = set(self.select_guests(wanted))
        segments = self.tables["segments"]
        pairs = segments.loc[segments["guest"] != "", ["document", "guest"]].drop_duplicates()
        return [self.unit_key(d, g) for d, g in pairs.itertuples(index=False) if g in chosen]

    def unit_labels(self, units: list[str] | None = None, with_org: bool = False) -> dict[str, str]:
        """unit key (or guest) → label in the label language; with several documents the label
        names the unit's chapter (or chapters, for a table that pools same-named units)."""
        units = self.select_units() if units is None else units
        segments = self.tables["segments"]
        short = short_names(list(dict.fromkeys(segments["document"])))
        labels = {}
        for unit in units:
            if UNIT_SEPARATOR in unit and self.several_documents:
                document, guest = unit.split(UNIT_SEPARATOR, 1)
                document = short.get(document, document)
            else:
                guest = unit
                document = ""
                if self.several_documents:
                    joiner = "、" if self.lang == "zh" else ", "
                    document = joiner.join(dict.fromkeys(short.get(d, d) for d in
                                                         segments.loc[segments["guest"] == unit, "document"]))
            labels[unit] = guest_label(guest, self.lang, with_org, document)
        return labels

    def unit_pair(self, unit: str) -> tuple[str | None, str]:
        """(document, guest) of a unit key (:meth:`unit_key`); document ``None`` when the key is
        a bare guest (one document: it is the corpus's)."""
        if UNIT_SEPARATOR in unit and self.several_documents:
            document, guest = unit.split(UNIT_SEPARATOR, 1)
            return document, guest
        return None, unit

    def language_warning(self) -> str:
        """Warning lines for documents in a language some themes have no codebook terms for
        (:func:`analysis.themes.coverage_warnings`, the lines the build printed); ``""`` when
        every document's language is covered, or for tables built before languages existed."""
        from .themes import coverage_warnings, document_languages

        segments, themes = self.tables["segments"], self.tables["themes"]
        if "language" not in segments.columns or "languages" not in themes.columns:
            return ""
        covered = {theme: str(languages).split() for theme, languages in zip(themes["theme"], themes["languages"])}
        return "\n".join(coverage_warnings(document_languages(segments), covered))

    @property
    def themes(self) -> list[str]:
        return self.tables["themes"]["theme"].tolist()

    @property
    def labels_cover(self) -> str:
        """The documents the reference labels cover (the validation applies to them only)."""
        disagreements = self.tables.get("tagger_disagreements")
        segments = self.tables["segments"]
        if disagreements is None or "tagger_validation" not in self.tables:
            return ""
        covered = segments.loc[segments["segment_id"].isin(disagreements["segment_id"]), "document"]
        return ", ".join(dict.fromkeys(covered)) or ", ".join(dict.fromkeys(segments["document"]))

    def theme_names(self) -> dict[str, str]:
        """theme id → label in the label language, from the codebook the tables were built with."""
        column = "label_zh" if self.lang == "zh" else "label_en"
        return dict(zip(self.tables["themes"]["theme"], self.tables["themes"][column]))

    def guest_label(self, guest: str, with_org: bool = False) -> str:
        return guest_label(guest, self.lang, with_org)

    def label_axes(self, matrix: pd.DataFrame) -> pd.DataFrame:
        """A guest × theme (or theme × theme) matrix with both axes named in the label language."""
        names = self.theme_names()

        def label(value):
            return names.get(value) or self.guest_label(value)

        return matrix.rename(index=label, columns=label)

    def present(self, frame: pd.DataFrame, percent=(), digits: int = 2):
        """A table as a reader sees it: guests and themes named in the label language, column
        headers translated (``lexicons/column_labels.yaml``), shares as percentages, no index."""
        shown = frame.copy()
        if "guest" in shown.columns:
            shown["guest"] = shown["guest"].map(lambda g: self.guest_label(g) if g else g)
        names = self.theme_names()
        for column in ("theme", "theme_a", "theme_b"):
            if column in shown.columns:
                shown[column] = shown[column].map(lambda t: names.get(t, t))
        labels = {c: column_label(c, self.lang) for c in shown.columns}
        formats = {labels[c]: "{:.0%}" for c in percent if c in labels}
        shown = shown.rename(columns=labels)
        return shown.style.format(formats, precision=digits, na_rep="–").hide(axis="index")

    # -- display selections --------------------------------------------------------------
    def select_guests(self, wanted: list[str] | str | None = None) -> list[str]:
        """The guests to show, in chapter order, named in Chinese or English; an unknown one lists the valid ones."""
        wanted = SPEC["guests"].validate(self.display.get("guests") if wanted is None else wanted)
        if not wanted:
            return self.guests
        english = {info.name_en.lower(): guest for guest, info in guest_table().items()}
        chosen = [english.get(w.strip().lower(), w.strip()) for w in wanted]
        unknown = [w for w, g in zip(wanted, chosen) if g not in self.guests]
        if unknown:
            valid = ", ".join(f"{g} ({guest_label(g, 'en')})" if g in guest_table() else g for g in self.guests)
            raise problem("guests", f"unknown guest {unknown[0]!r}; valid: {valid}")
        return [g for g in self.guests if g in chosen]

    def select_themes(self, wanted: list[str] | str | None = None) -> list[str]:
        wanted = SPEC["themes"].validate(self.display.get("themes") if wanted is None else wanted)
        unknown = [w for w in wanted if w not in self.themes]
        if unknown:
            raise problem("themes", f"unknown theme {unknown[0]!r}; valid: {', '.join(self.themes)}")
        return [t for t in self.themes if t in wanted] if wanted else self.themes

    def check(self) -> None:
        """Every display parameter valid for these tables (guests and themes that exist)."""
        self.select_guests()
        self.select_themes()
        if self.display.get("theme"):
            self.select_themes([self.display["theme"]])

    # -- figures -------------------------------------------------------------------------
    def figure_name(self, stem: str) -> str:
        """Stable file stem: ``<stem>_<lang>``, so Chinese and English editions sit side by side."""
        return f"{stem}_{self.lang}"

    def show(self, fig, stem: str, *, title: str, caption: str, source: str) -> None:
        """Show ``fig`` inline with its caption; save it too when the notebook was asked to.

        The caption output carries the figure's manifest record in its metadata, which is how
        the runner learns which figures a notebook made; ``self.shown`` keeps them too. ``fig``
        may be a list of figures (the pages of a paged chart): they are shown and saved as
        ``<stem>_p1``, ``<stem>_p2``, …. Returns nothing, so a cell ending in ``study.show(...)``
        prints no record.
        """
        if isinstance(fig, (list, tuple)):
            if len(fig) == 1:
                return self.show(fig[0], stem, title=title, caption=caption, source=source)
            for number, page in enumerate(fig, start=1):
                self.show(page, f"{stem}_p{number}", title=f"{title} ({number}/{len(fig)})", caption=caption,
                          source=source)
            return None
        from IPython.display import Markdown, display
        import matplotlib.pyplot as plt

        name = self.figure_name(stem)
        record = FigureRecord(name=name, notebook=self.notebook, title=title, caption=caption, source_table=source,
                              parameters={**self.build_parameters, **self.display}, files=[])
        shown = fig
        if self.save_to is not None:
            files = save_figure(fig, name, self.save_to)
            record["files"] = [p.name for p in files]
            shown = saved_picture(files, fig.dpi) or fig
        display(shown)
        plt.close(fig)
        note = f"*{caption}* — source: `{source}`"
        display(Markdown(note), metadata={FIGURE_METADATA: record})
        self.shown.append(record)


def saved_picture(files: list[Path], shown_dpi: float, saved_dpi: float = 300):
    """The PNG just saved, to show in place of the figure, at the size the figure itself shows
    (its pixels at ``shown_dpi``): what the notebook shows is the file published, and the
    figure is not drawn a fourth time (twice, with its crop) just to be shown. ``None`` when no
    PNG was saved."""
    from IPython.display import Image

    png = next((p for p in files if p.suffix == ".png"), None)
    if png is None:
        return None
    return Image(filename=str(png), width=round(_png_width(png) * shown_dpi / saved_dpi))


def _png_width(png: Path) -> int:
    # the width field of a PNG's IHDR chunk (bytes 16–20), read without decoding the picture
    return int.from_bytes(png.read_bytes()[16:20], "big")


def short_names(documents: list[str]) -> dict[str, str]:
    """Document names without the part they all share (``commercialization_2023``,
    ``commercialization_2024`` → ``2023``, ``2024``): what tells them apart survives the
    shortening a chart label needs."""
    if len(documents) < 2:
        return {d: d for d in documents}
    prefix = os.path.commonprefix(documents)
    suffix = os.path.commonprefix([d[::-1] for d in documents])[::-1]
    # cut at a separator, so "report_a" / "report_b" keep their own letters whole
    prefix = prefix[:max(prefix.rfind(sep) for sep in "_-. ") + 1] if any(c in prefix for c in "_-. ") else ""
    suffix = suffix[min((suffix.find(sep) for sep in "_-. " if sep in suffix), default=len(suffix)):]
    names = {d: d[len(prefix):len(d) - len(suffix)] for d in documents}
    return names if all(names.values()) and len(set(names.values())) == len(documents) else {d: d for d in documents}


@lru_cache(maxsize=1)
def _column_labels() -> dict:
    import yaml

    return yaml.safe_load((resources.files("analysis") / "lexicons" / "column_labels.yaml").read_text(encoding="utf-8"))


def column_label(column: str, lang: str) -> str:
    """A table column's header in the label language; its schema name when it has no entry."""
    return _column_labels().get(column, {}).get(lang, column)


def _caller_namespace() -> dict:
    """The globals of the code that called :func:`open_study` (a notebook's namespace)."""
    frame = inspect.currentframe()
    try:
        return dict(frame.f_back.f_back.f_globals) if frame and frame.f_back and frame.f_back.f_back else {}
    finally:
        del frame


def refuse_build_parameters(namespace: dict) -> None:
    """A build parameter set in a notebook (by hand or by papermill) would silently do nothing."""
    for param in BUILD_PARAMS:
        if param.name in namespace and not param.name.startswith("_"):
            raise not_a_display_parameter(param.name, namespace[param.name])


def resolve_root(root: str | Path | None) -> Path:
    if root in (None, ""):
        return PROJECT_ROOT
    root = Path(root)
    return root if root.is_absolute() else PROJECT_ROOT / root


def read_tables(root: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """A root's build manifest and every published table (Parquet)."""
    folder = root / PROCESSED
    manifest = read_json(folder / BUILD_MANIFEST)
    if not manifest:
        raise InputError(folder, "no built tables here: run `make report` (or `python -m analysis build "
                                 f"--output {root}`) first")
    tables = {}
    for name in manifest["files"]:
        if name.endswith(".parquet"):
            path = folder / name
            if not path.exists():
                raise InputError(path, "listed in the build manifest but missing: rebuild with `make report`")
            tables[name.removesuffix(".parquet")] = pd.read_parquet(path)
    return manifest, tables


def _save_folder(save_to: str | Path | None) -> Path | None:
    if save_to in (None, ""):
        return None
    folder = SCRATCH if str(save_to) == "scratch" else resolve_root(save_to)
    staging = folder.parent.name.startswith(STAGING_PREFIX)  # the runner's own run
    if folder.name == FIGURES.name and (folder.parent / PROCESSED).is_dir() and not staging:
        raise problem("save_to", f"{folder} is a report's figures folder, which only `make report` writes; "
                                 "use save_to = \"scratch\"")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_study(root: str | Path | None = None, save_to: str | Path | None = None, notebook: str = "",
               **display) -> Study:
    """The published tables of ``root`` (default: the repository) and the checked display parameters."""
    refuse_build_parameters(_caller_namespace())
    study = checked_study(root, save_to, notebook, **display)
    setup_style()
    return study


def checked_study(root: str | Path | None = None, save_to: str | Path | None = None, notebook: str = "",
                  **display) -> Study:
    """:func:`open_study` without the figure style: what the runner checks display parameters
    with (guests and themes that exist in the tables) without loading matplotlib."""
    for name in display:
        if SPEC.get(name) is None or SPEC[name].kind != "display":
            raise not_a_display_parameter(name, display[name])
    display = check_display(display)
    check_lang(display.get("lang", "zh"))
    root = resolve_root(root)
    manifest, tables = read_tables(root)
    study = Study(root, manifest, tables, display, _save_folder(save_to), notebook)
    study.check()
    return study
