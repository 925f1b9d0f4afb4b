"""Theme prevalence statistics (stats.py): bootstrap intervals, shares and balance."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.stats import bootstrap_indices, theme_balance, theme_by_guest
from analysis.themes import find_theme_hits, load_codebook


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
