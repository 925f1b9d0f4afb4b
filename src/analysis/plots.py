"""Drawing (the presentation layer): small pure functions that shape a table for a chart, and the
drawing functions; saving, style and labels are :mod:`analysis.figures`.

Data preparation (``*_matrix``, ``*_frame``) is separate from drawing (``draw_*``) so the
numbers a chart shows can be tested and traced back to their table.

Every drawing function that compares units takes ``unit`` (``"guest"`` for interviews,
``"section"`` for a report's ``##`` sections: :attr:`analysis.study.Study.unit_kind`), which
picks the words of titles, axes and legends, and ``labels`` (unit → label, e.g. with its
chapter when a corpus holds several: :meth:`analysis.study.Study.unit_labels`). Long labels
are wrapped or numbered (``§n``) and shortened; figure sizes grow with the number of units
up to :data:`analysis.figures.MAX_HEIGHT`; charts with a panel or a legend entry per unit are
paged (:data:`PER_PAGE` units a figure) and then return a list of figures
(:meth:`analysis.study.Study.show` names them ``<stem>_p1``, ``_p2``, …).
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

if TYPE_CHECKING:  # only the network chart needs it: imported there
    import networkx as nx

from .figures import check_unit, figure_size, fit_labels, guest_colors, guest_label, setup_style, text, wrap

# ---------------------------------------------------------------- data preparation


def ordered(values, order: list[str] | None) -> list[str]:
    """``values`` in ``order`` (unknown ones last, in their own order)."""
    values = list(dict.fromkeys(values))
    if not order:
        return values
    return [v for v in order if v in values] + [v for v in values if v not in order]


def share_matrix(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str], value: str = "share") -> pd.DataFrame:
    """guests × themes table of one column of ``theme_by_guest`` (default: share of paragraphs)."""
    table = theme_by_guest.pivot_table(index="guest", columns="theme", values=value, aggfunc="first", sort=False)
    return table.reindex(index=guests, columns=themes)


def prompted_frame(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str]) -> pd.DataFrame:
    """Long table guest, theme, prompted, unprompted in the given orders."""
    frame = theme_by_guest[theme_by_guest["guest"].isin(guests) & theme_by_guest["theme"].isin(themes)]
    frame = frame[["guest", "theme", "prompted", "unprompted"]].copy()
    frame["guest"] = pd.Categorical(frame["guest"], guests)
    frame["theme"] = pd.Categorical(frame["theme"], themes)
    return frame.sort_values(["guest", "theme"]).reset_index(drop=True)


def top_terms_frame(table: pd.DataFrame, guests: list[str], top_k: int, method: str | None = None) -> pd.DataFrame:
    """The first ``top_k`` ranked terms per guest (optionally of one TF-IDF method)."""
    if method is not None:
        table = table[table["method"] == method]
    table = table[(table["rank"] <= top_k) & table["guest"].isin(guests)]
    return table.sort_values(["guest", "rank"], key=lambda s: s.map({g: i for i, g in enumerate(guests)}) if s.name == "guest" else s).reset_index(drop=True)


def terms_by_rank(frame: pd.DataFrame, guests: list[str]) -> pd.DataFrame:
    """rank × guest table of terms (empty cells where a guest has fewer ranked terms)."""
    if frame.empty:
        return pd.DataFrame(columns=guests)
    wide = frame.pivot(index="rank", columns="guest", values="term")
    return wide.reindex(columns=guests).fillna("")


def npmi_matrix(theme_pairs: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Symmetric themes × themes NPMI matrix (diagonal empty) from theme_cooccurrence."""
    matrix = pd.DataFrame(np.nan, index=themes, columns=themes)
    for row in theme_pairs.itertuples(index=False):
        if row.theme_a in themes and row.theme_b in themes and row.count > 0:
            matrix.loc[row.theme_a, row.theme_b] = matrix.loc[row.theme_b, row.theme_a] = row.npmi
    return matrix


def slug(text_: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text_.lower()).strip("_")


def paragraphs_per_unit(theme_by_guest: pd.DataFrame, guests: list[str]) -> pd.Series:
    """guest → answer paragraphs (the denominator n of every share of that guest)."""
    table = theme_by_guest.drop_duplicates("guest").set_index("guest")["answer_paragraphs"]
    return table.reindex(guests)


def share_cells(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str]) -> pd.DataFrame:
    """guests × themes table of ``"k/n"``: paragraphs with the theme / the guest's answer paragraphs."""
    k = share_matrix(theme_by_guest, guests, themes, "paragraphs")
    n = paragraphs_per_unit(theme_by_guest, guests)
    cells = pd.DataFrame("", index=guests, columns=themes)
    for guest in guests:
        for theme in themes:
            if pd.notna(k.loc[guest, theme]) and pd.notna(n[guest]):
                cells.loc[guest, theme] = f"{int(k.loc[guest, theme])}/{int(n[guest])}"
    return cells


#: what a cell of the theme × theme chart shows
PAIR_STATUSES = ("together", "never", "undefined", "diagonal")


def theme_pair_frame(theme_pairs: pd.DataFrame, themes: list[str]) -> pd.DataFrame:
    """Long table of every ordered cell of the themes × themes chart.

    Columns ``theme_a``, ``theme_b``, ``status`` (together | never | undefined | diagonal),
    ``npmi``, ``count``, ``paragraphs`` (diagonal: paragraphs with the theme), ``codebook_link``,
    ``shared_terms``. Older tables without ``status`` get it from ``count`` and the paragraph
    counts; a pair missing from the table counts as undefined.
    """
    themes = list(themes)
    paragraphs: dict[str, int] = {}
    pairs = {}
    for row in theme_pairs.to_dict("records"):
        a, b = row["theme_a"], row["theme_b"]
        for theme, column in ((a, "paragraphs_a"), (b, "paragraphs_b")):
            if column in row and pd.notna(row[column]):
                paragraphs[theme] = int(row[column])
        status = row.get("status")
        if not isinstance(status, str) or not status:
            occurs = [row.get("paragraphs_a", 1), row.get("paragraphs_b", 1)]
            status = "together" if row["count"] > 0 else ("never" if min(occurs) > 0 else "undefined")
        shared = row.get("shared_terms")
        pairs[a, b] = pairs[b, a] = {
            "status": status, "npmi": row.get("npmi", np.nan) if status == "together" else np.nan,
            "count": int(row["count"]), "codebook_link": bool(row.get("codebook_link", False)) and status == "together",
            "count_independent": row.get("count_independent", np.nan),
            "shared_terms": shared if isinstance(shared, str) else "",
        }
    rows = []
    for a in themes:
        for b in themes:
            if a == b:
                cell = {"status": "diagonal", "npmi": np.nan, "count": paragraphs.get(a, np.nan),
                        "codebook_link": False, "count_independent": np.nan, "shared_terms": ""}
            else:
                cell = pairs.get((a, b), {"status": "undefined", "npmi": np.nan, "count": 0, "codebook_link": False,
                                          "count_independent": np.nan, "shared_terms": ""})
            rows.append({"theme_a": a, "theme_b": b, **cell, "paragraphs": paragraphs.get(a, np.nan)})
    return pd.DataFrame(rows)


def chunks(items: list, size: int) -> list[list]:
    """``items`` in pages of at most ``size``, as even as possible, fuller pages first (30 by 8: 8, 8, 7, 7)."""
    items = list(items)
    if len(items) <= size:
        return [items]
    count = -(-len(items) // size)
    base, extra = divmod(len(items), count)
    pages, start = [], 0
    for page in range(count):
        end = start + base + (page < extra)
        pages.append(items[start:end])
        start = end
    return pages


def as_pages(figures) -> list:
    """A drawing function's result as a list of figures (one figure, or the pages of a paged chart)."""
    return list(figures) if isinstance(figures, (list, tuple)) else [figures]


# ---------------------------------------------------------------- drawing

#: units a figure shows at most when it has one panel or one legend entry per unit
PER_PAGE = 8
GREY = "#666666"


def _unit_labels(guests: list[str], lang: str, labels: dict | None, with_org: bool = False) -> list[str]:
    return [labels[g] if labels and g in labels else guest_label(g, lang, with_org) for g in guests]


def _fitted(guests, lang, labels, width: int, lines: int = 1, with_org: bool = False) -> tuple[list[str], dict]:
    """Unit labels fitted to ``width`` half-width cells (numbered and shortened if need be) and their key."""
    return fit_labels(_unit_labels(guests, lang, labels, with_org), width, lines)


def _page_title(title: str, page: int, pages: int, lang: str) -> str:
    return title if pages == 1 else title + text("page", lang).format(page=page, pages=pages)


def _note(ax, note: str, y: float = 1.01) -> None:
    """A small grey line under the title (the chart's reading instructions)."""
    ax.text(0.0, y, note, transform=ax.transAxes, fontsize=8.5, color=GREY, ha="left", va="bottom")


def _snug(fig, top: float) -> None:
    """After ``tight_layout``: move the panels up or down so that their titles start ``top``
    (figure fraction) — tight_layout leaves a gap of varying size under a figure legend."""
    renderer = fig.canvas.get_renderer()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    if not visible:
        return
    highest = max(ax.get_tightbbox(renderer).y1 for ax in visible) / (fig.dpi * fig.get_figheight())
    fig.subplots_adjust(top=min(0.99, fig.subplotpars.top + (top - highest)))


def _percent(value: float) -> str:
    return "" if pd.isna(value) else f"{value * 100:.0f}%"


def _ink(shade: float, centered: bool) -> str:
    dark = shade > 0.6 if not centered else abs(shade - 0.5) > 0.3
    return "white" if dark else "#222222"


def _cell_mesh(ax, values: np.ndarray, **colouring):
    """One coloured square per cell of ``values`` (NaN: left blank), cell (i, j) centred on
    x = j, y = i with row 0 at the top, as ``imshow`` lays it out.

    Drawn as vector quadrilaterals, not an image: an image is resampled to the output's
    resolution for PDF and SVG too (seconds a heatmap, and a blurred cell edge when zoomed),
    while a dozen squares are a few bytes in every format.
    """
    rows, cols = values.shape
    # each square outlined in its own colour: without it a viewer's anti-aliasing leaves a pale
    # hairline where two squares meet
    mesh = ax.pcolormesh(np.arange(cols + 1) - 0.5, np.arange(rows + 1) - 0.5, np.ma.masked_invalid(values),
                         edgecolors="face", linewidth=0.3, **colouring)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    return mesh


def draw_heatmap(matrix: pd.DataFrame, row_labels: list[str], col_labels: list[str], title: str,
                 colorbar_label: str, fmt=_percent, cmap: str = "Blues", vmin=None, vmax=None, center=None,
                 cell_text: pd.DataFrame | None = None, note: str = ""):
    """Annotated heatmap; cell text switches to white on dark cells.

    ``cell_text`` (same shape as ``matrix``) replaces ``fmt(value)`` in the cells; the figure
    grows with the rows and columns up to the size cap, and the font shrinks to fit the cells.
    """
    setup_style()
    values = matrix.to_numpy(dtype=float)
    rows, cols = values.shape
    two_lines = cell_text is not None and rows <= 12
    row_height = 0.5 if two_lines else (0.42 if rows <= 12 else 0.28)
    label_width = max((len(line) for label in row_labels for line in str(label).split("\n")), default=4)
    width = max(6.0, 0.95 * cols + 2.6 + 0.11 * label_width)
    fig, ax = plt.subplots(figsize=figure_size(width, row_height * rows + 2.6 + (0.25 if note else 0)))
    if center is not None:
        span = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
        vmin, vmax = center - span, center + span
    image = _cell_mesh(ax, values, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(cols), col_labels, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(rows), row_labels, fontsize=10 if rows <= 12 else 8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    norm = image.norm
    size = 9 if rows <= 12 else 7.5
    for i in range(rows):
        for j in range(cols):
            finite = np.isfinite(values[i, j])
            ink = _ink(norm(values[i, j]), center is not None) if finite else "#222222"
            if cell_text is not None:
                label = str(cell_text.iat[i, j])
                if two_lines and finite:
                    ax.text(j, i - 0.14, fmt(values[i, j]), ha="center", va="center", fontsize=size, color=ink)
                    ax.text(j, i + 0.2, label, ha="center", va="center", fontsize=size - 1.5, color=ink)
                elif label:
                    ax.text(j, i, label, ha="center", va="center", fontsize=size, color=ink)
            elif finite:
                ax.text(j, i, fmt(values[i, j]), ha="center", va="center", fontsize=size, color=ink)
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    if fmt is _percent:
        bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    bar.set_label(colorbar_label)
    ax.set_title(title, loc="left", pad=22 if note else 12)
    if note:
        _note(ax, note)
    fig.tight_layout()
    return fig


def draw_share_heatmap(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str], theme_names: dict,
                       lang: str = "zh", *, unit: str = "guest", labels: dict | None = None):
    """Share of each unit's answer paragraphs per theme: colour = share, cell = k/n, axis = n."""
    check_unit(unit)
    n = paragraphs_per_unit(theme_by_guest, guests)
    names, _ = _fitted(guests, lang, labels, 36 if len(guests) > 12 else 20, 1 if len(guests) > 12 else 2)
    row_labels = [f"{name}（n={int(n[g])}）" if lang == "zh" and len(guests) <= 12 and "\n" not in name
                  else f"{name}\nn={int(n[g])}" if len(guests) <= 12 else f"{name}  n={int(n[g])}"
                  for name, g in zip(names, guests)]
    return draw_heatmap(share_matrix(theme_by_guest, guests, themes), row_labels, [theme_names[t] for t in themes],
                        text("share_title", lang, unit), text("share_axis", lang, unit),
                        cell_text=share_cells(theme_by_guest, guests, themes), note=text("share_cells", lang, unit))


def draw_theme_cooccurrence(theme_pairs: pd.DataFrame, themes: list[str], theme_names: dict, lang: str = "zh",
                            *, unit: str = "guest"):
    """Theme × theme NPMI over answer paragraphs that tells the cells apart.

    together: coloured by NPMI, with the NPMI and the paragraphs holding both (``†`` when some
    of them hold both only through a shared or adjacent codebook term); never together: hatched,
    ``0``; undefined (a theme occurs nowhere): grey, ``–``; the diagonal: pale, the paragraphs
    with the theme (``n=…``).
    """
    from matplotlib.patches import Rectangle

    setup_style()
    check_unit(unit)
    cells = theme_pair_frame(theme_pairs, themes)
    size = len(themes)
    matrix = cells.pivot(index="theme_a", columns="theme_b", values="npmi").reindex(index=themes, columns=themes)
    names = [theme_names.get(t, t) for t in themes]
    side = max(6.0, 0.62 * size + 3.4)
    fig, ax = plt.subplots(figsize=figure_size(side + 1.4, side + 1.2))
    values = matrix.to_numpy(dtype=float)
    span = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    image = _cell_mesh(ax, values, cmap="RdBu_r", vmin=-span, vmax=span)
    ax.set_aspect("equal")
    fontsize = 8.5 if size <= 10 else 7
    for cell in cells.itertuples(index=False):
        i, j = themes.index(cell.theme_a), themes.index(cell.theme_b)
        box = dict(xy=(j - 0.5, i - 0.5), width=1, height=1, linewidth=0)
        if cell.status == "together":
            ink = _ink(image.norm(cell.npmi), True)
            value = 0.0 if abs(cell.npmi) < 0.005 else cell.npmi  # no "-0.00"
            count = f"{cell.count}"
            if cell.codebook_link and pd.notna(cell.count_independent):
                count += f" ({int(cell.count_independent)})"
            ax.text(j, i, f"{value:+.2f}{'†' if cell.codebook_link else ''}\n{count}", ha="center",
                    va="center", fontsize=fontsize, color=ink, linespacing=1.1)
        elif cell.status == "never":
            ax.add_patch(Rectangle(**box, facecolor="white", edgecolor="#999999", hatch="////"))
            ax.text(j, i, "0", ha="center", va="center", fontsize=fontsize + 1, color="#222222",
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
        elif cell.status == "undefined":
            ax.add_patch(Rectangle(**box, facecolor="#bdbdbd"))
            ax.text(j, i, "–", ha="center", va="center", fontsize=fontsize + 1, color="#222222")
        else:  # diagonal
            ax.add_patch(Rectangle(**box, facecolor="#f1ede4"))
            shown = "" if pd.isna(cell.count) else f"n={int(cell.count)}"
            ax.text(j, i, shown, ha="center", va="center", fontsize=fontsize, color="#555555", style="italic")
    ax.set_xticks(range(size), names, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(size), names)
    ax.set_xticks(np.arange(size + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(size + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    bar.set_label("NPMI")
    ax.set_title(text("theme_cooc_title", lang, unit), loc="left", pad=22)
    _note(ax, text("theme_cooc_cells", lang, unit))
    present = set(cells["status"])
    handles = [Patch(facecolor="white", edgecolor="#999999", hatch="////", label="0 = " + text("theme_cooc_never", lang)),
               Patch(facecolor="#bdbdbd", label="– = " + text("theme_cooc_undefined", lang)),
               Patch(facecolor="#f1ede4", label=text("theme_cooc_diagonal", lang))]
    handles = [h for h, status in zip(handles, ("never", "undefined", "diagonal")) if status in present]
    if cells["codebook_link"].any():
        handles.append(Patch(facecolor="none", edgecolor="none", label=text("theme_cooc_link", lang)))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.005), ncols=1, fontsize=8.5,
               handlelength=1.6, borderaxespad=0.0)
    fig.tight_layout(rect=(0, (0.22 * len(handles) + 0.15) / fig.get_figheight(), 1, 1))
    return fig


def draw_prevalence(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str], theme_names: dict,
                    lang: str = "zh", *, unit: str = "guest", labels: dict | None = None, per_page: int = PER_PAGE):
    """Share of answer paragraphs per theme and unit, with 95% intervals; paged by units."""
    setup_style()
    check_unit(unit)
    colors = guest_colors(guests)
    table = theme_by_guest.drop_duplicates(["guest", "theme"]).set_index(["guest", "theme"])
    n = paragraphs_per_unit(theme_by_guest, guests)
    names = dict(zip(guests, _fitted(guests, lang, labels, 30)[0]))
    clusters = (theme_by_guest.drop_duplicates("guest").set_index("guest")["clusters"]
                if "clusters" in theme_by_guest.columns else None)
    pages = chunks(guests, per_page)
    figures = []
    for page, part in enumerate(pages, start=1):
        fig, ax = plt.subplots(figsize=figure_size(10.5, (0.3 + 0.055 * len(part)) * len(themes) + 1.8))
        offsets = np.linspace(-0.3, 0.3, len(part)) if len(part) > 1 else [0.0]
        for offset, guest in zip(offsets, part):
            ys, xs, lows, highs = [], [], [], []
            for i, theme in enumerate(themes):
                if (guest, theme) not in table.index:
                    continue
                row = table.loc[(guest, theme)]
                ys.append(i + offset)
                xs.append(row["share"])
                lows.append(max(row["share"] - row["share_low"], 0))
                highs.append(max(row["share_high"] - row["share"], 0))
            label = f"{names[guest]} (n={int(n[guest])}" if pd.notna(n[guest]) else names[guest]
            if pd.notna(n[guest]):
                if clusters is not None and pd.notna(clusters.get(guest)):  # newer tables: the questions resampled
                    label += ", " + text("clusters", lang, unit).format(count=int(clusters[guest]))
                label += ")"
            ax.errorbar(xs, ys, xerr=[lows, highs], fmt="o", color=colors[guest], ecolor=colors[guest],
                        elinewidth=1.4, capsize=2.5, markersize=5, label=label)
        ax.set_yticks(range(len(themes)), [theme_names[t] for t in themes])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
        ax.set_xlim(left=0)
        ax.set_xlabel(text("share_axis", lang, unit))
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1, fontsize=9)
        ax.set_title(_page_title(text("prevalence_title", lang, unit), page, len(pages), lang), loc="left")
        fig.tight_layout()
        figures.append(fig)
    return figures[0] if len(figures) == 1 else figures


def draw_balance(balance: pd.DataFrame, guests: list[str], lang: str = "zh", *, unit: str = "guest",
                 labels: dict | None = None):
    """Diverging bars of (PLG − SLG) / (PLG + SLG) per unit with intervals; one row per unit."""
    setup_style()
    check_unit(unit)
    colors = guest_colors(guests)
    table = balance.drop_duplicates("guest").set_index("guest").reindex(guests)
    many = len(guests) > 12
    fig, ax = plt.subplots(figsize=figure_size(9.5 if many else 8, (0.3 if many else 0.7) * len(guests) + 1.8))
    y = np.arange(len(guests))
    values = table["balance"].to_numpy(dtype=float)
    ax.barh(y, np.nan_to_num(values), color=[colors[g] for g in guests], height=0.55)
    err = np.array([values - table["balance_low"].to_numpy(float), table["balance_high"].to_numpy(float) - values])
    ax.errorbar(np.nan_to_num(values), y, xerr=np.clip(np.nan_to_num(err), 0, None), fmt="none", ecolor="#333333",
                capsize=3, linewidth=1)
    for i, row in enumerate(table.itertuples()):
        note = f"PLG {int(row.paragraphs_a)} · SLG {int(row.paragraphs_b)}" if pd.notna(row.paragraphs_a) else ""
        undefined = getattr(row, "resamples_undefined", 0)  # newer tables: resamples with neither theme
        if note and pd.notna(undefined) and undefined > 0 and getattr(row, "resamples", 0):
            share = undefined / row.resamples
            note += " · " + text("balance_undefined_share", lang).format(share=f"{share:.0%}" if share >= 0.01 else f"{share:.1%}")
        ax.text(1.04, i, note, va="center", ha="left", fontsize=8 if many else 9, color="#444444",
                transform=ax.get_yaxis_transform())
        if pd.isna(values[i]) and note:
            ax.text(0.02, i, text("balance_undefined", lang), va="center", ha="left", fontsize=8, color=GREY)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_yticks(y, _fitted(guests, lang, labels, 30 if many else 24, 1 if many else 2, with_org=True)[0],
                  fontsize=8 if many else 10)
    ax.invert_yaxis()
    ax.set_xlabel(text("balance_axis", lang))
    ax.set_title(text("balance_title", lang), loc="left")
    fig.tight_layout()
    return fig


def draw_prompted(frame: pd.DataFrame, guests: list[str], themes: list[str], theme_names: dict, lang: str = "zh",
                  *, unit: str = "guest", labels: dict | None = None, per_page: int = PER_PAGE):
    """Per unit, stacked bars of theme paragraphs whose question (report: subsection) heading
    carries the theme by the codebook (hatched) vs not (solid); paged by units."""
    setup_style()
    check_unit(unit)
    colors = guest_colors(guests)
    names = dict(zip(guests, _fitted(guests, lang, labels, 40, with_org=True)[0]))
    limit = max(1, (frame["prompted"] + frame["unprompted"]).max()) if len(frame) else 1
    pages = chunks(guests, per_page)
    figures = []
    for page, part in enumerate(pages, start=1):
        columns = min(2, len(part))
        rows = int(np.ceil(len(part) / columns))
        fig, axes = plt.subplots(rows, columns, figsize=figure_size(5.6 * columns, (0.3 * len(themes) + 1.0) * rows + 1.2),
                                 sharex=True, squeeze=False)
        for ax, guest in zip(axes.ravel(), part):
            chosen = frame[frame["guest"] == guest].set_index("theme")
            chosen = chosen.reindex(themes)[["prompted", "unprompted"]].fillna(0)
            y = np.arange(len(themes))
            ax.barh(y, chosen["unprompted"], color=colors[guest], height=0.6)
            ax.barh(y, chosen["prompted"], left=chosen["unprompted"], color="white", edgecolor=colors[guest],
                    hatch="///", height=0.6, linewidth=0.8)
            ax.set_yticks(y, [theme_names[t] for t in themes], fontsize=9)
            ax.invert_yaxis()
            ax.set_xlim(0, limit * 1.05)
            ax.set_title(names[guest], loc="left", fontsize=11, color=colors[guest])
            ax.grid(axis="x", color="#eeeeee")
            ax.set_axisbelow(True)
        for ax in axes.ravel()[len(part):]:
            ax.set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel(text("paragraphs", lang))
        handles = [Patch(facecolor="#777777", label=text("unprompted", lang, unit)),
                   Patch(facecolor="white", edgecolor="#777777", hatch="///", label=text("prompted", lang, unit))]
        top = 1 - 0.75 / fig.get_figheight()
        fig.legend(handles=handles, loc="lower left", ncols=2, bbox_to_anchor=(0.0, top))
        fig.suptitle(_page_title(text("prompted_title", lang, unit), page, len(pages), lang), x=0.01, ha="left",
                     fontsize=13, y=0.995)
        fig.tight_layout(rect=(0, 0, 1, top))
        _snug(fig, top - 0.1 / fig.get_figheight())
        figures.append(fig)
    return figures[0] if len(figures) == 1 else figures


def _term_pages(frame: pd.DataFrame, guests: list[str], title: str, axis_label: str, lang: str, labels: dict | None,
                per_page: int, significance: dict | None = None):
    setup_style()
    colors = guest_colors(guests)
    names = dict(zip(guests, _fitted(guests, lang, labels, 24, 2)[0]))
    top_k = int(frame.groupby("guest", observed=True).size().max()) if len(frame) else 1
    marked = significance is not None and "significant" in frame.columns
    pages = chunks(guests, per_page)
    figures = []
    for page, part in enumerate(pages, start=1):
        columns = min(4, len(part))
        rows = int(np.ceil(len(part) / columns))
        extra = 0.9 if significance is not None else 0.5
        fig, axes = plt.subplots(rows, columns, figsize=figure_size(3.4 * columns, (0.27 * top_k + 1.5) * rows + extra),
                                 squeeze=False)
        for ax, guest in zip(axes.ravel(), part):
            chosen = frame[frame["guest"] == guest].sort_values("rank")
            y = np.arange(len(chosen))
            if marked:
                passed = chosen["significant"].fillna(False).astype(bool).to_numpy()
                ax.barh(y[passed], chosen["score"].to_numpy()[passed], color=colors[guest], height=0.7)
                ax.barh(y[~passed], chosen["score"].to_numpy()[~passed], color=colors[guest], alpha=0.28, height=0.7,
                        edgecolor=colors[guest], hatch="////", linewidth=0.0)
            else:
                ax.barh(y, chosen["score"], color=colors[guest], height=0.7)
            if significance is not None:
                ax.axvline(significance["line"], color="#333333", linestyle="--", linewidth=0.9)
            ax.set_yticks(y, chosen["term"].tolist(), fontsize=10 if top_k <= 15 else 8)
            ax.set_ylim(top_k - 0.5, -0.5)
            ax.set_title(names[guest], color=colors[guest], fontsize=11, loc="left")
            ax.set_xlabel(axis_label, fontsize=9)
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(axis="x", color="#eeeeee")
            ax.set_axisbelow(True)
        for ax in axes.ravel()[len(part):]:
            ax.set_visible(False)
        height = fig.get_figheight()
        top = 1 - (0.45 if significance is None else 0.95) / height
        fig.suptitle(_page_title(title, page, len(pages), lang), x=0.01, ha="left", fontsize=13, y=0.995)
        if significance is not None:
            fig.text(0.01, 1 - 0.42 / fig.get_figheight(), significance["note"], ha="left", va="top", fontsize=8.5,
                     color=GREY)
            handles = [plt.Line2D([], [], color="#333333", linestyle="--", linewidth=0.9,
                                  label=text("keyness_line", lang))]
            if marked:
                handles = [Patch(facecolor="#555555", label=significance["passed"]),
                           Patch(facecolor="#555555", alpha=0.28, hatch="////", edgecolor="#555555",
                                 label=significance["failed"])] + handles
            fig.legend(handles=handles, loc="upper left", ncols=len(handles), bbox_to_anchor=(0.0, 1 - 0.6 / height),
                       fontsize=8.5, borderaxespad=0.0)
        fig.tight_layout(rect=(0, 0, 1, top))
        _snug(fig, top - 0.1 / height)
        figures.append(fig)
    return figures[0] if len(figures) == 1 else figures


def draw_term_panels(frame: pd.DataFrame, guests: list[str], title: str, axis_label: str, lang: str = "zh", *,
                     unit: str = "guest", labels: dict | None = None, per_page: int = PER_PAGE):
    """One horizontal bar panel of top terms per unit, in the unit's colour; paged by units."""
    check_unit(unit)
    return _term_pages(frame, guests, title, axis_label, lang, labels, per_page)


def draw_keyness(frame: pd.DataFrame, guests: list[str], lang: str = "zh", *, unit: str = "guest",
                 labels: dict | None = None, fdr: float = 0.05, min_count: int | None = None,
                 per_page: int = PER_PAGE):
    """Log-odds z-scores of the top terms per unit, saying what survives multiple comparisons.

    Bars of terms with ``significant`` (BH ``q < fdr``) are solid, the others faded and
    hatched; a dashed line marks z = 1.96 (uncorrected p = 0.05); a note under the title gives
    the minimum count, the correction and how many of the drawn terms pass.
    """
    check_unit(unit)
    shown = len(frame)
    passed = int(frame["significant"].fillna(False).astype(bool).sum()) if "significant" in frame.columns else 0
    if min_count is None:  # the listing rule of keyness.csv (a term the unit used at least this often)
        from .keyness import DEFAULT_MIN_GUEST_COUNT as min_count
    significance = {
        "line": 1.959964,
        "note": text("keyness_note", lang, unit).format(min_count=min_count, shown=shown, passed=passed, fdr=fdr),
        "passed": text("keyness_significant", lang).format(fdr=fdr),
        "failed": text("keyness_not_significant", lang),
    }
    return _term_pages(frame, guests, text("keyness_title", lang, unit), text("keyness_axis", lang), lang, labels,
                       per_page, significance)


def draw_unit_key(key: dict[str, str], lang: str = "zh", title: str | None = None):
    """The key of numbered labels (``§n`` → full title), for charts whose labels were shortened."""
    setup_style()
    # a title that numbers itself is its own key entry; a §n code goes in front of its title
    entries = [wrap(label if label.startswith(code) else f"{code}  {label}", 80, 2) for code, label in key.items()]
    heights = [0.24 * (entry.count("\n") + 1) for entry in entries]
    fig, ax = plt.subplots(figsize=figure_size(9.0, sum(heights) + 0.9))
    ax.set_axis_off()
    total = sum(heights) or 1
    y = 1.0
    for entry, h in zip(entries, heights):
        ax.text(0.0, y, entry, ha="left", va="top", fontsize=9, transform=ax.transAxes, linespacing=1.25)
        y -= h / total
    ax.set_title(title or text("unit_key_title", lang), loc="left")
    fig.tight_layout()
    return fig
def draw_network(graph: nx.Graph, title: str, caption: str, seed: int = 20241, color: str = "#0072B2"):
    """Co-occurrence network (largest connected part): node size by frequency, edge width by NPMI."""
    import networkx as nx
    from adjustText import adjust_text

    setup_style()
    fig, ax = plt.subplots(figsize=(11, 8.5))
    if graph.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "—", ha="center", va="center")
        ax.set_axis_off()
        return fig
    # One connected picture: a stray pair far from the rest only shrinks everything else.
    graph = graph.subgraph(max(nx.connected_components(graph), key=lambda c: (len(c), sorted(c)))).copy()
    nodes = sorted(graph.nodes)
    ordered_graph = nx.Graph()
    ordered_graph.add_nodes_from((n, graph.nodes[n]) for n in nodes)
    ordered_graph.add_edges_from(sorted((min(a, b), max(a, b), d) for a, b, d in graph.edges(data=True)))
    # Kamada–Kawai is deterministic and spaces nodes evenly, which keeps labels apart.
    positions = nx.kamada_kawai_layout(ordered_graph)
    frequency = np.array([ordered_graph.nodes[n].get("frequency", 1) for n in nodes], dtype=float)
    sizes = 40 + 500 * (frequency / frequency.max())
    widths = [0.5 + 4.0 * max(d["npmi"], 0) for _, _, d in ordered_graph.edges(data=True)]
    nx.draw_networkx_edges(ordered_graph, positions, ax=ax, width=widths, edge_color="#9aa7b1", alpha=0.7)
    nx.draw_networkx_nodes(ordered_graph, positions, ax=ax, nodelist=nodes, node_size=sizes, node_color=color,
                           alpha=0.85, linewidths=0.8, edgecolors="white")
    labels = [ax.text(positions[n][0], positions[n][1], n, fontsize=11, ha="center", va="center",
                      bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8)) for n in nodes]
    adjust_text(labels, ax=ax, expand=(1.15, 1.3), arrowprops=dict(arrowstyle="-", color="#777777", lw=0.5))
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=13)
    ax.text(0.0, -0.02, caption, transform=ax.transAxes, fontsize=9, color="#555555")
    fig.tight_layout()
    return fig


def draw_wordcloud(frequencies: dict[str, int], title: str, color: str, font_path: str, seed: int = 20241,
                   max_words: int = 80):
    """A word cloud in one guest's colour (shades of it), reproducible by seed."""
    from matplotlib.colors import to_rgb
    from wordcloud import WordCloud

    setup_style()
    base = np.array(to_rgb(color))

    tones = [base * 0.55 + 0.45, base, base * 0.55, base * 0.8 + 0.2 * 0.5, base * 0.35 + 0.65 * 0.15]

    def shade(word, font_size, position, orientation, random_state=None, **kwargs):
        # Neighbouring words must not read as one: each word gets one of five clearly different
        # tones of the guest's colour, chosen by a stable hash (same word, same tone, every run).
        r, g, b = (255 * np.clip(tones[zlib.crc32(word.encode("utf-8")) % len(tones)], 0, 1)).astype(int)
        return f"rgb({r}, {g}, {b})"

    # Laid out at 800×500 and drawn at twice that: the same 1600×1000 picture, a third of the time
    cloud = WordCloud(font_path=font_path, width=800, height=500, scale=2, background_color="white",
                      max_words=max_words, random_state=seed, prefer_horizontal=1.0, collocations=False,
                      color_func=shade, relative_scaling=0.5, margin=5)
    cloud.generate_from_frequencies(frequencies)
    fig, ax = plt.subplots(figsize=(8, 5.2))
    # "none": PDF and SVG embed the 1600×1000 picture as it is instead of resampling it to
    # 300 dpi (a third of the size, a fifth of the time); the PNG looks the same
    ax.imshow(cloud.to_array(), interpolation="none")
    ax.set_axis_off()
    ax.set_title(wrap(title, 70, 2), loc="left", fontsize=13, color=color)
    fig.tight_layout()
    return fig


def draw_validation(validation: pd.DataFrame, theme_names: dict, lang: str = "zh", *, reference: str = "adjudicated",
                    target: float = 0.85, corpus: str = "", kappa: pd.Series | None = None):
    """The tagger's F1 per theme against one reference, with 95% intervals, for the part of the
    paragraphs the codebook was tuned on and the held-out part apart, n in the legend; the two
    readers' κ beside each theme. ``corpus`` names what the labels cover (in the title)."""
    setup_style()
    table = validation[(validation["reference"] == reference) & (validation["theme"] != "ALL")]
    parts = [p for p in ("tuning", "held_out") if p in set(table["split"])] or ["all"]
    themes = list(dict.fromkeys(table["theme"]))
    fig, ax = plt.subplots(figsize=figure_size(9.5, 0.55 * len(themes) + 2.4))
    y = np.arange(len(themes))
    styles = {"tuning": ("#0072B2", -0.14, "o"), "held_out": ("#D55E00", 0.14, "s"), "all": ("#000000", 0.0, "o")}
    for part in parts:
        rows = table[table["split"] == part].set_index("theme").reindex(themes)
        color, offset, marker = styles[part]
        low = (rows["f1"] - rows["f1_low"]).clip(lower=0).fillna(0)
        high = (rows["f1_high"] - rows["f1"]).clip(lower=0).fillna(0)
        n = int(rows["paragraphs"].max())
        ax.errorbar(rows["f1"], y + offset, xerr=[low, high], fmt=marker, color=color, capsize=2.5, markersize=5,
                    label=f"{text('validation_' + part, lang)} (n={n})")
    ax.axvline(target, color="#777777", linestyle="--", linewidth=1)
    ax.set_yticks(y, [theme_names.get(t, t) for t in themes])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.set_xlabel(text("f1", lang) + " (95%)")
    if kappa is not None:
        for i, theme in enumerate(themes):
            if theme in kappa.index and pd.notna(kappa[theme]):
                ax.annotate(f"κ {kappa[theme]:.2f}", (1.0, i), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=9, color="#555555", annotation_clip=False)
    ax.legend(loc="lower left", ncols=len(parts), bbox_to_anchor=(0, 1.0))
    title = text("validation_title", lang) + (f" · {corpus}" if corpus else "")
    ax.set_title(title, loc="left", pad=30)
    ax.annotate(text("validation_note", lang), (0, 0), xycoords="figure fraction", xytext=(8, 6),
                textcoords="offset points", fontsize=8.5, color="#555555")
    fig.tight_layout()
    return fig


def draw_summary(summary: pd.DataFrame, guests: list[str], lang: str = "zh", *, unit: str = "guest",
                 labels: dict | None = None):
    """Answer paragraphs and content tokens per unit, side by side; one row per unit."""
    setup_style()
    check_unit(unit)
    colors = guest_colors(guests)
    table = summary.groupby("guest", sort=False)[["answer_paragraphs", "content_tokens"]].sum().reindex(guests)
    many = len(guests) > 12
    fig, axes = plt.subplots(1, 2, figsize=figure_size(11 if many else 10, (0.3 if many else 0.6) * len(guests) + 1.8),
                             sharey=True)
    y = np.arange(len(guests))
    thousands = table["content_tokens"].max() >= 5000
    for ax, column, label, scale in ((axes[0], "answer_paragraphs", "answer_paragraphs", 1),
                                     (axes[1], "content_tokens", "content_tokens" if thousands else "content_tokens_count",
                                      1000 if thousands else 1)):
        values = table[column].to_numpy(float) / scale
        ax.barh(y, np.nan_to_num(values), color=[colors[g] for g in guests], height=0.6)
        for i, v in enumerate(values):
            if np.isfinite(v):
                ax.text(v, i, f" {v:.0f}" if scale == 1 else f" {v:.1f}", va="center", fontsize=8 if many else 9)
        ax.set_xlabel(text(label, lang, unit))
        ax.set_xlim(0, max(np.nanmax(values), 1e-9) * 1.18)
    axes[0].set_yticks(y, _fitted(guests, lang, labels, 30 if many else 24, 1 if many else 2, with_org=True)[0],
                       fontsize=8 if many else 10)
    axes[0].invert_yaxis()
    fig.suptitle(text("summary_title", lang, unit), x=0.01, ha="left", fontsize=13)
    fig.tight_layout()
    return fig
