"""Chart helpers: the data a chart shows, and labels in the chosen language."""

from __future__ import annotations

import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis import charts
from analysis.errors import ParameterError
from analysis.figures import check_lang, guest_colors, guest_label, save_figure, setup_style, text
from analysis.stats import theme_balance, theme_by_guest
from analysis.themes import find_theme_hits, load_codebook

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
GUESTS = ["徐至行", "刘景媛", "丁宁", "刘超"]


@pytest.fixture(scope="module")
def analysed(segments, tokens):
    themes = load_codebook()
    hits = find_theme_hits(segments, themes)
    return themes, theme_by_guest(segments, tokens, hits, themes, resamples=200), theme_balance(segments, hits, resamples=200)


def _all_text(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(plt.Text) if t.get_text()]


def test_share_matrix_holds_the_table_values_in_the_requested_order(analysed):
    themes, table, _ = analysed
    ids = [t.id for t in themes][:3]
    matrix = charts.share_matrix(table, GUESTS[::-1], ids)
    assert list(matrix.index) == GUESTS[::-1] and list(matrix.columns) == ids
    row = table[(table["guest"] == "丁宁") & (table["theme"] == ids[0])].iloc[0]
    assert matrix.loc["丁宁", ids[0]] == row["share"]


def test_prompted_frame_keeps_counts_and_order(analysed):
    themes, table, _ = analysed
    frame = charts.prompted_frame(table, GUESTS, ["PLG", "SLG"])
    assert list(frame["theme"].astype(str)[:2]) == ["PLG", "SLG"]
    assert frame["prompted"].sum() + frame["unprompted"].sum() == table[table["theme"].isin(["PLG", "SLG"])]["paragraphs"].sum()


def test_npmi_matrix_is_symmetric_with_an_empty_diagonal():
    pairs = pd.DataFrame({"theme_a": ["A"], "theme_b": ["B"], "count": [2], "npmi": [0.4]})
    matrix = charts.npmi_matrix(pairs, ["A", "B", "C"])
    assert matrix.loc["A", "B"] == matrix.loc["B", "A"] == 0.4
    assert np.isnan(matrix.loc["A", "A"]) and np.isnan(matrix.loc["A", "C"])


def test_each_guest_keeps_one_colour_everywhere():
    assert guest_colors(GUESTS) == guest_colors(GUESTS[::-1])
    assert len(set(guest_colors(GUESTS).values())) == 4
    extra = guest_colors(GUESTS + ["第一节"])
    assert extra["第一节"] not in guest_colors(GUESTS).values()


def test_english_labels_leave_no_chinese_in_the_charts(analysed):
    themes, table, balance = analysed
    names = {t.id: t.label_en for t in themes}
    ids = [t.id for t in themes]
    figures = [
        charts.draw_heatmap(charts.share_matrix(table, GUESTS, ids), [guest_label(g, "en") for g in GUESTS],
                            [names[t] for t in ids], text("share_title", "en"), text("share_axis", "en")),
        charts.draw_prevalence(table, GUESTS, ids, names, "en"),
        charts.draw_balance(balance, GUESTS, "en"),
        charts.draw_prompted(charts.prompted_frame(table, GUESTS, ids), GUESTS, ids, names, "en"),
    ]
    for fig in figures:
        chinese = [t for t in _all_text(fig) if CJK.search(t)]
        assert not chinese, chinese
        plt.close(fig)


def test_chinese_labels_draw_without_missing_glyphs(analysed, tmp_path):
    themes, table, balance = analysed
    setup_style()
    fig = charts.draw_balance(balance, GUESTS, "zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = save_figure(fig, "balance_test", tmp_path, formats=("png",))
    assert paths[0].stat().st_size > 10_000
    plt.close(fig)


def test_saved_figures_are_byte_identical_on_rerun(analysed, tmp_path):
    _, _, balance = analysed
    for run in ("a", "b"):
        fig = charts.draw_balance(balance, GUESTS, "zh")
        save_figure(fig, "balance", tmp_path / run)
        plt.close(fig)
    for fmt in ("png", "svg", "pdf"):
        assert (tmp_path / "a" / f"balance.{fmt}").read_bytes() == (tmp_path / "b" / f"balance.{fmt}").read_bytes(), fmt


def test_an_unknown_label_language_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="valid: zh, en"):
        check_lang("fr")
