"""The dfm, specified on the hand-made corpus of tests/toy.py (matrices worked out there)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dfm import Dfm, build_dfm, dfm_from_lists
from analysis.tokenizer import is_punctuation
from analysis.errors import ParameterError

from .toy import FEATURES, SEGMENTS, TOKENS


@pytest.fixture
def paragraphs():
    return build_dfm(SEGMENTS, TOKENS)


@pytest.fixture
def sentences():
    return build_dfm(SEGMENTS, TOKENS, unit="sentence")


def dense(dfm: Dfm) -> list[list[int]]:
    return dfm.matrix.toarray().tolist()


def test_a_paragraph_dfm_counts_content_tokens_of_each_answer():
    dfm = build_dfm(SEGMENTS, TOKENS)
    assert dfm.docvars["segment_id"].tolist() == ["a1", "a2", "b1"]  # question and overview are not answers
    assert dfm.features.tolist() == FEATURES  # stopwords, numbers and punctuation are not features
    assert dense(dfm) == [[1, 1, 2, 0], [0, 0, 0, 0], [2, 0, 0, 1]]  # repeats are counted, not capped
    assert dfm.matrix.dtype == np.int64 and dfm.unit == "paragraph"


def test_an_answer_without_content_tokens_is_still_a_paragraph_row(paragraphs):
    # paragraph denominators (answer_paragraphs, means over paragraphs) must count it
    assert paragraphs.docvars.set_index("segment_id").loc["a2", ["tokens", "content_tokens"]].tolist() == [1, 0]


def test_token_count_excludes_punctuation_but_includes_stopwords_and_numbers(paragraphs):
    assert paragraphs.docvars["tokens"].tolist() == [6, 1, 4]
    assert paragraphs.docvars["content_tokens"].tolist() == [4, 0, 3]
    assert paragraphs.docvars["content_tokens"].tolist() == paragraphs.matrix.sum(axis=1).A1.tolist()


def test_without_content_only_the_features_are_all_word_tokens_and_rows_sum_to_the_token_count():
    dfm = build_dfm(SEGMENTS, TOKENS, content_only=False)
    assert set(dfm.features) == set(FEATURES) | {"很", "好", "的", "2024"}
    assert dfm.matrix.sum(axis=1).A1.tolist() == dfm.docvars["tokens"].tolist() == [6, 1, 4]


def test_docvars_carry_the_unit_its_document_guest_and_question():
    dfm = build_dfm(SEGMENTS, TOKENS)
    row = dfm.docvars.iloc[2]
    assert (row["segment_id"], row["document"], row["guest"], row["organization"], row["question_id"],
            row["question"]) == ("b1", "doc", "B", "B org", "q2", "question q2")


def test_a_sentence_dfm_has_one_row_per_sentence_in_reading_order(sentences):
    assert list(zip(sentences.docvars["segment_id"], sentences.docvars["sentence_index"])) == [
        ("a1", 0), ("a1", 1), ("a2", 0), ("b1", 0)]
    assert dense(sentences) == [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0], [2, 0, 0, 1]]
    assert sentences.docvars["tokens"].tolist() == [4, 2, 1, 4]
    assert sentences.unit == "sentence"
    assert sentences.docvars.loc[1, "guest"] == "A"  # the paragraph's docvars reach its sentences


def test_sentences_keep_reading_order_even_when_the_tokens_table_is_shuffled():
    shuffled = TOKENS.sample(frac=1, random_state=3)
    assert dense(build_dfm(SEGMENTS, shuffled, unit="sentence")) == [[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0],
                                                                        [2, 0, 0, 1]]


def test_roles_choose_the_units():
    dfm = build_dfm(SEGMENTS, TOKENS, roles=("question", "answer"))
    assert dfm.docvars["segment_id"].tolist() == ["q1", "a1", "a2", "b1"]  # segment order, not role order
    assert dense(dfm)[0] == [0, 0, 1, 0]


def test_an_unknown_unit_is_refused():
    with pytest.raises(ParameterError, match="sentence"):
        build_dfm(SEGMENTS, TOKENS, unit="page")


def test_grouping_by_guest_sums_rows_in_order_of_first_appearance(paragraphs):
    by_guest = paragraphs.group("guest")
    assert by_guest.docvars["guest"].tolist() == ["A", "B"]
    assert dense(by_guest) == [[1, 1, 2, 0], [2, 0, 0, 1]]
    assert by_guest.docvars[["units", "tokens", "content_tokens"]].values.tolist() == [[2, 7, 4], [1, 4, 3]]


def test_grouping_sentences_by_paragraph_gives_the_paragraph_dfm(paragraphs, sentences):
    grouped = sentences.group("segment_id")
    assert dense(grouped) == dense(paragraphs)
    assert grouped.docvars["tokens"].tolist() == paragraphs.docvars["tokens"].tolist()
    assert grouped.group("segment_id").docvars["units"].tolist() == [2, 1, 1]  # units add up when regrouped


def test_grouping_follows_first_appearance_not_alphabetical_order():
    dfm = dfm_from_lists([["x"], ["y"], ["x"]], pd.DataFrame({"guest": ["Z", "A", "Z"]}))
    grouped = dfm.group(["guest"])
    assert grouped.docvars["guest"].tolist() == ["Z", "A"]
    assert dense(grouped) == [[2, 0], [0, 1]]


def test_subset_keeps_the_rows_and_their_docvars_together(paragraphs):
    b = paragraphs.subset(paragraphs.docvars["guest"] == "B")
    assert b.docvars["segment_id"].tolist() == ["b1"] and dense(b) == [[2, 0, 0, 1]]
    assert b.features.tolist() == FEATURES  # subsetting units does not drop features
    with pytest.raises(ValueError):
        paragraphs.subset([True, False])


def test_binary_caps_counts_at_one(paragraphs):
    assert dense(paragraphs.binary()) == [[1, 1, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1]]
    assert dense(paragraphs) == [[1, 1, 2, 0], [0, 0, 0, 0], [2, 0, 0, 1]]  # the original is untouched


def test_frequencies_sort_by_count_then_by_term(paragraphs):
    frequencies = paragraphs.frequencies()
    assert list(frequencies.items()) == [("开源", 3), ("社区", 2), ("用户", 1), ("销售", 1)]
    a_only = paragraphs.subset(paragraphs.docvars["guest"] == "A").frequencies()
    assert "销售" not in a_only.index  # a feature the units never use is not a frequency of 0


def test_frequency_ties_follow_the_term_not_the_order_of_appearance():
    assert dfm_from_lists([["z", "a", "m", "m"]]).frequencies().index.tolist() == ["m", "a", "z"]


def test_select_keeps_features_by_total_count_and_by_units(paragraphs):
    assert paragraphs.select(min_count=2).features.tolist() == ["开源", "社区"]
    assert paragraphs.select(min_units=2).features.tolist() == ["开源"]  # 社区 twice, but in one unit
    assert dense(paragraphs.select(min_count=2)) == [[1, 2], [0, 0], [2, 0]]


def test_nonempty_drops_units_without_features(sentences):
    assert sentences.nonempty().docvars["segment_id"].tolist() == ["a1", "a1", "b1"]


def test_a_dfm_whose_parts_disagree_is_refused(paragraphs):
    with pytest.raises(ValueError, match="does not match"):
        Dfm(paragraphs.docvars.head(2), paragraphs.matrix, paragraphs.features)


@pytest.mark.parametrize("token, expected", [("。", True), ("……", True), ("!?", True), (" ", True),
                                             ("2024", False), ("的", False), ("AI", False), ("C++", False)])
def test_punctuation_is_a_token_made_only_of_punctuation_symbols_or_spaces(token, expected):
    assert is_punctuation(token) is expected


def test_the_answer_dfm_docvars_hold_what_answer_units_returns(segments, tokens):
    from analysis.stats import answer_units

    expected = answer_units(segments, tokens)
    docvars = build_dfm(segments, tokens).docvars[expected.columns]
    pd.testing.assert_frame_equal(docvars, expected)


def test_on_the_real_corpus_rows_sum_to_the_content_token_count(segments, tokens):
    dfm = build_dfm(segments, tokens)
    content = tokens[~tokens["is_stopword"] & tokens["segment_id"].isin(dfm.docvars["segment_id"])]
    assert dfm.matrix.sum() == len(content) == dfm.docvars["content_tokens"].sum()
    assert set(dfm.features) == set(content["token"])


def _counted_by_hand(segments, tokens, unit, roles, content_only):
    """Each unit's Counter of its features, straight from the definitions (module docstring)."""
    from collections import Counter

    kept = set(segments.loc[segments["role"].isin(roles), "segment_id"])
    counts: dict = {}
    for row in tokens.itertuples():
        if row.segment_id not in kept or is_punctuation(row.token) or (content_only and row.is_stopword):
            continue
        key = row.segment_id if unit == "paragraph" else (row.segment_id, row.sentence_index)
        counts.setdefault(key, Counter())[row.token] += 1
    return counts


@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
@pytest.mark.parametrize("roles, content_only", [(("answer",), True), (("answer", "question"), False)])
def test_on_the_real_corpus_every_row_holds_the_counts_a_hand_count_gives(segments, tokens, unit, roles, content_only):
    # tokens shuffled: rows follow the segments' reading order, never the tokens' order
    shuffled = tokens.sample(frac=1, random_state=3)
    dfm = build_dfm(segments, shuffled, unit, roles=roles, content_only=content_only)
    expected = _counted_by_hand(segments, tokens, unit, roles, content_only)
    keys = (dfm.docvars["segment_id"] if unit == "paragraph"
            else zip(dfm.docvars["segment_id"], dfm.docvars["sentence_index"]))
    got = {key: {dfm.features[j]: int(dfm.matrix[i, j]) for j in dfm.matrix[i].indices}
           for i, key in enumerate(keys)}
    assert {k: v for k, v in got.items() if v} == {k: dict(v) for k, v in expected.items()}
    assert list(dfm.features) == sorted(set().union(*expected.values()))  # code-point order, only what occurs


def test_features_are_in_code_point_order_whatever_the_order_of_appearance():
    tokens = pd.DataFrame({"segment_id": ["a1"] * 4, "sentence_index": [0] * 4, "token_index": range(4),
                           "token": ["中", "ai", "AI", "Ab"], "is_stopword": [False] * 4})
    segments = SEGMENTS[SEGMENTS["segment_id"] == "a1"]
    assert list(build_dfm(segments, tokens).features) == ["AI", "Ab", "ai", "中"]


@pytest.mark.parametrize("unit, rows", [("paragraph", 3), ("sentence", 0)])
def test_a_corpus_without_tokens_gives_empty_rows_and_no_features(unit, rows):
    dfm = build_dfm(SEGMENTS, TOKENS.iloc[0:0], unit)
    assert dfm.shape == (rows, 0) and (dfm.docvars["tokens"] == 0).all()
