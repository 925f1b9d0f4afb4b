"""The corpus summary: per guest counts, read from the answer dfm (hand-worked on tests/toy.py)."""

from __future__ import annotations

import pandas as pd

from analysis.dfm import build_dfm
from analysis.summary import SUMMARY_COLUMNS, corpus_summary, guest_order

from .toy import SEGMENTS, TOKENS, TEXTS


def test_the_summary_counts_questions_paragraphs_characters_and_tokens_per_guest():
    table = corpus_summary(SEGMENTS, build_dfm(SEGMENTS, TOKENS))
    assert table.columns.tolist() == SUMMARY_COLUMNS
    assert table.drop(columns=["document", "organization"]).values.tolist() == [
        # guest, questions, answer_paragraphs, answer_characters, tokens, content_tokens, distinct_content_tokens
        ["A", 1, 2, len(TEXTS["a1"]) + len(TEXTS["a2"]), 7, 4, 3],
        ["B", 0, 1, len(TEXTS["b1"]), 4, 3, 2],
    ]
    assert (table.dtypes.iloc[3:] == "int64").all()


def test_a_guest_who_was_asked_but_never_answered_has_a_row_of_zeros():
    asked = SEGMENTS.iloc[[1]].assign(segment_id="q9", guest="C", organization="C org")
    segments = pd.concat([SEGMENTS, asked], ignore_index=True)
    table = corpus_summary(segments, build_dfm(segments, TOKENS)).set_index("guest")
    assert table.loc["C", SUMMARY_COLUMNS[3:]].tolist() == [1, 0, 0, 0, 0, 0]


def test_guests_are_listed_in_chapter_order_without_the_overview():
    assert guest_order(SEGMENTS) == ["A", "B"]


def test_token_count_is_the_same_in_the_summary_and_in_theme_by_guest(segments, tokens):
    from analysis.stats import theme_by_guest
    from analysis.themes import find_theme_hits, load_codebook

    themes = load_codebook()[:1]
    rates = theme_by_guest(segments, tokens, find_theme_hits(segments, themes), themes, resamples=10)
    summary = corpus_summary(segments, build_dfm(segments, tokens))
    assert summary.set_index("guest")["tokens"].to_dict() == rates.set_index("guest")["tokens"].to_dict()
