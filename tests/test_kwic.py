"""kwic_for_hits: the concordance lines of the theme hits, checked on a hand-made chapter."""

from __future__ import annotations

import pandas as pd

from analysis.kwic import KWIC_COLUMNS, kwic_for_hits

# Answers interleaved with a question and an overview paragraph, so that a unit's row among the
# segments differs from its row among the answers; the segments' index is not a RangeIndex.
SEGMENTS = pd.DataFrame({
    "segment_id": ["o1", "q1", "a1", "q2", "a2", "a3"],
    "guest": ["", "甲", "甲", "乙", "乙", "乙"],
    "question": ["", "问一", "问一", "问二", "问二", "问二"],
    "role": ["overview", "question", "answer", "question", "answer", "answer"],
    "text": ["概述开源", "开源吗", "我们做开源社区", "订阅", "年订阅收入很好", "开源"],
}, index=[10, 11, 12, 13, 14, 15])
HITS = pd.DataFrame({
    "theme": ["SLG", "PLG", "PLG", "ARR", "PLG", "PLG"],
    "term": ["订阅", "开源", "社区", "订阅", "开源", "开源"],
    "segment_id": ["a2", "q1", "a1", "a2", "a3", "o1"],
    "char_start": [1, 0, 5, 1, 0, 2],
    "char_end": [3, 2, 7, 3, 2, 4],
})


def test_lines_for_answer_hits_in_hit_order_with_their_own_paragraphs_context():
    lines = kwic_for_hits(SEGMENTS, HITS, width=2)
    assert list(lines.columns) == KWIC_COLUMNS
    # the question's and the overview's hits have no line; the others keep the hits' order
    assert lines.values.tolist() == [
        ["SLG", "订阅", "a2", "乙", "问二", "年", "订阅", "收入", 1, 3],
        ["PLG", "社区", "a1", "甲", "问一", "开源", "社区", "", 5, 7],
        ["ARR", "订阅", "a2", "乙", "问二", "年", "订阅", "收入", 1, 3],
        ["PLG", "开源", "a3", "乙", "问二", "", "开源", "", 0, 2],
    ]
    assert list(lines.index) == [0, 1, 2, 3]


def test_other_roles_and_a_wide_window():
    lines = kwic_for_hits(SEGMENTS, HITS, width=25, roles=("question", "overview"))
    assert lines[["segment_id", "left", "match", "right"]].values.tolist() == [
        ["q1", "", "开源", "吗"], ["o1", "概述", "开源", ""]]


def test_no_hit_gives_no_line():
    lines = kwic_for_hits(SEGMENTS, HITS.iloc[:0])
    assert lines.empty and list(lines.columns) == KWIC_COLUMNS
