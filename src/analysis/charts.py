"""Charts: small pure functions that shape a table for a chart, and the drawing functions.

Data preparation (``*_matrix``, ``*_frame``) is separate from drawing (``draw_*``) so the
numbers a chart shows can be tested and traced back to their table.
"""

from __future__ import annotations

import re
import zlib

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .figures import guest_colors, guest_label, setup_style, text

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


# ---------------------------------------------------------------- drawing


def _percent(value: float) -> str:
    return "" if pd.isna(value) else f"{value * 100:.0f}%"


def draw_heatmap(matrix: pd.DataFrame, row_labels: list[str], col_labels: list[str], title: str,
                 colorbar_label: str, fmt=_percent, cmap: str = "Blues", vmin=None, vmax=None, center=None):
    """Annotated heatmap; cell text switches to white on dark cells."""
    setup_style()
    values = matrix.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.95 * len(col_labels) + 2.2), max(3.0, 0.6 * len(row_labels) + 1.8)))
    if center is not None:
        span = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
        vmin, vmax = center - span, center + span
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(col_labels)), col_labels, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    norm = image.norm
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                shade = norm(values[i, j])
                dark = shade > 0.6 if center is None else abs(shade - 0.5) > 0.3
                ax.text(j, i, fmt(values[i, j]), ha="center", va="center", fontsize=9,
                        color="white" if dark else "#222222")
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    if fmt is _percent:
        bar.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    bar.set_label(colorbar_label)
    ax.set_title(title, loc="left", pad=12)
    fig.tight_layout()
    return fig


def draw_prevalence(theme_by_guest: pd.DataFrame, guests: list[str], themes: list[str], theme_names: dict,
                    lang: str = "zh"):
    """Share of answer paragraphs per theme and guest, with 95% bootstrap intervals."""
    setup_style()
    colors = guest_colors(guests)
    fig, ax = plt.subplots(figsize=(8.5, 0.62 * len(themes) + 1.8))
    offsets = np.linspace(-0.3, 0.3, len(guests)) if len(guests) > 1 else [0.0]
    table = theme_by_guest.set_index(["guest", "theme"])
    for offset, guest in zip(offsets, guests):
        ys, xs, lows, highs = [], [], [], []
        for i, theme in enumerate(themes):
            if (guest, theme) not in table.index:
                continue
            row = table.loc[(guest, theme)]
            ys.append(i + offset)
            xs.append(row["share"])
            lows.append(row["share"] - row["share_low"])
            highs.append(row["share_high"] - row["share"])
        ax.errorbar(xs, ys, xerr=[lows, highs], fmt="o", color=colors[guest], ecolor=colors[guest],
                    elinewidth=1.4, capsize=2.5, markersize=5, label=guest_label(guest, lang))
    ax.set_yticks(range(len(themes)), [theme_names[t] for t in themes])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    ax.set_xlim(left=0)
    ax.set_xlabel(text("share_axis", lang))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", ncols=1)
    ax.set_title(text("prevalence_title", lang), loc="left")
    fig.tight_layout()
    return fig


def draw_balance(balance: pd.DataFrame, guests: list[str], lang: str = "zh"):
    """Diverging bars of (PLG − SLG) / (PLG + SLG) per guest with bootstrap intervals."""
    setup_style()
    colors = guest_colors(guests)
    table = balance.set_index("guest").reindex(guests)
    fig, ax = plt.subplots(figsize=(8, 0.7 * len(guests) + 1.8))
    y = np.arange(len(guests))
    values = table["balance"].to_numpy(dtype=float)
    ax.barh(y, np.nan_to_num(values), color=[colors[g] for g in guests], height=0.55)
    err = np.array([values - table["balance_low"].to_numpy(float), table["balance_high"].to_numpy(float) - values])
    ax.errorbar(values, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", capsize=3, linewidth=1)
    for i, row in enumerate(table.itertuples()):
        note = f"PLG {row.paragraphs_a} · SLG {row.paragraphs_b}"
        ax.text(1.04, i, note, va="center", ha="left", fontsize=9, color="#444444",
                transform=ax.get_yaxis_transform())
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_yticks(y, [guest_label(g, lang, with_org=True) for g in guests])
    ax.invert_yaxis()
    ax.set_xlabel(text("balance_axis", lang))
    ax.set_title(text("balance_title", lang), loc="left")
    fig.tight_layout()
    return fig


def draw_prompted(frame: pd.DataFrame, guests: list[str], themes: list[str], theme_names: dict, lang: str = "zh"):
    """Per guest, stacked bars of theme paragraphs prompted by the question vs raised unprompted."""
    setup_style()
    colors = guest_colors(guests)
    columns = min(2, len(guests))
    rows = int(np.ceil(len(guests) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 0.42 * len(themes) * rows + 1.6 * rows),
                             sharex=True, squeeze=False)
    limit = max(1, (frame["prompted"] + frame["unprompted"]).max())
    for ax, guest in zip(axes.ravel(), guests):
        part = frame[frame["guest"] == guest].set_index("theme").reindex(themes).fillna(0)
        y = np.arange(len(themes))
        ax.barh(y, part["unprompted"], color=colors[guest], height=0.6)
        ax.barh(y, part["prompted"], left=part["unprompted"], color="white", edgecolor=colors[guest],
                hatch="///", height=0.6, linewidth=0.8)
        ax.set_yticks(y, [theme_names[t] for t in themes], fontsize=9)
        ax.invert_yaxis()
        ax.set_xlim(0, limit * 1.05)
        ax.set_title(guest_label(guest, lang, with_org=True), loc="left", fontsize=11, color=colors[guest])
        ax.grid(axis="x", color="#eeeeee")
        ax.set_axisbelow(True)
    for ax in axes.ravel()[len(guests):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(text("paragraphs", lang))
    handles = [Patch(facecolor="#777777", label=text("unprompted", lang)),
               Patch(facecolor="white", edgecolor="#777777", hatch="///", label=text("prompted", lang))]
    fig.legend(handles=handles, loc="upper right", ncols=2, bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(text("prompted_title", lang), x=0.01, ha="left", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def draw_term_panels(frame: pd.DataFrame, guests: list[str], title: str, axis_label: str, lang: str = "zh"):
    """One horizontal bar panel of top terms per guest, in the guest's colour."""
    setup_style()
    colors = guest_colors(guests)
    columns = min(4, len(guests))
    rows = int(np.ceil(len(guests) / columns))
    top_k = int(frame.groupby("guest", observed=True).size().max()) if len(frame) else 1
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 0.3 * top_k * rows + 1.4 * rows), squeeze=False)
    for ax, guest in zip(axes.ravel(), guests):
        part = frame[frame["guest"] == guest].sort_values("rank")
        y = np.arange(len(part))
        ax.barh(y, part["score"], color=colors[guest], height=0.7)
        ax.set_yticks(y, part["term"].tolist(), fontsize=10)
        ax.invert_yaxis()
        ax.set_title(guest_label(guest, lang), color=colors[guest], fontsize=12, loc="left")
        ax.set_xlabel(axis_label, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", color="#eeeeee")
        ax.set_axisbelow(True)
    for ax in axes.ravel()[len(guests):]:
        ax.set_visible(False)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def draw_network(graph: nx.Graph, title: str, caption: str, seed: int = 20241, color: str = "#0072B2"):
    """Co-occurrence network (largest connected part): node size by frequency, edge width by NPMI."""
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
    ax.imshow(cloud.to_array(), interpolation="bilinear")
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=13, color=color)
    fig.tight_layout()
    return fig


def draw_validation(validation: pd.DataFrame, theme_names: dict, lang: str = "zh"):
    """Precision, recall and F1 per theme, with the 0.85 target line."""
    setup_style()
    table = validation[validation["theme"] != "ALL"].set_index("theme")
    themes = list(table.index)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(themes) + 1.8))
    y = np.arange(len(themes))
    for offset, metric, color in ((-0.25, "precision", "#56B4E9"), (0.0, "recall", "#E69F00"), (0.25, "f1", "#000000")):
        ax.barh(y + offset, table[metric].fillna(0), height=0.23, color=color, label=text(metric, lang))
    ax.axvline(0.85, color="#D55E00", linestyle="--", linewidth=1)
    ax.set_yticks(y, [theme_names.get(t, t) for t in themes])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.legend(loc="lower left", ncols=3, bbox_to_anchor=(0, 1.0))
    ax.set_title(text("validation_title", lang), loc="left", pad=28)
    fig.tight_layout()
    return fig


def draw_summary(summary: pd.DataFrame, guests: list[str], lang: str = "zh"):
    """Answer paragraphs and content tokens per guest, side by side."""
    setup_style()
    colors = guest_colors(guests)
    table = summary.set_index("guest").reindex(guests)
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.6 * len(guests) + 1.8), sharey=True)
    y = np.arange(len(guests))
    for ax, column, label, scale in ((axes[0], "answer_paragraphs", "answer_paragraphs", 1),
                                     (axes[1], "content_tokens", "content_tokens", 1000)):
        values = table[column].to_numpy(float) / scale
        ax.barh(y, values, color=[colors[g] for g in guests], height=0.6)
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.0f}" if scale == 1 else f" {v:.1f}", va="center", fontsize=9)
        ax.set_xlabel(text(label, lang))
        ax.set_xlim(0, values.max() * 1.18)
    axes[0].set_yticks(y, [guest_label(g, lang, with_org=True) for g in guests])
    axes[0].invert_yaxis()
    fig.suptitle(text("summary_title", lang), x=0.01, ha="left", fontsize=13)
    fig.tight_layout()
    return fig
