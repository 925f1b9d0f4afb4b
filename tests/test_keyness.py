"""Distinctive terms: TF-IDF and weighted log-odds, read from the answer-paragraph dfm."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, norm
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.dfm import build_dfm, dfm_from_lists
from analysis.keyness import benjamini_hochberg, keyness, log_odds_dirichlet, tfidf_terms, two_sided_p

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
    table = keyness(build_dfm(SEGMENTS, TOKENS), top_k=10, min_count=1, min_guest_count=1).set_index(["guest", "term"])
    assert table.loc[("A", "社区"), ["count", "count_rest"]].tolist() == [2, 0]
    assert table.loc[("B", "开源"), ["count", "count_rest"]].tolist() == [2, 1]


def test_keyness_leaves_out_terms_rarer_than_the_minimum_count():
    table = keyness(build_dfm(SEGMENTS, TOKENS), top_k=10, min_count=2, min_guest_count=1)
    assert set(table["term"]) == {"开源", "社区"}  # 用户 and 销售 occur once in the corpus


def test_keyness_lists_only_terms_the_guest_used_often_enough():
    table = keyness(build_dfm(SEGMENTS, TOKENS), top_k=10, min_count=1, min_guest_count=2)
    assert sorted(zip(table["guest"], table["term"])) == [("A", "社区"), ("B", "开源")]


def test_keyness_ranks_a_guests_own_words_first(answers):
    table = keyness(answers, top_k=20, min_count=3)
    assert set(table["guest"]) == {"徐至行", "刘景媛", "丁宁", "刘超"}
    first = table[table["rank"] == 1]
    assert (first["score"] > 0).all()
    assert (table.groupby("guest")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_tfidf_equals_scikit_learn_fitted_on_paragraphs_and_applied_to_each_guests_answers():
    # paragraphs a1 = 开源 社区 用户 社区, a2 = (nothing), b1 = 开源 开源 销售; guests A = a1 + a2, B = b1
    vectorizer = TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True)
    vectorizer.fit([["开源", "社区", "用户", "社区"], [], ["开源", "开源", "销售"]])
    weights = vectorizer.transform([["开源", "社区", "用户", "社区"], ["开源", "开源", "销售"]]).toarray()
    expected = {(g, t): w for g, row in zip("AB", weights) for t, w in zip(vectorizer.get_feature_names_out(), row) if w > 0}
    table = tfidf_terms(build_dfm(SEGMENTS, TOKENS), top_k=10, min_paragraphs=1)
    assert {(g, t): s for g, t, s in zip(table["guest"], table["term"], table["score"])} == pytest.approx(expected)
    assert set(table["method"]) == {"paragraph_idf"}


def test_tfidf_lists_only_terms_in_enough_of_the_guests_paragraphs():
    table = tfidf_terms(build_dfm(SEGMENTS, TOKENS), top_k=10, min_paragraphs=1)
    assert table.set_index(["guest", "term"]).loc[("A", "社区"), ["count", "paragraphs"]].tolist() == [2, 1]
    assert tfidf_terms(build_dfm(SEGMENTS, TOKENS), top_k=10, min_paragraphs=2).empty  # every term is in one paragraph


def test_tfidf_on_the_corpus_equals_scikit_learn(segments, tokens, answers):
    content = tokens[~tokens["is_stopword"]].groupby("segment_id", sort=False)["token"].agg(list)
    paragraphs = answers.docvars.assign(tokens=answers.docvars["segment_id"].map(content))
    paragraphs["tokens"] = paragraphs["tokens"].map(lambda t: t if isinstance(t, list) else [])
    guests = paragraphs.groupby("guest", sort=False)["tokens"].agg(lambda lists: [t for l in lists for t in l])
    vectorizer = TfidfVectorizer(analyzer=_identity, lowercase=False, sublinear_tf=True).fit(paragraphs["tokens"])
    weights = vectorizer.transform(guests.tolist())
    column = {t: j for j, t in enumerate(vectorizer.get_feature_names_out())}
    table = tfidf_terms(answers, top_k=30)
    index = {g: i for i, g in enumerate(guests.index)}
    expected = [weights[index[g], column[t]] for g, t in zip(table["guest"], table["term"])]
    assert table["score"].tolist() == pytest.approx(expected, rel=1e-12)
    assert (table["paragraphs"] >= 2).all()


def test_tfidf_ranks_within_guest(answers):
    table = tfidf_terms(answers, top_k=10)
    assert table.groupby("guest").size().tolist() == [10] * 4
    assert (table.groupby("guest")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()
    assert (table["score"] > 0).all()


def test_the_project_tokenizer_as_an_analyzer_finds_the_dfms_features(segments, tokenizer, answers):
    answer_texts = segments.loc[segments["role"] == "answer", "text"]
    direct = TfidfVectorizer(analyzer=tokenizer, lowercase=False).fit(answer_texts.tolist())
    assert set(direct.get_feature_names_out()) == set(answers.features)


@pytest.mark.parametrize("z", [0.0, 0.5, -1.0, 1.959964, -1.959964, 3.0, -8.5, 40.0])
def test_the_two_sided_p_value_is_the_normal_tail_on_both_sides(z):
    assert two_sided_p(np.array([z]))[0] == pytest.approx(2 * norm.sf(abs(z)), rel=1e-12, abs=1e-300)


def _bh_literal(p):
    """Benjamini & Hochberg (1995), step-up, transcribed: q_(i) = min_{j ≥ i} m p_(j) / j."""
    m = len(p)
    ranked = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    running = 1.0
    for position in range(m, 0, -1):
        i = ranked[position - 1]
        running = min(running, p[i] * m / position)
        q[i] = running
    return q


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60))
def test_benjamini_hochberg_equals_scipy_and_the_literal_procedure(p):
    q = benjamini_hochberg(np.array(p))
    assert q == pytest.approx(false_discovery_control(np.array(p)), rel=1e-12, abs=1e-15)
    assert q == pytest.approx(_bh_literal(p), rel=1e-12, abs=1e-15)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=60))
def test_bh_q_values_are_monotone_in_p_at_least_p_and_at_most_one(p):
    p = np.array(p)
    q = benjamini_hochberg(p)
    order = np.argsort(p, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()
    assert (q >= p - 1e-15).all() and (q <= 1).all()


def _monroe_literal(y_i, y_j, alpha):
    """Monroe, Colaresi & Quinn (2008), eq. 16 (δ), 18–19 (σ²) and 20 (z), word by word."""
    n_i, n_j, alpha_0 = sum(y_i.values()), sum(y_j.values()), sum(alpha.values())
    out = {}
    for w in alpha:
        delta = (math.log((y_i[w] + alpha[w]) / (n_i + alpha_0 - y_i[w] - alpha[w]))
                 - math.log((y_j[w] + alpha[w]) / (n_j + alpha_0 - y_j[w] - alpha[w])))
        variance = 1 / (y_i[w] + alpha[w]) + 1 / (y_j[w] + alpha[w])
        out[w] = (delta, variance, delta / math.sqrt(variance))
    return out


def test_keyness_equals_a_literal_transcription_of_monroe_et_al_with_bh_over_all_tested_terms(segments, tokens, answers):
    min_count, min_guest_count = 3, 5
    content = tokens[~tokens["is_stopword"]].merge(answers.docvars[["segment_id", "guest"]], on="segment_id")
    corpus = content["token"].value_counts()
    tested = sorted(corpus[corpus >= min_count].index)
    alpha = {w: float(corpus[w]) for w in tested}  # the informative prior: the corpus's own counts
    table = keyness(answers, top_k=10_000, min_count=min_count, min_guest_count=min_guest_count)
    for guest, rows in table.groupby("guest"):
        own = content.loc[content["guest"] == guest, "token"].value_counts()
        y_i = {w: int(own.get(w, 0)) for w in tested}
        y_j = {w: int(corpus[w]) - y_i[w] for w in tested}
        literal = _monroe_literal(y_i, y_j, alpha)
        p = {w: 2 * norm.sf(abs(literal[w][2])) for w in tested}
        q = dict(zip(tested, _bh_literal([p[w] for w in tested])))
        listed = {w for w in tested if y_i[w] >= min_guest_count}
        assert set(rows["term"]) == listed
        for row in rows.itertuples():
            assert (row.delta, row.variance, row.score) == pytest.approx(literal[row.term], rel=1e-9)
            assert (row.count, row.count_rest) == (y_i[row.term], y_j[row.term])
            assert row.p == pytest.approx(p[row.term], rel=1e-9)
            assert row.q == pytest.approx(q[row.term], rel=1e-9)
            assert row.significant == (row.q < 0.05)


def test_a_clear_difference_is_significant_and_a_shared_word_is_not():
    units = [["甲"] * 40 + ["共"] * 40, ["乙"] * 40 + ["共"] * 40]
    dfm = dfm_from_lists(units, pd.DataFrame({"guest": ["A", "B"]}))
    table = keyness(dfm, top_k=10, min_count=1, min_guest_count=1).set_index(["guest", "term"])
    assert table.loc[("A", "甲"), "significant"] and table.loc[("A", "甲"), "q"] < 1e-4
    assert not table.loc[("A", "共"), "significant"] and table.loc[("A", "共"), "score"] == pytest.approx(0.0, abs=1e-12)
    strict = keyness(dfm, top_k=10, min_count=1, min_guest_count=1, fdr=1e-30).set_index(["guest", "term"])
    assert not strict.loc[("A", "甲"), "significant"]  # the threshold is the fdr parameter


# -- units are (document, guest) ---------------------------------------------------------------

from analysis.corpus import parse_chapter  # noqa: E402
from analysis.tokenizer import tokenize_segments  # noqa: E402

from .english_chapter import report_chapter  # noqa: E402


@pytest.fixture(scope="module")
def two_chapters(tokenizer):
    """Two report chapters, each with one section titled "Market", saying different things."""
    segments = pd.concat([parse_chapter(report_chapter("Community adoption drives growth."), "a"),
                          parse_chapter(report_chapter("Enterprise sales teams close contracts."), "b")],
                         ignore_index=True)
    return build_dfm(segments, tokenize_segments(segments, tokenizer))


def test_same_titled_sections_of_two_chapters_are_two_keyness_groups(two_chapters):
    table = keyness(two_chapters, top_k=10, min_count=1, min_guest_count=1)
    assert list(table.columns[:2]) == ["document", "guest"]
    assert sorted(set(zip(table["document"], table["guest"]))) == [("a", "Market"), ("b", "Market")]
    terms = table.groupby("document")["term"].agg(set)
    assert "community" in terms["a"] and "community" not in terms["b"]
    assert (table.loc[table["term"] == "community", "count_rest"] == 0).all()  # b is the rest, not pooled with a


def test_same_titled_sections_of_two_chapters_are_two_tfidf_groups(two_chapters):
    table = tfidf_terms(two_chapters, top_k=10)
    assert list(table.columns[:3]) == ["document", "method", "guest"]
    assert table.groupby("document")["term"].agg(set).to_dict() == {
        "a": {"community", "adoption", "drive", "growth"}, "b": {"enterprise", "sales", "team", "close", "contract"}}


def test_a_dfm_without_documents_is_grouped_by_guest_with_an_empty_document():
    dfm = dfm_from_lists([["开源", "开源"], ["销售"]], pd.DataFrame({"guest": ["A", "B"]}))
    table = keyness(dfm, top_k=10, min_count=1, min_guest_count=1)
    assert set(table["document"]) == {""} and set(table["guest"]) == {"A", "B"}
