"""Chart helpers: the data a chart shows, and labels in the chosen language."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis import plots as charts
from analysis.errors import ParameterError
from analysis.figures import check_lang, guest_colors, guest_label, save_figure, setup_style, text
from analysis.stats import theme_balance, theme_by_guest
from analysis.themes import find_theme_hits, load_codebook

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
GUESTS = ["徐至行", "刘景媛", "丁宁", "刘超"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")  # tests look at their figures and drop them; pyplot would keep them all


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


def test_a_pdf_embeds_the_cjk_font_once_with_latin_and_chinese_text(analysed, tmp_path):
    """One subset of Noto Sans CJK per PDF: each subset is a pass over the 16 MB font (matplotlib
    3.11 splits a Type 42 font at 256 characters unless ps.fonttype is 42 too)."""
    import re

    _, _, balance = analysed
    fig = charts.draw_balance(balance, GUESTS, "zh")  # Latin (PLG, SLG, digits) and Chinese labels
    (pdf,) = save_figure(fig, "balance", tmp_path, formats=("pdf",))
    plt.close(fig)
    fonts = set(re.findall(rb"/BaseFont /([A-Z]{6}\+[\w-]+)", pdf.read_bytes()))
    assert len(fonts) == 1 and next(iter(fonts)).endswith(b"NotoSansCJKsc-Regular"), fonts


def test_an_unknown_label_language_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="valid: zh, en"):
        check_lang("fr")


# ---------------------------------------------------------------- charts that cannot mislead

from matplotlib.patches import Rectangle  # noqa: E402

from analysis.figures import MAX_HEIGHT, UNIT_PALETTE, fit_labels, guest_table, wrap  # noqa: E402
from analysis.study import Study  # noqa: E402


def _theme_by_guest(units: dict[str, int], themes=("A", "B"), document="doc", k=None) -> pd.DataFrame:
    """A hand-made theme_by_guest: ``units`` maps a unit to its answer paragraphs."""
    rows = []
    for u, (unit, n) in enumerate(units.items()):
        for t, theme in enumerate(themes):
            paragraphs = k[unit][theme] if k else (u + t) % (n + 1)
            share = paragraphs / n
            rows.append({"document": document, "guest": unit, "theme": theme, "answer_paragraphs": n,
                         "paragraphs": paragraphs, "share": share, "share_low": share * 0.5,
                         "share_high": min(1.0, share * 1.5 + 0.05), "hits": paragraphs, "tokens": 100 * n,
                         "prompted": paragraphs // 2, "unprompted": paragraphs - paragraphs // 2})
    return pd.DataFrame(rows)


def _cells(fig) -> dict[tuple[int, int], list[str]]:
    """Texts drawn inside the cells of a heatmap's main axes, by (row, column)."""
    ax = fig.axes[0]
    cells: dict = {}
    for t in ax.texts:
        x, y = t.get_position()
        cells.setdefault((int(round(y)), int(round(x))), []).append(t.get_text())
    return cells


def test_share_heatmap_cells_read_k_over_n_and_the_axis_carries_n():
    table = _theme_by_guest({"徐至行": 52, "丁宁": 17}, k={"徐至行": {"A": 11, "B": 3}, "丁宁": {"A": 2, "B": 8}})
    fig = charts.draw_share_heatmap(table, ["徐至行", "丁宁"], ["A", "B"], {"A": "主题甲", "B": "主题乙"})
    assert "8/17" in _cells(fig)[1, 1] and "11/52" in _cells(fig)[0, 0]
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "n=52" in rows[0] and "n=17" in rows[1], rows
    plt.close(fig)


def test_share_cells_are_k_over_the_units_own_n():
    table = _theme_by_guest({"丁宁": 17}, k={"丁宁": {"A": 8, "B": 0}})
    assert charts.share_cells(table, ["丁宁"], ["A", "B"]).loc["丁宁"].tolist() == ["8/17", "0/17"]


def _keyness_frame():
    return pd.DataFrame({"guest": ["丁宁", "丁宁", "丁宁"], "term": ["开源", "美国", "百万"], "score": [4.1, 2.4, 1.2],
                         "rank": [1, 2, 3], "count": [12, 7, 5], "p": [4e-5, 0.016, 0.23], "q": [0.01, 0.4, 0.8],
                         "significant": [True, False, False]})


def test_a_non_significant_keyness_bar_is_drawn_unlike_a_significant_one():
    fig = charts.draw_keyness(_keyness_frame(), ["丁宁"], "en")
    ax = fig.axes[0]
    bars = {round(p.get_width(), 2): p for p in ax.patches}
    solid, faded = bars[4.1], bars[2.4]
    assert (solid.get_alpha() or 1.0) == 1.0 and not solid.get_hatch()
    assert faded.get_alpha() < 0.5 and faded.get_hatch()
    # the significance line and a statement of the correction and how many pass
    assert any(np.allclose(line.get_xdata(), 1.96, atol=0.01) for line in ax.lines)
    words = " ".join(_all_text(fig))
    assert "Benjamini–Hochberg" in words and "1 of the 3 terms shown have q < 0.05" in words, words
    assert "≥ 5 times" in words
    plt.close(fig)


def test_keyness_says_when_no_term_passes_and_states_the_listing_rule_not_the_smallest_count():
    frame = _keyness_frame().assign(significant=False, count=[12, 9, 8])
    fig = charts.draw_keyness(frame, ["丁宁"], "zh")
    assert any("有 0 个 q < 0.05" in t and "≥ 5 次" in t for t in _all_text(fig))
    plt.close(fig)


def _pairs():
    return pd.DataFrame({
        "theme_a": ["A", "A", "B"], "theme_b": ["B", "C", "C"], "count": [3, 0, 0], "npmi": [0.3, -1.0, np.nan],
        "jaccard": [0.2, 0.0, np.nan], "paragraphs_a": [10, 10, 6], "paragraphs_b": [6, 0, 0],
        "status": ["together", "never", "undefined"], "count_independent": [2, 0, 0],
        "shared_terms": ["预算", "", ""], "codebook_link": [True, False, False]})


def test_theme_pair_frame_tells_never_undefined_and_the_diagonal_apart():
    cells = charts.theme_pair_frame(_pairs(), ["A", "B", "C"]).set_index(["theme_a", "theme_b"])
    assert cells.loc[("A", "A"), "status"] == "diagonal" and cells.loc[("A", "A"), "count"] == 10
    assert cells.loc[("A", "B"), "status"] == cells.loc[("B", "A"), "status"] == "together"
    assert cells.loc[("C", "A"), "status"] == "never" and cells.loc[("B", "C"), "status"] == "undefined"
    assert cells.loc[("A", "B"), "codebook_link"]


def test_cooccurrence_heatmap_marks_never_together_unlike_the_diagonal():
    fig = charts.draw_theme_cooccurrence(_pairs(), ["A", "B", "C"], {"A": "A", "B": "B", "C": "C"}, "en")
    ax, cells = fig.axes[0], _cells(fig)
    patches = {(round(p.get_x() + 0.5), round(p.get_y() + 0.5)): p for p in ax.patches if isinstance(p, Rectangle)}
    never, diagonal, undefined = patches[2, 0], patches[0, 0], patches[2, 1]  # (column, row)
    assert never.get_hatch() and not diagonal.get_hatch()
    assert cells[0, 2] == ["0"] and cells[0, 0] == ["n=10"] and cells[1, 2] == ["–"]
    assert undefined.get_facecolor() != diagonal.get_facecolor() != never.get_facecolor()
    assert cells[0, 1] == ["+0.30†\n3 (2)"], cells[0, 1]  # a link built into the codebook is flagged, with
    # the paragraphs that hold both themes without a shared phrase
    words = " ".join(_all_text(fig))
    assert "never together" in words and "undefined" in words and "built into the codebook" in words
    plt.close(fig)


def test_prompted_is_named_for_the_question_heading_not_the_guest():
    for lang in ("zh", "en"):
        words = " ".join(text(k, lang, unit) for k in ("prompted", "unprompted", "prompted_title")
                         for unit in ("guest", "section"))
        assert "主动" not in words and "raised" not in words.lower()
        assert ("标题" in words) if lang == "zh" else ("heading" in words)


# ---------------------------------------------------------------- charts that scale and say what the unit is

GUEST_WORDS = re.compile(r"嘉宾|提问|访谈|回答|guest|question|interview|answer", re.IGNORECASE)


def _report_figures(units: list[str], lang: str):
    table = _theme_by_guest({u: 5 + i % 4 for i, u in enumerate(units)}, themes=("A", "B", "C"))
    names = {"A": "主题甲" if lang == "zh" else "Alpha", "B": "B", "C": "C"}
    summary = pd.DataFrame({"guest": units, "answer_paragraphs": range(3, 3 + len(units)),
                            "content_tokens": range(400, 400 + len(units))})
    balance = pd.DataFrame({"guest": units, "paragraphs_a": 2, "paragraphs_b": 1, "balance": 1 / 3,
                            "balance_low": 0.0, "balance_high": 0.8})
    terms = pd.DataFrame([{"guest": u, "term": f"词{r}", "score": 3.0 - r / 2, "rank": r, "count": 6,
                           "significant": r == 1} for u in units for r in (1, 2, 3)])
    themes = ["A", "B", "C"]
    drawn = [charts.draw_share_heatmap(table, units, themes, names, lang, unit="section"),
             charts.draw_prevalence(table, units, themes, names, lang, unit="section"),
             charts.draw_balance(balance, units, lang, unit="section"),
             charts.draw_prompted(charts.prompted_frame(table, units, themes), units, themes, names, lang, unit="section"),
             charts.draw_term_panels(terms, units, text("tfidf_title", lang, "section"), text("tfidf_axis", lang), lang,
                                     unit="section"),
             charts.draw_keyness(terms, units, lang, unit="section"),
             charts.draw_summary(summary, units, lang, unit="section"),
             charts.draw_theme_cooccurrence(_pairs(), ["A", "B", "C"], names, lang, unit="section")]
    return [fig for figures in drawn for fig in charts.as_pages(figures)]


LONG_TITLES = [f"第{i}部分：关于开源软件商业化路径与全球市场拓展策略的深入分析与思考（案例{i}）" for i in range(1, 31)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_mode_charts_never_say_guest_or_question(lang):
    for fig in _report_figures(["一、市场概况", "二、商业模式", "三、融资与团队"], lang):
        said = [t for t in _all_text(fig) if GUEST_WORDS.search(t)]
        assert not said, said
        plt.close(fig)


def _overlaps(boxes) -> list:
    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]


def test_thirty_units_fit_under_the_height_cap_without_overprinted_labels():
    figures = _report_figures(LONG_TITLES, "zh")
    assert len(figures) > 8  # the panel charts were paged
    for fig in figures:
        assert fig.get_figheight() <= MAX_HEIGHT and fig.get_figwidth() <= 14.0
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            for labels in (ax.get_yticklabels(), ax.get_xticklabels()):
                boxes = [t.get_window_extent(renderer) for t in labels if t.get_text()]
                assert not _overlaps(boxes), [t.get_text() for t in labels]
        titles = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")]
        assert not _overlaps(titles)
        plt.close(fig)


def test_thirty_units_get_thirty_distinct_colours_and_guests_keep_theirs():
    colors = guest_colors(LONG_TITLES)
    assert len(set(colors.values())) == 30
    assert not set(colors.values()) & {g.color for g in guest_table().values()}
    assert guest_colors(GUESTS + LONG_TITLES)["丁宁"] == guest_table()["丁宁"].color
    summary = pd.DataFrame({"guest": LONG_TITLES, "answer_paragraphs": 5, "content_tokens": 500})
    fig = charts.draw_summary(summary, LONG_TITLES, "zh", unit="section")
    bars = [p.get_facecolor() for p in fig.axes[0].patches]
    assert len(set(bars)) == 30
    plt.close(fig)


def test_palette_colours_are_unique():
    assert len(set(c.lower() for c in UNIT_PALETTE)) == len(UNIT_PALETTE) >= 32


def test_long_labels_are_numbered_with_a_key_and_short_ones_left_alone():
    assert fit_labels(["徐至行", "丁宁"], 12) == (["徐至行", "丁宁"], {})
    assert fit_labels(["刘超（Atypical Ventures）"], 24, 2) == (["刘超（Atypical Ventures）"], {})  # ）may hang
    short, key = fit_labels(["市场概况与行业趋势的深入分析", "商业模式"], 12)
    assert short[0].startswith("§1 ") and short[0].endswith("…") and key["§1"] == "市场概况与行业趋势的深入分析"
    short, key = fit_labels(["一、市场概况与行业趋势的深入分析", "二、商业模式"], 12)
    assert short[0].startswith("一、") and key["二、"] == "二、商业模式"  # a title's own number is its code
    assert wrap("Product-led growth and open source strategy", 20) == "Product-led growth\nand open source str…"


def test_paged_charts_split_units_evenly():
    assert [len(p) for p in charts.chunks(list(range(30)), 8)] == [8, 8, 7, 7]
    assert charts.chunks([1, 2], 8) == [[1, 2]]


def test_every_chart_string_has_both_languages_and_section_twins_exist():
    from analysis.figures import _figure_text

    entries = _figure_text()
    assert all(set(v) == {"zh", "en"} for v in entries.values())
    for key in ("guest", "share_title", "prevalence_title", "prompted_title", "prompted", "unprompted", "tfidf_title",
                "keyness_title", "keyness_note", "summary_title", "theme_cooc_title", "answer_paragraphs"):
        assert f"{key}_section" in entries, key
    for key, entry in entries.items():
        if key.endswith("_section"):
            assert not GUEST_WORDS.search(entry["zh"] + entry["en"]), key


def _study(rows: list[dict], lang: str = "zh") -> Study:
    segments = pd.DataFrame(rows)
    for column, default in (("organization", ""), ("role", "answer")):
        if column not in segments:
            segments[column] = default
    return Study(Path("."), {}, {"segments": segments}, {"lang": lang})


def test_unit_kind_is_section_for_a_report_and_guest_for_interviews():
    report = _study([{"document": "r", "guest": "一、概况", "interview_title": "一、概况"}])
    interview = _study([{"document": "i", "guest": "丁宁", "interview_title": "对话丁宁", "organization": "INP"}])
    no_org = _study([{"document": "i", "guest": "丁宁", "interview_title": "对话丁宁"}])
    assert report.unit_kind == "section" and interview.unit_kind == "guest" and no_org.unit_kind == "guest"


def test_several_documents_keep_same_titled_sections_apart_and_name_their_chapter():
    study = _study([{"document": d, "guest": g, "interview_title": g} for d in ("a", "b") for g in ("一、概况", "二、模式")])
    units = study.select_units()
    assert len(units) == 4
    table = pd.concat([_theme_by_guest({"一、概况": 3, "二、模式": 4}, document=d) for d in ("a", "b")])
    keyed = study.keyed(table)
    assert sorted(keyed["guest"].unique()) == sorted(units)
    labels = study.unit_labels(units)
    assert labels[units[0]] == "一、概况（a）" and labels[units[2]] == "一、概况（b）"
    assert study.unit_labels(["一、概况"])["一、概况"] == "一、概况（a、b）"  # a table that pools them says so
    matrix = charts.share_matrix(keyed, units, ["A"])
    assert matrix.notna().all().all()


def test_show_names_the_pages_of_a_paged_chart(tmp_path):
    study = Study(tmp_path, {}, {}, {"lang": "en"}, save_to=tmp_path)
    figures = [plt.figure(), plt.figure()]
    study.show(figures, "theme_prompted_vs_unprompted", title="t", caption="c", source="s")
    assert [r["name"] for r in study.shown] == ["theme_prompted_vs_unprompted_p1_en", "theme_prompted_vs_unprompted_p2_en"]
    assert (tmp_path / "theme_prompted_vs_unprompted_p2_en.png").exists()


def test_balance_says_how_often_a_resample_had_neither_theme_when_the_table_tells():
    balance = pd.DataFrame({"guest": ["丁宁"], "paragraphs_a": [1], "paragraphs_b": [0], "balance": [1.0],
                            "balance_low": [-1.0], "balance_high": [1.0], "resamples": [2000],
                            "resamples_undefined": [300]})
    fig = charts.draw_balance(balance, ["丁宁"], "en")
    assert any("undefined in 15% of resamples" in t for t in _all_text(fig))
    plt.close(fig)
    fig = charts.draw_balance(balance.drop(columns="resamples_undefined"), ["丁宁"], "en")  # the older table
    assert not any("resamples" in t for t in _all_text(fig))
    plt.close(fig)


def test_prevalence_legend_gives_n_and_the_questions_when_the_table_has_them():
    table = _theme_by_guest({"丁宁": 17}, k={"丁宁": {"A": 8, "B": 0}})
    fig = charts.draw_prevalence(table, ["丁宁"], ["A", "B"], {"A": "A", "B": "B"}, "en")
    assert "Ding Ning (n=17)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    fig = charts.draw_prevalence(table.assign(clusters=6), ["丁宁"], ["A", "B"], {"A": "A", "B": "B"}, "en",
                                 unit="section")
    assert "Ding Ning (n=17, 6 subsection clusters)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
