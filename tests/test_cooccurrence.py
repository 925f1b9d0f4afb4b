"""Co-occurrence over the units of a dfm, checked against hand computation and brute force."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.cooccurrence import (
    EDGE_COLUMNS,
    PASSAGE_COLUMNS,
    THEME_PAIR_COLUMNS,
    association_measures,
    cooccurrence_counts,
    cooccurrence_edges,
    cooccurrence_edges_for,
    cooccurrence_graph,
    edges_for_guests,
    pair_passages,
    term_frequencies,
    theme_cooccurrence,
)
from analysis.dfm import build_dfm, dfm_from_lists
from analysis.lexicon import fold_width, term_pattern
from analysis.params import SPEC
from analysis.themes import Theme

from .toy import SEGMENTS, TOKENS

TOY_UNITS = [["开源", "社区", "用户"], ["开源", "销售"], ["社区", "用户", "用户"], ["开源", "社区"], ["出海"]]


def test_cooccurrence_counts_are_symmetric_and_equal_a_brute_force_count():
    dfm = dfm_from_lists(TOY_UNITS)
    counts = cooccurrence_counts(dfm.binary().matrix).toarray()
    assert (counts == counts.T).all()
    for i, a in enumerate(dfm.features):
        for j, b in enumerate(dfm.features):
            brute = sum(1 for unit in TOY_UNITS if a in unit and b in unit)
            assert counts[i, j] == brute, (a, b)


def test_edges_hold_each_pair_once_above_the_minimum_count():
    edges = cooccurrence_edges_for(dfm_from_lists(TOY_UNITS), min_count=2)
    pairs = set(zip(edges["term_a"], edges["term_b"]))
    assert pairs == {("开源", "社区"), ("用户", "社区")}  # code-point order: 开 < 社, 用 < 社
    assert (edges["term_a"] < edges["term_b"]).all()


def test_a_repeated_word_counts_its_unit_once():
    edges = cooccurrence_edges_for(dfm_from_lists([["用户", "用户", "社区"], ["用户"]]), min_count=1)
    assert edges[["term_a", "term_b", "count"]].values.tolist() == [["用户", "社区", 1]]  # not 2 = 2 × 1


def test_npmi_lies_between_minus_one_and_one_and_matches_the_formula():
    edges = cooccurrence_edges_for(dfm_from_lists(TOY_UNITS), min_count=1)
    assert edges["npmi"].between(-1, 1).all()
    row = edges[(edges["term_a"] == "开源") & (edges["term_b"] == "社区")].iloc[0]
    p_ab, p_a, p_b = 2 / 5, 3 / 5, 3 / 5
    assert row["npmi"] == pytest.approx(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))
    assert row["jaccard"] == pytest.approx(2 / (3 + 3 - 2))


def test_npmi_extremes():
    npmi, _ = association_measures(np.array([4, 0]), np.array([4, 2]), np.array([4, 2]), 4)
    assert npmi[0] == pytest.approx(1.0) and npmi[1] == pytest.approx(-1.0)


def test_units_without_content_tokens_do_not_count_as_units():
    # toy paragraphs: a1 {开源 用户 社区}, a2 {} and b1 {开源 销售}: two units, not three
    edges = cooccurrence_edges([build_dfm(SEGMENTS, TOKENS)], min_count=1)
    corpus = edges[edges["scope"] == "corpus"].set_index(["term_a", "term_b"])
    assert corpus.loc[("开源", "社区"), "npmi"] == pytest.approx(0.0)  # p_ab = 1/2 = p_a·p_b = 1 · 1/2
    assert corpus.loc[("用户", "社区"), "npmi"] == pytest.approx(1.0)


def test_the_edges_table_has_each_window_over_the_corpus_and_per_guest():
    sentences, paragraphs = build_dfm(SEGMENTS, TOKENS, "sentence"), build_dfm(SEGMENTS, TOKENS)
    edges = cooccurrence_edges([sentences, paragraphs], min_count=1, per_guest_min_count=1)
    pairs = {(r.scope, r.guest, r.window, r.term_a, r.term_b): r.count for r in edges.itertuples()}
    assert pairs == {
        ("corpus", "", "sentence", "开源", "社区"): 1, ("corpus", "", "sentence", "用户", "社区"): 1,
        ("corpus", "", "sentence", "开源", "销售"): 1,
        ("guest", "A", "sentence", "开源", "社区"): 1, ("guest", "A", "sentence", "用户", "社区"): 1,
        ("guest", "B", "sentence", "开源", "销售"): 1,
        ("corpus", "", "paragraph", "开源", "用户"): 1, ("corpus", "", "paragraph", "开源", "社区"): 1,
        ("corpus", "", "paragraph", "用户", "社区"): 1, ("corpus", "", "paragraph", "开源", "销售"): 1,
        ("guest", "A", "paragraph", "开源", "用户"): 1, ("guest", "A", "paragraph", "开源", "社区"): 1,
        ("guest", "A", "paragraph", "用户", "社区"): 1, ("guest", "B", "paragraph", "开源", "销售"): 1,
    }
    # 开源 and 用户 share a paragraph but no sentence
    guest_a = edges[(edges["guest"] == "A") & (edges["window"] == "sentence")]
    assert guest_a.set_index(["term_a", "term_b"]).loc[("开源", "社区"), "npmi"] == pytest.approx(0.0)  # 2 units


def test_the_minimum_count_applies_per_scope():
    paragraphs = build_dfm(SEGMENTS, TOKENS)
    edges = cooccurrence_edges([paragraphs], min_count=2, per_guest_min_count=1)
    assert set(edges["scope"]) == {"guest"}  # no corpus pair is in two paragraphs


def _theme(theme_id, *terms):
    return Theme(theme_id, theme_id, theme_id, "", tuple(terms), (), ())


def _hits(*rows):
    return pd.DataFrame([(sid, theme, theme, "", start, end) for sid, theme, start, end in rows],
                        columns=["segment_id", "theme", "term", "match", "char_start", "char_end"])


def _indicator(hits, paragraphs, themes):
    present = {(h.segment_id, h.theme) for h in hits.itertuples()}
    return pd.DataFrame([[int((p, t) in present) for t in themes] for p in paragraphs], index=paragraphs,
                        columns=themes, dtype="int64")


def _pairs(indicator, hits, themes=()):
    themes = themes or [_theme(t, t.lower()) for t in indicator.columns]
    return theme_cooccurrence(indicator, hits, list(themes)).set_index(["theme_a", "theme_b"])


def test_theme_cooccurrence_counts_paragraphs_with_both_themes():
    indicator = pd.DataFrame({"PLG": [1, 1, 0, 1], "SLG": [1, 0, 1, 1], "ARR": [0, 0, 0, 1]},
                             index=["p0", "p1", "p2", "p3"])
    table = _pairs(indicator, _hits())
    assert table.loc[("PLG", "SLG"), "count"] == 2
    assert table.loc[("SLG", "ARR"), "count"] == 1


def test_never_together_and_undefined_pairs_are_told_apart():
    indicator = pd.DataFrame({"PLG": [1, 0], "SLG": [0, 1], "ARR": [0, 0]}, index=["p0", "p1"])
    table = _pairs(indicator, _hits())
    never, undefined = table.loc[("PLG", "SLG")], table.loc[("PLG", "ARR")]
    assert (never["status"], never["count"], never["npmi"], never["jaccard"]) == ("never", 0, -1.0, 0.0)
    assert undefined["status"] == "undefined" and np.isnan(undefined["npmi"]) and np.isnan(undefined["jaccard"])
    assert table.loc[("SLG", "ARR"), "status"] == "undefined"


def test_a_pair_resting_on_one_phrase_is_a_codebook_link():
    # p0: "百万美金订阅" — SLG 百万美金 [0, 4) then ARR 订阅 [4, 6): one phrase, two themes
    # p1: SLG at [0, 2) and ARR at [10, 12): two separate mentions
    hits = _hits(("p0", "SLG", 0, 4), ("p0", "ARR", 4, 6), ("p1", "SLG", 0, 2), ("p1", "ARR", 10, 12))
    table = _pairs(_indicator(hits, ["p0", "p1"], ["SLG", "ARR"]), hits)
    row = table.loc[("SLG", "ARR")]
    assert (row["count"], row["count_independent"], row["codebook_link"]) == (2, 1, True)


@pytest.mark.parametrize("arr_start, same_phrase", [(2, True), (3, True), (4, False)])
def test_hits_at_most_one_character_apart_are_one_phrase(arr_start, same_phrase):
    # "百万美金年订阅": one character (年) between SLG's and ARR's hits is still one phrase
    hits = _hits(("p0", "SLG", 0, 2), ("p0", "ARR", arr_start, arr_start + 2))
    row = _pairs(_indicator(hits, ["p0"], ["SLG", "ARR"]), hits).loc[("SLG", "ARR")]
    assert row["count_independent"] == (0 if same_phrase else 1)


def test_one_theme_with_a_second_separate_hit_does_not_make_the_pair_independent():
    # ARR has a hit of its own, but SLG is only ever inside ARR's phrase
    hits = _hits(("p0", "SLG", 0, 4), ("p0", "ARR", 4, 6), ("p0", "ARR", 20, 22))
    row = _pairs(_indicator(hits, ["p0"], ["SLG", "ARR"]), hits).loc[("SLG", "ARR")]
    assert (row["count"], row["count_independent"]) == (1, 0)


def test_hits_outside_the_indicators_paragraphs_are_ignored():
    # q0 (a question, say) has two separate mentions, but only p0 is a paragraph of the indicator
    hits = _hits(("p0", "SLG", 0, 4), ("p0", "ARR", 4, 6), ("q0", "SLG", 0, 2), ("q0", "ARR", 10, 12))
    row = _pairs(_indicator(hits, ["p0"], ["SLG", "ARR"]), hits).loc[("SLG", "ARR")]
    assert (row["count"], row["count_independent"], row["codebook_link"]) == (1, 0, True)


def test_terms_listed_under_both_themes_are_named():
    themes = [_theme("WTP", "预算", "付费", "SaaS"), _theme("PMF", "预算", "刚需", "ｓａａｓ"), _theme("TEAM", "团队")]
    indicator = pd.DataFrame({"WTP": [1], "PMF": [1], "TEAM": [0]}, index=["p0"])
    table = _pairs(indicator, _hits(("p0", "WTP", 0, 2), ("p0", "PMF", 0, 2)), themes)
    assert table.loc[("WTP", "PMF"), "shared_terms"] == "预算; SaaS"  # width and case folded, as the tagger matches
    assert table.loc[("WTP", "TEAM"), "shared_terms"] == ""


def test_graph_keeps_the_strongest_edges():
    edges = cooccurrence_edges_for(dfm_from_lists(TOY_UNITS), min_count=1)
    frequencies = pd.Series({"开源": 3, "社区": 3, "用户": 2, "销售": 1, "出海": 1})
    graph = cooccurrence_graph(edges, frequencies, top_n=2, min_count=1)
    strongest = edges[edges["npmi"] > 0].sort_values(["npmi", "count", "term_a", "term_b"],
                                                     ascending=[False, False, True, True]).head(2)
    assert sorted(graph.edges) == sorted(zip(strongest["term_a"], strongest["term_b"]))
    assert all(graph.nodes[n]["frequency"] == frequencies[n] for n in graph.nodes)


def test_term_frequencies_count_the_content_tokens_of_the_chosen_guests():
    paragraphs = build_dfm(SEGMENTS, TOKENS)
    assert term_frequencies(paragraphs, ["B"]).to_dict() == {"开源": 2, "销售": 1}
    assert term_frequencies(paragraphs).to_dict() == {"开源": 3, "社区": 2, "用户": 1, "销售": 1}


def test_edges_for_guests_reads_stored_rows_or_computes_the_subset():
    sentences = build_dfm(SEGMENTS, TOKENS, "sentence")
    stored = cooccurrence_edges([sentences, build_dfm(SEGMENTS, TOKENS)], min_count=1, per_guest_min_count=1)
    everyone = edges_for_guests(stored, sentences, ["A", "B"], ["A", "B"], min_count=1)
    assert set(everyone["scope"]) == {"corpus"} and set(everyone["window"]) == {"sentence"}
    only_b = edges_for_guests(stored, sentences, ["B"], ["A", "B"], min_count=1)
    assert only_b[["guest", "term_a", "term_b"]].values.tolist() == [["B", "开源", "销售"]]
    computed = edges_for_guests(stored, sentences, ["A", "B"], ["A", "B", "C"], min_count=1)
    assert set(computed["guest"]) == {"A+B"} and set(computed["scope"]) == {"guests"}
    pd.testing.assert_frame_equal(computed.drop(columns=["scope", "guest"]),
                                  everyone.drop(columns=["scope", "guest"]))


def test_pair_passages_marks_both_terms_in_each_unit_that_has_both():
    sentences = build_dfm(SEGMENTS, TOKENS, "sentence")
    passages = pair_passages(SEGMENTS, sentences, "开源", "社区")
    assert passages[["segment_id", "sentence_index", "guest"]].values.tolist() == [["a1", 0, "A"]]
    assert passages["text"].iloc[0] == "【开源】【社区】很好。用户,【社区】!"
    paragraph = pair_passages(SEGMENTS, build_dfm(SEGMENTS, TOKENS), "开源", "用户")
    assert paragraph[["segment_id", "sentence_index"]].values.tolist() == [["a1", -1]]
    assert pair_passages(SEGMENTS, sentences, "开源", "用户").empty  # same paragraph, not the same sentence
    assert pair_passages(SEGMENTS, sentences, "开源", "不存在").empty
    assert pair_passages(SEGMENTS, sentences, "开源", "社区", guests=["B"]).empty


def test_an_edges_count_equals_the_passages_behind_it(segments, tokens):
    sentences = build_dfm(segments, tokens, "sentence")
    edges = cooccurrence_edges([sentences])
    edge = edges[edges["scope"] == "corpus"].iloc[0]
    passages = pair_passages(segments, sentences, edge["term_a"], edge["term_b"])
    assert len(passages) == edge["count"]
    assert passages["text"].str.contains(f"【{edge['term_a']}】", regex=False).all()


unit_lists = st.lists(st.lists(st.sampled_from(["开源", "社区", "用户", "销售", "出海", "AI"]), max_size=6),
                      min_size=1, max_size=12)


@given(unit_lists)
def test_cooccurrence_counts_are_symmetric_with_unit_frequencies_on_the_diagonal(units):
    dfm = dfm_from_lists(units)
    counts = cooccurrence_counts(dfm.binary().matrix).toarray()
    assert (counts == counts.T).all()
    assert counts.diagonal().tolist() == [sum(1 for u in units if t in u) for t in dfm.features]


@given(unit_lists)
def test_npmi_is_within_minus_one_and_one_and_jaccard_within_zero_and_one(units):
    edges = cooccurrence_edges_for(dfm_from_lists(units), min_count=1)
    assert edges["npmi"].between(-1, 1).all() and edges["jaccard"].between(0, 1).all()
    assert (edges["term_a"] < edges["term_b"]).all()


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(1, 30))
def test_npmi_of_any_counts_is_within_bounds_or_undefined(both, only_a, only_b, neither):
    n = both + only_a + only_b + neither
    npmi, jaccard = association_measures(np.array([both]), np.array([both + only_a]), np.array([both + only_b]), n)
    if both + only_a and both + only_b:
        assert -1 <= npmi[0] <= 1 and 0 <= jaccard[0] <= 1


def test_term_frequencies_keep_same_named_units_of_two_documents_apart():
    paragraphs = build_dfm(pd.concat([SEGMENTS, SEGMENTS.assign(document="other", segment_id="x" + SEGMENTS["segment_id"])]),
                           pd.concat([TOKENS, TOKENS.assign(segment_id="x" + TOKENS["segment_id"])]))
    assert term_frequencies(paragraphs, ["B"]).to_dict() == {"开源": 4, "销售": 2}  # pooled: both documents' B
    assert term_frequencies(paragraphs, ["B"], document="other").to_dict() == {"开源": 2, "销售": 1}


def test_english_terms_listed_under_both_themes_are_named_too():
    themes = [Theme("WTP", "付费", "WTP", "d", ("预算",), (), (), ("budget", "freemium"), (), ()),
              Theme("PMF", "匹配", "PMF", "d", ("预算",), (), (), ("Budget",), (), ())]
    indicator = pd.DataFrame({"WTP": [1], "PMF": [1]}, index=["p0"])
    table = _pairs(indicator, _hits(("p0", "WTP", 0, 2), ("p0", "PMF", 0, 2)), themes)
    assert table.loc[("WTP", "PMF"), "shared_terms"] == "预算; budget"


def test_the_edges_table_is_ordered_strongest_pair_first_with_a_plain_index_and_integer_counts():
    edges = cooccurrence_edges_for(dfm_from_lists(TOY_UNITS), min_count=1)
    brute = {(a, b): sum(1 for unit in TOY_UNITS if a in unit and b in unit)
             for unit in TOY_UNITS for a in unit for b in unit if a < b}
    expected = sorted(brute.items(), key=lambda item: (-item[1], item[0][0], item[0][1]))
    assert [((r.term_a, r.term_b), r.count) for r in edges.itertuples()] == expected
    assert edges.index.equals(pd.RangeIndex(len(edges))) and edges["count"].dtype == np.int64
    assert cooccurrence_counts(dfm_from_lists(TOY_UNITS).binary().matrix).dtype == np.int64  # counts, not floats


def test_the_default_thresholds_are_the_documented_ones():
    # README: count ≥ 3 corpus-wide, ≥ 2 per guest. Corpus: 甲乙 in 3 units, 甲丙 in 2, 乙丙 in 1;
    # guest A: 甲乙 in 2; guest B: 甲丙 in 2, 甲乙 and 乙丙 in 1
    units = [["甲", "乙"], ["甲", "乙"], ["甲", "乙"], ["甲", "丙"], ["甲", "丙"], ["乙", "丙"]]
    dfm = dfm_from_lists(units, pd.DataFrame({"guest": ["A", "A", "B", "B", "B", "B"]}))
    edges = cooccurrence_edges([dfm])
    assert [(r.scope, r.guest, r.term_a, r.term_b, r.count) for r in edges.itertuples()] == [
        ("corpus", "", "乙", "甲", 3), ("guest", "A", "乙", "甲", 2), ("guest", "B", "丙", "甲", 2)]
    assert edges.index.equals(pd.RangeIndex(len(edges))) and edges.columns.tolist() == EDGE_COLUMNS
    # the defaults of the build (min_count) and of the notebook (min_edge_count) parameters, params.SPEC
    assert SPEC["min_count"].default == 3 and SPEC["min_edge_count"].default == 3
    subset = edges_for_guests(edges, dfm, ["A", "B"], ["A", "B", "C"])  # computed: not every guest is chosen
    assert subset[["term_a", "term_b", "count"]].values.tolist() == [["乙", "甲", 3]]


def test_association_measures_at_the_extremes_emit_no_warning():
    # a pair never together (log 0) and a pair in every unit (0 / 0) are defined, not warned about
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        npmi, jaccard = association_measures(np.array([0, 4]), np.array([2, 4]), np.array([2, 4]), 4)
    assert npmi.tolist() == [-1.0, 1.0] and jaccard.tolist() == [0.0, 1.0]


def test_edges_for_guests_returns_the_edges_table_shape_in_every_case():
    sentences = build_dfm(SEGMENTS, TOKENS, "sentence")
    stored = cooccurrence_edges([sentences, build_dfm(SEGMENTS, TOKENS)], min_count=1, per_guest_min_count=1)
    for guests, everyone in ((["A", "B"], ["A", "B"]), (["B"], ["A", "B"]), (["A", "B"], ["A", "B", "C"])):
        edges = edges_for_guests(stored, sentences, guests, everyone, min_count=1)
        assert edges.columns.tolist() == EDGE_COLUMNS and edges.index.equals(pd.RangeIndex(len(edges)))


@pytest.mark.parametrize("slg, arr, independent", [
    ((0, 2), (3, 5), 0),  # SLG then ARR one character later: one phrase
    ((3, 5), (0, 2), 0),  # ARR then SLG one character later: one phrase
    ((0, 2), (4, 6), 1),  # two characters apart: two mentions
    ((4, 6), (0, 2), 1),
])
def test_a_hit_within_one_character_of_the_other_themes_phrase_is_not_a_separate_mention(slg, arr, independent):
    # ARR has a second hit far away, so the pair is independent exactly when SLG's hit stands apart
    hits = _hits(("p0", "SLG", *slg), ("p0", "ARR", *arr), ("p0", "ARR", 20, 22))
    row = _pairs(_indicator(hits, ["p0"], ["SLG", "ARR"]), hits).loc[("SLG", "ARR")]
    assert (row["count"], row["count_independent"]) == (1, independent)


def test_independent_co_occurrence_is_counted_over_paragraphs():
    hits = _hits(*[(p, theme, start, start + 2) for p in ("p0", "p1", "p2") for theme, start in (("SLG", 0), ("ARR", 10))])
    row = _pairs(_indicator(hits, ["p0", "p1", "p2"], ["SLG", "ARR"]), hits).loc[("SLG", "ARR")]
    assert (row["count"], row["count_independent"], row["codebook_link"], row["status"]) == (3, 3, False, "together")


def test_theme_pairs_are_each_unordered_pair_once_in_codebook_order():
    hits = _hits(("p0", "PLG", 0, 2), ("p0", "SLG", 10, 12), ("p1", "PLG", 0, 2), ("p1", "ARR", 10, 12))
    indicator = _indicator(hits, ["p0", "p1"], ["PLG", "SLG", "ARR"])
    table = theme_cooccurrence(indicator, hits, [_theme(t, t.lower()) for t in indicator.columns])
    assert list(zip(table["theme_a"], table["theme_b"])) == [("PLG", "SLG"), ("PLG", "ARR"), ("SLG", "ARR")]
    assert table["status"].tolist() == ["together", "together", "never"]
    assert table["count_independent"].tolist() == table["count"].tolist() == [1, 1, 0]
    assert table["codebook_link"].tolist() == [False, False, False]  # separate mentions, or never together
    assert table.columns.tolist() == THEME_PAIR_COLUMNS


def test_shared_terms_fold_case_the_way_the_tagger_matches():
    # re.IGNORECASE does not match ß with SS (its upper case): the tagger keeps them apart, so must this
    assert re.compile(term_pattern("STRASSE"), re.IGNORECASE).search(fold_width("straße")) is None
    themes = [_theme("A", "straße", "Cloud"), _theme("B", "STRASSE", "cloud")]
    indicator = pd.DataFrame({"A": [1], "B": [1]}, index=["p0"])
    assert _pairs(indicator, _hits(), themes).loc[("A", "B"), "shared_terms"] == "Cloud"


def test_pair_passages_in_the_paragraph_window_and_a_term_inside_the_other():
    segments = pd.DataFrame({"segment_id": ["p0", "p1", "p2"], "text": ["开源软件和开源", "开源,开源软件", "开源"]})
    docvars = pd.DataFrame({"segment_id": ["p0", "p1", "p2"], "guest": ["A", "B", "A"], "question": ["q0", "q1", "q0"]})
    dfm = dfm_from_lists([["开源软件", "开源"], ["开源", "开源软件"], ["开源"]], docvars)
    passages = pair_passages(segments, dfm, "开源", "开源软件")
    assert passages.columns.tolist() == PASSAGE_COLUMNS
    assert passages.values.tolist() == [["p0", -1, "A", "q0", "【开源软件】和【开源】"],
                                        ["p1", -1, "B", "q1", "【开源】,【开源软件】"]]  # the longer term first
    assert passages["sentence_index"].dtype.kind == "i"
    none = pair_passages(segments, dfm, "开源", "不存在")
    assert none.empty and none.columns.tolist() == PASSAGE_COLUMNS


def test_a_sentence_passage_names_its_sentence_and_question():
    passages = pair_passages(SEGMENTS, build_dfm(SEGMENTS, TOKENS, "sentence"), "用户", "社区")
    assert passages[["sentence_index", "question"]].values.tolist() == [[1, "question q1"]]
    assert passages["sentence_index"].dtype.kind == "i"


def test_term_frequencies_of_one_document_count_only_that_documents_units():
    dfm = dfm_from_lists([["开源"], ["销售", "销售"]], pd.DataFrame({"guest": ["B", "B"], "document": ["a", "b"]}))
    assert term_frequencies(dfm, ["B"], document="b").to_dict() == {"销售": 2}
    assert term_frequencies(dfm, document="a").to_dict() == {"开源": 1}
