"""A hand-made corpus whose dfms are worked out by hand below (tests/test_dfm.py checks them).

Two guests. A's first answer has two sentences, A's second answer only a stopword and
punctuation, B's answer repeats a word and has a number. A question and the editor's
overview carry words that answers-only counting must not see.

Features in code-point order: 开源 (U+5F00) < 用户 (U+7528) < 社区 (U+793E) < 销售 (U+9500).

paragraph dfm            开源 用户 社区 销售   tokens  content_tokens
  a1 (A)                  1    1    2    0      6         4      开源 社区 很 好 。| 用户 , 社区 !
  a2 (A)                  0    0    0    0      1         0      的 。
  b1 (B)                  2    0    0    1      4         3      开源 开源 2024 销售 ……

sentence dfm
  a1/0                    1    0    1    0      4         2
  a1/1                    0    1    1    0      2         2
  a2/0                    0    0    0    0      1         0
  b1/0                    2    0    0    1      4         3
"""

from __future__ import annotations

import pandas as pd

FEATURES = ["开源", "用户", "社区", "销售"]


TEXTS = {"a1": "开源社区很好。用户,社区!", "a2": "的。", "b1": "开源开源2024销售……"}


def _segment(segment_id, guest, role, question_id=""):
    return {"segment_id": segment_id, "document": "doc", "guest": guest, "organization": f"{guest} org" if guest else "",
            "role": role, "question_id": question_id, "question": f"question {question_id}" if question_id else "",
            "text": TEXTS.get(segment_id, "…")}


SEGMENTS = pd.DataFrame([
    _segment("o1", "", "overview"),
    _segment("q1", "A", "question", "q1"),
    _segment("a1", "A", "answer", "q1"),
    _segment("a2", "A", "answer", "q1"),
    _segment("b1", "B", "answer", "q2"),
])

# (segment, sentence, token, is_stopword); punctuation is a stopword too, as in the tokenizer
TOKEN_ROWS = [
    ("o1", 0, "开源", False),
    ("q1", 0, "社区", False), ("q1", 0, "吗", True), ("q1", 0, "?", True),
    ("a1", 0, "开源", False), ("a1", 0, "社区", False), ("a1", 0, "很", True), ("a1", 0, "好", True), ("a1", 0, "。", True),
    ("a1", 1, "用户", False), ("a1", 1, ",", True), ("a1", 1, "社区", False), ("a1", 1, "!", True),
    ("a2", 0, "的", True), ("a2", 0, "。", True),
    ("b1", 0, "开源", False), ("b1", 0, "开源", False), ("b1", 0, "2024", True), ("b1", 0, "销售", False),
    ("b1", 0, "……", True),
]
TOKENS = pd.DataFrame(TOKEN_ROWS, columns=["segment_id", "sentence_index", "token", "is_stopword"])
TOKENS.insert(2, "token_index", TOKENS.groupby("segment_id").cumcount())
