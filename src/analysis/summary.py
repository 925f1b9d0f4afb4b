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

import pandas as pd

from .dfm import Dfm

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
KEYS = ["document", "guest", "organization"]


def guest_order(segments: pd.DataFrame) -> list[str]:
    """Guests in the order they first appear (the chapter's order), overview excluded."""
    return list(dict.fromkeys(segments.loc[segments["guest"] != "", "guest"]))


def corpus_summary(segments: pd.DataFrame, dfm: Dfm) -> pd.DataFrame:
    """The corpus_summary table from the segments and the answer-paragraph content dfm.

    Rows are every (document, guest) of the segments, in order, so a guest who was asked
    but never answered still has a row of zeros.
    """
    guests = segments[segments["guest"] != ""]
    table = guests[KEYS].drop_duplicates()
    questions = guests[guests["role"] == "question"].groupby(KEYS).size().rename("questions").reset_index()
    table = table.merge(questions, how="left")
    characters = dfm.docvars["segment_id"].map(segments.set_index("segment_id")["text"].str.len())
    grouped = dfm.group(KEYS)
    per_guest = grouped.docvars.assign(
        answer_paragraphs=grouped.docvars["units"],
        answer_characters=characters.groupby([dfm.docvars[k] for k in KEYS], sort=False).sum().to_numpy(),
        distinct_content_tokens=grouped.matrix.getnnz(axis=1),
    )
    table = table.merge(per_guest[KEYS + SUMMARY_COLUMNS[4:]], how="left")
    for column in SUMMARY_COLUMNS[3:]:
        table[column] = table[column].fillna(0).astype("int64")
    return table[SUMMARY_COLUMNS].reset_index(drop=True)
