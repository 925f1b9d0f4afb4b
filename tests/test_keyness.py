"""Distinctive terms: TF-IDF and weighted log-odds, read from the answer-paragraph dfm."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, norm
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from analysis.dfm import build_dfm, dfm_from_lists
from analysis.keyness import (
    KEYNESS_COLUMNS,
    TFIDF_COLUMNS,
    benjamini_hochberg,
    keyness,
    log_odds_dirichlet,
    smooth_idf,
    tfidf_terms,
    two_sided_p,
)
from analysis.params import SPEC

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


def test_smooth_idf_is_scikit_learns_on_counts_with_repeats_and_an_empty_unit():
    # 开源 in 3 of 4 units (twice in one), 社区 in 1, 销售 in 1; the empty unit still counts in N
    # (4 units, 3 features: N is the number of units, not of features)
    dfm = dfm_from_lists([["开源", "社区", "开源"], [], ["开源", "销售"], ["开源"]])
    expected = TfidfTransformer(smooth_idf=True).fit(dfm.matrix).idf_
    assert smooth_idf(dfm) == pytest.approx(expected, rel=1e-15)
    by_hand = dict(zip(dfm.features, smooth_idf(dfm)))
    assert by_hand["开源"] == pytest.approx(math.log(5 / 4) + 1)
    assert by_hand["社区"] == pytest.approx(math.log(5 / 2) + 1)


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


# --- hand-worked toy (tests/toy.py): guest A = a1 + a2, guest B = b1 ----------------------------------
#            开源  用户  社区  销售   n
#   A          1     1     2     0    4
#   B          2     0     0     1    3
#   corpus     3     1     2     1    7   = α_w (the informative prior) and α₀


def _hand(delta, variance):
    return delta, variance, delta / math.sqrt(variance)


# Monroe et al. eq. 16 and 20 by hand, A against B (n_i = 4, n_j = 3, α₀ = 7); B against A is the negation.
HAND_A = {
    "开源": _hand(math.log((1 + 3) / (4 + 7 - 1 - 3)) - math.log((2 + 3) / (3 + 7 - 2 - 3)), 1 / 4 + 1 / 5),  # ln 4/7
    "用户": _hand(math.log((1 + 1) / (4 + 7 - 1 - 1)) - math.log((0 + 1) / (3 + 7 - 0 - 1)), 1 / 2 + 1 / 1),  # ln 2
    "社区": _hand(math.log((2 + 2) / (4 + 7 - 2 - 2)) - math.log((0 + 2) / (3 + 7 - 0 - 2)), 1 / 4 + 1 / 2),  # ln 16/7
    "销售": _hand(math.log((0 + 1) / (4 + 7 - 0 - 1)) - math.log((1 + 1) / (3 + 7 - 1 - 1)), 1 / 1 + 1 / 2),  # ln 2/5
}


def test_keyness_on_the_toy_equals_the_hand_worked_log_odds_with_the_corpus_as_prior():
    table = keyness(build_dfm(SEGMENTS, TOKENS), min_count=1, min_guest_count=1)
    assert math.log(4 / 7) == pytest.approx(HAND_A["开源"][0]) and math.log(16 / 7) == pytest.approx(HAND_A["社区"][0])
    for guest, sign, listed in (("A", 1, ["社区", "用户", "开源"]), ("B", -1, ["开源", "销售"])):
        rows = table[table["guest"] == guest]
        assert rows["term"].tolist() == listed  # by z, highest first; 销售 (A) and 用户, 社区 (B) were never said
        assert rows["rank"].tolist() == list(range(1, len(listed) + 1))
        # all four terms are tested (min_count=1), and |z| takes the same four values for A and B: sorted,
        # the p-values are p₁ < p₂ < p₃ < p₄ and m·p_k / k > p₄ for k < 4, so every q is the largest p
        largest_p = 2 * norm.sf(abs(HAND_A["用户"][2]))
        for row in rows.itertuples():
            delta, variance, z = HAND_A[row.term]
            assert (row.delta, row.variance, row.score) == pytest.approx((sign * delta, variance, sign * z), rel=1e-12)
            assert row.p == pytest.approx(2 * norm.sf(abs(z)), rel=1e-12)
            assert row.q == pytest.approx(largest_p, rel=1e-12) and not row.significant
    counts = table.set_index(["guest", "term"])[["count", "count_rest"]]
    assert counts.loc[("A", "用户")].tolist() == [1, 0] and counts.loc[("B", "销售")].tolist() == [1, 0]


def test_the_prior_strength_scales_the_corpus_distribution():
    # α_w = 14 · corpus count / 7 = twice the corpus counts; α₀ = 14
    table = keyness(build_dfm(SEGMENTS, TOKENS), min_count=1, min_guest_count=1, prior_strength=14)
    a = table[table["guest"] == "A"].set_index("term")
    assert a.loc["开源", "delta"] == pytest.approx(math.log((1 + 6) / (4 + 14 - 1 - 6)) - math.log((2 + 6) / (3 + 14 - 2 - 6)))
    assert a.loc["开源", "variance"] == pytest.approx(1 / 7 + 1 / 8)
    assert a.loc["社区", "delta"] == pytest.approx(math.log((2 + 4) / (4 + 14 - 2 - 4)) - math.log(4 / (3 + 14 - 4)))
    assert a.loc["社区", "variance"] == pytest.approx(1 / 6 + 1 / 4)


@given(st.lists(st.integers(1, 12), min_size=2, max_size=6), st.integers(1, 4),
       st.one_of(st.none(), st.floats(0.5, 500)))
def test_a_guest_who_speaks_in_the_corpus_proportions_has_no_distinctive_word(counts, multiple, strength):
    # A says word w k_w times and B says it multiple · k_w times (at least two words: the log-odds of
    # an only word is infinite). With α_w proportional to the corpus count, (y_i + α_w) /
    # (n_i + α₀ − y_i − α_w) = k_w / (K − k_w) for both, so δ = 0 for every word, whatever the
    # prior's strength. A flat prior (α_w constant) gives δ ≠ 0 as soon as the k_w differ.
    words = [chr(0x4E00 + i) for i in range(len(counts))]
    units = [[w for w, k in zip(words, counts) for _ in range(k)],
             [w for w, k in zip(words, counts) for _ in range(multiple * k)]]
    dfm = dfm_from_lists(units, pd.DataFrame({"guest": ["A", "B"]}))
    table = keyness(dfm, top_k=100, min_count=1, min_guest_count=1, prior_strength=strength)
    assert len(table) == 2 * len(words)
    assert table["delta"].tolist() == pytest.approx([0.0] * len(table), abs=1e-12)
    assert table["p"].tolist() == pytest.approx([1.0] * len(table))


def test_significant_means_q_strictly_below_the_fdr():
    units = [["甲"] * 40 + ["共"] * 40, ["乙"] * 40 + ["共"] * 40]
    dfm = dfm_from_lists(units, pd.DataFrame({"guest": ["A", "B"]}))
    q = keyness(dfm, min_count=1, min_guest_count=1).set_index(["guest", "term"]).loc[("A", "甲"), "q"]
    at = keyness(dfm, min_count=1, min_guest_count=1, fdr=q).set_index(["guest", "term"])
    above = keyness(dfm, min_count=1, min_guest_count=1, fdr=np.nextafter(q, 1)).set_index(["guest", "term"])
    assert not at.loc[("A", "甲"), "significant"] and above.loc[("A", "甲"), "significant"]


def test_tables_without_a_listed_term_keep_their_columns():
    dfm = build_dfm(SEGMENTS, TOKENS)
    assert keyness(dfm, min_count=1, min_guest_count=1000).columns.tolist() == KEYNESS_COLUMNS
    assert tfidf_terms(dfm, min_paragraphs=1000).columns.tolist() == TFIDF_COLUMNS


def test_the_defaults_are_the_documented_build_parameters(answers):
    # a notebook or script calling keyness() or tfidf_terms() without arguments gets the published tables
    top_k, min_count = SPEC["top_k"].default, SPEC["min_count"].default
    by_default = keyness(answers)
    assert by_default.groupby("guest").size().max() == top_k  # some guest has more listed terms than that
    pd.testing.assert_frame_equal(by_default, keyness(answers, top_k=top_k, min_count=min_count))
    by_default = tfidf_terms(answers)
    assert by_default.groupby("guest").size().max() == top_k
    pd.testing.assert_frame_equal(by_default, tfidf_terms(answers, top_k=top_k))


# TF-IDF by hand. Paragraphs a1 {开源 1, 用户 1, 社区 2}, a2 {} and b1 {开源 2, 销售 1}: N = 3, smooth
# IDF ln((1 + N) / (1 + df)) + 1 = ln 4/3 + 1 for 开源 (df 2) and ln 2 + 1 for the others (df 1);
# sublinear TF 1 + ln tf over the guest's answers; each guest's row divided by its l2 norm.
IDF_2, IDF_1, TF_2 = math.log(4 / 3) + 1, math.log(2) + 1, 1 + math.log(2)


def _l2(weights):
    norm_ = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm_ for t, w in weights.items()}


def test_tfidf_on_the_toy_equals_the_hand_worked_weights():
    expected = {"A": _l2({"社区": TF_2 * IDF_1, "用户": 1 * IDF_1, "开源": 1 * IDF_2}),
                "B": _l2({"开源": TF_2 * IDF_2, "销售": 1 * IDF_1})}
    table = tfidf_terms(build_dfm(SEGMENTS, TOKENS), min_paragraphs=1)
    for guest, weights in expected.items():
        rows = table[table["guest"] == guest]
        assert rows["term"].tolist() == list(weights)  # highest weight first
        assert rows["score"].tolist() == pytest.approx(list(weights.values()), rel=1e-12)
        assert rows["rank"].tolist() == list(range(1, len(weights) + 1))
    rows = table.set_index(["guest", "term"])
    assert rows.loc[("A", "社区"), ["count", "paragraphs"]].tolist() == [2, 1]
    assert rows.loc[("B", "开源"), ["count", "paragraphs"]].tolist() == [2, 1]


def test_a_guests_only_word_found_in_every_paragraph_scores_one():
    # 共 is in both paragraphs: IDF ln(3/3) + 1 = 1; B says it once: TF 1; the l2-normalised row is (1)
    dfm = dfm_from_lists([["共", "甲"], ["共"]], pd.DataFrame({"guest": ["A", "B"]}))
    b = tfidf_terms(dfm, min_paragraphs=1).query("guest == 'B'")
    assert b[["term", "score"]].values.tolist() == [["共", pytest.approx(1.0)]]


def test_a_guest_is_never_listed_with_a_word_they_did_not_say():
    dfm = dfm_from_lists([["甲", "乙"], ["甲"], []], pd.DataFrame({"guest": ["A", "B", "C"]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # C's row of zeros is not divided by its zero norm
        table = tfidf_terms(dfm, min_paragraphs=0)
    assert table.loc[table["guest"] == "B", "term"].tolist() == ["甲"]
    assert "C" not in set(table["guest"])  # a guest without a content word has no characteristic term


def test_by_may_name_one_docvar_as_a_string():
    paragraphs = build_dfm(SEGMENTS, TOKENS)
    pd.testing.assert_frame_equal(tfidf_terms(paragraphs, by="guest", min_paragraphs=1),
                                  tfidf_terms(paragraphs, by=["guest"], min_paragraphs=1))
    pd.testing.assert_frame_equal(keyness(paragraphs, by="guest", min_count=1, min_guest_count=1),
                                  keyness(paragraphs, by=["guest"], min_count=1, min_guest_count=1))


def test_every_guest_is_listed_even_when_there_are_fewer_terms_than_guests():
    dfm = dfm_from_lists([["开源"], ["开源"], ["开源"]], pd.DataFrame({"guest": ["A", "B", "C"]}))
    table = tfidf_terms(dfm, min_paragraphs=1)
    assert table["guest"].tolist() == ["A", "B", "C"] and set(table["document"]) == {""}
