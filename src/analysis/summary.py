"""Per-guest size of the corpus: the first sanity check an analyst reads.

Schema of ``corpus_summary.csv`` (one row per document and guest, in document order):

=========================  ==========================================================
document                   document name
guest                      guest (report mode: ``##`` section)
organization               guest's organisation
questions                  question headings put to the guest
answer_paragraphs          the guest's answer paragraphs
answer_characters          characters in those paragraphs (markup removed)
tokens                     answer tokens, punctuation excluded
content_tokens             answer tokens that are not stopwords
distinct_content_tokens    distinct content tokens
=========================  ==========================================================
"""

from __future__ import annotations

import unicodedata

import pandas as pd

SUMMARY_COLUMNS = [
    "document",
    "guest",
    "organization",
    "questions",
    "answer_paragraphs",
    "answer_characters",
    "tokens",
    "content_tokens",
    "distinct_content_tokens",
]


def is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)


def guest_order(segments: pd.DataFrame) -> list[str]:
    """Guests in the order they first appear (the chapter's order), overview excluded."""
    return list(dict.fromkeys(segments.loc[segments["guest"] != "", "guest"]))


def corpus_summary(segments: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    guests = segments[segments["guest"] != ""]
    keys = ["document", "guest", "organization"]
    order = guests[keys].drop_duplicates()
    answers = guests[guests["role"] == "answer"]
    answer_tokens = tokens.merge(answers[["segment_id", *keys]], on="segment_id")
    answer_tokens = answer_tokens[~answer_tokens["token"].map(is_punctuation)]
    content = answer_tokens[~answer_tokens["is_stopword"]]
    table = order.merge(
        guests[guests["role"] == "question"].groupby(keys).size().rename("questions").reset_index(), how="left"
    )
    per_answer = answers.assign(chars=answers["text"].str.len()).groupby(keys)
    table = table.merge(per_answer.size().rename("answer_paragraphs").reset_index(), how="left")
    table = table.merge(per_answer["chars"].sum().rename("answer_characters").reset_index(), how="left")
    table = table.merge(answer_tokens.groupby(keys).size().rename("tokens").reset_index(), how="left")
    table = table.merge(content.groupby(keys).size().rename("content_tokens").reset_index(), how="left")
    table = table.merge(
        content.groupby(keys)["token"].nunique().rename("distinct_content_tokens").reset_index(), how="left"
    )
    for column in SUMMARY_COLUMNS[3:]:
        table[column] = table[column].fillna(0).astype("int64")
    return table[SUMMARY_COLUMNS].reset_index(drop=True)
