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
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from .io import atomic_path
from .params import LANGS, problem

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_NAME = "Noto Sans CJK SC"
FORMATS = ("png", "svg", "pdf")
#: Colours for units beyond the guest table (other chapters' guests, report sections), in order
#: of use. Okabe–Ito first (the guests' four, then orange, sky blue, black; its yellow is left
#: out: unreadable on white), then a glasbey-like list: each next colour is the sRGB grid point
#: (18 steps a channel, CIELAB lightness 25–75 so that a bar and a title in it read on white)
#: farthest in CIELAB from all before it. Any two of the 32 colours left for sections are at
#: least ΔE*ab 29 apart. Generated once; kept here as data so that a colour never changes.
UNIT_PALETTE = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#0000ff", "#00d200", "#ff00e1", "#4b1e96", "#ff005a", "#695a1e", "#780f1e", "#a5c34b",
    "#b4b4a5", "#c387ff", "#1e5a5a", "#d20087", "#f09678", "#0f7800", "#5a2d5a", "#ff0000",
    "#964bff", "#0078ff", "#3cd269", "#875a5a", "#d2b469", "#5ac3c3", "#004b1e", "#b4000f",
    "#a500a5", "#873c00", "#d24b69", "#b4a5f0", "#78965a",
]
FALLBACK_COLORS = UNIT_PALETTE  # the name earlier code used
#: the two kinds of unit a chart compares (:attr:`analysis.study.Study.unit_kind`)
UNIT_KINDS = ("guest", "section")
#: no figure taller or wider than this (inches; 11 in = 3,300 px at 300 dpi)
MAX_HEIGHT, MAX_WIDTH = 11.0, 14.0


def font_path() -> Path:
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: Noto Sans CJK SC not found; reinstall mplfonts (`make venv`)")
    return path


@lru_cache(maxsize=1)
def setup_style() -> str:
    """Register the CJK font and set a report style; returns the font file path."""
    # Imported here, not with this module: a process that only reads or writes manifests (an
    # up-to-date report) never pays for matplotlib. No backend is chosen here: a notebook keeps
    # its inline backend (charts show where they are drawn) and a headless process gets
    # matplotlib's own fallback (Agg).
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [FONT_NAME, "DejaVu Sans"],
        "axes.unicode_minus": False,  # U+2212 is in the font, but '-' keeps PDFs searchable
        "pdf.fonttype": 42,  # embed the font (subset) rather than Type 3 outlines
        # matplotlib 3.11 sizes the PDF backend's font subsets by ps.fonttype (3: 256 characters
        # a subset), so every PDF embedded the CJK font twice (ASCII, then the rest), each one a
        # subsetting of the 16 MB font; with 42 a PDF embeds it once, drawing the same glyphs
        "ps.fonttype": 42,
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
    use_harfbuzz_subsetting()
    return str(path)


@lru_cache(maxsize=4)
def _harfbuzz_face(path: str, index: int):
    import uharfbuzz

    return uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path), index)


def harfbuzz_glyphs_subset(fontfile, glyphs):
    """The font ``fontfile`` cut down to ``glyphs`` (glyph indices) by HarfBuzz's hb-subset, in
    the form matplotlib's PDF and PS backends expect from their ``get_glyphs_subset``: a
    context manager giving the subset as a fontTools font and the old → new glyph index map.

    matplotlib subsets with fontTools, which reads the whole 65,535-glyph CJK font again for
    every PDF (about 0.4–0.9 s each, most of a report's PDF time); hb-subset is compiled and
    keeps the font mapped between figures. The glyphs embedded are the same outlines and
    advances (a test compares them through FreeType).
    """
    import uharfbuzz
    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps

    spec = uharfbuzz.SubsetInput()
    spec.sets(uharfbuzz.SubsetInputSets.GLYPH_INDEX).update({int(g) for g in glyphs})
    spec.flags = uharfbuzz.SubsetFlags.GLYPH_NAMES  # as matplotlib asks of fontTools
    plan = uharfbuzz.SubsetPlan(_harfbuzz_face(str(fontfile), getattr(fontfile, "face_index", 0)), spec)
    subset = plan.execute()
    # as matplotlib loads it: saving must not stamp the time of day into the font's head table
    font = TTFont(io.BytesIO(subset.blob.data), recalcTimestamp=False)
    return _backend_pdf_ps.SubsetResults(font, dict(plan.old_to_new_glyph_mapping))._as_cm()


def use_harfbuzz_subsetting() -> bool:
    """Make matplotlib subset fonts for PDF and PS with :func:`harfbuzz_glyphs_subset`.

    ``get_glyphs_subset`` is private to matplotlib: where it (or the result type it returns)
    is not what this was written against, matplotlib keeps its own subsetting, which gives the
    same figures more slowly. Returns whether the HarfBuzz path is in use.
    """
    from matplotlib.backends import _backend_pdf_ps

    current = getattr(_backend_pdf_ps, "get_glyphs_subset", None)
    if current is harfbuzz_glyphs_subset:
        return True
    results = getattr(_backend_pdf_ps, "SubsetResults", None)
    if current is None or results is None or not hasattr(results, "_as_cm"):
        return False
    _backend_pdf_ps.get_glyphs_subset = harfbuzz_glyphs_subset
    return True


@lru_cache(maxsize=1)
def _figure_text() -> dict:
    path = resources.files("analysis") / "lexicons" / "figure_text.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise problem("lang", f"unknown label language {lang!r}; valid: {', '.join(LANGS)}")
    return lang


def check_unit(unit: str) -> str:
    if unit not in UNIT_KINDS:
        raise ValueError(f"unknown unit kind {unit!r}; valid: {', '.join(UNIT_KINDS)}")
    return unit


def text(key: str, lang: str = "zh", unit: str = "guest") -> str:
    """A chart string in the label language (``figure_text.yaml``).

    With ``unit="section"`` (a report: its ``##`` sections are compared) the entry
    ``<key>_section`` is used when there is one, so no chart of a report says guest or question.
    """
    check_lang(lang)
    entries = _figure_text()
    if check_unit(unit) == "section" and f"{key}_section" in entries:
        key = f"{key}_section"
    entry = entries.get(key)
    if entry is None:
        raise KeyError(f"figure_text.yaml has no entry {key!r}")
    return entry[lang]


def display_width(label: str) -> int:
    """Width of ``label`` in half-width cells: CJK and full-width characters count 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)


def shorten(label: str, width: int) -> str:
    """``label`` cut to ``width`` half-width cells, with an ellipsis when cut."""
    if display_width(label) <= width:
        return label
    out, used = "", 0
    for ch in label:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out.rstrip() + "…"


_CJK_OR_SPACE = r"[\u2e80-\u9fff\uf900-\uffef\u3000-\u303f]|\s+"


_NO_LINE_START = set("、，。：；）」』》〉！？,.:;)!?")
_NO_LINE_END = set("（「『《〈(")


def wrap(label: str, width: int, lines: int = 2) -> str:
    """``label`` wrapped at ``width`` half-width cells (CJK breaks anywhere, Latin at spaces),
    at most ``lines`` lines, the last one shortened with an ellipsis."""
    tokens = [m.group() for m in re.finditer(_CJK_OR_SPACE + r"|[^\s\u2e80-\u9fff\uf900-\uffef\u3000-\u303f]+", label)]
    rows, row, used = [], "", 0
    for index, token in enumerate(tokens):
        if len(rows) == lines - 1:  # the last line takes the rest, shortened
            rows.append(shorten((row + "".join(tokens[index:])).strip(), width))
            row = None
            break
        w = display_width(token)
        if token.isspace():
            row, used = (row + " ", used + 1) if row else (row, used)
            continue
        if used + w > width and row.strip() and token not in _NO_LINE_START:
            carried = ""
            while row and row[-1] in _NO_LINE_END and len(row) > 1:  # an opening bracket goes with what it opens
                carried, row = row[-1] + carried, row[:-1]
            rows.append(row.rstrip())
            row, used = carried, display_width(carried)
            if len(rows) == lines - 1:
                rows.append(shorten((carried + "".join(tokens[index:])).strip(), width))
                row = None
                break
        row, used = row + token, used + w
    if row is not None:
        rows.append(row.rstrip())
    return "\n".join(r for r in rows if r)


def unit_codes(count: int) -> list[str]:
    """Short codes for abbreviated unit labels: §1, §2, …"""
    return [f"§{i}" for i in range(1, count + 1)]


def fit_labels(labels: list[str], width: int, lines: int = 1) -> tuple[list[str], dict[str, str]]:
    """Labels that fit ``lines`` lines of ``width`` half-width cells, and their key.

    When every label fits (wrapped if ``lines`` > 1), they are returned as they are (wrapped)
    and the key is empty. Otherwise every label is numbered (``§n``) and shortened, and the key
    maps each code to the full label: the chart stays readable and still names every unit.
    """
    wrapped = [wrap(label, width, lines) if lines > 1 else label for label in labels]
    # (a closing bracket may hang one character past the width rather than start a line)
    if all("…" not in w and all(display_width(line) <= width + 2 for line in w.split("\n")) for w in wrapped):
        return wrapped, {}
    numbers = [_NUMBERED.match(label) for label in labels]
    if all(numbers) and len({m.group(0).strip() for m in numbers}) == len(labels):
        # the titles number themselves ("3. …", "二、…", "第3章 …"): their numbers are the codes
        codes, texts = [m.group(0).strip() for m in numbers], labels
    else:
        codes = unit_codes(len(labels))
        texts = [f"{code} {label}" for code, label in zip(codes, labels)]
    short = [wrap(label, width, lines) if lines > 1 else shorten(label, width) for label in texts]
    return short, dict(zip(codes, labels))


_NUMBERED = re.compile(r"^\s*(?:第\s*[0-9一二三四五六七八九十百零〇]+\s*[章节部分篇]|"
                       r"[0-9一二三四五六七八九十百零〇]+(?:\.[0-9]+)*\s*[.、．:：)）]|[（(][0-9一二三四五六七八九十]+[)）])")


def figure_size(width: float, height: float) -> tuple[float, float]:
    """``(width, height)`` in inches, capped at :data:`MAX_WIDTH` × :data:`MAX_HEIGHT`."""
    return min(width, MAX_WIDTH), min(height, MAX_HEIGHT)


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
    spare = [c for c in UNIT_PALETTE if c not in {g.color for g in table.values()}]
    colors, i = {}, 0
    for guest in guests:
        if guest in colors:
            continue
        if guest in table:
            colors[guest] = table[guest].color
        else:
            colors[guest] = spare[i % len(spare)]
            i += 1
    return colors


def guest_label(guest: str, lang: str = "zh", with_org: bool = False, document: str = "") -> str:
    """A guest's (or section's) name in the label language; ``document`` names its chapter too
    (a corpus of several chapters, where two sections may share a title)."""
    name = _guest_label(guest, lang, with_org)
    if document:
        return f"{name}（{document}）" if lang == "zh" else f"{name} ({document})"
    return name


def _guest_label(guest: str, lang: str, with_org: bool) -> str:
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


def _lays_nothing_out(engine) -> bool:
    # fig.tight_layout() leaves a placeholder engine behind, which lays nothing out (the layout
    # was done once) but makes savefig draw every figure twice all the same
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    return engine is None or isinstance(engine, PlaceHolderLayoutEngine)


def tight_crop(fig, dpi: float = 300):
    """The part of ``fig`` that ``savefig.bbox: tight`` keeps (inches), computed once for all
    the formats a figure is saved in; ``None`` where savefig must work it out itself (a figure
    with a layout engine, or another ``savefig.bbox``).

    savefig finds a tight crop by drawing the figure once without output before drawing it for
    real: once a format, a third of the time it takes to save one figure three times. A dry draw
    still places what is only placed when drawn (a legend's best corner), so the crop is the
    one savefig would find, and all three files show the same part of the figure.
    """
    import matplotlib as mpl

    if mpl.rcParams["savefig.bbox"] != "tight" or not _lays_nothing_out(fig.get_layout_engine()):
        return None
    shown_at = fig.dpi
    # A picture clipped to its axes can move nothing and widen no crop (the axes' box is in the
    # crop anyway), and resampling it at 300 dpi is most of a word cloud's draw: left out here.
    pictures = [image for ax in fig.axes for image in ax.images
                if image.get_visible() and image.get_clip_on() and image.get_clip_box() is not None
                and (image.get_clip_box().get_points() == ax.bbox.get_points()).all()]
    fig.set_dpi(dpi)  # text is measured at the resolution saved, as savefig measures it
    for image in pictures:
        image.set_visible(False)
    try:
        fig.draw_without_rendering()
        return fig.get_tightbbox().padded(mpl.rcParams["savefig.pad_inches"])
    finally:
        fig.set_dpi(shown_at)
        for image in pictures:
            image.set_visible(True)


def save_figure(fig, name: str, out_dir: Path | str, formats=FORMATS, dpi: int = 300) -> list[Path]:
    """Save ``fig`` as ``name.{png,svg,pdf}`` atomically; return the files.

    Files carry no timestamps, so the same figure gives the same bytes. A missing glyph
    (a character the font cannot draw) is an error here rather than a box in the report.
    """
    out_dir = Path(out_dir)
    written = []
    placeholder = None
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        warnings.filterwarnings("error", message=".*missing from (current )?font.*")
        try:
            crop = tight_crop(fig, dpi)
            placeholder = fig.get_layout_engine() if crop is not None else None
            if placeholder is not None:
                fig.set_layout_engine(None)  # savefig draws once a file, with the crop found once
            for fmt in formats:
                target = out_dir / f"{name}.{fmt}"
                metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}[fmt]
                with atomic_path(target) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata, bbox_inches=crop)
                written.append(target)
        except UserWarning as warning:
            raise MissingGlyphError(f"figure {name}: {warning}") from None
        finally:
            if placeholder is not None:
                fig.set_layout_engine(placeholder)
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
