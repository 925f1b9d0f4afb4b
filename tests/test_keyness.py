"""Distinctive terms: TF-IDF and weighted log-odds, read from the answer-paragraph dfm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.dfm import build_dfm
from analysis.keyness import keyness, log_odds_dirichlet, tfidf_terms

from .toy import SEGMENTS, TOKENS


def _identity(tokens):
    return tokens


@pytest.fixture(scope="module")
def answers(segments, tokens):
    return build_dfm(segments, tokens)


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


def test_keyness_counts_a_guest_against_the_other_guests_together():
    table = keyness(build_dfm(SEGMENTS, TOKENS), top_k=10, min_count=1).set_index(["guest", "term"])
    assert table.loc[("A", "社区"), ["count", "count_rest"]].tolist() == [2, 0]
    assert table.loc[("B", "开源"), ["count", "count_rest"]].tolist() == [2, 1]


def test_keyness_leaves_out_terms_rarer_than_the_minimum_count():
    table = keyness(build_dfm(SEGMENTS, TOKENS), top_k=10, min_count=2)
    assert set(table["term"]) == {"开源", "社区"}  # 用户 and 销售 occur once in the corpus


def test_keyness_ranks_a_guests_own_words_first(answers):
    table = keyness(answers, top_k=20, min_count=3)
    assert set(table["guest"]) == {"徐至行", "刘景媛", "丁宁", "刘超"}
    first = table[table["rank"] == 1]
    assert (first["score"] > 0).all()
    assert (table.groupby("guest")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_guest_document_tfidf_equals_scikit_learn_on_each_guests_token_list():
    # A: 开源 社区 用户 社区, B: 开源 开源 销售 (content tokens of their answers)
    vectorizer = TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True)
    weights = vectorizer.fit_transform([["开源", "社区", "用户", "社区"], ["开源", "开源", "销售"]]).toarray()
    expected = {(g, t): w for g, row in zip("AB", weights) for t, w in zip(vectorizer.get_feature_names_out(), row) if w > 0}
    table = tfidf_terms(build_dfm(SEGMENTS, TOKENS), top_k=10)
    table = table[table["method"] == "guest_documents"]
    assert {(g, t): s for g, t, s in zip(table["guest"], table["term"], table["score"])} == pytest.approx(expected)


def test_paragraph_mean_tfidf_averages_over_all_of_a_guests_paragraphs_even_empty_ones():
    # A's paragraphs: a1 = 开源 用户 社区 社区 and a2 = nothing; the mean halves a1's weights
    vectorizer = TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True)
    weights = vectorizer.fit_transform([["开源", "用户", "社区", "社区"], [], ["开源", "开源", "销售"]]).toarray()
    terms = list(vectorizer.get_feature_names_out())
    table = tfidf_terms(build_dfm(SEGMENTS, TOKENS), top_k=10)
    row = table[(table["method"] == "paragraph_mean") & (table["guest"] == "A") & (table["term"] == "社区")].iloc[0]
    assert row["score"] == pytest.approx(weights[0, terms.index("社区")] / 2)
    assert row["count"] == 2


def test_tfidf_has_both_methods_and_ranks_within_guest(answers):
    table = tfidf_terms(answers, top_k=10)
    assert set(table["method"]) == {"guest_documents", "paragraph_mean"}
    assert table.groupby(["method", "guest"]).size().max() == 10
    assert (table["score"] > 0).all()


def test_the_project_tokenizer_as_an_analyzer_finds_the_dfms_features(segments, tokenizer, answers):
    answer_texts = segments.loc[segments["role"] == "answer", "text"]
    direct = TfidfVectorizer(analyzer=tokenizer, lowercase=False).fit(answer_texts.tolist())
    assert set(direct.get_feature_names_out()) == set(answers.features)
