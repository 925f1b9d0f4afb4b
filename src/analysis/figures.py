"""Publication figures: one CJK font, one colour per guest, labels in zh or en, stable files.

Chinese is drawn with Noto Sans CJK SC (SIL Open Font License 1.1), which the ``mplfonts``
package installs. Only that file is registered with matplotlib: mplfonts also bundles other
fonts (among them SimHei, whose licence does not allow redistribution) that this project
never loads, embeds or ships.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

# No backend is chosen here: a notebook keeps its inline backend (charts show where they are
# drawn) and a headless process gets matplotlib's own fallback (Agg).
import matplotlib.pyplot as plt
import yaml
from matplotlib import font_manager

from .io import atomic_path
from .params import LANGS, problem

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_NAME = "Noto Sans CJK SC"
FORMATS = ("png", "svg", "pdf")
#: Okabe–Ito, for guests beyond the guest table (other chapters' sections)
FALLBACK_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def font_path() -> Path:
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: Noto Sans CJK SC not found; reinstall mplfonts (`make venv`)")
    return path


@lru_cache(maxsize=1)
def setup_style() -> str:
    """Register the CJK font and set a report style; returns the font file path."""
    path = font_path()
    font_manager.fontManager.addfont(str(path))
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [FONT_NAME, "DejaVu Sans"],
        "axes.unicode_minus": False,  # U+2212 is in the font, but '-' keeps PDFs searchable
        "pdf.fonttype": 42,  # embed the font (subset) rather than Type 3 outlines
        "svg.fonttype": "path",  # SVG text as paths: renders the same without the font installed
        "svg.hashsalt": "analysis",  # stable ids in SVG output
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 13,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "legend.frameon": False,
    })
    return str(path)


@lru_cache(maxsize=1)
def _figure_text() -> dict:
    path = resources.files("analysis") / "lexicons" / "figure_text.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise problem("lang", f"unknown label language {lang!r}; valid: {', '.join(LANGS)}")
    return lang


def text(key: str, lang: str = "zh") -> str:
    """A chart string in the label language (``figure_text.yaml``)."""
    check_lang(lang)
    entry = _figure_text().get(key)
    if entry is None:
        raise KeyError(f"figure_text.yaml has no entry {key!r}")
    return entry[lang]


@dataclass(frozen=True)
class GuestInfo:
    guest: str
    name_en: str
    organization: str
    organization_en: str
    color: str


@lru_cache(maxsize=1)
def guest_table() -> dict[str, GuestInfo]:
    path = resources.files("analysis") / "lexicons" / "guests.csv"
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]
    return {row["guest"]: GuestInfo(**row) for row in csv.DictReader(io.StringIO("\n".join(lines)))}


def guest_colors(guests: list[str]) -> dict[str, str]:
    """One colour per guest: from the guest table, else the palette in order of appearance."""
    table = guest_table()
    spare = [c for c in FALLBACK_COLORS if c not in {g.color for g in table.values()}] + FALLBACK_COLORS
    colors, i = {}, 0
    for guest in guests:
        if guest in table:
            colors[guest] = table[guest].color
        else:
            colors[guest] = spare[i % len(spare)]
            i += 1
    return colors


def guest_label(guest: str, lang: str = "zh", with_org: bool = False) -> str:
    info = guest_table().get(guest)
    if lang == "en":
        name = info.name_en if info else guest
        org = info.organization_en if info else ""
    else:
        name, org = guest, info.organization if info else ""
    if with_org and org:
        return f"{name}（{org}）" if lang == "zh" else f"{name} ({org})"
    return name


def theme_labels(themes, lang: str = "zh") -> dict[str, str]:
    """theme id → label in the label language, from the codebook."""
    check_lang(lang)
    return {t.id: t.label(lang) for t in themes}


class MissingGlyphError(RuntimeError):
    pass


def save_figure(fig, name: str, out_dir: Path | str, formats=FORMATS, dpi: int = 300) -> list[Path]:
    """Save ``fig`` as ``name.{png,svg,pdf}`` atomically; return the files.

    Files carry no timestamps, so the same figure gives the same bytes. A missing glyph
    (a character the font cannot draw) is an error here rather than a box in the report.
    """
    out_dir = Path(out_dir)
    written = []
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        warnings.filterwarnings("error", message=".*missing from (current )?font.*")
        try:
            for fmt in formats:
                target = out_dir / f"{name}.{fmt}"
                metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}[fmt]
                with atomic_path(target) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
                written.append(target)
        except UserWarning as warning:
            raise MissingGlyphError(f"figure {name}: {warning}") from None
    return written


#: the key under which a notebook's caption output carries its figure record (the runner
#: collects the figure manifest from the executed notebooks, so parallel kernels never share
#: a file)
FIGURE_METADATA = "analysis/figure"
MANIFEST_COLUMNS = ["file", "notebook", "title", "caption", "source_table", "parameters"]


def write_figure_manifest(out_dir: Path | str, records: list[dict]) -> Path:
    """``figures/manifest.csv`` (one row per file) and ``manifest.json`` (one entry per figure)."""
    out_dir = Path(out_dir)
    records = sorted(records, key=lambda r: r["name"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for entry in records:
        for file in entry["files"]:
            writer.writerow([file, entry["notebook"], entry["title"], entry["caption"], entry["source_table"],
                             json.dumps(entry["parameters"], ensure_ascii=False, sort_keys=True)])
    with atomic_path(out_dir / "manifest.csv") as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
    with atomic_path(out_dir / "manifest.json") as tmp:
        tmp.write_text(json.dumps(records, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir / "manifest.csv"
