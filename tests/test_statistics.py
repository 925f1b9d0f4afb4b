"""Statistics checked against hand computation and brute force on toy data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.cooccurrence import (
    association_measures,
    cooccurrence_counts,
    cooccurrence_edges_for,
    cooccurrence_graph,
    theme_cooccurrence,
    unit_term_matrix,
)
from analysis.keyness import keyness, log_odds_dirichlet, tfidf_terms
from analysis.stats import bootstrap_indices, theme_balance, theme_by_guest
from analysis.themes import find_theme_hits, load_codebook

TOY_UNITS = [["开源", "社区", "用户"], ["开源", "销售"], ["社区", "用户", "用户"], ["开源", "社区"], ["出海"]]


def _flatten(units):
    ids = [f"u{i}" for i, unit in enumerate(units) for _ in unit]
    terms = [t for unit in units for t in unit]
    return np.array(ids, dtype=object), np.array(terms, dtype=object)


def test_cooccurrence_counts_are_symmetric_and_equal_a_brute_force_count():
    ids, terms = _flatten(TOY_UNITS)
    matrix, vocabulary = unit_term_matrix(ids, terms)
    counts = cooccurrence_counts(matrix).toarray()
    assert (counts == counts.T).all()
    for i, a in enumerate(vocabulary):
        for j, b in enumerate(vocabulary):
            brute = sum(1 for unit in TOY_UNITS if a in unit and b in unit)
            assert counts[i, j] == brute, (a, b)


def test_edges_hold_each_pair_once_above_the_minimum_count():
    edges = cooccurrence_edges_for(*_flatten(TOY_UNITS), min_count=2)
    pairs = set(zip(edges["term_a"], edges["term_b"]))
    assert pairs == {("开源", "社区"), ("用户", "社区")}  # code-point order: 开 < 社, 用 < 社
    assert (edges["term_a"] < edges["term_b"]).all()


def test_npmi_lies_between_minus_one_and_one_and_matches_the_formula():
    ids, terms = _flatten(TOY_UNITS)
    edges = cooccurrence_edges_for(ids, terms, min_count=1)
    assert edges["npmi"].between(-1, 1).all()
    row = edges[(edges["term_a"] == "开源") & (edges["term_b"] == "社区")].iloc[0]
    p_ab, p_a, p_b = 2 / 5, 3 / 5, 3 / 5
    assert row["npmi"] == pytest.approx(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))
    assert row["jaccard"] == pytest.approx(2 / (3 + 3 - 2))


def test_npmi_extremes():
    npmi, _ = association_measures(np.array([4, 0]), np.array([4, 2]), np.array([4, 2]), 4)
    assert npmi[0] == pytest.approx(1.0) and npmi[1] == pytest.approx(-1.0)


def test_theme_cooccurrence_counts_paragraphs_with_both_themes():
    indicator = pd.DataFrame({"PLG": [1, 1, 0, 1], "SLG": [1, 0, 1, 1], "ARR": [0, 0, 0, 1]})
    table = theme_cooccurrence(indicator).set_index(["theme_a", "theme_b"])
    assert table.loc[("PLG", "SLG"), "count"] == 2
    assert table.loc[("SLG", "ARR"), "count"] == 1


def test_graph_keeps_the_strongest_edges():
    edges = cooccurrence_edges_for(*_flatten(TOY_UNITS), min_count=1)
    frequencies = pd.Series({"开源": 3, "社区": 3, "用户": 2, "销售": 1, "出海": 1})
    graph = cooccurrence_graph(edges, frequencies, top_n=2, min_count=1)
    strongest = edges[edges["npmi"] > 0].sort_values(["npmi", "count", "term_a", "term_b"],
                                                     ascending=[False, False, True, True]).head(2)
    assert sorted(graph.edges) == sorted(zip(strongest["term_a"], strongest["term_b"]))
    assert all(graph.nodes[n]["frequency"] == frequencies[n] for n in graph.nodes)


def test_log_odds_z_scores_equal_a_hand_computation():
    y_i, y_j, alpha = np.array([10, 2]), np.array([5, 8]), np.array([1.0, 1.0])
    delta, variance, z = log_odds_dirichlet(y_i, y_j, alpha)
    n_i, n_j, a0 = 12, 13, 2.0
    d0 = math.log((10 + 1) / (n_i + a0 - 10 - 1)) - math.log((5 + 1) / (n_j + a0 - 5 - 1))
    v0 = 1 / 11 + 1 / 6
    assert delta[0] == pytest.approx(d0)
    assert variance[0] == pytest.approx(v0)
    assert z[0] == pytest.approx(d0 / math.sqrt(v0))
    assert z[1] < 0  # the second word is over-used by the other group


def test_keyness_ranks_a_guests_own_words_first(segments, tokens):
    table = keyness(segments, tokens, top_k=20, min_count=3)
    assert set(table["guest"]) == {"徐至行", "刘景媛", "丁宁", "刘超"}
    first = table[table["rank"] == 1]
    assert (first["score"] > 0).all()
    assert (table.groupby("guest")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_tfidf_has_both_methods_and_ranks_within_guest(segments, tokens):
    table = tfidf_terms(segments, tokens, top_k=10)
    assert set(table["method"]) == {"guest_documents", "paragraph_mean"}
    assert table.groupby(["method", "guest"]).size().max() == 10
    assert (table["score"] > 0).all()


def test_tfidf_with_the_project_tokenizer_as_analyzer_agrees_with_the_tokens_table(segments, tokens, tokenizer):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from analysis.keyness import guest_token_lists

    answers = segments[segments["role"] == "answer"]
    texts = answers.groupby("guest", sort=False)["text"].agg("\n".join)
    direct = TfidfVectorizer(analyzer=tokenizer, lowercase=False).fit(texts.tolist())
    lists = guest_token_lists(segments, tokens)
    via_table = TfidfVectorizer(analyzer=lambda x: x, lowercase=False).fit(lists.tolist())
    assert set(direct.get_feature_names_out()) == set(via_table.get_feature_names_out())


@pytest.fixture(scope="module")
def themed(segments, tokens):
    themes = load_codebook()
    hits = find_theme_hits(segments, themes)
    return themes, hits


def test_bootstrap_intervals_contain_the_estimate_and_repeat_with_the_same_seed(segments, tokens, themed):
    themes, hits = themed
    first = theme_by_guest(segments, tokens, hits, themes, resamples=500, seed=7)
    again = theme_by_guest(segments, tokens, hits, themes, resamples=500, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert (first["share_low"] <= first["share"] + 1e-12).all() and (first["share"] <= first["share_high"] + 1e-12).all()
    rates = first.dropna(subset=["hits_per_1k_low"])
    assert (rates["hits_per_1k_low"] <= rates["hits_per_1k"] + 1e-9).all()
    assert (rates["hits_per_1k"] <= rates["hits_per_1k_high"] + 1e-9).all()
    other = theme_by_guest(segments, tokens, hits, themes, resamples=500, seed=8)
    assert not other["share_low"].equals(first["share_low"]) or not other["share_high"].equals(first["share_high"])


def test_theme_matrix_shares_are_paragraph_counts_over_answer_paragraphs(segments, tokens, themed):
    themes, hits = themed
    table = theme_by_guest(segments, tokens, hits, themes, resamples=100)
    assert (table["share"] == table["paragraphs"] / table["answer_paragraphs"]).all()
    assert (table["prompted"] + table["unprompted"] == table["paragraphs"]).all()
    assert table.groupby("guest")["answer_paragraphs"].first().to_dict() == {"徐至行": 52, "刘景媛": 41, "丁宁": 17, "刘超": 29}


def test_plg_slg_balance_is_in_range_with_its_interval(segments, themed):
    _, hits = themed
    table = theme_balance(segments, hits, resamples=300, seed=1)
    assert table["balance"].dropna().between(-1, 1).all()
    ok = table.dropna(subset=["balance"])
    assert ((ok["balance_low"] <= ok["balance"] + 1e-12) & (ok["balance"] <= ok["balance_high"] + 1e-12)).all()


def test_bootstrap_indices_are_reproducible_and_in_range():
    draws = bootstrap_indices(10, 5, 3)
    assert draws.shape == (5, 10) and draws.min() >= 0 and draws.max() <= 9
    assert (draws == bootstrap_indices(10, 5, 3)).all()
    assert not (draws == bootstrap_indices(10, 5, 4)).all()


def test_an_edges_count_equals_the_passages_behind_it(segments, tokens):
    from analysis.cooccurrence import cooccurrence_edges, pair_passages

    edges = cooccurrence_edges(segments, tokens, windows=("sentence",))
    edge = edges[edges["scope"] == "corpus"].iloc[0]
    passages = pair_passages(segments, tokens, edge["term_a"], edge["term_b"], "sentence")
    assert len(passages) == edge["count"]
    assert passages["text"].str.contains(f"【{edge['term_a']}】", regex=False).all()
