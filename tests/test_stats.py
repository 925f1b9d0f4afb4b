"""theme_by_guest and theme_balance as specifications.

Point estimates are checked against a toy interview worked by hand; intervals against scipy's
independent implementations, against their promised properties, and by simulating clustered
interviews with known rates (coverage). None of these recompute the code's own formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from analysis.stats import (
    BALANCE_COLUMNS,
    THEME_BY_GUEST_COLUMNS,
    answer_units,
    bootstrap_indices,
    rate_interval,
    bootstrap_weights,
    clopper_pearson,
    cluster_labels,
    cluster_proportion,
    cluster_rate,
    garwood,
    share_interval,
    theme_balance,
    theme_by_guest,
)
from analysis.themes import Theme

D = "doc"

# A division by zero or an invalid value anywhere is a bug here, not a warning to ignore.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def theme(theme_id):
    return Theme(theme_id, theme_id, theme_id, "toy", ("x",), (), ())


THEMES = [theme("PLG"), theme("SLG"), theme("ARR")]

# A toy chapter worked by hand. Guest 甲 answers two questions and one report-mode paragraph
# without a question; guest 乙 answers one question and carries neither PLG nor SLG.
#   id   guest role      question  tokens (punctuation excluded)  hits
#   q1   甲    question  Q1        -                              PLG (the heading carries PLG)
#   a1   甲    answer    Q1        3 (+1 "，")                     PLG ×2
#   a2   甲    answer    Q1        2                              PLG, SLG
#   q2   甲    question  Q2        -                              SLG
#   a3   甲    answer    Q2        4                              PLG
#   a4   甲    answer    Q2        1                              -
#   a5   甲    answer    ""        5                              SLG, ARR ×3
#   q3   乙    question  Q3        -                              PLG
#   b1   乙    answer    Q3        2                              ARR
SEGMENTS = pd.DataFrame(
    [("q1", "甲", "question", "Q1"), ("a1", "甲", "answer", "Q1"), ("a2", "甲", "answer", "Q1"),
     ("q2", "甲", "question", "Q2"), ("a3", "甲", "answer", "Q2"), ("a4", "甲", "answer", "Q2"),
     ("a5", "甲", "answer", ""), ("q3", "乙", "question", "Q3"), ("b1", "乙", "answer", "Q3")],
    columns=["segment_id", "guest", "role", "question_id"],
).assign(document=D)
TOKENS = pd.DataFrame(
    [(sid, tok) for sid, toks in {
        "a1": ["开源", "社区", "用户", "，"], "a2": ["销售", "团队"], "a3": ["开源", "免费", "用户", "增长"],
        "a4": ["是的"], "a5": ["订阅", "续费", "收入", "大客户", "ARR"], "b1": ["订阅", "收入"],
        "q1": ["社区"],
    }.items() for tok in toks],
    columns=["segment_id", "token"],
).assign(sentence_index=0, is_stopword=False)  # the tokens table's schema; no stopwords in this toy
HITS = pd.DataFrame(
    [("q1", "PLG"), ("a1", "PLG"), ("a1", "PLG"), ("a2", "PLG"), ("a2", "SLG"), ("q2", "SLG"), ("a3", "PLG"),
     ("a5", "SLG"), ("a5", "ARR"), ("a5", "ARR"), ("a5", "ARR"), ("q3", "PLG"), ("b1", "ARR")],
    columns=["segment_id", "theme"],
)


@pytest.fixture
def toy_table():
    return theme_by_guest(SEGMENTS, TOKENS, HITS, THEMES, resamples=500, seed=3).set_index(["guest", "theme"])


def test_the_table_has_the_documented_columns():
    table = theme_by_guest(SEGMENTS, TOKENS, HITS, THEMES, resamples=20, seed=3)
    assert list(table.columns) == THEME_BY_GUEST_COLUMNS


def test_counts_shares_and_rates_equal_the_hand_worked_toy(toy_table):
    # 甲: 5 answer paragraphs in 3 clusters (Q1, Q2, and a5 on its own); 15 tokens without "，".
    expected = {
        # theme: paragraphs, share, hits, hits_per_1k
        "PLG": (3, 3 / 5, 4, 1000 * 4 / 15),
        "SLG": (2, 2 / 5, 2, 1000 * 2 / 15),
        "ARR": (1, 1 / 5, 3, 1000 * 3 / 15),
    }
    for theme_id, (k, share, hits, rate) in expected.items():
        row = toy_table.loc[("甲", theme_id)]
        assert (row["answer_paragraphs"], row["clusters"], row["tokens"]) == (5, 3, 15)
        assert (row["paragraphs"], row["hits"]) == (k, hits)
        assert row["share"] == pytest.approx(share)
        assert row["hits_per_1k"] == pytest.approx(rate)
    乙 = toy_table.loc[("乙", "ARR")]
    assert (乙["answer_paragraphs"], 乙["clusters"], 乙["paragraphs"], 乙["tokens"]) == (1, 1, 1, 2)
    assert 乙["hits_per_1k"] == pytest.approx(500.0)


def test_prompted_counts_theme_paragraphs_whose_question_heading_carries_the_theme(toy_table):
    # PLG: Q1's heading carries PLG → a1, a2 prompted; a3 answers Q2 (heading SLG) → unprompted.
    assert tuple(toy_table.loc[("甲", "PLG"), ["prompted", "unprompted"]]) == (2, 1)
    # SLG: a2 answers Q1 (heading PLG, not SLG) and a5 answers no question → both unprompted.
    assert tuple(toy_table.loc[("甲", "SLG"), ["prompted", "unprompted"]]) == (0, 2)
    # 乙's heading carries PLG, but 乙 never answers with PLG: nothing to be prompted.
    assert tuple(toy_table.loc[("乙", "PLG"), ["prompted", "unprompted"]]) == (0, 0)


def test_a_heading_of_another_guests_question_does_not_prompt():
    # The same question id under two guests would be a parser bug; here Q3 belongs to 乙 only, so
    # a PLG hit on q3 must not make 甲's PLG paragraphs prompted (checked: 甲 PLG prompted is 2, from Q1).
    table = theme_by_guest(SEGMENTS, TOKENS, HITS[HITS["segment_id"] != "q1"], THEMES, resamples=50, seed=1)
    row = table.set_index(["guest", "theme"]).loc[("甲", "PLG")]
    assert (row["prompted"], row["unprompted"]) == (0, 3)


def test_a_paragraph_without_a_question_is_its_own_cluster():
    units = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s4", "s5"], "question_id": ["Q1", "", None, None, "Q1"]})
    assert cluster_labels(units).tolist() == ["Q1", "s2", "s3", "s4", "Q1"]


def test_the_toy_rows_hold_every_documented_column_by_hand(toy_table):
    row = toy_table.reset_index().iloc[0].to_dict()
    expected = {"document": D, "guest": "甲", "theme": "PLG", "answer_paragraphs": 5, "clusters": 3,
                "paragraphs": 3, "hits": 4, "tokens": 15, "prompted": 2, "unprompted": 1}
    assert {k: row[k] for k in expected} == expected
    assert list(toy_table.index.get_level_values("guest").unique()) == ["甲", "乙"]  # chapter order


def test_the_toy_intervals_are_those_of_the_question_totals(toy_table):
    # 甲's clusters in chapter order: Q1 = a1 + a2, Q2 = a3 + a4, a5 alone.
    #   paragraphs per cluster 2, 2, 1; tokens 5, 5, 5; PLG paragraphs 2, 1, 0; PLG hits 3, 1, 0;
    #   ARR paragraphs 0, 0, 1; ARR hits 0, 0, 3.
    weights = bootstrap_weights(3, 500, 3)  # the table was built with resamples=500, seed=3
    for theme_id, paragraphs, hits in [("PLG", [2, 1, 0], [3, 1, 0]), ("ARR", [0, 0, 1], [0, 0, 3])]:
        row = toy_table.loc[("甲", theme_id)]
        low, high, deff = cluster_proportion(paragraphs, [2, 2, 1], weights)
        assert (row["share_low"], row["share_high"], row["design_effect"]) == pytest.approx((low, high, deff))
        rate_low, rate_high = cluster_rate(hits, [5, 5, 5], weights)
        assert (row["hits_per_1k_low"], row["hits_per_1k_high"]) == pytest.approx((1000 * rate_low, 1000 * rate_high))


def test_the_same_seed_gives_the_same_table_and_another_seed_another():
    first = theme_by_guest(SEGMENTS, TOKENS, HITS, THEMES, resamples=200, seed=1)
    pd.testing.assert_frame_equal(first, theme_by_guest(SEGMENTS, TOKENS, HITS, THEMES, resamples=200, seed=1))
    # Ten questions of four paragraphs, PLG filling the first: a design effect well above 1, so
    # the bootstrap (and its seed) matters.
    segments = pd.DataFrame([(f"p{i}", "甲", "answer", f"Q{i // 4}", D) for i in range(40)], columns=SEGMENTS.columns)
    hits = pd.DataFrame({"segment_id": ["p0", "p1", "p2", "p3", "p4", "p5", "p9", "p13"], "theme": "PLG"})
    tokens = pd.DataFrame({"segment_id": [f"p{i}" for i in range(40)], "token": "词", "sentence_index": 0,
                           "is_stopword": False})
    one, two = (theme_by_guest(segments, tokens, hits, THEMES[:1], resamples=200, seed=seed).iloc[0] for seed in (1, 2))
    assert one["design_effect"] > 1 and one["share_low"] != two["share_low"]
    balance = theme_balance(SEGMENTS, HITS, resamples=200, seed=1)
    pd.testing.assert_frame_equal(balance, theme_balance(SEGMENTS, HITS, resamples=200, seed=1))


def test_answer_units_count_words_not_punctuation_and_zero_for_an_empty_answer():
    segments = pd.concat([SEGMENTS, pd.DataFrame([("a6", "甲", "answer", "Q2", D)], columns=SEGMENTS.columns)])
    units = answer_units(segments, TOKENS)
    assert list(units.columns) == ["segment_id", "document", "guest", "question_id", "tokens"]
    assert units.set_index("segment_id")["tokens"].to_dict() == {"a1": 3, "a2": 2, "a3": 4, "a4": 1, "a5": 5,
                                                                 "b1": 2, "a6": 0}
    assert list(units.index) == list(range(7)) and units["tokens"].dtype == "int64"


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_guest_without_words_has_no_rate_rather_than_a_division_by_zero():
    segments = pd.DataFrame([("a", "丙", "answer", "Q", D)], columns=SEGMENTS.columns)
    hits = pd.DataFrame({"segment_id": ["a"], "theme": ["PLG"]})
    row = theme_by_guest(segments, TOKENS.iloc[0:0], hits, THEMES[:1], resamples=20, seed=1).iloc[0]
    assert row["tokens"] == 0 and row["paragraphs"] == 1
    assert np.isnan(row["hits_per_1k"]) and np.isnan(row["hits_per_1k_low"]) and np.isnan(row["hits_per_1k_high"])


def test_a_codebook_theme_that_nothing_matches_has_rows_of_zeros():
    # a theme of the codebook without a single hit in the chapter is a finding (nobody spoke of it), not a KeyError
    table = theme_by_guest(SEGMENTS, TOKENS, HITS, [*THEMES, theme("NONE")], resamples=20, seed=3)
    none = table[table["theme"] == "NONE"]
    assert none["guest"].tolist() == ["甲", "乙"]
    assert none[["paragraphs", "hits", "share", "prompted"]].to_numpy().tolist() == [[0, 0, 0.0, 0]] * 2


def test_balance_sign_and_value_equal_the_hand_worked_toy():
    table = theme_balance(SEGMENTS, HITS, resamples=400, seed=5).set_index("guest")
    assert ["guest", *[c for c in BALANCE_COLUMNS if c != "guest"]] == list(table.reset_index().columns)
    甲 = table.loc["甲"]
    # PLG in a1, a2, a3 (3 paragraphs); SLG in a2, a5 (2): (3 − 2) / (3 + 2) = +0.2, leaning PLG.
    assert (甲["paragraphs_a"], 甲["paragraphs_b"]) == (3, 2)
    assert 甲["balance"] == pytest.approx(0.2)
    assert -1 <= 甲["balance_low"] < 甲["balance"] < 甲["balance_high"] <= 1
    # 乙 has neither theme: undefined, and every resample is undefined.
    assert list(table.index) == ["甲", "乙"]  # chapter order
    assert (甲["document"], 甲["theme_a"], 甲["theme_b"], 甲["resamples"], 甲["seed"], 甲["resamples_undefined"]) == (
        D, "PLG", "SLG", 400, 5, 0)
    # The interval is 2q − 1 for q = PLG / (PLG + SLG) over the question totals:
    # Q1 (a1 PLG, a2 PLG+SLG): 2 of 3; Q2 (a3 PLG): 1 of 1; a5 (SLG): 0 of 1.
    low, high, _ = cluster_proportion([2, 1, 0], [3, 1, 1], bootstrap_weights(3, 400, 5))
    assert (甲["balance_low"], 甲["balance_high"]) == pytest.approx((2 * low - 1, 2 * high - 1))
    # 乙 has neither theme: undefined, and every resample is undefined.
    乙 = table.loc["乙"]
    assert np.isnan(乙["balance"]) and np.isnan(乙["balance_low"]) and 乙["resamples_undefined"] == 400


def test_an_even_balance_is_zero_and_a_resample_with_only_one_theme_is_defined():
    segments = pd.DataFrame({"segment_id": ["a", "b"], "guest": "甲", "role": "answer",
                             "question_id": ["Q1", "Q2"], "document": D})
    hits = pd.DataFrame({"segment_id": ["a", "b"], "theme": ["PLG", "SLG"]})
    row = theme_balance(segments, hits, resamples=300, seed=2).iloc[0]
    assert row["balance"] == 0.0 and row["resamples_undefined"] == 0
    assert row["balance_low"] < 0 < row["balance_high"]


def test_a_guest_with_only_the_second_theme_leans_fully_negative():
    hits = pd.DataFrame([("a2", "SLG"), ("a5", "SLG")], columns=["segment_id", "theme"])
    row = theme_balance(SEGMENTS, hits, resamples=200, seed=1).set_index("guest").loc["甲"]
    assert row["balance"] == -1.0 and row["balance_low"] == -1.0 and row["balance_high"] > -1.0


def test_undefined_resamples_are_counted_at_the_rate_chance_predicts():
    # Two clusters, only one carries PLG or SLG: a resample of 2 clusters misses it with
    # probability (1/2)² = 1/4. Over 4000 resamples the count is 1000 ± 4·27 (binomial sd).
    segments = pd.DataFrame({"segment_id": ["a", "b"], "guest": "甲", "role": "answer",
                             "question_id": ["Q1", "Q2"], "document": D})
    hits = pd.DataFrame({"segment_id": ["a"], "theme": ["PLG"]})
    row = theme_balance(segments, hits, resamples=4000, seed=11).iloc[0]
    sd = np.sqrt(4000 * 0.25 * 0.75)
    assert abs(row["resamples_undefined"] - 1000) < 4 * sd
    assert row["resamples"] == 4000 and row["balance"] == 1.0


def test_clopper_pearson_equals_scipy_binomtest():
    for k, n in [(0, 17), (1, 17), (3, 17), (8, 17), (17, 17), (7, 8), (16, 52)]:
        expected = sps.binomtest(k, n).proportion_ci(0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_garwood_equals_the_chi_square_form_of_the_exact_poisson_interval():
    for count in [1, 2, 5, 46]:
        low, high = garwood(count)
        assert low == pytest.approx(sps.chi2.ppf(0.025, 2 * count) / 2)
        assert high == pytest.approx(sps.chi2.ppf(0.975, 2 * count + 2) / 2)
    assert garwood(0) == (0.0, pytest.approx(-np.log(0.025)))  # the "rule of 3.7" for no event


def test_without_clustering_information_the_share_interval_is_exact_binomial():
    # One cluster (no between-question variation can be estimated) or no bootstrap spread:
    # the interval is scipy's Clopper–Pearson for k of n.
    expected = sps.binomtest(3, 12).proportion_ci(0.95, method="exact")
    low, high, deff = share_interval(3, 12, np.full(100, 0.25), clusters=1)
    assert (low, high, deff) == (pytest.approx(expected.low), pytest.approx(expected.high), 1.0)


def test_the_share_interval_by_hand_for_a_known_bootstrap_variance():
    # k = 6 of n = 20 in G = 5 questions; bootstrap draws 0.2 and 0.4 alternate: variance (ddof 1)
    # of 1000 draws = 0.01 · 1000/999; corrected by G/(G−1) = 5/4 → 0.0125·1000/999.
    # Binomial variance 0.3·0.7/20 = 0.0105 → design effect 1.1905; effective n = 20 / deff
    # · (1.959964 / t_{.975,4} = 2.776445)² = 16.783 · 0.49833 = 8.3636; k_eff = 0.3 · n_eff.
    draws = np.tile([0.2, 0.4], 500)
    variance = 0.01 * 1000 / 999 * 5 / 4
    deff = variance / 0.0105
    n_eff = 20 / deff * (1.959963985 / 2.776445105) ** 2
    low, high, got_deff = share_interval(6, 20, draws, clusters=5)
    assert got_deff == pytest.approx(deff)
    assert n_eff == pytest.approx(8.3636, abs=1e-3)
    assert low == pytest.approx(sps.beta.ppf(0.025, 0.3 * n_eff, 0.7 * n_eff + 1))
    assert high == pytest.approx(sps.beta.ppf(0.975, 0.3 * n_eff + 1, 0.7 * n_eff))


def test_a_design_effect_below_one_is_not_used_to_narrow_the_interval():
    # Bootstrap spread smaller than binomial: the effective n stays n (Korn–Graubard's cap).
    low, high, deff = share_interval(6, 20, np.tile([0.29, 0.31], 50), clusters=200)
    assert deff == 1.0
    n_eff = 20 * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 199)) ** 2
    expected = clopper_pearson(0.3 * n_eff, n_eff)
    assert (low, high) == pytest.approx(expected)


def test_more_spread_across_questions_gives_a_wider_interval():
    narrow = share_interval(6, 20, np.tile([0.25, 0.35], 50), clusters=5)
    wide = share_interval(6, 20, np.tile([0.1, 0.5], 50), clusters=5)
    assert wide[0] < narrow[0] and wide[1] > narrow[1] and wide[2] > narrow[2]


def test_fewer_questions_give_a_wider_interval_for_the_same_spread():
    draws = np.tile([0.25, 0.35], 50)
    few, many = share_interval(6, 20, draws, clusters=3), share_interval(6, 20, draws, clusters=30)
    assert few[0] < many[0] and few[1] > many[1]


def test_the_rate_interval_by_hand_without_spread_is_exact_poisson():
    # 4 hits in 2000 tokens, one cluster: Garwood's interval divided by the exposure.
    low, high = cluster_rate([4], [2000], bootstrap_weights(1, 10, 0))
    assert low == pytest.approx(sps.chi2.ppf(0.025, 8) / 2 / 2000)
    assert high == pytest.approx(sps.chi2.ppf(0.975, 10) / 2 / 2000)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 8), st.integers(0, 8)), min_size=1, max_size=12), st.integers(0, 10))
def test_share_intervals_are_sane_for_any_interview(clusters, seed):
    sizes = np.array([m for m, _ in clusters])
    positives = np.array([min(m, k) for m, k in clusters])
    k, n = positives.sum(), sizes.sum()
    low, high, deff = cluster_proportion(positives, sizes, bootstrap_weights(len(sizes), 200, seed))
    assert 0 <= low <= k / n <= high <= 1 and deff >= 1
    assert high > low  # never a single point, never [0, 0]
    assert (low > 0) == (k >= 1)
    assert (high < 1) == (k < n)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.integers(0, 6)), min_size=1, max_size=10), st.integers(0, 10))
def test_rate_intervals_are_sane_for_any_interview(clusters, seed):
    tokens = np.array([t for t, _ in clusters])
    counts = np.array([c for _, c in clusters])
    low, high = cluster_rate(counts, tokens, bootstrap_weights(len(tokens), 200, seed))
    rate = counts.sum() / tokens.sum()
    assert 0 <= low <= rate <= high and high > 0
    assert (low > 0) == (counts.sum() >= 1)


def test_real_chapter_intervals_are_never_a_point_and_bounded_away_from_zero(segments, tokens):
    from analysis.themes import find_theme_hits, load_codebook

    themes = load_codebook()
    table = theme_by_guest(segments, tokens, find_theme_hits(segments, themes), themes, resamples=300, seed=2)
    assert (table["share_high"] > table["share_low"]).all()
    assert ((table["share_low"] > 0) == (table["paragraphs"] > 0)).all()
    assert ((table["hits_per_1k_low"] > 0) == (table["hits"] > 0)).all()
    assert (table["share_low"] <= table["share"]).all() and (table["share"] <= table["share_high"]).all()
    assert table.groupby("guest")["clusters"].first().to_dict() == {"徐至行": 10, "刘景媛": 13, "丁宁": 6, "刘超": 8}


# ---------------------------------------------------------------------------------------------
# Coverage: simulated interviews whose true rate is known.
#
# Ten questions with 1–9 answer paragraphs each (like a guest here: 6–13 questions, 17–52
# paragraphs). Each question has its own rate drawn from a beta distribution with mean μ and
# intraclass correlation ρ — themes cluster by question as they do in the chapter. The target is
# μ. 300 simulations: if the true coverage were 95%, the observed rate would fall below 0.88 with
# probability < 1e-6 (binomial sd 0.0126, 0.88 is 5.5 sd below); a method that really covered 88%
# or less fails about half the time or more. The naive paragraph bootstrap is run alongside to
# show the simulation can tell: it covers ≈ 75% here.
# ---------------------------------------------------------------------------------------------
SIZES = np.array([9, 6, 5, 5, 4, 4, 3, 3, 2, 1])
SIMS = 300
FLOOR = 0.88


def _simulate_shares(mu, rho, seed):
    rng = np.random.default_rng(seed)
    a, b = mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho
    covered = naive_covered = 0
    for sim in range(SIMS):
        positives = rng.binomial(SIZES, rng.beta(a, b, len(SIZES)))
        low, high, _ = cluster_proportion(positives, SIZES, bootstrap_weights(len(SIZES), 300, sim))
        covered += low <= mu <= high
        paragraphs = np.concatenate([[1] * k + [0] * (m - k) for k, m in zip(positives, SIZES)])
        means = paragraphs[rng.integers(0, len(paragraphs), (300, len(paragraphs)))].mean(axis=1)
        naive_low, naive_high = np.percentile(means, [2.5, 97.5])
        naive_covered += naive_low <= mu <= naive_high
    return covered / SIMS, naive_covered / SIMS


@pytest.mark.parametrize("mu, rho", [(0.3, 0.3), (0.08, 0.2)], ids=["common-theme", "rare-theme"])
def test_share_intervals_cover_the_true_rate_of_clustered_interviews(mu, rho):
    coverage, naive = _simulate_shares(mu, rho, seed=2024)
    assert coverage >= FLOOR, coverage
    assert naive < FLOOR, naive  # the paragraph bootstrap the issue reported would fail this test


def test_rate_intervals_cover_the_true_rate_of_clustered_interviews():
    # Hits per token: each question has its own rate (gamma, mean λ, shape 0.5 → strong
    # clustering), answers of ~70 tokens per paragraph.
    rng = np.random.default_rng(7)
    lam, tokens = 0.006, SIZES * 70
    covered = 0
    for sim in range(SIMS):
        counts = rng.poisson(tokens * rng.gamma(0.5, lam / 0.5, len(SIZES)))
        low, high = cluster_rate(counts, tokens, bootstrap_weights(len(SIZES), 300, sim))
        covered += low <= lam <= high
    assert covered / SIMS >= FLOOR, covered / SIMS


# --- rates and the balance by hand, and edge cases ----------------------------------------------

def test_the_rate_interval_by_hand_for_known_resamples():
    # Two questions: 6 hits in 100 tokens, 0 hits in 100 tokens. Three resamples, given as weights:
    # (Q1, Q1) → 12/200 = .06, (Q2, Q2) → 0, (Q1, Q2) → 6/200 = .03. Their variance (ddof 1) is
    # .0009, corrected by G/(G−1) = 2 → .0018. Poisson variance of the rate .03 over 200 tokens:
    # .03/200 = .00015 → design effect 12; effective exposure 200/12 · (z / t_{.975,1})², floored at
    # 1/rate (one effective hit) = 33.3 tokens, since (1.96/12.706)² · 16.7 = 0.40 is less.
    weights = np.array([[2, 0], [0, 2], [1, 1]])
    low, high = cluster_rate([6, 0], [100, 100], weights)
    exposure = 1 / 0.03
    assert low == pytest.approx(sps.chi2.ppf(0.025, 2) / 2 / exposure)
    assert high == pytest.approx(sps.chi2.ppf(0.975, 4) / 2 / exposure)


def test_the_rate_interval_with_many_questions_and_no_floor():
    # Ten questions of 100 tokens, 2 hits in each of the first five and 1 in the others: rate
    # .015. Resamples as given: the first five twice → .02, the others twice → .01, each once → .015.
    weights = np.array([[2] * 5 + [0] * 5, [0] * 5 + [2] * 5, [1] * 10])
    low, high = cluster_rate([2] * 5 + [1] * 5, [100] * 10, weights)
    variance = np.var([0.02, 0.01, 0.015], ddof=1) * 10 / 9  # 2.78e-5; Poisson 1.5e-5: deff 1.85
    exposure = 1000 / (variance / (0.015 / 1000)) * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 9)) ** 2
    assert exposure > 1 / 0.015  # the floor does not bind here
    assert low == pytest.approx(sps.gamma.ppf(0.025, 0.015 * exposure) / exposure)
    assert high == pytest.approx(sps.gamma.ppf(0.975, 0.015 * exposure + 1) / exposure)


def test_one_hit_keeps_a_positive_lower_bound_however_clustered():
    low, high = cluster_rate([1, 0], [10, 1000], np.array([[2, 0], [0, 2], [1, 1]]))
    # the floor holds one effective hit in all 1010 tokens: Garwood's interval for 1 event
    assert low == pytest.approx(sps.chi2.ppf(0.025, 2) / 2 / 1010)
    assert high == pytest.approx(sps.chi2.ppf(0.975, 4) / 2 / 1010)


def test_no_hit_in_five_questions_gives_the_t_widened_exact_upper_bound():
    low, high = cluster_rate([0] * 5, [200] * 5, bootstrap_weights(5, 50, 1))
    exposure = 1000 * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 4)) ** 2
    assert low == 0.0 and high == pytest.approx(-np.log(0.025) / exposure)


def test_the_confidence_level_is_passed_through():
    weights = np.array([[2, 0], [0, 2], [1, 1]])
    low50, high50 = cluster_rate([6, 0], [100, 100], weights, level=0.5)
    exposure = 1 / 0.03
    assert low50 == pytest.approx(sps.gamma.ppf(0.25, 1) / exposure)
    assert high50 == pytest.approx(sps.gamma.ppf(0.75, 2) / exposure)
    # Shares: resampled 1, 0, .5 — a huge design effect, so the floor holds: one positive and one
    # negative paragraph (n_eff = 2, k_eff = 1).
    p_low, p_high, _ = cluster_proportion([3, 0], [3, 3], weights, level=0.5)
    expected = sps.binomtest(1, 2).proportion_ci(0.5, method="exact")
    assert (p_low, p_high) == pytest.approx((expected.low, expected.high))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_resample_of_wordless_questions_is_left_out_quietly():
    low, high = cluster_rate([1, 0], [10, 0], np.array([[0, 2], [2, 0], [1, 1]]))
    assert 0 < low < high


def test_the_balance_interval_follows_the_question_totals_when_they_vary():
    # Ten questions of four paragraphs; PLG twice in Q0, once in Q1 and Q3, SLG once in Q2, Q4,
    # Q5, Q6: a design effect above 1, so the resamples matter.
    segments = pd.DataFrame([(f"p{i}", "甲", "answer", f"Q{i // 4}", D) for i in range(40)], columns=SEGMENTS.columns)
    hits = pd.DataFrame({"segment_id": ["p0", "p1", "p4", "p12", "p8", "p16", "p20", "p24"],
                         "theme": ["PLG"] * 4 + ["SLG"] * 4})
    row = theme_balance(segments, hits, resamples=500, seed=9).iloc[0]
    a = np.array([2, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    b = np.array([0, 0, 1, 0, 1, 1, 1, 0, 0, 0])
    weights = bootstrap_weights(10, 500, 9)
    defined = weights @ (a + b) > 0
    draws = (weights @ a)[defined] / (weights @ (a + b))[defined]
    low, high, deff = share_interval(4, 8, draws, 10)
    assert deff > 1 and row["resamples_undefined"] == int((~defined).sum())
    assert (row["balance_low"], row["balance_high"]) == pytest.approx((2 * low - 1, 2 * high - 1))
    assert row["balance"] == 0.0
    other = theme_balance(segments, hits, resamples=500, seed=10).iloc[0]
    assert other["balance_low"] != row["balance_low"]  # the seed is used


def test_no_answers_give_empty_tables_with_the_documented_columns():
    questions = SEGMENTS[SEGMENTS["role"] == "question"]
    assert list(theme_by_guest(questions, TOKENS, HITS, THEMES, resamples=10).columns) == THEME_BY_GUEST_COLUMNS
    assert list(theme_balance(questions, HITS, resamples=10).columns) == BALANCE_COLUMNS


def test_bootstrap_weights_count_how_often_each_question_is_drawn():
    weights = bootstrap_weights(4, 300, 5)
    draws = bootstrap_indices(4, 300, 5)
    assert weights.shape == (300, 4) and (weights.sum(axis=1) == 4).all()
    assert (weights[:, 2] == (draws == 2).sum(axis=1)).all()
    assert draws.min() == 0 and draws.max() == 3


def test_two_questions_are_a_t_with_one_degree_of_freedom():
    # deff 1 (no spread), 500 of 1000 paragraphs in 2 questions: n_eff = 1000 · (z / t_{.975,1})²
    # = 1000 · (1.96 / 12.706)² = 23.8, well above the floor of 2.
    low, high, _ = share_interval(500, 1000, np.full(10, 0.5), clusters=2)
    n_eff = 1000 * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 1)) ** 2
    assert n_eff == pytest.approx(23.79, abs=0.01)
    assert (low, high) == pytest.approx(clopper_pearson(0.5 * n_eff, n_eff))


def test_two_resamples_of_two_questions_still_give_a_variance():
    # draws .2 and .6 (ddof 1: .08), G/(G−1) = 2 → .16; binomial .4·.6/10 = .024 → deff 6.67
    _, _, deff = share_interval(4, 10, np.array([0.2, 0.6]), clusters=2)
    assert deff == pytest.approx(0.16 / 0.024)


def test_nothing_to_count_gives_no_interval():
    assert all(np.isnan(clopper_pearson(0, 0)))
    assert all(np.isnan(share_interval(0, 0, np.array([0.1, 0.2]), 3)))
    assert all(np.isnan(rate_interval(0, 0, np.array([0.1, 0.2]), 3)))


@pytest.mark.parametrize("k, floor_k, floor_n", [
    (1, 1, 20),    # one positive: 1 / p = 20 = n, so no shrinkage at all
    (2, 1, 10),    # two positives: one positive in 10 effective paragraphs
    (19, 19, 20),  # one negative: 1 / (1 − p) = 20 = n, no shrinkage
    (18, 9, 10),   # two negatives: one negative in 10 effective paragraphs
])
def test_the_floor_keeps_one_positive_and_one_negative_paragraph(k, floor_k, floor_n):
    # Draws alternating 0 and 1 over 5 questions: a design effect so large that without the floor
    # the effective n would fall below 1.
    low, high, _ = share_interval(k, 20, np.tile([0.0, 1.0], 50), clusters=5)
    assert (low, high) == pytest.approx(clopper_pearson(floor_k, floor_n))


def test_none_of_seventeen_paragraphs_in_six_questions_by_hand():
    # 丁宁's AI_INFRA cell: 0 of 17, 6 questions. No spread to estimate (design effect 1); the
    # t-correction gives n_eff = 17 · (1.96 / 2.571)² = 9.88; Clopper–Pearson upper bound for 0 of
    # 9.88 = 1 − 0.025^(1/9.88) = 0.311. Never [0, 0].
    low, high, deff = share_interval(0, 17, np.zeros(100), clusters=6)
    n_eff = 17 * (sps.norm.ppf(0.975) / sps.t.ppf(0.975, 5)) ** 2
    assert (low, deff) == (0.0, 1.0)
    assert high == pytest.approx(1 - 0.025 ** (1 / n_eff)) and high == pytest.approx(0.311, abs=1e-3)


# -- on the real chapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def themed(segments, tokens):
    from analysis.themes import find_theme_hits, load_codebook

    themes = load_codebook()
    return themes, find_theme_hits(segments, themes)


def test_real_chapter_intervals_contain_the_estimate_and_repeat_with_the_same_seed(segments, tokens, themed):
    themes, hits = themed
    first = theme_by_guest(segments, tokens, hits, themes, resamples=500, seed=7)
    pd.testing.assert_frame_equal(first, theme_by_guest(segments, tokens, hits, themes, resamples=500, seed=7))
    assert (first["share_low"] <= first["share"] + 1e-12).all() and (first["share"] <= first["share_high"] + 1e-12).all()
    rates = first.dropna(subset=["hits_per_1k_low"])
    assert ((rates["hits_per_1k_low"] <= rates["hits_per_1k"] + 1e-9)
            & (rates["hits_per_1k"] <= rates["hits_per_1k_high"] + 1e-9)).all()


def test_real_chapter_paragraph_counts_match_a_count_from_the_hits_themselves(segments, tokens, themed):
    themes, hits = themed
    table = theme_by_guest(segments, tokens, hits, themes, resamples=100).set_index(["guest", "theme"])
    answers = segments[segments["role"] == "answer"]
    assert table.groupby("guest")["answer_paragraphs"].first().to_dict() == {"徐至行": 52, "刘景媛": 41, "丁宁": 17, "刘超": 29}
    # an independent count: the set of 丁宁's answer paragraphs with an OSS_STRATEGY hit
    ding = set(answers.loc[answers["guest"] == "丁宁", "segment_id"])
    tagged = set(hits.loc[hits["theme"] == "OSS_STRATEGY", "segment_id"]) & ding
    assert table.loc[("丁宁", "OSS_STRATEGY"), "paragraphs"] == len(tagged) == 8


def test_real_chapter_balance_is_in_range_with_its_interval(segments, themed):
    _, hits = themed
    table = theme_balance(segments, hits, resamples=300, seed=1).dropna(subset=["balance"])
    assert table["balance"].between(-1, 1).all()
    assert ((table["balance_low"] <= table["balance"] + 1e-12) & (table["balance"] <= table["balance_high"] + 1e-12)).all()


# -- the vectorised table equals the per-cell definition, bit for bit ----------------------------
#
# theme_by_guest and theme_balance compute every guest × theme cell in a few array operations. The
# published tables must not change by a single bit, so the array code is checked against the plain
# Python formula of the module doc, one cell at a time (``_plain_share_interval`` and
# ``_plain_rate_interval`` below: the scalar code as it was before the tables were vectorised), and
# the tables against a loop over guests and themes calling cluster_proportion / cluster_rate.

from math import inf  # noqa: E402

from scipy import special  # noqa: E402

from analysis.stats import (  # noqa: E402
    _bootstrap_variance,
    _bootstrap_variances,
    _cluster_totals,
    _rate_bounds,
    _share_bounds,
    _t_shrink,
    guest_clusters,
)


def _plain_share_interval(k, n, variance, clusters, level=0.95):
    if n <= 0:
        return (np.nan, np.nan, np.nan)
    p = k / n
    binomial = p * (1 - p) / n
    deff = max(1.0, variance / binomial) if binomial > 0 else 1.0
    n_eff = n / deff * _t_shrink(clusters, level)
    floor = max(1 / p if k > 0 else 0.0, 1 / (1 - p) if k < n else 0.0)
    n_eff = min(n, max(n_eff, floor))
    k_eff, alpha = p * n_eff, 1 - level
    low = 0.0 if k_eff <= 0 else float(special.betaincinv(k_eff, n_eff - k_eff + 1, alpha / 2))
    high = 1.0 if k_eff >= n_eff else float(special.betaincinv(k_eff + 1, n_eff - k_eff, 1 - alpha / 2))
    return low, high, deff


def _plain_rate_interval(count, exposure, variance, clusters, level=0.95):
    if exposure <= 0:
        return (np.nan, np.nan)
    rate = count / exposure
    poisson = rate / exposure
    deff = max(1.0, variance / poisson) if poisson > 0 else 1.0
    exposure_eff = min(exposure, exposure / deff * _t_shrink(clusters, level))
    if count > 0:
        exposure_eff = min(exposure, max(exposure_eff, 1 / rate))
    effective, alpha = rate * exposure_eff, 1 - level
    low = 0.0 if effective <= 0 else float(special.gammaincinv(effective, alpha / 2))
    high = float(special.gammaincinv(effective + 1, 1 - alpha / 2))
    return low / exposure_eff, high / exposure_eff


def _bits(values):
    """Floats as their bit patterns (NaN equal to NaN, 0.0 unequal to −0.0)."""
    return np.asarray(values, dtype=float).view(np.int64).tolist()


# cells that take every branch: k = 0, k = n (with and without a variance: the design effect is 1
# there whatever the variance, as binomial variance 0 leaves nothing to compare), n = 0, the floor binding at either end, a design
# effect below 1, one cluster, two clusters, a huge variance, and a NaN variance (Python's
# max(1.0, NaN) is 1.0; numpy's maximum would be NaN)
SHARE_CELLS = [(0, 17, 0.0, 6), (17, 17, 0.0, 6), (0, 0, 0.0, 3), (1, 20, 0.5, 5), (19, 20, 0.5, 5),
               (6, 20, 0.001, 200), (6, 20, 0.0125, 5), (3, 12, 0.0, 1), (500, 1000, 0.0, 2), (4, 10, 0.16, 2),
               (2, 20, 0.25, 5), (18, 20, 0.25, 5), (7, 52, 0.004, 13), (6, 20, np.nan, 5),
               (0, 17, 0.01, 6), (17, 17, 0.01, 6)]


def test_the_share_formula_on_arrays_equals_the_plain_formula_cell_by_cell():
    k, n, variance, clusters = (np.array(column) for column in zip(*SHARE_CELLS))
    shrink = [_t_shrink(g, 0.95) for g in clusters]
    low, high, deff = _share_bounds(k, n, variance, shrink)
    expected = [_plain_share_interval(*cell) for cell in SHARE_CELLS]
    assert _bits(low) == _bits([e[0] for e in expected])
    assert _bits(high) == _bits([e[1] for e in expected])
    assert _bits(deff) == _bits([e[2] for e in expected])
    low50, high50, _ = _share_bounds(k, n, variance, [_t_shrink(g, 0.5) for g in clusters], level=0.5)
    expected50 = [_plain_share_interval(*cell, level=0.5) for cell in SHARE_CELLS]
    assert _bits(low50) == _bits([e[0] for e in expected50]) and _bits(high50) == _bits([e[1] for e in expected50])


RATE_CELLS = [(0, 1000, 0.0, 5), (4, 2000, 0.0, 1), (6, 200, 0.0018, 2), (15, 1000, 2.78e-5, 10),
              (1, 1010, 1e-3, 2), (0, 0, 0.0, 3), (3, 0, 0.0, 2), (46, 9000, 1e-6, 13), (2, 500, inf, 4), (2, 500, np.nan, 4)]


def test_the_rate_formula_on_arrays_equals_the_plain_formula_cell_by_cell():
    count, exposure, variance, clusters = (np.array(column) for column in zip(*RATE_CELLS))
    for level in (0.95, 0.5):
        low, high = _rate_bounds(count, exposure, variance, [_t_shrink(g, level) for g in clusters], level)
        expected = [_plain_rate_interval(*cell, level=level) for cell in RATE_CELLS]
        assert _bits(low) == _bits([e[0] for e in expected])
        assert _bits(high) == _bits([e[1] for e in expected])


def test_the_scalar_intervals_are_the_plain_formula():
    for k, n, variance, clusters in SHARE_CELLS:
        # draws whose corrected variance is the cell's: two values alternating
        spread = np.sqrt(variance * (clusters - 1) / clusters * 999 / 1000) if clusters > 1 else 0.0
        draws = np.tile([0.5 - spread, 0.5 + spread], 500)
        got = share_interval(k, n, draws, clusters)
        assert _bits(got) == _bits(_plain_share_interval(k, n, _bootstrap_variance(draws, clusters), clusters))
    for count, exposure, variance, clusters in RATE_CELLS[:-1]:
        draws = np.tile([0.01, 0.03], 50)
        got = rate_interval(count, exposure, draws, clusters)
        assert _bits(got) == _bits(_plain_rate_interval(count, exposure, _bootstrap_variance(draws, clusters),
                                                        clusters))


def test_clopper_pearson_of_no_trial_and_a_nan_count_are_as_the_scalar_test_makes_them():
    # k ≤ 0 and k ≥ n are tested as such (not k > 0, k < n): a NaN count gives NaN bounds, not 0 and 1
    low, high = clopper_pearson(np.nan, 5)
    assert np.isnan(low) and np.isnan(high)
    assert all(np.isnan(clopper_pearson(3, -1)))
    assert np.isnan(garwood(np.nan)[0])


def test_row_variances_equal_the_one_row_definition_bit_for_bit():
    rng = np.random.default_rng(4)
    for clusters, resamples in [(7, 2000), (13, 501), (2, 2), (3, 1), (1, 40), (5, 0)]:
        draws = rng.random((6, resamples))
        if resamples > 3:
            draws[2, [0, 3]] = np.nan  # two resamples left out of one row
            draws[4, :-1] = np.nan  # one draw left: no variance
        expected = [_bootstrap_variance(row, clusters) for row in draws]
        assert _bits(_bootstrap_variances(draws, clusters)) == _bits(expected)
        # a transposed (column-major) input must be summed as the rows are
        assert _bits(_bootstrap_variances(np.asfortranarray(draws), clusters)) == _bits(expected)
    assert _bootstrap_variances(np.array([[0.2, 0.6]]), 2).tolist() == [pytest.approx(0.16)]


def test_cluster_totals_sum_each_clusters_rows():
    values = np.array([[1, 0], [2, 5], [0, 1], [4, 0]])
    assert _cluster_totals(np.array([1, 0, 1, 2]), values, 3).tolist() == [[2, 5], [1, 1], [4, 0]]


def test_guests_and_their_clusters_are_those_of_groupby_and_factorize():
    # 甲 and 乙 interleave; Q2 comes before Q1 in 甲's answers; 乙 also has a Q1; a second document
    # has a guest 甲 too (another unit); a paragraph without a question is a cluster of its own.
    units = pd.DataFrame(
        [("a", "甲", "Q2", "d1"), ("b", "乙", "Q1", "d1"), ("c", "甲", "Q1", "d1"), ("d", "甲", "Q2", "d1"),
         ("e", "甲", "", "d1"), ("f", "甲", "Q1", "d2"), ("g", "乙", "Q1", "d1"), ("h", "甲", "Q1", "d1")],
        columns=["segment_id", "guest", "question_id", "document"])
    got = guest_clusters(units)
    assert [(d, g, p.tolist(), c.tolist(), n) for d, g, p, c, n in got] == [
        ("d1", "甲", [0, 2, 3, 4, 7], [0, 1, 0, 2, 1], 3),
        ("d1", "乙", [1, 6], [0, 0], 1),
        ("d2", "甲", [5], [0], 1),
    ]
    assert guest_clusters(units.iloc[:0]) == []


def _interview(seed, guests=4):
    """Random answers of a few guests in two documents, interleaved, with wordless paragraphs
    (so that some resamples of some guests draw no word: NaN draws, left out)."""
    rng = np.random.default_rng(seed)
    rows, tokens, hits = [], [], []
    for i in range(60):
        guest = f"g{rng.integers(guests)}"
        question = "" if rng.random() < 0.15 else f"Q{rng.integers(6)}"
        sid = f"s{i:03d}"
        rows.append((sid, guest, "answer", question, f"d{i // 40}"))
        words = int(rng.choice([0, 0, 3, 8, 20]))
        tokens += [(sid, "词")] * words
        if words:  # a hit is a word
            hits += [(sid, theme_id) for theme_id in ("PLG", "SLG", "ARR") for _ in range(rng.poisson(0.5))]
    for q in range(6):  # headings: Q0 and Q3 carry PLG
        rows.append((f"q{q}", "g0", "question", f"Q{q}", "d0"))
    hits += [("q0", "PLG"), ("q3", "PLG"), ("q3", "SLG")]
    segments = pd.DataFrame(rows, columns=SEGMENTS.columns)
    tokens = pd.DataFrame(tokens, columns=["segment_id", "token"]).assign(sentence_index=0, is_stopword=False)
    return segments, tokens, pd.DataFrame(hits, columns=["segment_id", "theme"])


def _theme_by_guest_cell_by_cell(segments, tokens, hits, themes, resamples, seed):
    """The table's intervals by the definition: one guest, one theme at a time."""
    units = answer_units(segments, tokens)
    units["cluster"] = cluster_labels(units)
    rows = []
    for _, group in units.groupby(["document", "guest"], sort=False):
        codes, names = pd.factorize(group["cluster"])
        weights = bootstrap_weights(len(names), resamples, seed)
        for theme_ in themes:
            tagged = hits.loc[hits["theme"] == theme_.id, "segment_id"]
            counts = group["segment_id"].map(tagged.value_counts()).fillna(0).to_numpy()
            share = cluster_proportion(np.bincount(codes, weights=counts > 0), np.bincount(codes), weights)
            rate = cluster_rate(np.bincount(codes, weights=counts), np.bincount(codes, weights=group["tokens"]), weights)
            rows.append((*share, *rate))
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_table_equals_the_guest_by_guest_theme_by_theme_definition(seed):
    segments, tokens, hits = _interview(seed)
    table = theme_by_guest(segments, tokens, hits, THEMES, resamples=300, seed=seed)
    expected = _theme_by_guest_cell_by_cell(segments, tokens, hits, THEMES, 300, seed)
    columns = ["share_low", "share_high", "design_effect", "hits_per_1k_low", "hits_per_1k_high"]
    got = table[columns].to_numpy().copy()
    got[:, 3:] /= 1000
    assert _bits(got) == _bits(np.array(expected) * np.array([1, 1, 1, 1, 1]))
    # and the counts by a count of their own
    units = answer_units(segments, tokens)
    for row in table.itertuples():
        mine = units.loc[(units["document"] == row.document) & (units["guest"] == row.guest), "segment_id"]
        tagged = hits.loc[(hits["theme"] == row.theme) & hits["segment_id"].isin(mine), "segment_id"]
        assert (row.answer_paragraphs, row.paragraphs, row.hits) == (len(mine), tagged.nunique(), len(tagged))
    assert (table["design_effect"] > 1).any()  # the variances matter in these interviews


def test_resamples_of_a_wordless_question_are_left_out_of_every_themes_rate_as_defined():
    # a guest whose only words are in one of two questions: resamples of the other question alone
    # are 0/0 for every theme (NaN, left out), and the rest of the row still counts
    segments = pd.DataFrame([("a", "甲", "answer", "Q1", D), ("b", "甲", "answer", "Q2", D)], columns=SEGMENTS.columns)
    tokens = pd.DataFrame({"segment_id": ["a"] * 5, "token": "词", "sentence_index": 0, "is_stopword": False})
    hits = pd.DataFrame({"segment_id": ["a", "a", "a"], "theme": ["PLG", "SLG", "SLG"]})
    table = theme_by_guest(segments, tokens, hits, THEMES, resamples=200, seed=4)
    weights = bootstrap_weights(2, 200, 4)
    assert (weights[:, 0] == 0).any()  # some resamples draw Q2 twice
    for row, counts in zip(table.itertuples(), ([1, 0], [2, 0], [0, 0])):
        low, high = cluster_rate(counts, [5, 0], weights)
        assert _bits([row.hits_per_1k_low, row.hits_per_1k_high]) == _bits([1000 * low, 1000 * high])
    assert table["hits_per_1k_low"].iloc[1] > 0 and table["hits_per_1k_low"].iloc[2] == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_the_balance_table_equals_the_guest_by_guest_definition(seed):
    segments, _, hits = _interview(seed, guests=5)
    table = theme_balance(segments, hits, resamples=300, seed=seed)
    answers = segments[segments["role"] == "answer"].copy()
    answers["cluster"] = cluster_labels(answers)
    expected = []
    for (document, guest), group in answers.groupby(["document", "guest"], sort=False):
        codes, names = pd.factorize(group["cluster"])
        weights = bootstrap_weights(len(names), 300, seed)
        has = [group["segment_id"].isin(hits.loc[hits["theme"] == t, "segment_id"]).to_numpy() for t in ("PLG", "SLG")]
        a_draws, b_draws = (weights @ np.bincount(codes, weights=h) for h in has)
        defined = a_draws + b_draws > 0
        a, b = int(has[0].sum()), int(has[1].sum())
        low, high, _ = (share_interval(a, a + b, a_draws[defined] / (a_draws + b_draws)[defined], len(names))
                        if a + b else (np.nan, np.nan, np.nan))
        expected.append((document, guest, a, b, (a - b) / (a + b) if a + b else np.nan, 2 * low - 1, 2 * high - 1,
                         int((~defined).sum())))
    got = table[["document", "guest", "paragraphs_a", "paragraphs_b", "balance", "balance_low", "balance_high",
                 "resamples_undefined"]]
    assert [tuple(r[:4]) for r in got.itertuples(index=False)] == [e[:4] for e in expected]
    assert _bits(got[["balance", "balance_low", "balance_high"]]) == _bits([e[4:7] for e in expected])
    assert got["resamples_undefined"].tolist() == [e[7] for e in expected]
    assert table["balance"].notna().sum() >= 3 and table["balance"].isna().sum() >= 0


def test_the_level_reaches_the_exact_intervals():
    expected = sps.binomtest(3, 12).proportion_ci(0.5, method="exact")
    assert clopper_pearson(3, 12, 0.5) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert garwood(4, 0.5) == pytest.approx((sps.chi2.ppf(0.25, 8) / 2, sps.chi2.ppf(0.75, 10) / 2))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_hits_in_a_wordless_question_give_no_rate_and_no_warning():
    low, high = cluster_rate([1], [0], bootstrap_weights(1, 20, 1))
    assert np.isnan(low) and np.isnan(high)


def test_a_row_without_a_guest_is_in_no_group():
    units = pd.DataFrame({"segment_id": ["a", "b", "c"], "guest": ["甲", None, "甲"], "question_id": ["Q1", "Q1", "Q2"],
                          "document": "d"})
    assert [(g, p.tolist(), c.tolist()) for _, g, p, c, _ in guest_clusters(units)] == [("甲", [0, 2], [0, 1])]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_wordless_guest_and_a_one_word_guest():
    # 丙 has no word: no rate for a theme with a hit (x/0) nor for one without (0/0), quietly;
    # 丁 has one word and one PLG hit: 1000 per 1k tokens
    segments = pd.DataFrame([("a", "丙", "answer", "Q", D), ("b", "丁", "answer", "Q9", D)], columns=SEGMENTS.columns)
    tokens = pd.DataFrame({"segment_id": ["b"], "token": "词", "sentence_index": 0, "is_stopword": False})
    hits = pd.DataFrame({"segment_id": ["a", "b"], "theme": ["PLG", "PLG"]})
    table = theme_by_guest(segments, tokens, hits, THEMES[:2], resamples=20, seed=1).set_index(["guest", "theme"])
    assert table["hits_per_1k"].isna().tolist() == [True, True, False, False]
    assert table.loc[("丁", "PLG"), "hits_per_1k"] == 1000.0 and table.loc[("丁", "SLG"), "hits_per_1k"] == 0.0


def test_an_answer_without_a_question_id_is_prompted_by_no_heading():
    # a3's question id is missing; the last question seen (Q2) carries SLG in its heading. The
    # missing id must not be read as "the last question".
    segments = pd.DataFrame([("q1", "甲", "question", "Q1", D), ("a1", "甲", "answer", "Q1", D),
                             ("q2", "甲", "question", "Q2", D), ("a2", "甲", "answer", "Q2", D),
                             ("a3", "甲", "answer", None, D)], columns=SEGMENTS.columns)
    hits = pd.DataFrame({"segment_id": ["q2", "a2", "a3"], "theme": ["SLG", "SLG", "SLG"]})
    row = theme_by_guest(segments, TOKENS, hits, THEMES[:2], resamples=20, seed=1).set_index("theme").loc["SLG"]
    assert (row["paragraphs"], row["prompted"], row["unprompted"]) == (2, 1, 1)


def test_one_unit_is_the_smallest_sample_not_an_empty_one():
    # n = 1 paragraph, or an exposure of one token or less, has an interval; only n = 0 has none.
    # Hand-worked: Clopper–Pearson for 0 of 1 solves (1 − p)¹ = 0.025, for 1 of 1 p¹ = 0.025.
    assert clopper_pearson(0, 1) == pytest.approx((0.0, 0.975))
    assert clopper_pearson(1, 1) == pytest.approx((0.025, 1.0))
    assert all(np.isnan(clopper_pearson(0, 0)))
    flat = np.array([1.0, 1.0, 1.0, 1.0])  # draws without variance: design effect 1
    assert share_interval(1, 1, flat, 4) == pytest.approx((0.025, 1.0, 1.0))
    # Garwood for one event, χ²(0.025; 2)/2 and χ²(0.975; 4)/2, per unit of exposure
    garwood_one = (sps.chi2.ppf(0.025, 2) / 2, sps.chi2.ppf(0.975, 4) / 2)
    assert rate_interval(1, 1, flat, 4) == pytest.approx(garwood_one)
    assert rate_interval(1, 0.5, 2 * flat, 4) == pytest.approx((2 * garwood_one[0], 2 * garwood_one[1]))
