"""The explorer (notebook 07 and ``python -m analysis kwic``): one search, filters that combine, messages."""

from __future__ import annotations

import re

import pytest

from analysis import cli
from analysis.explorer import (EXPORTS, describe_pattern, display_width, explore, explorer_widget, export_selection, kwic_html,
                               kwic_text, static_summary)
from analysis.kwic import kwic
from analysis.paths import PROJECT_ROOT
from analysis.pipeline import BuildConfig, build
from analysis.study import open_study


@pytest.fixture(scope="module")
def built_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    build(BuildConfig(root=root), quiet=True)
    return root


@pytest.fixture(scope="module")
def study(built_root):
    return open_study(built_root)


def _spans(lines):
    return list(zip(lines["segment_id"], lines["char_start"], lines["char_end"]))


def test_the_explorer_counts_and_shows_passages(study):
    counts, lines = explore(study, theme="GLOBAL")
    assert counts["paragraphs"].sum() == study.tables["theme_by_guest"].query("theme == 'GLOBAL'")["paragraphs"].sum()
    assert set(lines["theme"]) == {"GLOBAL"} and (lines["match"].str.len() > 0).all()
    counts, lines = explore(study, term="白嫖", guests=["徐至行"])
    assert counts.set_index("guest").loc["徐至行", "matches"] == len(lines) >= 1


def test_theme_and_term_combine_the_term_within_the_theme_paragraphs(study):
    term_only = explore(study, term="客户")
    both = explore(study, theme="GLOBAL", term="客户")
    tagged = set(study.tables["theme_hits"].query("theme == 'GLOBAL'")["segment_id"])
    assert 0 < len(both.lines) < len(term_only.lines)
    assert set(both.lines["segment_id"]) <= tagged and set(both.lines["match"]) == {"客户"}
    assert set(_spans(both.lines)) == {s for s in _spans(term_only.lines) if s[0] in tagged}
    assert set(both.lines["theme"]) == {"GLOBAL"} and not both.message


def test_a_term_finds_exactly_what_the_kwic_command_prints(study, built_root, capsys):
    result = explore(study, term="ARR")
    assert cli.main(["kwic", "ARR", "--root", str(built_root)]) == 0
    printed = capsys.readouterr()
    assert printed.out.strip() == str(result).strip()
    assert "--theme ARR" in printed.err  # ARR is also a theme id: the command says how to get the theme
    # the same function as kwic, with the lexicon's synonym: the transcript's typo "AR" (synonyms.tsv) is ARR
    direct = kwic(study.tables["segments"], "ARR", lexicon=study.lexicon)
    assert _spans(result.lines) == _spans(direct) and set(result.lines["match"]) == {"ARR", "AR"}
    # the theme's passages are asked for by name, and are the theme's hits
    theme = explore(study, theme="ARR")
    assert cli.main(["kwic", "--theme", "ARR", "--root", str(built_root)]) == 0
    assert capsys.readouterr().out.strip() == str(theme).strip()
    assert len(theme.lines) == (study.tables["kwic"]["theme"] == "ARR").sum()


def test_term_search_ignores_case_and_width(study):
    upper = explore(study, term="ARR")
    for spelling in ("ａｒｒ", "arr", "ＡＲＲ"):
        assert _spans(explore(study, term=spelling).lines) == _spans(upper.lines)


def test_no_guest_selected_says_so_instead_of_showing_everyone(study):
    nobody = explore(study, theme="GLOBAL", guests=[])
    assert nobody.message.startswith("no guest selected") and nobody.lines.empty and nobody.counts.empty
    everyone = explore(study, theme="GLOBAL", guests=None)
    assert set(everyone.lines["guest"]) == set(study.guests)
    one = explore(study, theme="GLOBAL", guests=["丁宁"])
    assert set(one.lines["guest"]) == {"丁宁"} and list(one.counts["guest"]) == ["丁宁"]


def test_nothing_matching_says_so(study):
    result = explore(study, term="区块链元宇宙")
    assert result.lines.empty and "no passage matches" in result.message and "区块链元宇宙" in result.message
    assert result.message in result._repr_html_()
    nothing = explore(study)
    assert nothing.message == "choose a theme or type a term"


def test_shares_are_percentages_with_the_counts_behind_them(study):
    counts, _ = explore(study, theme="ARR")
    assert all(re.fullmatch(r"\d{1,3}\.\d% \(\d+/\d+\)", s) for s in counts["share"])
    row = counts.set_index("guest").loc["丁宁"]
    assert row["share"] == f"{100 * row['paragraphs'] / row['answer_paragraphs']:.1f}% " \
                           f"({row['paragraphs']}/{row['answer_paragraphs']})"
    assert "0.2352" not in explore(study, theme="ARR")._repr_html_()


def test_the_codebook_entry_is_described_and_shown_apart_from_the_match(study):
    _, lines = explore(study, theme="ARR")
    pattern = lines[lines["term"] == "继续(购买|付费|续)"]
    assert not pattern.empty and set(pattern["entry"]) == {"pattern ≈ 继续购买/付费/续"}
    assert set(pattern["match"]) <= {"继续购买", "继续付费", "继续续"}
    assert describe_pattern("(与|和)(终端)?用户[^。,]{0,4}(接触|连接|互动)") == "与/和[终端]用户…接触/连接/互动"
    assert describe_pattern("降价|价格战") == "降价 / 价格战"


def test_concordance_lines_are_aligned_and_never_wrap(study):
    _, lines = explore(study, theme="GLOBAL", width=10)
    page = kwic_html(lines)
    assert "white-space:nowrap" in page and "text-align:right" in page
    assert page.count("<tr>") == len(lines) + 1
    text = kwic_text(lines).splitlines()
    assert len({display_width(row[: row.index("【")]) for row in text}) == 1  # 【 at the same screen column


def test_the_static_summary_shows_at_most_per_cell_passages_per_theme_and_guest(study):
    for per_cell in (1, 2):
        lines = static_summary(study, per_cell=per_cell).lines
        sizes = lines.groupby(["theme", "guest"]).size()
        assert sizes.max() == per_cell and not lines.duplicated(["theme", "segment_id"]).any()
    summary = static_summary(study, per_cell=2)
    tagged = study.tables["kwic"].groupby(["theme", "guest"]).size()
    assert len(summary.lines.groupby(["theme", "guest"])) == len(tagged)  # every cell with a hit has its passages
    assert "GLOBAL · " in summary._repr_html_()


def test_the_selection_exports_to_scratch_not_to_a_root(study, tmp_path):
    assert EXPORTS == PROJECT_ROOT / "scratch" / "explorer"
    result = explore(study, theme="GLOBAL", term="海外", guests=["丁宁"])
    path = export_selection(result, tmp_path)
    assert path.parent == tmp_path and path.name == "explorer_GLOBAL_海外_丁宁.csv"
    assert path.read_text(encoding="utf-8").count("\n") == len(result.lines) + 1


def test_the_widget_rerenders_and_combines_its_controls(study, tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.explorer.EXPORTS", tmp_path / "scratch" / "explorer")
    box = explorer_widget(study, theme="ARR")
    theme_box, term_box = box.children[0].children
    guest_box, _ = box.children[1].children
    assert set(box.result.lines["theme"]) == {"ARR"}
    theme_box.value = "GLOBAL"
    assert set(box.result.lines["theme"]) == {"GLOBAL"}
    term_box.value = "客户"  # typed while a theme is selected: narrows, is not ignored
    assert set(box.result.lines["match"]) == {"客户"} and set(box.result.lines["theme"]) == {"GLOBAL"}
    export, status = box.children[2].children
    export.click()  # the button writes what is on screen to scratch/explorer/
    written = tmp_path / "scratch" / "explorer" / "explorer_GLOBAL_客户_all-guests.csv"
    assert written.exists() and str(written) in status.value
    theme_box.value = ""
    assert set(box.result.lines["theme"]) == {""} and len(box.result.lines) > 0
    guest_box.value = ()
    assert box.result.message.startswith("no guest selected") and box.result.lines.empty
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "JupyterLab" in bundle["text/html"]


def test_the_html_export_shows_a_widget_by_its_fallback_not_a_blank():
    import nbformat

    from analysis.runner import WIDGET_NOTE, WIDGET_VIEW, without_widgets

    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    notebook.cells = [nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("execute_result", {WIDGET_VIEW: view, "text/html": "<p>fallback</p>", "text/plain": "VBox(…)"}),
        nbformat.v4.new_output("display_data", {WIDGET_VIEW: view, "text/plain": "VBox(children=(…))"}),
    ])]
    outputs = without_widgets(notebook).cells[0].outputs
    assert [o.data for o in outputs] == [{"text/html": "<p>fallback</p>"}, {"text/html": WIDGET_NOTE}]
    assert "widgets" not in notebook.metadata
