"""Co-occurrence over the units of a dfm, checked against hand computation and brute force."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.cooccurrence import (
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


def test_theme_cooccurrence_counts_paragraphs_with_both_themes():
    indicator = pd.DataFrame({"PLG": [1, 1, 0, 1], "SLG": [1, 0, 1, 1], "ARR": [0, 0, 0, 1]})
    table = theme_cooccurrence(indicator).set_index(["theme_a", "theme_b"])
    assert table.loc[("PLG", "SLG"), "count"] == 2
    assert table.loc[("SLG", "ARR"), "count"] == 1


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
